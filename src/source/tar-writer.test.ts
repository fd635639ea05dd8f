import { spawnSync } from 'node:child_process';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TAR_BLOCK, tarEnd, tarHeader, tarPadding, type TarHeader } from './tar-writer.js';

const BASE: TarHeader = { name: 'f', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0 };

/** One entry: its header, then its content padded to a whole block. */
function entry(fields: Partial<TarHeader>, content = ''): Buffer {
  const data = Buffer.from(content);
  return Buffer.concat([
    tarHeader({ ...BASE, ...fields, size: data.length }),
    data,
    tarPadding(data.length),
  ]);
}

function archive(entries: Buffer[]): Buffer {
  return Buffer.concat([...entries, tarEnd()]);
}

/** Runs GNU tar on `tar` (stdin, or a file path); fails on any complaint. Returns stdout. */
function gnuTar(args: string[], tar: Buffer | string): string {
  const fromFile = typeof tar === 'string';
  const result = spawnSync('tar', [...args, '-f', fromFile ? tar : '-'], {
    input: fromFile ? undefined : tar,
    env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' },
    encoding: 'utf8',
  });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return result.stdout;
}

/** `tar tv` listing lines, whitespace runs squeezed: `mode owner size date time name…`. */
function listing(tar: Buffer | string, args = ['--numeric-owner']): string[] {
  return gnuTar(['-tv', '--full-time', '--quoting-style=literal', ...args], tar)
    .trimEnd()
    .split('\n')
    .map((line) => line.replace(/ +/g, ' '));
}

describe('tarHeader', () => {
  it('writes one ustar block when every field fits, names up to 100 bytes included', () => {
    const name = 'n'.repeat(100);
    const header = tarHeader({ ...BASE, name });
    expect(header.length).toBe(TAR_BLOCK);
    expect(tarHeader({ ...BASE, name: `${name}x` }).length).toBeGreaterThan(TAR_BLOCK);
    expect(listing(archive([header]))).toEqual([`-rw-r--r-- 0/0 0 1970-01-01 00:00:00 ${name}`]);
  });

  it('writes long names and long link targets as PAX records', () => {
    const longName = `deep/${'n'.repeat(150)}`;
    // 120 bytes, so the 100-byte ustar field would cut a two-byte character in half.
    const utf8Name = 'é'.repeat(60);
    const longTarget = `/${'t'.repeat(120)}`;
    const tar = archive([
      entry({ name: 'dir', type: 'dir', mode: 0o755 }),
      entry({ name: longName }, 'long content'),
      entry({ name: utf8Name }, 'accents'),
      entry({ name: 'sym', type: 'symlink', mode: 0o777, linkTarget: longTarget }),
      entry({ name: 'hard', type: 'hardlink', linkTarget: longName }),
    ]);
    expect(listing(tar)).toEqual([
      'drwxr-xr-x 0/0 0 1970-01-01 00:00:00 dir/',
      `-rw-r--r-- 0/0 12 1970-01-01 00:00:00 ${longName}`,
      `-rw-r--r-- 0/0 7 1970-01-01 00:00:00 ${utf8Name}`,
      `lrwxrwxrwx 0/0 0 1970-01-01 00:00:00 sym -> ${longTarget}`,
      `hrw-r--r-- 0/0 0 1970-01-01 00:00:00 hard link to ${longName}`,
    ]);
    expect(gnuTar(['-xO', longName], tar)).toBe('long content');
    expect(gnuTar(['-xO', utf8Name], tar)).toBe('accents');
  });

  it('writes ids beyond the octal fields, long owner names and out-of-range times as PAX records', () => {
    const uname = 'u'.repeat(40);
    const tar = archive([
      entry({ name: 'max', uid: 0o7777777, gid: 0o7777777 }),
      entry({ name: 'big', uid: 0o7777777 + 1, gid: 4_000_000 }),
      entry({ name: 'named', uid: 5, gid: 6, uname, gname: 'g'.repeat(31) }),
      entry({ name: 'before-epoch', mtime: -86_400 }),
      entry({ name: 'far-future', mtime: 10_000_000_000 }),
    ]);
    expect(listing(tar)).toEqual([
      '-rw-r--r-- 2097151/2097151 0 1970-01-01 00:00:00 max',
      '-rw-r--r-- 2097152/4000000 0 1970-01-01 00:00:00 big',
      '-rw-r--r-- 5/6 0 1970-01-01 00:00:00 named',
      '-rw-r--r-- 0/0 0 1969-12-31 00:00:00 before-epoch',
      '-rw-r--r-- 0/0 0 2286-11-20 17:46:40 far-future',
    ]);
    expect(listing(tar, [])[2]).toBe(
      `-rw-r--r-- ${uname}/${'g'.repeat(31)} 0 1970-01-01 00:00:00 named`,
    );
  });

  it('writes devices, fifos and suid, sgid and sticky modes', () => {
    const tar = archive([
      entry({ name: 'null', type: 'char', mode: 0o666, devMajor: 1, devMinor: 3 }),
      entry({ name: 'sda', type: 'block', mode: 0o660, gid: 6, devMajor: 8, devMinor: 0 }),
      entry({ name: 'widest', type: 'char', mode: 0o600, devMajor: 4095, devMinor: 1_048_575 }),
      entry({ name: 'fifo', type: 'fifo', mode: 0o640 }),
      entry({ name: 'su', mode: 0o4755 }),
      entry({ name: 'wall', mode: 0o2755 }),
      entry({ name: 'odd', mode: 0o6644 }),
      entry({ name: 'tmp', type: 'dir', mode: 0o1777 }),
    ]);
    expect(listing(tar)).toEqual([
      'crw-rw-rw- 0/0 1,3 1970-01-01 00:00:00 null',
      'brw-rw---- 0/6 8,0 1970-01-01 00:00:00 sda',
      'crw------- 0/0 4095,1048575 1970-01-01 00:00:00 widest',
      'prw-r----- 0/0 0 1970-01-01 00:00:00 fifo',
      '-rwsr-xr-x 0/0 0 1970-01-01 00:00:00 su',
      '-rwxr-sr-x 0/0 0 1970-01-01 00:00:00 wall',
      '-rwSr-Sr-- 0/0 0 1970-01-01 00:00:00 odd',
      'drwxrwxrwt 0/0 0 1970-01-01 00:00:00 tmp/',
    ]);
  });

  describe('a size beyond the 11-digit octal field', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'drydock-tar-writer-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('goes in a PAX record', async () => {
      const size = 2 ** 33 + 5;
      const header = tarHeader({ ...BASE, name: 'huge', size });
      // A sparse file: the 8 GiB of content is a hole, which GNU tar seeks over.
      const path = join(dir, 'huge.tar');
      const file = await open(path, 'w');
      await file.write(header, 0, header.length, 0);
      await file.write(tarEnd(), 0, 2 * TAR_BLOCK, header.length + size + tarPadding(size).length);
      await file.close();
      expect(listing(path)).toEqual([`-rw-r--r-- 0/0 ${size} 1970-01-01 00:00:00 huge`]);
    });
  });

  it('refuses numbers no field or PAX record can hold', () => {
    expect(() => tarHeader({ ...BASE, mode: 0o10000000 })).toThrow(/mode .* does not fit/);
    expect(() => tarHeader({ ...BASE, type: 'char', devMajor: 0o10000000 })).toThrow(/devMajor/);
    expect(() => tarHeader({ ...BASE, mtime: 1.5 })).toThrow(/mtime 1.5 is not an integer/);
  });
});

describe('tarPadding and tarEnd', () => {
  it('fill content to a whole block and end with two zero blocks', () => {
    expect([0, 1, 511, 512, 513].map((size) => tarPadding(size).length)).toEqual([
      0, 511, 1, 0, 511,
    ]);
    expect(tarEnd()).toEqual(Buffer.alloc(1024));
  });
});
