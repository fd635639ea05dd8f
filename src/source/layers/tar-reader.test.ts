import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, DrydockError, type Limits } from '../../model/index.js';
import { tarBuffer, type TarEntry } from '../../../test/harness/tar-writer.js';
import { readTar, TarParser, type TarContentSink, type TarHeader } from './tar-reader.js';

interface ReadEntry extends TarHeader {
  sha256?: string;
  chunks?: number;
}

/** Collects headers, and the sha256 of regular files' content, as the analyser would. */
function collect(): {
  entries: ReadEntry[];
  warnings: string[];
  visitor: { entry(h: TarHeader): TarContentSink | undefined; warning(m: string): void };
} {
  const entries: ReadEntry[] = [];
  const warnings: string[] = [];
  return {
    entries,
    warnings,
    visitor: {
      entry(header) {
        const entry: ReadEntry = { ...header };
        entries.push(entry);
        if (header.type !== 'file') return undefined;
        const hash = createHash('sha256');
        entry.chunks = 0;
        return {
          write(chunk) {
            hash.update(chunk);
            entry.chunks = (entry.chunks ?? 0) + 1;
          },
          end() {
            entry.sha256 = hash.digest('hex');
          },
        };
      },
      warning: (m) => warnings.push(m),
    },
  };
}

function parse(
  tar: Buffer,
  limits: Limits = DEFAULT_LIMITS,
  chunkSize = tar.length,
): ReturnType<typeof collect> {
  const result = collect();
  const parser = new TarParser(result.visitor, { layerName: 'sha256:test', limits });
  for (let i = 0; i < tar.length; i += chunkSize) parser.write(tar.subarray(i, i + chunkSize));
  parser.end();
  return result;
}

function parseError(tar: Buffer, limits: Limits = DEFAULT_LIMITS): DrydockError {
  try {
    parse(tar, limits);
  } catch (e) {
    expect(e).toBeInstanceOf(DrydockError);
    return e as DrydockError;
  }
  throw new Error('expected the tar to be rejected');
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** A raw header block, for what the harness writer does not make (GNU, base-256, bad sums). */
function rawHeader(fields: {
  name: string;
  flag: string;
  size?: number;
  magic?: 'gnu' | 'posix';
  uidBase256?: number;
  sizeBase256?: number;
}): Buffer {
  const h = Buffer.alloc(512);
  h.write(fields.name, 0, 100, 'utf8');
  h.write('0000644\0', 100, 'ascii');
  h.write('0000000\0', 108, 'ascii');
  h.write('0000000\0', 116, 'ascii');
  h.write((fields.size ?? 0).toString(8).padStart(11, '0') + '\0', 124, 'ascii');
  h.write('14000000000\0', 136, 'ascii');
  h.write(fields.flag, 156, 'ascii');
  h.write(fields.magic === 'posix' ? 'ustar\u000000' : 'ustar  \0', 257, 'binary');
  if (fields.uidBase256 !== undefined) base256(h, 108, 8, fields.uidBase256);
  if (fields.sizeBase256 !== undefined) base256(h, 124, 12, fields.sizeBase256);
  return withChecksum(h);
}

function base256(h: Buffer, start: number, length: number, value: number): void {
  h.fill(0, start, start + length);
  for (let i = start + length - 1, v = value; i > start; i--, v = Math.floor(v / 256)) {
    h[i] = v % 256;
  }
  h[start] = 0x80;
}

function withChecksum(h: Buffer): Buffer {
  h.write('        ', 148, 'ascii');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return h;
}

function block(content: string | Buffer): Buffer {
  const data = Buffer.from(content);
  return Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

const END = Buffer.alloc(1024);

describe('TarParser', () => {
  it('reads every entry type with its metadata', () => {
    const tar = tarBuffer([
      { path: 'etc', type: 'dir', mode: 0o755 },
      { path: 'etc/passwd', content: 'root:x:0:0\n', uid: 0, gid: 42, mtime: 1_600_000_000 },
      { path: 'usr/bin/su', content: 'elf', mode: 0o4755 },
      { path: 'usr/bin/wall', content: 'elf', mode: 0o2755 },
      { path: 'tmp', type: 'dir', mode: 0o1777 },
      { path: 'etc/link', type: 'hardlink', linkTarget: 'etc/passwd' },
      { path: 'etc/sym', type: 'symlink', linkTarget: '../usr/bin/su' },
      { path: 'dev/null', type: 'char', devMajor: 1, devMinor: 3 },
      { path: 'dev/sda', type: 'block', devMajor: 8, devMinor: 0 },
      { path: 'run/fifo', type: 'fifo' },
      { path: 'empty', content: '' },
    ]);
    const { entries, warnings } = parse(tar);
    expect(warnings).toEqual([]);
    expect(entries.map((e) => [e.name, e.type, e.mode & 0o7777, e.size])).toEqual([
      ['etc/', 'dir', 0o755, 0],
      ['etc/passwd', 'file', 0o644, 11],
      ['usr/bin/su', 'file', 0o4755, 3],
      ['usr/bin/wall', 'file', 0o2755, 3],
      ['tmp/', 'dir', 0o1777, 0],
      ['etc/link', 'hardlink', 0o644, 0],
      ['etc/sym', 'symlink', 0o777, 0],
      ['dev/null', 'char', 0o644, 0],
      ['dev/sda', 'block', 0o644, 0],
      ['run/fifo', 'fifo', 0o644, 0],
      ['empty', 'file', 0o644, 0],
    ]);
    expect(entries[1]).toMatchObject({
      gid: 42,
      mtime: 1_600_000_000,
      sha256: sha256('root:x:0:0\n'),
    });
    expect(entries[5]?.linkName).toBe('etc/passwd');
    expect(entries[6]?.linkName).toBe('../usr/bin/su');
    expect(entries[7]).toMatchObject({ devMajor: 1, devMinor: 3 });
    expect(entries[8]).toMatchObject({ devMajor: 8, devMinor: 0 });
    expect(entries[10]?.sha256).toBe(sha256(''));
  });

  it('gives the same result whatever the chunk boundaries, handing on slices', () => {
    const big = Buffer.alloc(300_000, 'x');
    const tar = tarBuffer([
      { path: 'a'.repeat(150), content: 'long name' },
      { path: 'big', content: big },
      { path: 'small', content: 'abc' },
    ]);
    const whole = parse(tar).entries;
    expect(whole[1]).toMatchObject({ sha256: sha256(big), chunks: 1 });
    for (const chunkSize of [1, 7, 511, 512, 513, 4096, 65_537]) {
      const split = parse(tar, DEFAULT_LIMITS, chunkSize).entries;
      expect(split.map(({ chunks: _, ...e }) => e)).toEqual(whole.map(({ chunks: _, ...e }) => e));
    }
  });

  it('reads PAX long names, link targets, big ids and fractional times', () => {
    const longDir = 'very/'.repeat(40);
    const tar = tarBuffer([
      { path: `${longDir}file.txt`, content: 'deep' },
      { path: 'short', type: 'symlink', linkTarget: `/${longDir}file.txt` },
      { path: 'bigid', content: 'x', uid: 3_000_000, gid: 4_000_000 },
    ]);
    const { entries } = parse(tar);
    expect(entries.map((e) => e.name)).toEqual([`${longDir}file.txt`, 'short', 'bigid']);
    expect(entries[1]?.linkName).toBe(`/${longDir}file.txt`);
    expect(entries[2]).toMatchObject({ uid: 3_000_000, gid: 4_000_000 });

    const pax = block('30 mtime=1700000000.123456789\n');
    const header = rawHeader({ name: 'PaxHeaders/x', flag: 'x', size: 30, magic: 'posix' });
    const file = rawHeader({ name: 'timed', flag: '0', magic: 'posix' });
    expect(parse(Buffer.concat([header, pax, file, END])).entries[0]?.mtime).toBe(1_700_000_000);
  });

  it('reads GNU long names and long link targets (L and K)', () => {
    const longName = `gnu/${'n'.repeat(200)}`;
    const longLink = `/target/${'t'.repeat(150)}`;
    const tar = Buffer.concat([
      rawHeader({ name: '././@LongLink', flag: 'L', size: longName.length + 1 }),
      block(longName + '\0'),
      rawHeader({ name: '././@LongLink', flag: 'K', size: longLink.length + 1 }),
      block(longLink + '\0'),
      rawHeader({ name: longName.slice(0, 100), flag: '2' }),
      rawHeader({ name: 'after', flag: '0', size: 2 }),
      block('hi'),
      END,
    ]);
    const { entries } = parse(tar);
    expect(entries.map((e) => [e.name, e.type, e.linkName])).toEqual([
      [longName, 'symlink', longLink],
      ['after', 'file', ''],
    ]);
    expect(entries[1]?.sha256).toBe(sha256('hi'));
  });

  it('uses the ustar prefix field, but not in GNU headers', () => {
    const posix = rawHeader({ name: 'name', flag: '0', magic: 'posix' });
    posix.write('some/prefix', 345, 'ascii');
    const gnu = rawHeader({ name: 'name', flag: '0', magic: 'gnu' });
    gnu.write('12345670123', 345, 'ascii'); // GNU keeps atime here
    const { entries } = parse(Buffer.concat([withChecksum(posix), withChecksum(gnu), END]));
    expect(entries.map((e) => e.name)).toEqual(['some/prefix/name', 'name']);
  });

  it('reads base-256 numbers', () => {
    const content = Buffer.alloc(1000, 'z');
    const tar = Buffer.concat([
      rawHeader({ name: 'b256', flag: '0', uidBase256: 2 ** 40, sizeBase256: 1000 }),
      block(content),
      END,
    ]);
    expect(parse(tar).entries[0]).toMatchObject({
      uid: 2 ** 40,
      size: 1000,
      sha256: sha256(content),
    });
    const before1970 = rawHeader({ name: 'old', flag: '0' });
    before1970.fill(0xff, 136, 148);
    before1970[147] = 0xfe; // two's complement -2
    expect(parse(Buffer.concat([withChecksum(before1970), END])).entries[0]?.mtime).toBe(-2);
  });

  it('skips unknown entry types, saying so, and keeps reading', () => {
    const tar = Buffer.concat([
      rawHeader({ name: 'sparse', flag: 'S', size: 5 }),
      block('hello'),
      rawHeader({ name: 'label', flag: 'V' }),
      rawHeader({ name: 'next', flag: '0', size: 1 }),
      block('n'),
      END,
    ]);
    const { entries, warnings } = parse(tar);
    expect(entries.map((e) => e.name)).toEqual(['next']);
    expect(warnings).toEqual([
      expect.stringContaining('sparse: GNU sparse file skipped'),
      expect.stringContaining("label: tar entry of unsupported type 'V' skipped"),
    ]);
  });

  it('checks but does not apply global PAX headers, as Go archive/tar (containerd) does', () => {
    const records = block('17 path=override\n');
    const tar = Buffer.concat([
      rawHeader({ name: 'global', flag: 'g', size: 17, magic: 'posix' }),
      records,
      rawHeader({ name: 'own', flag: '0', magic: 'posix' }),
      END,
    ]);
    expect(parse(tar).entries.map((e) => e.name)).toEqual(['own']);
  });

  it('treats a pre-POSIX regular file with a trailing slash as a directory', () => {
    const tar = Buffer.concat([rawHeader({ name: 'olddir/', flag: '\0' }), END]);
    expect(parse(tar).entries[0]?.type).toBe('dir');
  });

  it('accepts archives without end-of-archive blocks and ignores what follows them', () => {
    const tar = tarBuffer([{ path: 'a', content: 'a' }]);
    expect(parse(tar.subarray(0, tar.length - 1024)).entries).toHaveLength(1);
    const trailing = Buffer.concat([tar, Buffer.from('anything after the end')]);
    expect(parse(trailing).entries).toHaveLength(1);
  });

  it('rejects a zero block followed by more entries', () => {
    const tar = Buffer.concat([Buffer.alloc(512), tarBuffer([{ path: 'hidden', content: 'x' }])]);
    expect(parseError(tar).message).toMatch(/zero block is followed by more entries/);
  });

  it('rejects a bad header checksum as a corrupt layer', () => {
    const tar = tarBuffer([{ path: 'a', content: 'a' }]);
    tar[0] = 'b'.charCodeAt(0);
    const error = parseError(tar);
    expect(error.code).toBe('corrupt-layer');
    expect(error.message).toMatch(/layer sha256:test is corrupt: tar header checksum mismatch/);
  });

  it('rejects truncated content and truncated headers', () => {
    const tar = tarBuffer([{ path: 'a', content: Buffer.alloc(2000) }]);
    expect(parseError(tar.subarray(0, 1000)).message).toMatch(/unexpected end of tar data/);
    expect(parseError(tar.subarray(0, 300)).message).toMatch(/unexpected end of tar data/);
  });

  it('rejects malformed numbers and PAX records', () => {
    const badSize = rawHeader({ name: 'a', flag: '0' });
    badSize.write('12x45678901\0', 124, 'ascii');
    expect(parseError(Buffer.concat([withChecksum(badSize), END])).message).toMatch(
      /invalid size field/,
    );
    const negativeSize = rawHeader({ name: 'a', flag: '0' });
    negativeSize.fill(0xff, 124, 136);
    expect(parseError(Buffer.concat([withChecksum(negativeSize), END])).message).toMatch(
      /invalid size field/,
    );
    const negativeMeta = rawHeader({ name: 'a', flag: 'x' });
    negativeMeta.fill(0xff, 124, 136);
    expect(parseError(Buffer.concat([withChecksum(negativeMeta), END])).code).toBe('corrupt-layer');
    const badPax = Buffer.concat([
      rawHeader({ name: 'p', flag: 'x', size: 12, magic: 'posix' }),
      block('99 path=abc\n'),
      END,
    ]);
    expect(parseError(badPax).message).toMatch(/invalid PAX header/);
    const nulPath = Buffer.concat([
      rawHeader({ name: 'p', flag: 'x', size: 12, magic: 'posix' }),
      block('12 path=a\0b\n'),
      END,
    ]);
    expect(parseError(nulPath).message).toMatch(/NUL/);
  });

  it('bounds PAX headers, entries per layer and path length', () => {
    const hugePax = rawHeader({ name: 'p', flag: 'x', size: 2 * 1024 * 1024, magic: 'posix' });
    const paxError = parseError(Buffer.concat([hugePax, END]));
    expect(paxError.code).toBe('limit-exceeded');

    const many = tarBuffer(Array.from({ length: 11 }, (_, i) => ({ path: `f${i}` })));
    const countError = parseError(many, { ...DEFAULT_LIMITS, maxEntriesPerLayer: 10 });
    expect(countError.code).toBe('limit-exceeded');
    expect(countError.message).toMatch(/number of entries in layer sha256:test/);
    expect(parse(many, { ...DEFAULT_LIMITS, maxEntriesPerLayer: 11 }).entries).toHaveLength(11);

    const long = tarBuffer([{ path: 'x'.repeat(300) }]);
    const pathError = parseError(long, { ...DEFAULT_LIMITS, maxPathBytes: 255 });
    expect(pathError.message).toMatch(/tar entry name of 300 bytes/);
  });

  it('reads an async stream of chunks with readTar', async () => {
    const tar = tarBuffer([{ path: 'a', content: 'abc' }]);
    const chunks = Readable.from([tar.subarray(0, 100), tar.subarray(100)]);
    const result = collect();
    await readTar(chunks, result.visitor, { layerName: 'l', limits: DEFAULT_LIMITS });
    expect(result.entries).toHaveLength(1);
    expect(result.entries[0]?.sha256).toBe(sha256('abc'));
  });
});

describe('TarParser against GNU tar', () => {
  it('lists the same names, types, modes, owners and sizes as `tar tvf`', () => {
    const entries = generatedEntries(600);
    const tar = tarBuffer(entries);
    const listing = execFileSync('tar', ['tvf', '-', '--numeric-owner'], { input: tar })
      .toString()
      .trimEnd()
      .split('\n');
    const ours = parse(tar).entries.map(lsLine);
    expect(ours).toEqual(listing.map(withoutDate));
  });
});

/** A deterministic mix of every type, long names, odd modes and big ids. */
function generatedEntries(count: number): TarEntry[] {
  const entries: TarEntry[] = [];
  let seed = 7;
  const next = (n: number): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return (seed >>> 12) % n; // an LCG's low bits cycle quickly; its high bits do not
  };
  for (let i = 0; i < count; i++) {
    const dir = `d${next(20)}/${next(2) === 0 ? 'sub/'.repeat(next(40)) : ''}`;
    const name = `${dir}e${i}`;
    const mode = [0o644, 0o755, 0o4755, 0o2711, 0o1777, 0o600][next(6)];
    const uid = next(10) === 0 ? 3_000_000 + i : next(2000);
    const base = { mode, uid, gid: next(500) };
    switch (next(7)) {
      case 0:
        entries.push({ ...base, path: name, type: 'dir' });
        break;
      case 1:
        entries.push({ ...base, path: `${name}.l`, type: 'symlink', linkTarget: `../t${i}` });
        break;
      case 2:
        entries.push({ ...base, path: `${name}.h`, type: 'hardlink', linkTarget: `d0/e${i - 1}` });
        break;
      case 3:
        entries.push({ ...base, path: `${name}.c`, type: next(2) ? 'char' : 'block', devMajor: 4 });
        break;
      case 4:
        entries.push({ ...base, path: `${name}.p`, type: 'fifo' });
        break;
      default:
        entries.push({ ...base, path: name, content: Buffer.alloc(next(3000), i % 256) });
    }
  }
  return entries;
}

const TYPE_CHAR: Record<string, string> = {
  file: '-',
  dir: 'd',
  symlink: 'l',
  hardlink: 'h',
  char: 'c',
  block: 'b',
  fifo: 'p',
};

/** `ls -l` style permissions, as tar prints them. */
function permissions(mode: number): string {
  const bit = (mask: number, c: string): string => (mode & mask ? c : '-');
  const exec = (x: number, special: number, set: string): string =>
    mode & special ? (mode & x ? set : set.toUpperCase()) : bit(x, 'x');
  return (
    bit(0o400, 'r') +
    bit(0o200, 'w') +
    exec(0o100, 0o4000, 's') +
    bit(0o040, 'r') +
    bit(0o020, 'w') +
    exec(0o010, 0o2000, 's') +
    bit(0o004, 'r') +
    bit(0o002, 'w') +
    exec(0o001, 0o1000, 't')
  );
}

function lsLine(e: TarHeader): string {
  const size = e.type === 'char' || e.type === 'block' ? `${e.devMajor},${e.devMinor}` : e.size;
  const link =
    e.type === 'symlink'
      ? ` -> ${e.linkName}`
      : e.type === 'hardlink'
        ? ` link to ${e.linkName}`
        : '';
  return `${TYPE_CHAR[e.type] ?? '?'}${permissions(e.mode)} ${e.uid}/${e.gid} ${size} ${e.name}${link}`;
}

/** `-rw-r--r-- 0/0   123 2023-11-14 22:13 name` → `-rw-r--r-- 0/0 123 name`. */
function withoutDate(line: string): string {
  const m = /^(\S+) (\S+)\s+(\S+) \d{4}-\d\d-\d\d \d\d:\d\d (.*)$/.exec(line);
  if (!m) throw new Error(`unexpected tar listing line: ${line}`);
  return `${m[1]} ${m[2]} ${m[3]} ${m[4]}`;
}
