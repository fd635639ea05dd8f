/**
 * Pure decoding of tar header blocks, shared by the streaming layer reader
 * (src/source/layers/tar-reader.ts) and the archive index (src/source/archive/tar-index.ts), so
 * both accept exactly the same headers. Nothing here does I/O or knows about limits.
 */
import type { FileType } from '../model/index.js';

export const BLOCK = 512;

/** Header types whose data describes the next entry: PAX ('x'/'g') and GNU long names ('L'/'K'). */
export type MetaKind = 'x' | 'g' | 'L' | 'K';
export const isMetaKind = (flag: string): flag is MetaKind =>
  flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K';

const ENTRY_TYPES: Record<string, FileType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'dir',
  '6': 'fifo',
};

/** The type flag of a header block, as a one-character string. */
export function typeFlag(block: Buffer): string {
  return String.fromCharCode(block[156] ?? 0);
}

/** The entry type, or undefined for types we do not know (GNU sparse files among them). */
export function entryType(flag: string, name: string): FileType | undefined {
  // Pre-POSIX archives mark directories only by a trailing slash.
  if (flag === '\0' && name.endsWith('/')) return 'dir';
  return ENTRY_TYPES[flag];
}

/**
 * Bytes stored after the header. Like Go's archive/tar: links, devices, directories and FIFOs
 * never carry data, whatever their size field says; unknown types keep theirs (to be skipped).
 */
export function storedBytes(type: FileType | undefined, size: number): number {
  return type === undefined || type === 'file' ? size : 0;
}

export function padding(size: number): number {
  const rest = size % BLOCK;
  return rest === 0 ? 0 : BLOCK - rest;
}

export function roundUp(size: number): number {
  return size + padding(size);
}

/** A NUL-terminated (or field-filling) string. */
export function cString(buf: Buffer, start: number, length: number): string {
  const limit = start + length;
  let end = buf.indexOf(0, start);
  if (end === -1 || end > limit) end = limit;
  return buf.toString('utf8', start, end);
}

/** ustar splits long names into prefix + name; GNU headers use those bytes for other things. */
export function headerName(block: Buffer): string {
  const name = cString(block, 0, 100);
  const isPosix = block.toString('latin1', 257, 263) === 'ustar\0';
  const prefix = isPosix ? cString(block, 345, 155) : '';
  return prefix === '' ? name : `${prefix}/${name}`;
}

export function headerLinkName(block: Buffer): string {
  return cString(block, 157, 100);
}

/** Accepts both the unsigned and the historic signed sum, as GNU and Go do. */
export function checksumMatches(block: Buffer): boolean {
  const stored = parseNumeric(block, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

/**
 * Octal text (space/NUL padded) or GNU base-256 binary; NaN when malformed or too large. May be
 * negative (base-256): callers reject that for every field but times.
 */
export function parseNumeric(buf: Buffer, start: number, length: number): number {
  const first = buf[start] ?? 0;
  return first & 0x80 ? parseBase256(buf, start, length) : parseOctal(buf, start, length);
}

function parseOctal(buf: Buffer, start: number, length: number): number {
  const end = start + length;
  let i = start;
  while (i < end && (buf[i] === 0x20 || buf[i] === 0)) i++;
  let value = 0;
  for (; i < end; i++) {
    const c = buf[i] ?? 0;
    if (c === 0 || c === 0x20) break;
    if (c < 0x30 || c > 0x37) return NaN;
    value = value * 8 + (c - 0x30);
  }
  for (; i < end; i++) {
    const c = buf[i];
    if (c !== 0 && c !== 0x20) return NaN;
  }
  return value;
}

/** Big-endian two's complement with the top bit of the first byte as the marker. */
function parseBase256(buf: Buffer, start: number, length: number): number {
  const negative = ((buf[start] ?? 0) & 0x40) !== 0;
  let value = 0;
  for (let i = start; i < start + length; i++) {
    let byte = buf[i] ?? 0;
    if (i === start) byte &= 0x7f;
    if (negative) byte = (i === start ? 0x7f : 0xff) - byte;
    value = value * 256 + byte;
    if (value > Number.MAX_SAFE_INTEGER) return NaN;
  }
  return negative ? -(value + 1) : value;
}

/** Values from PAX records that override the next entry's own header fields. */
export interface PaxOverrides {
  path?: string;
  linkpath?: string;
  size?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
}

/**
 * `<length> <key>=<value>\n` records; unknown keys are ignored. Throws an Error saying what is
 * wrong; callers wrap it in their own message.
 */
export function parsePaxRecords(data: Buffer): PaxOverrides {
  const result: PaxOverrides = {};
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break; // some writers pad the data with NULs
    const space = data.indexOf(0x20, pos);
    const lengthText = space === -1 ? '' : data.toString('latin1', pos, space);
    const length = /^[1-9][0-9]{0,7}$/.test(lengthText) ? Number(lengthText) : NaN;
    const end = pos + length;
    if (Number.isNaN(length) || end > data.length || data[end - 1] !== 0x0a) {
      throw new Error('malformed record');
    }
    const record = data.toString('utf8', space + 1, end - 1);
    const eq = record.indexOf('=');
    if (eq <= 0) throw new Error('record without a key');
    applyPaxRecord(result, record.slice(0, eq), record.slice(eq + 1));
    pos = end;
  }
  return result;
}

function applyPaxRecord(into: PaxOverrides, key: string, value: string): void {
  switch (key) {
    case 'path':
    case 'linkpath':
      if (value.includes('\0')) throw new Error(`${key} contains a NUL byte`);
      into[key] = value;
      return;
    case 'size':
    case 'uid':
    case 'gid':
      into[key] = paxInteger(key, value);
      return;
    case 'mtime':
      into.mtime = paxTime(value);
      return;
  }
}

function paxInteger(key: string, value: string): number {
  const n = /^[0-9]{1,16}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new Error(`invalid ${key} "${value.slice(0, 40)}"`);
  return n;
}

/** Seconds with an optional fraction; kept to whole seconds. */
function paxTime(value: string): number {
  if (!/^-?[0-9]{1,16}(\.[0-9]*)?$/.test(value)) {
    throw new Error(`invalid mtime "${value.slice(0, 40)}"`);
  }
  return Math.floor(Number(value));
}
