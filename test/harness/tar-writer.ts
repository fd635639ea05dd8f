/**
 * A small tar writer for building test and benchmark images (ustar headers, PAX records for long
 * names and big ids). It writes exactly what it is told, including hostile names such as
 * `../../etc/passwd`, so tests can check how the reader treats them.
 */
export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

export interface TarEntry {
  path: string;
  type?: TarEntryType;
  /** Permission bits, including suid/sgid/sticky. Default 0o644 for files, 0o755 for dirs. */
  mode?: number;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  mtime?: number;
  content?: Buffer | string;
  linkTarget?: string;
  devMajor?: number;
  devMinor?: number;
}

const TYPE_FLAG: Record<TarEntryType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
};

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, flag: string, size: number, e: TarEntry, link = ''): Buffer {
  const h = Buffer.alloc(512);
  const defaultMode = flag === '5' ? 0o755 : flag === '2' ? 0o777 : 0o644;
  h.write(name, 0, 100, 'utf8');
  h.write(octal(e.mode ?? defaultMode, 8), 100, 'ascii');
  h.write(octal(Math.min(e.uid ?? 0, 0o7777777), 8), 108, 'ascii');
  h.write(octal(Math.min(e.gid ?? 0, 0o7777777), 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(e.mtime ?? 1_700_000_000, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(flag, 156, 'ascii');
  h.write(link, 157, 100, 'utf8');
  h.write('ustar\u000000', 257, 'binary');
  h.write(e.uname ?? 'root', 265, 32, 'utf8');
  h.write(e.gname ?? 'root', 297, 32, 'utf8');
  h.write(octal(e.devMajor ?? 0, 8), 329, 'ascii');
  h.write(octal(e.devMinor ?? 0, 8), 337, 'ascii');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

function padding(size: number): Buffer {
  const rest = size % 512;
  return Buffer.alloc(rest === 0 ? 0 : 512 - rest);
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len)
    len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

/** Yields the tar stream chunk by chunk, so large layers never sit in memory whole. */
export function* tarChunks(entries: Iterable<TarEntry>): Generator<Buffer> {
  for (const e of entries) {
    const type = e.type ?? 'file';
    const content =
      e.content === undefined
        ? Buffer.alloc(0)
        : Buffer.isBuffer(e.content)
          ? e.content
          : Buffer.from(e.content);
    const size = type === 'file' ? content.length : 0;
    const name = type === 'dir' && !e.path.endsWith('/') ? `${e.path}/` : e.path;
    const link = e.linkTarget ?? '';
    const pax: string[] = [];
    if (Buffer.byteLength(name) > 100) pax.push(paxRecord('path', name));
    if (Buffer.byteLength(link) > 100) pax.push(paxRecord('linkpath', link));
    if ((e.uid ?? 0) > 0o7777777) pax.push(paxRecord('uid', String(e.uid)));
    if ((e.gid ?? 0) > 0o7777777) pax.push(paxRecord('gid', String(e.gid)));
    if (pax.length > 0) {
      const body = Buffer.from(pax.join(''));
      yield header('PaxHeaders/entry', 'x', body.length, { path: '' });
      yield body;
      yield padding(body.length);
    }
    yield header(name.slice(0, 100), TYPE_FLAG[type], size, e, link.slice(0, 100));
    if (size > 0) {
      yield content;
      yield padding(size);
    }
  }
  yield Buffer.alloc(1024);
}

export function tarBuffer(entries: Iterable<TarEntry>): Buffer {
  return Buffer.concat([...tarChunks(entries)]);
}
