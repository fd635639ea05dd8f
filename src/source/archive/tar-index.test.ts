import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compress as zstdCompress } from 'zstd-napi';
import { tarBuffer, type TarEntry } from '../../../test/harness/tar-writer.js';
import { DEFAULT_TAR_INDEX_LIMITS, TarIndex } from './tar-index.js';

const run = promisify(execFile);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drydock-tar-index-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeTar(entries: TarEntry[], name = 'a.tar'): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, tarBuffer(entries));
  return file;
}

/** Rewrites the header checksum after a test edits a header block. */
function fixChecksum(tar: Buffer, offset: number): void {
  tar.write(' '.repeat(8), offset + 148, 'latin1');
  let sum = 0;
  for (const byte of tar.subarray(offset, offset + 512)) sum += byte;
  tar.write(sum.toString(8).padStart(6, '0') + '\0 ', offset + 148, 'latin1');
}

/** One raw header block (+ data, padding and end marker), for headers tarBuffer will not write. */
function rawTar(name: string, flag: string, data = Buffer.alloc(0), size?: Buffer): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 'utf8');
  header.write('0000644\0', 100, 'latin1');
  (size ?? Buffer.from(data.length.toString(8).padStart(11, '0') + '\0', 'latin1')).copy(
    header,
    124,
  );
  header.write(flag, 156, 'latin1');
  header.write('ustar\0' + '00', 257, 'latin1');
  fixChecksum(header, 0);
  const padded = Buffer.alloc(Math.ceil(data.length / 512) * 512);
  data.copy(padded);
  return Buffer.concat([header, padded, Buffer.alloc(1024)]);
}

const longName = `${'deep/'.repeat(30)}file.txt`;

describe('TarIndex', () => {
  it.each(['gnu', 'posix', 'ustar'])(
    'indexes an archive GNU tar writes in %s format, long names included',
    async (format) => {
      const tree = join(dir, 'tree');
      const nested = join(tree, 'deep/'.repeat(30));
      await mkdir(nested, { recursive: true });
      await writeFile(join(tree, longName), 'long\n');
      await writeFile(join(tree, 'short.txt'), 'x'.repeat(1000));
      const file = join(dir, 'out.tar');
      await run('tar', [`--format=${format}`, '-cf', file, '-C', tree, '.']);
      const index = await TarIndex.open(file);
      expect(index.has(longName)).toBe(true);
      expect(index.has('short.txt')).toBe(true);
      expect(await text(await index.openMember(longName))).toBe('long\n');
      expect((await index.readMember('./short.txt', 4096)).toString()).toBe('x'.repeat(1000));
    },
  );

  it('reads PAX path records and skips content of every size', async () => {
    const name = `${'p'.repeat(150)}/file`;
    const file = await writeTar([
      { path: 'a', content: Buffer.alloc(513, 1) },
      { path: name, content: 'pax' },
      { path: 'empty', content: '' },
      { path: 'z', content: 'last' },
    ]);
    const index = await TarIndex.open(file);
    for (const member of ['a', name, 'empty', 'z']) expect(index.has(member)).toBe(true);
    expect(index.resolve('a')).toMatchObject({ type: 'file', size: 513 });
    expect(await text(await index.openMember(name))).toBe('pax');
    expect(await text(await index.openMember('empty'))).toBe('');
    expect(await text(await index.openMember('/z'))).toBe('last');
  });

  it('reads base-256 size fields', async () => {
    const tar = tarBuffer([
      { path: 'big', content: 'abc' },
      { path: 'next', content: 'n' },
    ]);
    tar.fill(0, 124, 136);
    tar[124] = 0x80;
    tar[135] = 3;
    fixChecksum(tar, 0);
    await writeFile(join(dir, 'b.tar'), tar);
    const index = await TarIndex.open(join(dir, 'b.tar'));
    expect(await text(await index.openMember('big'))).toBe('abc');
    expect(await text(await index.openMember('next'))).toBe('n');
  });

  it('follows symlinks (relative to their directory) and hard links inside the archive', async () => {
    const file = await writeTar([
      { path: 'abc/layer.tar', content: 'layer bytes' },
      { path: 'def/layer.tar', type: 'symlink', linkTarget: '../abc/layer.tar' },
      { path: 'ghi/layer.tar', type: 'hardlink', linkTarget: 'def/layer.tar' },
    ]);
    const index = await TarIndex.open(file);
    expect(index.resolve('ghi/layer.tar').name).toBe('abc/layer.tar');
    expect(await text(await index.openMember('def/layer.tar'))).toBe('layer bytes');
  });

  it('refuses links that leave the archive, and link loops', async () => {
    const file = await writeTar([
      { path: 'a/out', type: 'symlink', linkTarget: '../../etc/passwd' },
      { path: 'loop1', type: 'symlink', linkTarget: 'loop2' },
      { path: 'loop2', type: 'symlink', linkTarget: 'loop1' },
      { path: 'd', type: 'dir' },
    ]);
    const index = await TarIndex.open(file);
    expect(() => index.resolve('a/out')).toThrow(/links outside the archive/);
    expect(() => index.resolve('loop1')).toThrow(
      expect.objectContaining({ code: 'limit-exceeded' }),
    );
    expect(() => index.resolve('d')).toThrow(/"d" is not a file/);
    expect(() => index.resolve('missing')).toThrow(expect.objectContaining({ code: 'not-found' }));
  });

  it('refuses member paths that climb out with ..', async () => {
    const file = await writeTar([
      { path: 'ok', content: '' },
      { path: '../x', content: 'evil' },
    ]);
    await expect(TarIndex.open(file)).rejects.toThrow(
      /member path "..\/x" climbs out of the archive/,
    );
  });

  it.each([
    ['gzip', gzipSync, 'gunzip'],
    ['zstd', zstdCompress, 'unzstd'],
    ['xz', (b: Buffer) => execFileSync('xz', ['-c'], { input: b }), 'unxz'],
    ['bzip2', (b: Buffer) => execFileSync('bzip2', ['-c'], { input: b }), 'bunzip2'],
  ])('asks for a %s-compressed archive to be decompressed first', async (_name, pack, tool) => {
    const file = join(dir, 'image.tar.gz');
    await writeFile(file, pack(tarBuffer([{ path: 'manifest.json', content: '[]' }])));
    await expect(TarIndex.open(file)).rejects.toMatchObject({
      code: 'unsupported',
      message: `${file} is compressed; decompress it first (${tool}) — drydock needs random access to the archive`,
    });
  });

  it('rejects truncated archives, in a member or before the end marker', async () => {
    const tar = tarBuffer([{ path: 'a', content: Buffer.alloc(2000, 7) }]);
    for (const length of [1000, 512 + 2048, 0]) {
      await writeFile(join(dir, 't.tar'), tar.subarray(0, length));
      await expect(TarIndex.open(join(dir, 't.tar'))).rejects.toThrow(/is truncated/);
    }
  });

  it('decodes headers as strictly as the layer reader does', async () => {
    const open = async (tar: Buffer) => {
      await writeFile(join(dir, 'h.tar'), tar);
      return TarIndex.open(join(dir, 'h.tar'));
    };
    // Pre-POSIX archives mark directories by a trailing slash only.
    const old = await open(rawTar('d/', '\0'));
    expect(() => old.resolve('d')).toThrow(/"d" is not a file/);
    for (const record of ['11 path=ab', '9 pathab\n', '12 path=a\0b\n']) {
      await expect(open(rawTar('pax', 'x', Buffer.from(record)))).rejects.toThrow(
        /not a valid tar archive \(invalid PAX header/,
      );
    }
    // Base-256 -1 in the size field.
    await expect(open(rawTar('neg', '0', undefined, Buffer.alloc(12, 0xff)))).rejects.toThrow(
      /bad size field/,
    );
    const negative = Buffer.alloc(12);
    negative[0] = 0xc0; // base-256 marker with the sign bit: a negative number
    negative[11] = 1;
    await expect(open(rawTar('neg', '0', undefined, negative))).rejects.toThrow(/bad size field/);
  });

  it('rejects headers with a bad checksum', async () => {
    const tar = tarBuffer([{ path: 'a', content: 'x' }]);
    tar[0] = 'b'.charCodeAt(0);
    await writeFile(join(dir, 'c.tar'), tar);
    await expect(TarIndex.open(join(dir, 'c.tar'))).rejects.toThrow(
      /not a valid tar archive \(bad header checksum at byte 0\)/,
    );
  });

  it('bounds the number of members and the length of names', async () => {
    const file = await writeTar([1, 2, 3].map((i) => ({ path: `m${i}`, content: '' })));
    await expect(
      TarIndex.open(file, { ...DEFAULT_TAR_INDEX_LIMITS, maxMembers: 2 }),
    ).rejects.toMatchObject({ code: 'limit-exceeded' });
    const long = await writeTar([{ path: 'n'.repeat(300), content: '' }], 'long.tar');
    await expect(
      TarIndex.open(long, { ...DEFAULT_TAR_INDEX_LIMITS, maxNameBytes: 200 }),
    ).rejects.toMatchObject({ code: 'limit-exceeded' });
  });

  it('bounds what readMember loads into memory', async () => {
    const index = await TarIndex.open(await writeTar([{ path: 'big', content: 'x'.repeat(100) }]));
    await expect(index.readMember('big', 99, 'the config')).rejects.toThrow(
      /the config of .* exceeds the limit of 99 bytes/,
    );
  });

  it('names the file when it cannot be opened', async () => {
    await symlink('/nonexistent', join(dir, 'dangling.tar'));
    await expect(TarIndex.open(join(dir, 'dangling.tar'))).rejects.toMatchObject({
      code: 'not-found',
      message: expect.stringContaining('dangling.tar') as string,
    });
  });
});
