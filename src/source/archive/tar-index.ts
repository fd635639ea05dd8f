/**
 * A random-access index of an uncompressed tar file: member name → where its bytes are. Only the
 * headers are read (positioned reads, content skipped), so indexing a multi-gigabyte image archive
 * costs one small read per member; members are then streamed straight from the file.
 *
 * This is not the layer tar reader (src/source/layers): archives are files we can seek in, and
 * we need lookups by name, not a pass over every byte. Headers are decoded by the same code
 * (src/source/tar-header.ts), so both accept exactly the same archives.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { DrydockError, limitExceeded, type FileType, type Limits } from '../../model/index.js';
import { decompressionTool, detectCompression, MAGIC_BYTES } from '../layers/decompress.js';
import {
  BLOCK,
  checksumMatches,
  cString,
  entryType,
  headerLinkName,
  headerName,
  isMetaKind,
  parseNumeric,
  parsePaxRecords,
  roundUp,
  storedBytes,
  typeFlag,
  type MetaKind,
  type PaxOverrides,
} from '../tar-header.js';

/**
 * Read size for layer blobs from local files: Node's 64 KiB default costs a measurable share of a
 * layer's time in read calls; larger reads cost nothing in memory that matters.
 */
export const BLOB_READ_CHUNK_BYTES = 1024 * 1024;

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

/** PAX headers may carry more than names (xattrs, comments); this is far above real use. */
const MAX_PAX_BYTES = 1024 * 1024;

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

function memberType(type: FileType | undefined): TarMemberType {
  return type === 'file' || type === 'dir' || type === 'symlink' || type === 'hardlink'
    ? type
    : 'other';
}

class TarScanner {
  private readonly members = new Map<string, TarMember>();
  /** What PAX and GNU long-name headers say about the next member. */
  private pending: PaxOverrides = {};
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
    if (compression !== 'none') {
      throw new DrydockError(
        'unsupported',
        `${this.archive} is compressed; decompress it first (${decompressionTool(compression)}) — drydock needs random access to the archive`,
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
    const flag = typeFlag(block);
    const headerSize = parseNumeric(block, 124, 12);
    if (!(headerSize >= 0)) throw corrupt(this.archive, offset, 'bad size field');
    const dataOffset = offset + BLOCK;
    if (isMetaKind(flag)) {
      await this.readMetaHeader(flag, dataOffset, headerSize);
      return dataOffset + roundUp(headerSize);
    }
    const rawName = this.pending.path ?? headerName(block);
    const type = entryType(flag, rawName);
    const size = storedBytes(type, this.pending.size ?? headerSize);
    if (dataOffset + size > this.fileSize) throw truncated(this.archive);
    this.addMember(rawName, type, this.pending.linkpath ?? headerLinkName(block), dataOffset, size);
    this.pending = {};
    return dataOffset + roundUp(size);
  }

  private async readMetaHeader(kind: MetaKind, offset: number, size: number): Promise<void> {
    const max = kind === 'L' || kind === 'K' ? this.limits.maxNameBytes + 1 : MAX_PAX_BYTES;
    if (size > max) throw limitExceeded(`a ${kind} header in ${this.archive}`, `${max} bytes`);
    const data = await this.readAt(offset, size);
    if (kind === 'L') this.pending.path = cString(data, 0, size);
    else if (kind === 'K') this.pending.linkpath = cString(data, 0, size);
    else {
      // Global headers are checked but not applied, as in the layer reader.
      const records = this.parsePax(data, offset);
      if (kind === 'x') Object.assign(this.pending, records);
    }
  }

  private parsePax(data: Buffer, offset: number): PaxOverrides {
    try {
      return parsePaxRecords(data);
    } catch (e) {
      throw corrupt(this.archive, offset, `invalid PAX header: ${errorText(e)}`);
    }
  }

  private addMember(
    rawName: string,
    type: FileType | undefined,
    linkTarget: string,
    offset: number,
    size: number,
  ): void {
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
    const member: TarMember = { name, type: memberType(type), offset, size };
    if (type === 'symlink' || type === 'hardlink') member.linkTarget = linkTarget;
    this.members.set(name, member); // as with tar, a later member of the same name wins
  }
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

  /** A name is resolved; a member `resolve` already returned is used as it is. */
  private fileMember(member: string | TarMember): TarMember {
    return typeof member === 'string' ? this.resolve(member) : member;
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
  async openMember(member: string | TarMember): Promise<Readable> {
    const { offset, size } = this.fileMember(member);
    if (size === 0) return Readable.from([]);
    const handle = await open(this.file, 'r');
    return handle.createReadStream({
      start: offset,
      end: offset + size - 1,
      highWaterMark: BLOB_READ_CHUNK_BYTES,
    });
  }

  /** Reads a whole member; `what` names it in the error when it is larger than `maxBytes`. */
  async readMember(
    member: string | TarMember,
    maxBytes: number,
    what = `member "${typeof member === 'string' ? member : member.name}"`,
  ): Promise<Buffer> {
    const { offset, size } = this.fileMember(member);
    if (size > maxBytes) throw limitExceeded(`${what} of ${this.file}`, `${maxBytes} bytes`);
    return this.readAt(offset, size);
  }

  /** The first `length` bytes of a member (fewer if it is shorter). */
  async readMemberHead(member: string | TarMember, length: number): Promise<Buffer> {
    const { offset, size } = this.fileMember(member);
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
