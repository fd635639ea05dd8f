/**
 * A streaming tar reader written for speed and control: one pass over the chunks, no per-entry
 * promises, and regular-file content handed on as slices of the incoming chunks (never copied).
 *
 * It reads ustar/POSIX and GNU headers, GNU long names ('L'/'K'), PAX extended and global headers
 * ('x'/'g') and base-256 numbers. Where formats leave room for choice it does what Go's
 * archive/tar does, because that is what containerd and Docker use to unpack layers: link,
 * device, directory and FIFO entries never carry data, and a zero block must be followed by
 * another one. Entry types it does not know, GNU sparse files ('S') among them, are skipped with
 * a warning: their stored bytes are not the file's content.
 */
import type { FileType, Limits } from '../../model/index.js';
import { limitExceeded } from '../../model/index.js';
import {
  BLOCK,
  checksumMatches,
  cString,
  entryType,
  headerLinkName,
  headerName,
  isMetaKind,
  padding,
  parseNumeric,
  parsePaxRecords,
  roundUp,
  storedBytes,
  typeFlag,
  type MetaKind,
  type PaxOverrides,
} from '../tar-header.js';
import { corruptLayer } from './decompress.js';

export interface TarHeader {
  /** The name as written (PAX `path`, GNU long name, or ustar prefix + name), not normalised. */
  name: string;
  /** Link target as written (hard and symbolic links). */
  linkName: string;
  type: FileType;
  /** The whole mode field; callers keep the bits they need. */
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of content that follow; always 0 for types that carry none. */
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  devMajor: number;
  devMinor: number;
}

/** Receives one regular file's content, synchronously, in order. */
export interface TarContentSink {
  /** `chunk` is a view of the reader's input, valid only during the call: copy what you keep. */
  write(chunk: Buffer): void;
  end(): void;
}

export interface TarVisitor {
  /** Called once per entry; a returned sink receives the content of a regular file. */
  entry(header: TarHeader): TarContentSink | undefined;
  /** Something skipped or odd that did not stop reading. */
  warning(message: string): void;
}

export interface TarReaderOptions {
  /** Names the layer in errors. */
  layerName: string;
  limits: Limits;
}

const ZERO_BLOCK = Buffer.alloc(BLOCK);
/** Most bytes of one PAX header ('x' or 'g') or GNU long name/link ('L'/'K'). */
const MAX_META_BYTES = 1024 * 1024;

const enum State {
  Header,
  Content,
  Meta,
  Skip,
  /** One zero block seen: the next block must be zero too. */
  ZeroSeen,
  End,
}

/**
 * Push-style parser: feed it chunks with `write`, then call `end`. Everything happens inside
 * those calls, so a synchronous visitor sees entries and content in stream order.
 */
export class TarParser {
  private state = State.Header;
  private readonly headerBlock = Buffer.alloc(BLOCK);
  private headerFill = 0;
  /** Content or metadata bytes still to come for the current entry. */
  private remaining = 0;
  /** Padding (or skipped content) to pass over before the next header. */
  private skip = 0;
  /** Padding after the current file's content. */
  private contentPadding = 0;
  private sink: TarContentSink | undefined;
  /** The PAX or GNU long-name data being read (in State.Meta). */
  private meta: { kind: MetaKind; data: Buffer; fill: number } = {
    kind: 'x',
    data: Buffer.alloc(0),
    fill: 0,
  };
  /** Values from PAX and GNU headers that override the next entry's own header fields. */
  private pending: PaxOverrides = {};
  private offset = 0;
  private entryCount = 0;

  constructor(
    private readonly visitor: TarVisitor,
    private readonly options: TarReaderOptions,
  ) {}

  write(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      const start = pos;
      switch (this.state) {
        case State.Header:
        case State.ZeroSeen:
          pos = this.takeHeader(chunk, pos);
          break;
        case State.Content:
          pos = this.takeContent(chunk, pos);
          break;
        case State.Meta:
          pos = this.takeMeta(chunk, pos);
          break;
        case State.Skip:
          pos = this.takeSkip(chunk, pos);
          break;
        case State.End:
          pos = chunk.length;
          break;
      }
      this.offset += pos - start;
    }
  }

  /** The input ended: fine between entries (with or without the end-of-archive blocks). */
  end(): void {
    const between =
      this.state === State.End ||
      ((this.state === State.Header || this.state === State.ZeroSeen) && this.headerFill === 0);
    if (!between) throw this.corrupt('unexpected end of tar data (the layer is truncated)');
  }

  private takeHeader(chunk: Buffer, pos: number): number {
    if (this.headerFill === 0 && chunk.length - pos >= BLOCK) {
      this.onBlock(chunk.subarray(pos, pos + BLOCK));
      return pos + BLOCK;
    }
    const n = Math.min(BLOCK - this.headerFill, chunk.length - pos);
    chunk.copy(this.headerBlock, this.headerFill, pos, pos + n);
    this.headerFill += n;
    if (this.headerFill === BLOCK) {
      this.headerFill = 0;
      this.onBlock(this.headerBlock);
    }
    return pos + n;
  }

  private takeContent(chunk: Buffer, pos: number): number {
    const n = Math.min(this.remaining, chunk.length - pos);
    this.sink?.write(chunk.subarray(pos, pos + n));
    this.remaining -= n;
    if (this.remaining === 0) {
      this.finishContent();
      this.skipThen(this.contentPadding);
    }
    return pos + n;
  }

  private takeMeta(chunk: Buffer, pos: number): number {
    const meta = this.meta;
    const n = Math.min(this.remaining, chunk.length - pos);
    chunk.copy(meta.data, meta.fill, pos, pos + n);
    meta.fill += n;
    this.remaining -= n;
    if (this.remaining === 0) {
      this.applyMeta(meta.kind, meta.data);
      this.skipThen(padding(meta.data.length));
    }
    return pos + n;
  }

  private takeSkip(chunk: Buffer, pos: number): number {
    const n = Math.min(this.skip, chunk.length - pos);
    this.skip -= n;
    if (this.skip === 0) this.state = State.Header;
    return pos + n;
  }

  private finishContent(): void {
    const sink = this.sink;
    this.sink = undefined;
    sink?.end();
  }

  private skipThen(bytes: number): void {
    this.skip = bytes;
    this.state = bytes === 0 ? State.Header : State.Skip;
  }

  private onBlock(block: Buffer): void {
    if (block.equals(ZERO_BLOCK)) {
      this.state = this.state === State.ZeroSeen ? State.End : State.ZeroSeen;
      return;
    }
    if (this.state === State.ZeroSeen) {
      throw this.corrupt('a zero block is followed by more entries instead of a second zero block');
    }
    if (!checksumMatches(block)) throw this.corrupt('tar header checksum mismatch');
    const flag = typeFlag(block);
    const size = this.numeric(block, 124, 12, 'size');
    if (isMetaKind(flag)) this.startMeta(flag, size);
    else this.onEntry(block, flag, size);
  }

  private startMeta(kind: MetaKind, size: number): void {
    if (size > MAX_META_BYTES) {
      throw limitExceeded(
        `a ${kind === 'x' || kind === 'g' ? 'PAX' : 'GNU long name'} header of ${size} bytes in layer ${this.options.layerName}`,
        `${MAX_META_BYTES} bytes`,
      );
    }
    const data = Buffer.alloc(size);
    if (size === 0) {
      this.applyMeta(kind, data);
      return;
    }
    this.meta = { kind, data, fill: 0 };
    this.remaining = size;
    this.state = State.Meta;
  }

  /**
   * Global PAX headers are checked but not applied: Go's archive/tar hands them out as entries of
   * their own and containerd ignores them, so applying them would show files the runtime never
   * creates.
   */
  private applyMeta(kind: MetaKind, data: Buffer): void {
    if (kind === 'L') this.pending.path = cString(data, 0, data.length);
    else if (kind === 'K') this.pending.linkpath = cString(data, 0, data.length);
    else if (kind === 'x') Object.assign(this.pending, this.parsePax(data));
    else this.parsePax(data);
  }

  private onEntry(block: Buffer, flag: string, headerSize: number): void {
    this.entryCount += 1;
    const { limits, layerName } = this.options;
    if (this.entryCount > limits.maxEntriesPerLayer) {
      throw limitExceeded(
        `the number of entries in layer ${layerName}`,
        `${limits.maxEntriesPerLayer} (limits.maxEntriesPerLayer)`,
      );
    }
    const overrides = this.pending;
    this.pending = {};
    const name = overrides.path ?? headerName(block);
    this.checkPathLength(name);
    const type = entryType(flag, name);
    const storedSize = overrides.size ?? headerSize;
    if (type === undefined) {
      this.warnSkipped(flag, name);
      this.skipThen(roundUp(storedSize));
      return;
    }
    const size = storedBytes(type, storedSize);
    const header: TarHeader = {
      name,
      linkName: overrides.linkpath ?? headerLinkName(block),
      type,
      mode: this.numeric(block, 100, 8, 'mode'),
      uid: overrides.uid ?? this.numeric(block, 108, 8, 'uid'),
      gid: overrides.gid ?? this.numeric(block, 116, 8, 'gid'),
      size,
      mtime: overrides.mtime ?? this.numeric(block, 136, 12, 'mtime'),
      devMajor: type === 'char' || type === 'block' ? this.numeric(block, 329, 8, 'devmajor') : 0,
      devMinor: type === 'char' || type === 'block' ? this.numeric(block, 337, 8, 'devminor') : 0,
    };
    this.checkPathLength(header.linkName);
    this.startContent(this.visitor.entry(header), size);
  }

  private startContent(sink: TarContentSink | undefined, size: number): void {
    this.sink = sink;
    if (size === 0) {
      this.finishContent();
      return;
    }
    this.remaining = size;
    this.contentPadding = padding(size);
    this.state = State.Content;
  }

  private warnSkipped(flag: string, name: string): void {
    const printable = JSON.stringify(flag).slice(1, -1);
    this.visitor.warning(
      flag === 'S'
        ? `${name}: GNU sparse file skipped (only its non-empty parts are stored, so it is not hashed)`
        : `${name}: tar entry of unsupported type '${printable}' skipped`,
    );
  }

  private checkPathLength(path: string): void {
    const max = this.options.limits.maxPathBytes;
    // A JS string has at most 3 UTF-8 bytes per UTF-16 unit, so most names skip the byte count.
    if (path.length * 3 <= max) return;
    const bytes = Buffer.byteLength(path);
    if (bytes > max) {
      throw limitExceeded(
        `a tar entry name of ${bytes} bytes in layer ${this.options.layerName}`,
        `${max} bytes (limits.maxPathBytes)`,
      );
    }
  }

  /** Only times may be negative (before 1970). */
  private numeric(block: Buffer, start: number, length: number, field: string): number {
    const value = parseNumeric(block, start, length);
    if (Number.isNaN(value) || (value < 0 && field !== 'mtime')) {
      throw this.corrupt(`invalid ${field} field in the tar header at byte ${this.offset}`);
    }
    return value;
  }

  private parsePax(data: Buffer): PaxOverrides {
    try {
      return parsePaxRecords(data);
    } catch (e) {
      throw this.corrupt(
        `invalid PAX header at byte ${this.offset}: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }

  private corrupt(detail: string): Error {
    return corruptLayer(this.options.layerName, detail);
  }
}

/** Reads a whole tar stream; the only awaits are for the next chunk. */
export async function readTar(
  chunks: AsyncIterable<Buffer>,
  visitor: TarVisitor,
  options: TarReaderOptions,
): Promise<void> {
  const parser = new TarParser(visitor, options);
  for await (const chunk of chunks) parser.write(chunk);
  parser.end();
}
