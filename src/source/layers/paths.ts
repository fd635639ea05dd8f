/** Lexical handling of paths inside an image root: tar entry names, link targets, lookups. */
import { DrydockError } from '../../model/index.js';

export interface NormalizedPath {
  /** Absolute, without `.`, `..`, `//` or a trailing `/`; the root is `/`. */
  path: string;
  /** A `..` tried to climb above the root and was stopped there. */
  clamped: boolean;
  /** The name started with `/` (tar writers are meant to strip it). */
  absolute: boolean;
}

/**
 * Turns a tar entry name into an absolute path inside the image root. `..` is resolved
 * lexically and never leaves the root, so `../../etc/passwd` becomes `/etc/passwd`.
 */
export function normalizeEntryPath(name: string): NormalizedPath {
  if (name.includes('\0')) {
    throw new DrydockError('corrupt-layer', `path ${JSON.stringify(name)} contains a NUL byte`);
  }
  const parts: string[] = [];
  let clamped = false;
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part !== '..') parts.push(part);
    else if (parts.pop() === undefined) clamped = true;
  }
  return { path: '/' + parts.join('/'), clamped, absolute: name.startsWith('/') };
}

/** The directory holding `path` (`/` for `/` itself). */
export function parentPath(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

/** The last component of `path` (empty for `/`). */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Appends one component (no `/` in it) to an absolute, normalised directory path. */
export function childPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}
