/**
 * Large JSON documents written in pieces, one item per line, so a million-file image never
 * becomes one giant string; and a fast encoder for file entries, the most numerous item.
 */
import type { FileEntry } from '../model/index.js';

/** `[`, one encoded item per line indented under `indent`, `]`; `[]` when empty. */
export function* jsonArray<T>(
  items: Iterable<T>,
  indent: string,
  encode: (item: T) => string = JSON.stringify,
): Generator<string> {
  let first = true;
  for (const item of items) {
    yield `${first ? '[' : ','}\n${indent}  ${encode(item)}`;
    first = false;
  }
  yield first ? '[]' : `\n${indent}]`;
}

/** Text that needs no escaping inside a JSON string (anything else goes to JSON.stringify). */
const PLAIN_TEXT = /^[\u0020\u0021\u0023-\u005b\u005d-\u007e]*$/;

function jsonString(text: string): string {
  return PLAIN_TEXT.test(text) ? `"${text}"` : JSON.stringify(text);
}

/**
 * The same text as `JSON.stringify(file)` (same keys, same order), about four times faster: it
 * is most of the time of `drydock files -o json` on a warm cache. Types, digests and numbers are
 * ours; paths and link targets are escaped.
 */
export function fileEntryJson(file: FileEntry): string {
  let json = `{"path":${jsonString(file.path)},"type":"${file.type}","mode":${file.mode},"uid":${file.uid},"gid":${file.gid},"size":${file.size}`;
  if (file.linkTarget !== undefined) json += `,"linkTarget":${jsonString(file.linkTarget)}`;
  if (file.sha256 !== undefined) json += `,"sha256":"${file.sha256}"`;
  if (file.md5 !== undefined) json += `,"md5":"${file.md5}"`;
  if (file.mtime !== undefined) json += `,"mtime":${file.mtime}`;
  if (file.devMajor !== undefined) json += `,"devMajor":${file.devMajor}`;
  if (file.devMinor !== undefined) json += `,"devMinor":${file.devMinor}`;
  return `${json},"layerDigest":"${file.layerDigest}","layerIndex":${file.layerIndex}}`;
}
