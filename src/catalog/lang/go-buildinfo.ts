/**
 * Go build info read from an ELF binary as it streams past, never holding the binary.
 *
 * Since Go 1.18 the linker writes a `\xff Go buildinf:` header, 16-byte aligned, into the data
 * segment, followed inline by two length-prefixed strings: the Go version and the module info
 * (`path`, `mod`, `dep`, `=>`, `build` lines). The ELF program headers at the start of the file say
 * where the writable segments are, so only those byte ranges are searched (a copy of the magic in
 * read-only data, such as in a program that embeds debug/buildinfo, is never mistaken for it).
 *
 * Go 1.13–1.17 wrote pointers instead: the strings sit elsewhere in the binary, usually in
 * read-only data that precedes the header and has already streamed past. That format is reported
 * as a warning, not read.
 */
import type { CollectorSink } from '../../model/index.js';

export interface GoModule {
  path: string;
  /** Empty for a local-directory replacement. */
  version: string;
  /** The go.sum hash (`h1:…`), when recorded. */
  sum?: string;
  /** The `=>` replacement of this module, when there is one. */
  replace?: GoModule;
}

export interface GoBuildInfo {
  /** `go1.21.5`. */
  goVersion: string;
  /** The main package's import path. */
  path: string;
  /** The main module; absent for binaries built outside module mode (Debian's GOPATH builds). */
  main?: GoModule;
  deps: GoModule[];
  /** `build` lines: `[key, value]`, in order (`GOARCH`, `-ldflags`, `vcs.revision` …). */
  settings: [string, string][];
}

/** What the collector keeps of one Go binary. */
export type GoBinaryValue = { buildInfo: GoBuildInfo } | { warning: string };

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const BUILDINFO_MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const BUILDINFO_ALIGN = 16;
const BUILDINFO_HEADER_SIZE = 32;
const FLAG_INLINE_STRINGS = 2;
/** The 16-byte markers the linker puts around the module info string. */
const MODINFO_MARKER_LENGTH = 16;
/** The ELF header and program headers must lie within this many leading bytes. */
const MAX_HEAD_BYTES = 64 * 1024;
const MAX_PROGRAM_HEADERS = 512;
/** Most bytes kept after the magic; module info of large programs is tens of KiB. */
export const MAX_BUILDINFO_BYTES = 1024 * 1024;
const MAX_GO_VERSION_BYTES = 256;
const MAX_DEPS = 20_000;
const MAX_SETTINGS = 256;
const PT_LOAD = 1;
const PF_X = 1;
const PF_W = 2;

/** A file byte range the magic is searched in, with what aligns it (its address mod 16). */
interface SearchRange {
  start: number;
  end: number;
  addressShift: number;
}

/**
 * The file ranges of the writable, non-executable loadable segments, as the ELF header and
 * program headers in `head` describe them; 'need-more' until those are all in `head`;
 * undefined when `head` is not an ELF file this reader understands.
 */
export function elfDataRanges(
  head: Buffer,
  fileSize: number,
): SearchRange[] | 'need-more' | undefined {
  if (head.length < 6) return 'need-more';
  if (!head.subarray(0, 4).equals(ELF_MAGIC)) return undefined;
  const is64 = head[4] === 2;
  const littleEndian = head[5] === 1;
  if ((head[4] !== 1 && !is64) || (head[5] !== 1 && head[5] !== 2)) return undefined;
  const reader = new FieldReader(head, littleEndian, is64);
  const headerSize = is64 ? 64 : 52;
  if (head.length < headerSize) return 'need-more';
  const tableOffset = reader.word(is64 ? 0x20 : 0x1c);
  const entrySize = reader.u16(is64 ? 0x36 : 0x2a);
  const count = reader.u16(is64 ? 0x38 : 0x2c);
  const tableEnd = tableOffset + entrySize * count;
  if (count > MAX_PROGRAM_HEADERS || entrySize < (is64 ? 56 : 32) || tableEnd > MAX_HEAD_BYTES)
    return undefined;
  if (head.length < tableEnd) return 'need-more';
  const ranges: SearchRange[] = [];
  for (let at = tableOffset; at < tableEnd; at += entrySize) {
    const segment = reader.programHeader(at);
    const writableData = (segment.flags & (PF_W | PF_X)) === PF_W;
    if (segment.type !== PT_LOAD || !writableData || segment.offset >= fileSize) continue;
    ranges.push({
      start: segment.offset,
      end: Math.min(fileSize, segment.offset + segment.fileSize),
      addressShift: segment.addressMod16,
    });
  }
  return ranges.sort((a, b) => a.start - b.start);
}

/** Reads ELF fields of either class and byte order; words too big for a number become Infinity. */
class FieldReader {
  constructor(
    private readonly data: Buffer,
    private readonly littleEndian: boolean,
    private readonly is64: boolean,
  ) {}

  u16(at: number): number {
    return this.littleEndian ? this.data.readUInt16LE(at) : this.data.readUInt16BE(at);
  }

  u32(at: number): number {
    return this.littleEndian ? this.data.readUInt32LE(at) : this.data.readUInt32BE(at);
  }

  word(at: number): number {
    if (!this.is64) return this.u32(at);
    const value = this.littleEndian ? this.data.readBigUInt64LE(at) : this.data.readBigUInt64BE(at);
    return value > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(value);
  }

  programHeader(at: number): {
    type: number;
    flags: number;
    offset: number;
    fileSize: number;
    addressMod16: number;
  } {
    const fields = this.is64
      ? { flags: at + 4, offset: at + 8, address: at + 16, fileSize: at + 32 }
      : { flags: at + 24, offset: at + 4, address: at + 8, fileSize: at + 16 };
    // The low byte of the address decides alignment; it is the last byte in big-endian order.
    const lowByte = this.littleEndian ? fields.address : fields.address + (this.is64 ? 7 : 3);
    return {
      type: this.u32(at),
      flags: this.u32(fields.flags),
      offset: this.word(fields.offset),
      fileSize: this.word(fields.fileSize),
      addressMod16: (this.data[lowByte] ?? 0) % BUILDINFO_ALIGN,
    };
  }
}

/**
 * Decodes the build info that starts at `window[0]` (the magic). Undefined while more bytes are
 * needed; once `complete` (nothing more will come) a cut-off header is a warning.
 */
export function decodeBuildInfo(window: Buffer, complete: boolean): GoBinaryValue | undefined {
  if (window.length < BUILDINFO_HEADER_SIZE)
    return complete ? { warning: 'Go build info header is cut off' } : undefined;
  const pointerSize = window[14];
  const flags = window[15] ?? 0;
  if (pointerSize !== 4 && pointerSize !== 8)
    return { warning: `Go build info has an impossible pointer size ${String(pointerSize)}` };
  if ((flags & FLAG_INLINE_STRINGS) === 0)
    return {
      warning:
        'Go build info is in the pre-1.18 pointer format, which a streaming read cannot follow; this binary was built with Go 1.17 or older',
    };
  const version = readLengthPrefixed(window, BUILDINFO_HEADER_SIZE, MAX_GO_VERSION_BYTES);
  if (typeof version === 'string') return tooLongOrNeedMore(version, complete);
  const modinfo = readLengthPrefixed(window, version.next, MAX_BUILDINFO_BYTES);
  if (typeof modinfo === 'string') return tooLongOrNeedMore(modinfo, complete);
  return {
    buildInfo: parseModInfo(
      version.bytes.toString('utf8'),
      stripMarkers(modinfo.bytes).toString('utf8'),
    ),
  };
}

function tooLongOrNeedMore(
  outcome: 'need-more' | 'too-long',
  complete: boolean,
): GoBinaryValue | undefined {
  if (outcome === 'too-long')
    return { warning: `Go build info is longer than ${MAX_BUILDINFO_BYTES} bytes; not read` };
  return complete ? { warning: 'Go build info is cut off' } : undefined;
}

/** A uvarint length and that many bytes. */
function readLengthPrefixed(
  data: Buffer,
  at: number,
  maxLength: number,
): { bytes: Buffer; next: number } | 'need-more' | 'too-long' {
  let length = 0;
  let shift = 0;
  let position = at;
  for (;;) {
    const byte = data[position++];
    if (byte === undefined) return 'need-more';
    length += (byte & 0x7f) * 2 ** shift;
    if (length > maxLength || shift > 28) return 'too-long';
    if ((byte & 0x80) === 0) break;
    shift += 7;
  }
  if (position + length > data.length) return 'need-more';
  return { bytes: data.subarray(position, position + length), next: position + length };
}

/** The linker wraps the module info in 16-byte markers; a newline precedes the closing one. */
function stripMarkers(modinfo: Buffer): Buffer {
  const closing = modinfo.length - MODINFO_MARKER_LENGTH - 1;
  if (modinfo.length <= 2 * MODINFO_MARKER_LENGTH || modinfo[closing] !== 0x0a) return modinfo;
  return modinfo.subarray(MODINFO_MARKER_LENGTH, modinfo.length - MODINFO_MARKER_LENGTH);
}

/** The module info text, as `go version -m` lists it; malformed lines are skipped. */
export function parseModInfo(goVersion: string, text: string): GoBuildInfo {
  const info: GoBuildInfo = { goVersion, path: '', deps: [], settings: [] };
  let last: GoModule | undefined;
  for (const line of text.split('\n')) {
    const [kind = '', ...fields] = line.split('\t');
    if (kind === 'path') info.path = fields[0] ?? '';
    else if (kind === 'mod' || (kind === 'dep' && info.deps.length < MAX_DEPS)) {
      last = moduleOf(fields);
      if (last === undefined) continue;
      if (kind === 'mod') info.main = last;
      else info.deps.push(last);
    } else if (kind === '=>' && last !== undefined && last.replace === undefined)
      last.replace = moduleOf(fields);
    else if (kind === 'build' && info.settings.length < MAX_SETTINGS) {
      const setting = settingOf(fields.join('\t'));
      if (setting !== undefined) info.settings.push(setting);
    }
  }
  return info;
}

function moduleOf(fields: readonly string[]): GoModule | undefined {
  const [path = '', version = '', sum = ''] = fields;
  if (path === '') return undefined;
  return sum === '' ? { path, version } : { path, version, sum };
}

/** `KEY=VALUE`; Go quotes keys and values that hold spaces, tabs, quotes or `=`. */
function settingOf(text: string): [string, string] | undefined {
  const key = /^"((?:[^"\\]|\\.)*)"=|^([^=]+)=/.exec(text);
  if (key === null) return undefined;
  const value = text.slice(key[0].length);
  const rawKey = key[2] ?? `"${key[1] ?? ''}"`;
  return [unquote(rawKey), unquote(value)];
}

/** Go quotes with strconv.Quote, whose common escapes JSON shares; others are kept as written. */
function unquote(text: string): string {
  if (!text.startsWith('"')) return text;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'string' ? parsed : text;
  } catch {
    return text;
  }
}

/**
 * Finds and keeps the build info of one file as it streams: the head until the ELF program
 * headers are in, then only the writable segments are searched; after the magic, at most
 * MAX_BUILDINFO_BYTES are kept. Everything else passes by untouched.
 */
export class BuildInfoSink implements CollectorSink {
  private state: 'head' | 'search' | 'window' | 'done' = 'head';
  private headParts: Buffer[] = [];
  private headLength = 0;
  private ranges: SearchRange[] = [];
  /** File offset of the next chunk. */
  private offset = 0;
  /** The last bytes searched (a magic may start there and end in the next chunk). */
  private carry = Buffer.alloc(0);
  private carryEnd = 0;
  private windowParts: Buffer[] = [];
  private windowLength = 0;
  private result: GoBinaryValue | undefined;

  constructor(private readonly fileSize: number) {}

  write(chunk: Buffer): void {
    if (this.state === 'done') return;
    if (this.state === 'head') {
      this.collectHead(chunk);
      return;
    }
    this.consume(chunk);
  }

  end(): GoBinaryValue | undefined {
    if (this.state === 'head') this.finishHead(true);
    if (this.state === 'window') this.result = decodeBuildInfo(this.window(), true);
    this.state = 'done';
    return this.result;
  }

  private collectHead(chunk: Buffer): void {
    const room = MAX_HEAD_BYTES - this.headLength;
    this.headParts.push(Buffer.from(chunk.subarray(0, room)));
    this.headLength += Math.min(room, chunk.length);
    const rest = chunk.subarray(room);
    this.finishHead(this.headLength >= MAX_HEAD_BYTES);
    if (rest.length > 0 && this.state !== 'head' && this.state !== 'done') this.consume(rest);
  }

  /** Parses the head once it holds the program headers, then searches the head itself. */
  private finishHead(final: boolean): void {
    const head = Buffer.concat(this.headParts);
    const ranges = elfDataRanges(head, this.fileSize);
    if (ranges === 'need-more' && !final) return;
    this.headParts = [];
    if (ranges === undefined || ranges === 'need-more' || ranges.length === 0) {
      this.state = 'done';
      return;
    }
    this.ranges = ranges;
    this.state = 'search';
    this.consume(head);
  }

  private consume(chunk: Buffer): void {
    const chunkStart = this.offset;
    this.offset += chunk.length;
    if (this.state === 'window') this.extendWindow(chunk);
    else if (this.state === 'search') this.search(chunk, chunkStart);
  }

  private search(chunk: Buffer, chunkStart: number): void {
    const chunkEnd = chunkStart + chunk.length;
    for (const range of this.ranges) {
      const from = Math.max(range.start, chunkStart);
      const to = Math.min(range.end, chunkEnd);
      if (from >= to) continue;
      const carry = this.carryEnd === from ? this.carry : Buffer.alloc(0);
      const viewStart = from - carry.length;
      const inRange = chunk.subarray(from - chunkStart, to - chunkStart);
      const view = carry.length === 0 ? inRange : Buffer.concat([carry, inRange]);
      const found = alignedMagic(view, viewStart, range);
      if (found !== undefined) {
        this.state = 'window';
        this.extendWindow(view.subarray(found - viewStart));
        this.extendWindow(chunk.subarray(to - chunkStart));
        return;
      }
      this.carry = Buffer.from(
        view.subarray(Math.max(0, view.length - BUILDINFO_MAGIC.length + 1)),
      );
      this.carryEnd = to;
    }
  }

  private extendWindow(bytes: Buffer): void {
    const room = BUILDINFO_HEADER_SIZE + MAX_BUILDINFO_BYTES + 32 - this.windowLength;
    const kept = bytes.subarray(0, room);
    if (this.state !== 'window' || kept.length === 0) return;
    this.windowParts.push(Buffer.from(kept));
    this.windowLength += kept.length;
    const decoded = decodeBuildInfo(this.window(), kept.length < bytes.length);
    if (decoded === undefined) return;
    this.result = decoded;
    this.state = 'done';
    this.windowParts = [];
  }

  private window(): Buffer {
    if (this.windowParts.length > 1) this.windowParts = [Buffer.concat(this.windowParts)];
    return this.windowParts[0] ?? Buffer.alloc(0);
  }
}

/** The file offset of the first 16-byte-aligned magic in `view`, which starts at `viewStart`. */
function alignedMagic(view: Buffer, viewStart: number, range: SearchRange): number | undefined {
  for (let index = view.indexOf(BUILDINFO_MAGIC); index >= 0;) {
    const offset = viewStart + index;
    if ((offset - range.start + range.addressShift) % BUILDINFO_ALIGN === 0) return offset;
    index = view.indexOf(BUILDINFO_MAGIC, index + 1);
  }
  return undefined;
}
