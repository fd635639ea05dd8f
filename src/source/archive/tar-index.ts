/**
 * A random-access index of an uncompressed tar file: member name → where its bytes are. Only the
 * headers are read (positioned reads, content skipped), so indexing a multi-gigabyte image archive
 * costs one small read per member; members are then streamed straight from the file.
 *
 * This is not the layer tar reader (src/source/layers): archives are files we can seek in, and
 * we need lookups by name, not a pass over every byte.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { DrydockError, limitExceeded, type Limits } from '../../model/index.js';

export type TarMemberType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

export interface TarMember {
  /** Normalised name: no leading `./` or `/`, no trailing `/`. */
  name: string;
  type: TarMemberType;
  /** Byte offset of the content in the tar file. */
  offset: number;
  size: number;
  linkTarget?: string;
}

export interface TarIndexLimits {
  /** Most headers (members plus long-name and PAX headers) in the archive. */
  maxMembers: number;
  /** Longest member or link name, in bytes. */
  maxNameBytes: number;
  /** Most links followed to reach a member. */
  maxLinkHops: number;
}

export const DEFAULT_TAR_INDEX_LIMITS: TarIndexLimits = {
  maxMembers: 100_000,
  maxNameBytes: 4096,
  maxLinkHops: 40,
};

/** The index limits that follow from the user's limits on image contents. */
export function tarIndexLimits(limits: Limits): TarIndexLimits {
  return {
    maxMembers: DEFAULT_TAR_INDEX_LIMITS.maxMembers,
    maxNameBytes: limits.maxPathBytes,
    maxLinkHops: limits.maxSymlinkHops,
  };
}

const BLOCK = 512;
/** PAX headers may carry more than names (xattrs, comments); this is far above real use. */
const MAX_PAX_BYTES = 1024 * 1024;

export type Compression = 'gzip' | 'zstd' | 'xz' | 'bzip2';

const COMPRESSION_MAGIC: { compression: Compression; magic: number[]; tool: string }[] = [
  { compression: 'gzip', magic: [0x1f, 0x8b], tool: 'gunzip' },
  { compression: 'zstd', magic: [0x28, 0xb5, 0x2f, 0xfd], tool: 'unzstd' },
  { compression: 'xz', magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], tool: 'unxz' },
  { compression: 'bzip2', magic: [0x42, 0x5a, 0x68], tool: 'bunzip2' },
];

/** The compression `head` (the first bytes of a file) starts with, if any. */
export function detectCompression(head: Buffer): Compression | undefined {
  return COMPRESSION_MAGIC.find(({ magic }) => magic.every((b, i) => head[i] === b))?.compression;
}

/** Bytes `detectCompression` needs to see. */
export const MAGIC_BYTES = 6;

/** Strips `./` and `/` prefixes; a name that climbs out with `..` makes the archive unusable. */
function normalizeMemberName(archive: string, raw: string): string {
  if (raw.split('/').includes('..')) {
    throw new DrydockError(
      'invalid-argument',
      `${archive}: member path "${raw}" climbs out of the archive with ".."; refusing an archive with unsafe paths`,
    );
  }
  return posix.normalize(`/${raw}`).slice(1).replace(/\/$/, '');
}

function corrupt(archive: string, offset: number, why: string): DrydockError {
  return new DrydockError(
    'invalid-argument',
    `${archive} is not a valid tar archive (${why} at byte ${offset}); check the file or save the image again`,
  );
}

function truncated(archive: string): DrydockError {
  return new DrydockError(
    'invalid-argument',
    `${archive} is truncated: it ends before the tar end-of-archive marker; copy or save the image again`,
  );
}

function cString(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? length : end).toString('utf8');
}

/** Octal, or GNU base-256 (high bit set) for values that do not fit, as sizes above 8 GiB. */
function parseNumber(block: Buffer, start: number, length: number): number | undefined {
  const field = block.subarray(start, start + length);
  const first = field[0] ?? 0;
  if (first & 0x80) {
    if (first === 0xff) return undefined; // negative
    let value = first & 0x7f;
    for (const byte of field.subarray(1)) value = value * 256 + byte;
    return Number.isSafeInteger(value) ? value : undefined;
  }
  const text = field
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .replace(/^ +/, '');
  if (!/^[0-7]*$/.test(text)) return undefined;
  return text === '' ? 0 : parseInt(text, 8);
}

function checksumMatches(block: Buffer): boolean {
  const stored = parseNumber(block, 148, 8);
  let unsigned = 8 * 0x20;
  let signed = 8 * 0x20;
  block.forEach((byte, i) => {
    if (i >= 148 && i < 156) return;
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  });
  return stored === unsigned || stored === signed;
}

/** PAX records: `<length> <key>=<value>\n`. Only the keys that change where a member is matter. */
function parsePax(archive: string, offset: number, data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    const length = space === -1 ? NaN : Number(data.toString('latin1', pos, space));
    if (!Number.isSafeInteger(length) || length <= 0 || pos + length > data.length) {
      if (data.subarray(pos).every((b) => b === 0)) break; // padding some writers leave
      throw corrupt(archive, offset, 'malformed PAX record');
    }
    const record = data.toString('utf8', space + 1, pos + length - 1);
    const eq = record.indexOf('=');
    if (eq > 0) records.set(record.slice(0, eq), record.slice(eq + 1));
    pos += length;
  }
  return records;
}

function memberType(flag: string): TarMemberType {
  switch (flag) {
    case '0':
    case '7':
      return 'file';
    case '1':
      return 'hardlink';
    case '2':
      return 'symlink';
    case '5':
      return 'dir';
    default:
      return 'other';
  }
}

/** Like Go's archive/tar: these types never carry content, whatever their size field says. */
const HEADER_ONLY_TYPES = new Set(['1', '2', '3', '4', '5', '6']);

interface PendingNames {
  path?: string;
  linkpath?: string;
  size?: number;
}

class TarScanner {
  private readonly members = new Map<string, TarMember>();
  private pending: PendingNames = {};
  private headers = 0;

  constructor(
    private readonly archive: string,
    private readonly handle: FileHandle,
    private readonly fileSize: number,
    private readonly limits: TarIndexLimits,
  ) {}

  async scan(): Promise<Map<string, TarMember>> {
    await this.rejectCompressed();
    let offset = 0;
    for (;;) {
      const block = await this.readAt(offset, BLOCK);
      if (block.every((b) => b === 0)) return this.members;
      offset = await this.readHeader(block, offset);
    }
  }

  private async rejectCompressed(): Promise<void> {
    const compression = detectCompression(
      await this.readAt(0, Math.min(MAGIC_BYTES, this.fileSize)),
    );
    const match = COMPRESSION_MAGIC.find((m) => m.compression === compression);
    if (match) {
      throw new DrydockError(
        'unsupported',
        `${this.archive} is compressed; decompress it first (${match.tool}) — drydock needs random access to the archive`,
      );
    }
  }

  private async readAt(offset: number, length: number): Promise<Buffer> {
    if (offset + length > this.fileSize) throw truncated(this.archive);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await this.handle.read(buffer, 0, length, offset);
    if (bytesRead < length) throw truncated(this.archive);
    return buffer;
  }

  /** Handles one header; returns the offset of the next one. */
  private async readHeader(block: Buffer, offset: number): Promise<number> {
    if (++this.headers > this.limits.maxMembers) {
      throw limitExceeded(`the number of members of ${this.archive}`, `${this.limits.maxMembers}`);
    }
    if (!checksumMatches(block)) throw corrupt(this.archive, offset, 'bad header checksum');
    const flag = String.fromCharCode(block[156] ?? 0).replace('\0', '0');
    const headerSize = parseNumber(block, 124, 12);
    if (headerSize === undefined) throw corrupt(this.archive, offset, 'bad size field');
    const dataOffset = offset + BLOCK;
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      await this.readMetaHeader(flag, dataOffset, headerSize);
      return dataOffset + padded(headerSize);
    }
    const size = HEADER_ONLY_TYPES.has(flag) ? 0 : (this.pending.size ?? headerSize);
    if (dataOffset + size > this.fileSize) throw truncated(this.archive);
    this.addMember(block, flag, dataOffset, size);
    return dataOffset + padded(size);
  }

  private async readMetaHeader(flag: string, offset: number, size: number): Promise<void> {
    const max = flag === 'L' || flag === 'K' ? this.limits.maxNameBytes + 1 : MAX_PAX_BYTES;
    if (size > max) throw limitExceeded(`a ${flag} header in ${this.archive}`, `${max} bytes`);
    const data = await this.readAt(offset, size);
    if (flag === 'L') this.pending.path = cString(data, 0, size);
    if (flag === 'K') this.pending.linkpath = cString(data, 0, size);
    if (flag === 'x') this.applyPax(parsePax(this.archive, offset, data), offset);
  }

  private applyPax(records: Map<string, string>, offset: number): void {
    const path = records.get('path');
    const linkpath = records.get('linkpath');
    const size = records.get('size');
    if (path !== undefined) this.pending.path = path;
    if (linkpath !== undefined) this.pending.linkpath = linkpath;
    if (size !== undefined) {
      const value = Number(size);
      if (!/^\d+$/.test(size) || !Number.isSafeInteger(value)) {
        throw corrupt(this.archive, offset, `bad PAX size "${size}"`);
      }
      this.pending.size = value;
    }
  }

  private addMember(block: Buffer, flag: string, offset: number, size: number): void {
    const isPosix = block.toString('latin1', 257, 263) === 'ustar\0';
    const prefix = isPosix ? cString(block, 345, 155) : '';
    const headerName = cString(block, 0, 100);
    const rawName = this.pending.path ?? (prefix ? `${prefix}/${headerName}` : headerName);
    const linkTarget = this.pending.linkpath ?? cString(block, 157, 100);
    this.pending = {};
    for (const name of [rawName, linkTarget]) {
      if (Buffer.byteLength(name) > this.limits.maxNameBytes) {
        throw limitExceeded(
          `a member name in ${this.archive}`,
          `${this.limits.maxNameBytes} bytes`,
        );
      }
    }
    const name = normalizeMemberName(this.archive, rawName);
    if (name === '') return; // the archive root, `./`
    const type = memberType(flag);
    const member: TarMember = { name, type, offset, size };
    if (type === 'symlink' || type === 'hardlink') member.linkTarget = linkTarget;
    this.members.set(name, member); // as with tar, a later member of the same name wins
  }
}

function padded(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

export class TarIndex {
  private constructor(
    /** The archive path, also used in messages. */
    readonly file: string,
    private readonly members: Map<string, TarMember>,
    private readonly limits: TarIndexLimits,
  ) {}

  static async open(file: string, limits = DEFAULT_TAR_INDEX_LIMITS): Promise<TarIndex> {
    let handle: FileHandle;
    try {
      handle = await open(file, 'r');
    } catch (e) {
      throw new DrydockError('not-found', `cannot open archive ${file}: ${errorText(e)}`, {
        cause: e,
      });
    }
    try {
      const { size } = await handle.stat();
      const members = await new TarScanner(file, handle, size, limits).scan();
      return new TarIndex(file, members, limits);
    } finally {
      await handle.close();
    }
  }

  /** Every member name, in archive order. */
  names(): string[] {
    return [...this.members.keys()];
  }

  /** Whether `name` is a member, links included. */
  has(name: string): boolean {
    return this.members.has(normalizeMemberName(this.file, name));
  }

  /** The regular-file member `name` leads to, following links inside the archive. */
  resolve(name: string): TarMember {
    let current = normalizeMemberName(this.file, name);
    for (let hop = 0; hop <= this.limits.maxLinkHops; hop++) {
      const member = this.members.get(current);
      if (!member) {
        throw new DrydockError('not-found', `${this.file} has no member "${name}"`);
      }
      if (member.type === 'file') return member;
      if (member.type !== 'symlink' && member.type !== 'hardlink') {
        throw new DrydockError('invalid-argument', `${this.file}: "${name}" is not a file`);
      }
      current = this.linkDestination(member);
    }
    throw limitExceeded(
      `links followed to reach "${name}" in ${this.file}`,
      `${this.limits.maxLinkHops}`,
    );
  }

  /** Symlinks are relative to their directory, hard links to the archive root. */
  private linkDestination(member: TarMember): string {
    const target = member.linkTarget ?? '';
    const fromRoot =
      member.type === 'symlink' && !target.startsWith('/')
        ? posix.join(posix.dirname(member.name), target)
        : target;
    const relative = posix.normalize(`./${fromRoot}`);
    if (relative === '..' || relative.startsWith('../')) {
      throw new DrydockError(
        'invalid-argument',
        `${this.file}: member "${member.name}" links outside the archive ("${target}")`,
      );
    }
    return normalizeMemberName(this.file, posix.normalize(`/${fromRoot}`));
  }

  /** Streams a member's bytes; the file is opened first, so a vanished archive fails here. */
  async openMember(name: string): Promise<Readable> {
    const { offset, size } = this.resolve(name);
    if (size === 0) return Readable.from([]);
    const handle = await open(this.file, 'r');
    return handle.createReadStream({ start: offset, end: offset + size - 1 });
  }

  /** Reads a whole member; `what` names it in the error when it is larger than `maxBytes`. */
  async readMember(name: string, maxBytes: number, what = `member "${name}"`): Promise<Buffer> {
    const { offset, size } = this.resolve(name);
    if (size > maxBytes) throw limitExceeded(`${what} of ${this.file}`, `${maxBytes} bytes`);
    return this.readAt(offset, size);
  }

  /** The first `length` bytes of a member (fewer if it is shorter). */
  async readMemberHead(name: string, length: number): Promise<Buffer> {
    const { offset, size } = this.resolve(name);
    return this.readAt(offset, Math.min(length, size));
  }

  private async readAt(offset: number, length: number): Promise<Buffer> {
    const handle = await open(this.file, 'r');
    try {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      if (bytesRead < length) throw truncated(this.file);
      return buffer;
    } finally {
      await handle.close();
    }
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
