/**
 * Writes tar headers: a POSIX ustar block, preceded by a PAX extended header when a name, link
 * target or owner name is too long for its ustar field or a number does not fit its octal field.
 * It writes exactly what it is given, including hostile names such as `../../etc/passwd`: the
 * directory source uses it for generated layers, and tests use it to build layers for the reader.
 */
import type { FileType } from '../model/index.js';

export const TAR_BLOCK = 512;

/** What one entry's header says. Numbers are integers; the content (`size` bytes) follows. */
export interface TarHeader {
  /** The name as stored; a directory's gets a trailing slash when it has none. */
  name: string;
  type: FileType;
  /** Permission bits, including suid/sgid/sticky. */
  mode: number;
  uid: number;
  gid: number;
  uname?: string;
  gname?: string;
  /** Content bytes after the header: 0 for every type but `file`. */
  size: number;
  /** Seconds since the epoch; may be negative. */
  mtime: number;
  /** The target of a symlink or hard link. */
  linkTarget?: string;
  devMajor?: number;
  devMinor?: number;
}

const TYPE_FLAGS: Record<FileType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
};
const PAX_FLAG = 'x';

type TextKey = 'name' | 'linkTarget' | 'uname' | 'gname';
type NumericKey = 'mode' | 'uid' | 'gid' | 'size' | 'mtime' | 'devMajor' | 'devMinor';
/** Every ustar field's value, optional ones filled in. */
type UstarValues = Record<TextKey, string> & Record<NumericKey, number>;

/**
 * Text fields: where they sit, how many bytes they hold (owner names need a terminating NUL),
 * and the PAX key that carries a longer value.
 */
const TEXT_FIELDS: readonly { key: TextKey; offset: number; maxBytes: number; paxKey: string }[] = [
  { key: 'name', offset: 0, maxBytes: 100, paxKey: 'path' },
  { key: 'linkTarget', offset: 157, maxBytes: 100, paxKey: 'linkpath' },
  { key: 'uname', offset: 265, maxBytes: 31, paxKey: 'uname' },
  { key: 'gname', offset: 297, maxBytes: 31, paxKey: 'gname' },
];

/**
 * Octal fields: where they sit, their width (digits plus a NUL), and the PAX key that carries a
 * value that does not fit. Mode and device numbers have none that GNU tar reads, and need none:
 * Linux device numbers (12-bit major, 20-bit minor) fit their 21-bit fields.
 */
const NUMERIC_FIELDS: readonly {
  key: NumericKey;
  offset: number;
  width: number;
  paxKey?: string;
}[] = [
  { key: 'mode', offset: 100, width: 8 },
  { key: 'uid', offset: 108, width: 8, paxKey: 'uid' },
  { key: 'gid', offset: 116, width: 8, paxKey: 'gid' },
  { key: 'size', offset: 124, width: 12, paxKey: 'size' },
  { key: 'mtime', offset: 136, width: 12, paxKey: 'mtime' },
  { key: 'devMajor', offset: 329, width: 8 },
  { key: 'devMinor', offset: 337, width: 8 },
];

/** The ustar block in front of a PAX header's records; only its size varies. */
const PAX_HEADER_VALUES: UstarValues = {
  name: 'PaxHeader',
  linkTarget: '',
  uname: '',
  gname: '',
  mode: 0o644,
  uid: 0,
  gid: 0,
  size: 0,
  mtime: 0,
  devMajor: 0,
  devMinor: 0,
};

const CHECKSUM_OFFSET = 148;
const CHECKSUM_WIDTH = 8;
const TYPE_FLAG_OFFSET = 156;
const MAGIC_OFFSET = 257;
/** POSIX ustar: magic `ustar\0`, version `00`. */
const MAGIC = 'ustar\u000000';

/** Zero bytes that fill `size` content bytes up to a whole block. */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc((TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK);
}

/** The two zero blocks that end an archive. */
export function tarEnd(): Buffer {
  return Buffer.alloc(2 * TAR_BLOCK);
}

/** The header blocks of one entry: a PAX extended header when needed, then the ustar block. */
export function tarHeader(header: TarHeader): Buffer {
  const values = ustarValues(header);
  const records = paxRecords(values); // first: it also rejects numbers no field can hold
  const entryBlock = ustarBlock(TYPE_FLAGS[header.type], values);
  if (records.length === 0) return entryBlock;
  const body = Buffer.from(records.join(''));
  const paxBlock = ustarBlock(PAX_FLAG, { ...PAX_HEADER_VALUES, size: body.length });
  return Buffer.concat([paxBlock, body, tarPadding(body.length), entryBlock]);
}

function ustarValues(header: TarHeader): UstarValues {
  const { name, type } = header;
  return {
    name: type === 'dir' && !name.endsWith('/') ? `${name}/` : name,
    linkTarget: header.linkTarget ?? '',
    uname: header.uname ?? '',
    gname: header.gname ?? '',
    mode: header.mode,
    uid: header.uid,
    gid: header.gid,
    size: header.size,
    mtime: header.mtime,
    devMajor: header.devMajor ?? 0,
    devMinor: header.devMinor ?? 0,
  };
}

/** PAX records for every value its ustar field cannot hold. */
function paxRecords(values: UstarValues): string[] {
  const records: string[] = [];
  for (const { key, maxBytes, paxKey } of TEXT_FIELDS) {
    if (Buffer.byteLength(values[key]) > maxBytes) records.push(paxRecord(paxKey, values[key]));
  }
  for (const { key, width, paxKey } of NUMERIC_FIELDS) {
    const value = values[key];
    if (!Number.isSafeInteger(value)) {
      throw new RangeError(`tar header ${key} ${value} is not an integer`);
    }
    if (value >= 0 && value <= octalMax(width)) continue;
    if (paxKey === undefined) {
      throw new RangeError(`tar header ${key} ${value} does not fit ${width - 1} octal digits`);
    }
    records.push(paxRecord(paxKey, String(value)));
  }
  return records;
}

/** `"<length> <key>=<value>\n"`, where the length counts the whole record, its own digits too. */
function paxRecord(key: string, value: string): string {
  const bodyBytes = Buffer.byteLength(` ${key}=${value}\n`);
  let length = bodyBytes + 1;
  while (String(length).length + bodyBytes !== length) length = String(length).length + bodyBytes;
  return `${length} ${key}=${value}\n`;
}

/**
 * One ustar block. Text too long for its field is cut (never inside a UTF-8 character) and
 * numbers are clamped into their field: the PAX header in front carries the real values.
 */
function ustarBlock(flag: string, values: UstarValues): Buffer {
  const block = Buffer.alloc(TAR_BLOCK);
  for (const { key, offset, maxBytes } of TEXT_FIELDS) {
    block.write(values[key], offset, maxBytes, 'utf8');
  }
  for (const { key, offset, width } of NUMERIC_FIELDS) {
    const clamped = Math.min(Math.max(values[key], 0), octalMax(width));
    block.write(octal(clamped, width), offset, 'latin1');
  }
  block.write(flag, TYPE_FLAG_OFFSET, 'latin1');
  block.write(MAGIC, MAGIC_OFFSET, 'latin1');
  // The checksum is summed with its own field as spaces.
  block.fill(' ', CHECKSUM_OFFSET, CHECKSUM_OFFSET + CHECKSUM_WIDTH);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${octal(sum, CHECKSUM_WIDTH - 1)} `, CHECKSUM_OFFSET, 'latin1');
  return block;
}

function octalMax(width: number): number {
  return 8 ** (width - 1) - 1;
}

/** `width - 1` zero-padded octal digits and a NUL. */
function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}
