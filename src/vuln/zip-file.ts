/**
 * A zip reader over a file on disk, for OSV `all.zip` dumps (Debian's is near 1 GB, too big to
 * hold in memory as src/catalog/lang/zip.ts does for jars). It reads the end record from the file
 * end with a FileHandle, then the central directory (bounded), then walks the entries in file
 * order through a sliding read window, inflating one entry at a time under a per-entry limit
 * with a CRC check. Entries whose bytes overlap (the overlapping-entry zip bomb) are refused.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { crc32, inflateRawSync } from 'node:zlib';
import { ZipError } from '../catalog/lang/zip.js';

export { ZipError };

export interface ZipFileLimits {
  maxEntries: number;
  /** Largest central directory read into memory. */
  maxDirectoryBytes: number;
  /** Largest entry inflated; a bigger one is reported as oversized, not read. */
  maxEntryBytes: number;
}

export const DEFAULT_ZIP_FILE_LIMITS: ZipFileLimits = {
  maxEntries: 2_000_000,
  maxDirectoryBytes: 512 * 1024 ** 2,
  maxEntryBytes: 8 * 1024 ** 2,
};

interface Entry {
  name: string;
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

/** One member: its content, or why it was not read (over the size limit). */
export type ZipMember = { name: string; content: Buffer } | { name: string; oversized: string };

const EOCD_SIGNATURE = 0x06054b50;
const EOCD_SIZE = 22;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const ZIP64_EOCD_SIZE = 56;
const CENTRAL_SIGNATURE = 0x02014b50;
const CENTRAL_SIZE = 46;
const LOCAL_SIGNATURE = 0x04034b50;
const LOCAL_SIZE = 30;
const MAX_COMMENT = 0xffff;
const ZIP64_EXTRA_ID = 0x0001;
const FLAG_ENCRYPTED = 1;
/** Bytes read at once while walking the entries: few reads, bounded memory. */
const WINDOW_BYTES = 4 * 1024 ** 2;

/** The members of the zip at `path` in file order, read one at a time. */
export async function* readZipFile(
  path: string,
  limits: Partial<ZipFileLimits> = {},
  accept: (name: string) => boolean = () => true,
): AsyncGenerator<ZipMember> {
  const bounds = { ...DEFAULT_ZIP_FILE_LIMITS, ...limits };
  const file = await open(path, 'r');
  try {
    const size = (await file.stat()).size;
    const entries = (await readDirectory(file, size, bounds)).filter((e) => accept(e.name));
    entries.sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
    const window = new ReadWindow(file, size);
    let previousEnd = 0;
    for (const entry of entries) {
      if (entry.localHeaderOffset < previousEnd)
        throw new ZipError(
          `${entry.name} overlaps the entry before it: refusing a possible zip bomb`,
        );
      const dataStart = await localDataOffset(window, entry);
      previousEnd = dataStart + entry.compressedSize;
      const oversized = oversizedReason(entry, bounds.maxEntryBytes);
      if (oversized !== undefined) {
        yield { name: entry.name, oversized };
        continue;
      }
      const raw = await window.bytes(dataStart, previousEnd, entry.name);
      yield { name: entry.name, content: inflate(raw, entry) };
    }
  } finally {
    await file.close();
  }
}

async function readDirectory(
  file: FileHandle,
  size: number,
  limits: ZipFileLimits,
): Promise<Entry[]> {
  const tailLength = Math.min(size, EOCD_SIZE + MAX_COMMENT + ZIP64_LOCATOR_SIZE);
  const tailStart = size - tailLength;
  const tail = await readAt(file, tailStart, tailLength);
  const eocd = findEndRecord(tail);
  const location = await directoryLocation(file, size, tail, eocd);
  if (location.entries > limits.maxEntries)
    throw new ZipError(`${location.entries} entries, over the limit of ${limits.maxEntries}`);
  if (location.size > limits.maxDirectoryBytes)
    throw new ZipError(
      `central directory of ${location.size} bytes, over the limit of ${limits.maxDirectoryBytes}`,
    );
  if (location.offset + location.size > tailStart + eocd)
    throw new ZipError(
      'central directory is not where the end record says: the file is truncated or not a zip',
    );
  const directory = await readAt(file, location.offset, location.size);
  const entries: Entry[] = [];
  let at = 0;
  for (let i = 0; i < location.entries; i++) {
    const { entry, next } = centralEntry(directory, at);
    if (!entry.name.endsWith('/')) entries.push(entry);
    at = next;
  }
  return entries;
}

function findEndRecord(tail: Buffer): number {
  for (let at = tail.length - EOCD_SIZE; at >= 0; at--)
    if (tail.readUInt32LE(at) === EOCD_SIGNATURE) return at;
  throw new ZipError('no end of central directory record: not a zip archive, or cut short');
}

interface Location {
  entries: number;
  size: number;
  offset: number;
}

async function directoryLocation(
  file: FileHandle,
  size: number,
  tail: Buffer,
  eocd: number,
): Promise<Location> {
  const classic = {
    entries: tail.readUInt16LE(eocd + 10),
    size: tail.readUInt32LE(eocd + 12),
    offset: tail.readUInt32LE(eocd + 16),
  };
  const locator = eocd - ZIP64_LOCATOR_SIZE;
  if (locator < 0 || tail.readUInt32LE(locator) !== ZIP64_LOCATOR_SIGNATURE) return classic;
  const recordAt = safeNumber(tail.readBigUInt64LE(locator + 8), 'zip64 end record offset');
  if (recordAt + ZIP64_EOCD_SIZE > size)
    throw new ZipError('zip64 end record lies past the end of the file');
  const record = await readAt(file, recordAt, ZIP64_EOCD_SIZE);
  if (record.readUInt32LE(0) !== ZIP64_EOCD_SIGNATURE)
    throw new ZipError('zip64 end record is missing');
  return {
    entries: safeNumber(record.readBigUInt64LE(32), 'zip64 entry count'),
    size: safeNumber(record.readBigUInt64LE(40), 'zip64 directory size'),
    offset: safeNumber(record.readBigUInt64LE(48), 'zip64 directory offset'),
  };
}

function centralEntry(directory: Buffer, at: number): { entry: Entry; next: number } {
  if (at + CENTRAL_SIZE > directory.length || directory.readUInt32LE(at) !== CENTRAL_SIGNATURE)
    throw new ZipError(`bad central directory entry at directory offset ${at}`);
  const nameLength = directory.readUInt16LE(at + 28);
  const extraLength = directory.readUInt16LE(at + 30);
  const nameStart = at + CENTRAL_SIZE;
  const next = nameStart + nameLength + extraLength + directory.readUInt16LE(at + 32);
  if (next > directory.length) throw new ZipError(`central directory entry at ${at} is cut off`);
  const name = directory.toString('utf8', nameStart, nameStart + nameLength);
  const sizes = zip64Sizes(
    directory.subarray(nameStart + nameLength, nameStart + nameLength + extraLength),
    {
      uncompressedSize: directory.readUInt32LE(at + 24),
      compressedSize: directory.readUInt32LE(at + 20),
      localHeaderOffset: directory.readUInt32LE(at + 42),
    },
  );
  const entry: Entry = {
    name,
    method: directory.readUInt16LE(at + 10),
    flags: directory.readUInt16LE(at + 8),
    crc32: directory.readUInt32LE(at + 16),
    ...sizes,
  };
  return { entry, next };
}

type Sizes = Pick<Entry, 'uncompressedSize' | 'compressedSize' | 'localHeaderOffset'>;
const ZIP64_FIELDS = ['uncompressedSize', 'compressedSize', 'localHeaderOffset'] as const;

/** The zip64 extra field holds, in this order, each size the header marks 0xffffffff. */
function zip64Sizes(extra: Buffer, sizes: Sizes): Sizes {
  if (!ZIP64_FIELDS.some((field) => sizes[field] === 0xffffffff)) return sizes;
  for (let at = 0; at + 4 <= extra.length;) {
    const id = extra.readUInt16LE(at);
    const length = Math.min(extra.readUInt16LE(at + 2), extra.length - at - 4);
    if (id === ZIP64_EXTRA_ID)
      return readZip64Field(extra.subarray(at + 4, at + 4 + length), sizes);
    at += 4 + length;
  }
  throw new ZipError('an entry needs zip64 sizes but has no zip64 extra field');
}

function readZip64Field(field: Buffer, sizes: Sizes): Sizes {
  const result = { ...sizes };
  let at = 0;
  for (const name of ZIP64_FIELDS) {
    if (sizes[name] !== 0xffffffff) continue;
    if (at + 8 > field.length) throw new ZipError('zip64 extra field is too short');
    result[name] = safeNumber(field.readBigUInt64LE(at), `zip64 ${name}`);
    at += 8;
  }
  return result;
}

async function localDataOffset(window: ReadWindow, entry: Entry): Promise<number> {
  const at = entry.localHeaderOffset;
  const header = await window.bytes(at, at + LOCAL_SIZE, entry.name);
  if (header.readUInt32LE(0) !== LOCAL_SIGNATURE)
    throw new ZipError(`${entry.name}: no local header at offset ${at}`);
  return at + LOCAL_SIZE + header.readUInt16LE(26) + header.readUInt16LE(28);
}

function oversizedReason(entry: Entry, maxBytes: number): string | undefined {
  if ((entry.flags & FLAG_ENCRYPTED) !== 0) throw new ZipError(`${entry.name} is encrypted`);
  // Deflate can grow incompressible data a little; more than that is a lie about the sizes.
  const maxCompressed = maxBytes + (maxBytes >> 6) + 1024;
  if (entry.uncompressedSize > maxBytes || entry.compressedSize > maxCompressed)
    return `${entry.uncompressedSize} bytes, over the limit of ${maxBytes}`;
  return undefined;
}

function inflate(raw: Buffer, entry: Entry): Buffer {
  let content: Buffer;
  if (entry.method === 0) content = raw;
  else if (entry.method === 8) {
    try {
      // One byte past the declared size, so an entry that lies about its size is caught.
      content = inflateRawSync(raw, { maxOutputLength: entry.uncompressedSize + 1 });
    } catch (error) {
      throw new ZipError(
        `${entry.name} does not inflate (${error instanceof Error ? error.message : 'unknown'})`,
      );
    }
  } else
    throw new ZipError(
      `${entry.name} uses compression method ${entry.method}; only stored and deflate are read`,
    );
  if (content.length !== entry.uncompressedSize)
    throw new ZipError(
      `${entry.name} holds ${content.length} bytes, not the ${entry.uncompressedSize} it declares`,
    );
  if (crc32(content) !== entry.crc32) throw new ZipError(`${entry.name} fails its CRC check`);
  return content;
}

/** Bytes of the file through a window that moves forward; entries come in file order. */
class ReadWindow {
  private start = 0;
  private data: Buffer = Buffer.alloc(0);

  constructor(
    private readonly file: FileHandle,
    private readonly size: number,
  ) {}

  async bytes(from: number, to: number, name: string): Promise<Buffer> {
    if (to > this.size)
      throw new ZipError(`${name}: data runs past the end of the archive (truncated?)`);
    if (from < this.start || to > this.start + this.data.length) {
      this.start = from;
      this.data = await readAt(
        this.file,
        from,
        Math.min(this.size - from, Math.max(WINDOW_BYTES, to - from)),
      );
    }
    return this.data.subarray(from - this.start, to - this.start);
  }
}

async function readAt(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.read(buffer, done, length - done, position + done);
    if (bytesRead === 0)
      throw new ZipError(
        `the file ends at ${position + done}, before the ${length} bytes the archive needs`,
      );
    done += bytesRead;
  }
  return buffer;
}

function safeNumber(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError(`${what} is out of range`);
  return Number(value);
}
