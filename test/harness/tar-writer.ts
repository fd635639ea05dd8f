/**
 * Builds tar layers for tests and benchmarks from short entry descriptions, filling in the
 * defaults a test does not care about. Headers come from the product's writer, which writes
 * exactly what it is told, including hostile names such as `../../etc/passwd`, so tests can check
 * how the reader treats them.
 */
import type { FileType } from '../../src/model/index.js';
import { tarEnd, tarHeader, tarPadding } from '../../src/source/tar-writer.js';

export type TarEntryType = FileType;

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

const DEFAULT_MTIME = 1_700_000_000;

function defaultMode(type: TarEntryType): number {
  if (type === 'dir') return 0o755;
  if (type === 'symlink') return 0o777;
  return 0o644;
}

/** Only regular files carry content; it is dropped for other types. */
function contentOf(e: TarEntry, type: TarEntryType): Buffer {
  if (type !== 'file' || e.content === undefined) return Buffer.alloc(0);
  return Buffer.isBuffer(e.content) ? e.content : Buffer.from(e.content);
}

/** Yields the tar stream chunk by chunk, so large layers never sit in memory whole. */
export function* tarChunks(entries: Iterable<TarEntry>): Generator<Buffer> {
  for (const e of entries) {
    const type = e.type ?? 'file';
    const content = contentOf(e, type);
    yield tarHeader({
      name: e.path,
      type,
      mode: e.mode ?? defaultMode(type),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      uname: e.uname ?? 'root',
      gname: e.gname ?? 'root',
      size: content.length,
      mtime: e.mtime ?? DEFAULT_MTIME,
      linkTarget: e.linkTarget,
      devMajor: e.devMajor,
      devMinor: e.devMinor,
    });
    if (content.length > 0) {
      yield content;
      yield tarPadding(content.length);
    }
  }
  yield tarEnd();
}

export function tarBuffer(entries: Iterable<TarEntry>): Buffer {
  return Buffer.concat([...tarChunks(entries)]);
}
