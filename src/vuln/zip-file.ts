/**
 * Zip files on disk, for OSV `all.zip` dumps (Debian's is near 1 GB, too big to hold in memory as
 * src/catalog/lang/zip.ts does for jars). It reads the file's tail, and further back only as far
 * as the central directory needs, for the shared reader in src/util/zip.ts to parse; then it
 * walks the entries in file order through a sliding read window and hands them out a window at
 * a time, still compressed: whoever parses them inflates them (`inflateMember`), so that work can
 * run on other threads. Entries whose bytes overlap (the overlapping-entry zip bomb) are refused.
 */
import { open, type FileHandle } from 'node:fs/promises';
import {
  directoryReadStart,
  END_SEARCH_BYTES,
  inflateEntry,
  LOCAL_HEADER_SIZE,
  localDataOffset,
  oversizedReason,
  readCentralDirectory,
  refuseOverlap,
  ZipError,
  type ZipCentralEntry,
  type ZipDirectoryLimits,
  type ZipSpan,
} from '../util/zip.js';

export interface ZipFileLimits extends Pick<
  ZipDirectoryLimits,
  'maxEntries' | 'maxDirectoryBytes'
> {
  /** Largest entry inflated; a bigger one is reported as oversized, not read. */
  maxEntryBytes: number;
}

export const DEFAULT_ZIP_FILE_LIMITS: ZipFileLimits = {
  maxEntries: 2_000_000,
  maxDirectoryBytes: 512 * 1024 ** 2,
  maxEntryBytes: 8 * 1024 ** 2,
};

/**
 * One member: its compressed bytes and the directory entry that says how to inflate and check
 * them, or why it was not read (over the size limit).
 */
export type ZipMember =
  { name: string; entry: ZipCentralEntry; data: Uint8Array } | { name: string; oversized: string };

/** The format's own bound on a name; the directory limit bounds them all together. */
const MAX_NAME_BYTES = 0xffff;
/**
 * Bytes read at once while walking the entries, and so about one batch: some 1,000 OSV records.
 * Importing 300,000, 4 MiB windows took 100 MB more memory for no speed; 512 KiB ones were
 * slower (more, smaller statements and messages).
 */
const WINDOW_BYTES = 1024 ** 2;
/**
 * Most inflated bytes in one batch (one member may take it past): a window of well-compressed
 * members would otherwise make one batch hundreds of MB once inflated.
 */
export const BATCH_INFLATED_BYTES = 16 * 1024 ** 2;

/**
 * The members of the zip at `path` in file order, in batches: those read by one read of the
 * window (a member bigger than the window comes alone), cut where their inflated sizes reach
 * BATCH_INFLATED_BYTES.
 */
export async function* readZipFile(
  path: string,
  limits: Partial<ZipFileLimits> = {},
  accept: (name: string) => boolean = () => true,
): AsyncGenerator<ZipMember[]> {
  const bounds = { ...DEFAULT_ZIP_FILE_LIMITS, ...limits };
  const file = await open(path, 'r');
  try {
    const size = (await file.stat()).size;
    const entries = (await readDirectory(file, size, bounds)).filter(
      (e) => !e.name.endsWith('/') && accept(e.name),
    );
    entries.sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
    const window = new ReadWindow(file, size);
    const batches = new Batches();
    let previous: ZipSpan | undefined;
    for (const entry of entries) {
      const at = entry.localHeaderOffset;
      const dataStart = localDataOffset(
        await window.bytes(at, at + LOCAL_HEADER_SIZE, entry.name),
        entry,
      );
      const current = {
        name: entry.name,
        localHeaderOffset: at,
        dataEnd: dataStart + entry.compressedSize,
      };
      refuseOverlap(previous, current);
      previous = current;
      const oversized = oversizedReason(entry, bounds.maxEntryBytes);
      const done =
        oversized === undefined
          ? batches.add(
              {
                name: entry.name,
                entry,
                data: await window.bytes(dataStart, current.dataEnd, entry.name),
              },
              entry.uncompressedSize,
              window.reads,
            )
          : batches.add({ name: entry.name, oversized }, 0, window.reads);
      if (done !== undefined) yield done;
    }
    if (batches.last !== undefined) yield batches.last;
  } finally {
    await file.close();
  }
}

/** The central directory, read from the file's end back only as far as it needs. */
async function readDirectory(
  file: FileHandle,
  size: number,
  limits: ZipFileLimits,
): Promise<ZipCentralEntry[]> {
  const directoryLimits: ZipDirectoryLimits = { ...limits, maxNameBytes: MAX_NAME_BYTES };
  let tailOffset = Math.max(0, size - END_SEARCH_BYTES);
  let tail = await readAt(file, tailOffset, size - tailOffset);
  // At most twice: back to a zip64 end record placed further off, then to the directory.
  for (
    let from = directoryReadStart(tail, tailOffset, directoryLimits);
    from < tailOffset;
    from = directoryReadStart(tail, tailOffset, directoryLimits)
  ) {
    tail = Buffer.concat([await readAt(file, from, tailOffset - from), tail]);
    tailOffset = from;
  }
  return readCentralDirectory(tail, tailOffset, directoryLimits);
}

/**
 * Members grouped as they are read: a new batch at each read of the window, or where the batch
 * would inflate past BATCH_INFLATED_BYTES.
 */
class Batches {
  private batch: ZipMember[] = [];
  private bytes = 0;
  private read = 0;

  /** Adds a member; the batch before it, when it starts a new one. */
  add(member: ZipMember, inflatedBytes: number, read: number): ZipMember[] | undefined {
    let done: ZipMember[] | undefined;
    if (
      this.batch.length > 0 &&
      (read !== this.read || this.bytes + inflatedBytes > BATCH_INFLATED_BYTES)
    ) {
      done = this.batch;
      this.batch = [];
      this.bytes = 0;
    }
    this.read = read;
    this.bytes += inflatedBytes;
    this.batch.push(member);
    return done;
  }

  /** The batch being filled, if any. */
  get last(): ZipMember[] | undefined {
    return this.batch.length > 0 ? this.batch : undefined;
  }
}

/** A member's content: its data inflated and checked against its size and CRC (ZipError if not). */
export function inflateMember(member: { entry: ZipCentralEntry; data: Uint8Array }): Buffer {
  const { data } = member;
  return inflateEntry(Buffer.from(data.buffer, data.byteOffset, data.byteLength), member.entry);
}

/** Bytes of the file through a window that moves forward; entries come in file order. */
class ReadWindow {
  private start = 0;
  private data: Buffer = Buffer.alloc(0);
  /** How many times the window has been read: members of one read share its buffer. */
  reads = 0;

  constructor(
    private readonly file: FileHandle,
    private readonly size: number,
  ) {}

  async bytes(from: number, to: number, name: string): Promise<Buffer> {
    if (to > this.size)
      throw new ZipError(`${name}: data runs past the end of the archive (truncated?)`);
    if (from < this.start || to > this.start + this.data.length) {
      this.start = from;
      this.reads += 1;
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
  // Not pooled, not zeroed: every byte is read into it, or it is thrown away.
  const buffer = Buffer.allocUnsafeSlow(length);
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
