/**
 * A bounded zip reader over bytes already in memory (jars, wars, eggs). It reads the central
 * directory (zip64 too), checks every offset and size against the buffer, refuses entries whose
 * data overlap (the overlapping-entry zip bomb), and inflates one entry at a time under a byte
 * limit with a CRC check. Stored and deflate are the only methods archives of interest use.
 */
import { crc32, inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate; anything else is refused by readZipEntry. */
  method: number;
  /** General-purpose flags; bit 0 marks an encrypted entry. */
  flags: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  /** Offset of the local file header (archive base offset included). */
  localHeaderOffset: number;
  /** Offset of the entry's (compressed) data. */
  dataOffset: number;
}

export interface ZipLimits {
  /** Most central-directory entries read. */
  maxEntries: number;
  /** Longest entry name, in bytes. */
  maxNameBytes: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = { maxEntries: 200_000, maxNameBytes: 4096 };

/** A zip that cannot be read as asked: malformed, over a limit, or using an unsupported feature. */
export class ZipError extends Error {
  override readonly name = 'ZipError';
}

const EOCD_SIGNATURE = 0x06054b50;
const EOCD_SIZE = 22;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const CENTRAL_SIZE = 46;
const LOCAL_SIGNATURE = 0x04034b50;
const LOCAL_SIZE = 30;
const ZIP64_EXTRA_ID = 0x0001;
const MAX_COMMENT = 0xffff;
const FLAG_ENCRYPTED = 1;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;

interface CentralDirectory {
  offset: number;
  size: number;
  entries: number;
}

/** The entries of the archive's central directory, in directory order. */
export function listZipEntries(data: Buffer, limits: Partial<ZipLimits> = {}): ZipEntry[] {
  const bounds = { ...DEFAULT_ZIP_LIMITS, ...limits };
  const eocd = findEndOfCentralDirectory(data);
  const directory = readDirectoryLocation(data, eocd);
  if (directory.entries > bounds.maxEntries)
    throw new ZipError(`${directory.entries} entries, over the limit of ${bounds.maxEntries}`);
  const base = archiveBase(data, directory, eocd);
  const entries: ZipEntry[] = [];
  let at = base + directory.offset;
  for (let i = 0; i < directory.entries; i++) {
    const { entry, next } = readCentralEntry(data, at, base, bounds);
    entries.push(entry);
    at = next;
  }
  refuseOverlaps(entries);
  return entries;
}

/** The entry's content, inflated; throws ZipError past `maxBytes`, on a bad CRC or method. */
export function readZipEntry(data: Buffer, entry: ZipEntry, maxBytes: number): Buffer {
  if ((entry.flags & FLAG_ENCRYPTED) !== 0) throw new ZipError(`${entry.name} is encrypted`);
  if (entry.uncompressedSize > maxBytes)
    throw new ZipError(
      `${entry.name} is ${entry.uncompressedSize} bytes, over the limit of ${maxBytes}`,
    );
  const raw = data.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
  const content = decompress(raw, entry);
  if (content.length !== entry.uncompressedSize)
    throw new ZipError(
      `${entry.name} holds ${content.length} bytes, not the ${entry.uncompressedSize} it declares`,
    );
  if (crc32(content) !== entry.crc32) throw new ZipError(`${entry.name} fails its CRC check`);
  return content;
}

function decompress(raw: Buffer, entry: ZipEntry): Buffer {
  if (entry.method === METHOD_STORED) return raw;
  if (entry.method !== METHOD_DEFLATE)
    throw new ZipError(
      `${entry.name} uses compression method ${entry.method}; only stored and deflate are read`,
    );
  try {
    // One byte past the declared size, so an entry that lies about its size is caught.
    return inflateRawSync(raw, { maxOutputLength: entry.uncompressedSize + 1 });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ZipError(`${entry.name} does not inflate to its declared size (${reason})`);
  }
}

/** The end-of-central-directory record: the last signature within the comment's reach. */
function findEndOfCentralDirectory(data: Buffer): number {
  const lowest = Math.max(0, data.length - EOCD_SIZE - MAX_COMMENT);
  for (let at = data.length - EOCD_SIZE; at >= lowest; at--)
    if (data.readUInt32LE(at) === EOCD_SIGNATURE) return at;
  throw new ZipError('no end of central directory record: not a zip archive');
}

function readDirectoryLocation(data: Buffer, eocd: number): CentralDirectory {
  const classic = {
    entries: data.readUInt16LE(eocd + 10),
    size: data.readUInt32LE(eocd + 12),
    offset: data.readUInt32LE(eocd + 16),
  };
  const needsZip64 =
    classic.entries === 0xffff || classic.size === 0xffffffff || classic.offset === 0xffffffff;
  const locator = eocd - ZIP64_LOCATOR_SIZE;
  if (!needsZip64 || locator < 0 || data.readUInt32LE(locator) !== ZIP64_LOCATOR_SIGNATURE)
    return classic;
  const record = safeNumber(data.readBigUInt64LE(locator + 8), 'zip64 directory offset');
  if (record + 56 > data.length || data.readUInt32LE(record) !== ZIP64_EOCD_SIGNATURE)
    throw new ZipError('zip64 end of central directory record is missing');
  return {
    entries: safeNumber(data.readBigUInt64LE(record + 32), 'zip64 entry count'),
    size: safeNumber(data.readBigUInt64LE(record + 40), 'zip64 directory size'),
    offset: safeNumber(data.readBigUInt64LE(record + 48), 'zip64 directory offset'),
  };
}

/**
 * Bytes before the archive proper (a launcher script on a Spring Boot jar): offsets in the
 * directory are then relative to where the archive starts, found from where the directory ends.
 */
function archiveBase(data: Buffer, directory: CentralDirectory, eocd: number): number {
  if (startsWith(data, directory.offset, CENTRAL_SIGNATURE) || directory.entries === 0) return 0;
  const base = eocd - directory.size - directory.offset;
  if (base > 0 && startsWith(data, base + directory.offset, CENTRAL_SIGNATURE)) return base;
  throw new ZipError('central directory is not where the end record says');
}

function readCentralEntry(
  data: Buffer,
  at: number,
  base: number,
  limits: ZipLimits,
): { entry: ZipEntry; next: number } {
  if (!startsWith(data, at, CENTRAL_SIGNATURE) || at + CENTRAL_SIZE > data.length)
    throw new ZipError(`bad central directory entry at offset ${at}`);
  const nameLength = data.readUInt16LE(at + 28);
  const extraLength = data.readUInt16LE(at + 30);
  const commentLength = data.readUInt16LE(at + 32);
  if (nameLength > limits.maxNameBytes)
    throw new ZipError(
      `entry name of ${nameLength} bytes, over the limit of ${limits.maxNameBytes}`,
    );
  const nameStart = at + CENTRAL_SIZE;
  const next = nameStart + nameLength + extraLength + commentLength;
  if (next > data.length) throw new ZipError(`central directory entry at ${at} is cut off`);
  const name = data.toString('utf8', nameStart, nameStart + nameLength);
  const sizes = zip64Sizes(data, nameStart + nameLength, extraLength, {
    uncompressedSize: data.readUInt32LE(at + 24),
    compressedSize: data.readUInt32LE(at + 20),
    localHeaderOffset: data.readUInt32LE(at + 42),
  });
  const localHeaderOffset = base + sizes.localHeaderOffset;
  const entry: ZipEntry = {
    name,
    method: data.readUInt16LE(at + 10),
    flags: data.readUInt16LE(at + 8),
    crc32: data.readUInt32LE(at + 16),
    compressedSize: sizes.compressedSize,
    uncompressedSize: sizes.uncompressedSize,
    localHeaderOffset,
    dataOffset: dataOffsetOf(data, name, localHeaderOffset),
  };
  if (entry.dataOffset + entry.compressedSize > data.length)
    throw new ZipError(`${name}: data runs past the end of the archive`);
  return { entry, next };
}

interface EntrySizes {
  uncompressedSize: number;
  compressedSize: number;
  localHeaderOffset: number;
}

/** The zip64 extra field holds, in this order, each size that the header marks 0xffffffff. */
function zip64Sizes(data: Buffer, start: number, length: number, sizes: EntrySizes): EntrySizes {
  const fields = ['uncompressedSize', 'compressedSize', 'localHeaderOffset'] as const;
  if (!fields.some((field) => sizes[field] === 0xffffffff)) return sizes;
  const end = start + length;
  for (let at = start; at + 4 <= end;) {
    const id = data.readUInt16LE(at);
    const size = data.readUInt16LE(at + 2);
    if (id === ZIP64_EXTRA_ID)
      return readZip64Field(data, at + 4, Math.min(size, end - at - 4), sizes);
    at += 4 + size;
  }
  throw new ZipError('an entry needs zip64 sizes but has no zip64 extra field');
}

function readZip64Field(data: Buffer, start: number, size: number, sizes: EntrySizes): EntrySizes {
  const result = { ...sizes };
  let at = start;
  for (const field of ['uncompressedSize', 'compressedSize', 'localHeaderOffset'] as const) {
    if (sizes[field] !== 0xffffffff) continue;
    if (at + 8 > start + size) throw new ZipError('zip64 extra field is too short');
    result[field] = safeNumber(data.readBigUInt64LE(at), `zip64 ${field}`);
    at += 8;
  }
  return result;
}

function dataOffsetOf(data: Buffer, name: string, localHeaderOffset: number): number {
  if (
    localHeaderOffset + LOCAL_SIZE > data.length ||
    !startsWith(data, localHeaderOffset, LOCAL_SIGNATURE)
  )
    throw new ZipError(`${name}: no local header at offset ${localHeaderOffset}`);
  return (
    localHeaderOffset +
    LOCAL_SIZE +
    data.readUInt16LE(localHeaderOffset + 26) +
    data.readUInt16LE(localHeaderOffset + 28)
  );
}

/** Entries whose local header and data share bytes with another's are a zip bomb, not an archive. */
function refuseOverlaps(entries: readonly ZipEntry[]): void {
  const ordered = [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  for (let i = 1; i < ordered.length; i++) {
    const previous = ordered[i - 1];
    const current = ordered[i];
    if (
      previous !== undefined &&
      current !== undefined &&
      current.localHeaderOffset < previous.dataOffset + previous.compressedSize
    )
      throw new ZipError(`${current.name} overlaps ${previous.name}: refusing a possible zip bomb`);
  }
}

function startsWith(data: Buffer, at: number, signature: number): boolean {
  return at >= 0 && at + 4 <= data.length && data.readUInt32LE(at) === signature;
}

function safeNumber(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError(`${what} is out of range`);
  return Number(value);
}
