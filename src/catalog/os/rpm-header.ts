/**
 * Our own reader of rpm header blobs, as rpm databases store them (lib/header.cc): a count of
 * index entries `il` and a data length `dl` (big-endian), `il` 16-byte entries (tag, type,
 * offset, count), then `dl` bytes of data. Every count, offset and length is checked against the
 * blob before it is used, with rpm's own limits, so a corrupt header fails with
 * RpmFormatError instead of reading out of bounds or allocating from an untrusted size.
 */

/** A database or header that is not what its format says; the message says where. */
export class RpmFormatError extends Error {
  override readonly name = 'RpmFormatError';
}

/** The header tags the cataloger reads (rpmtag.h). */
export const Tag = {
  name: 1000,
  version: 1001,
  release: 1002,
  epoch: 1003,
  size: 1009,
  vendor: 1011,
  license: 1014,
  arch: 1022,
  oldFilenames: 1027,
  fileDigests: 1035,
  sourceRpm: 1044,
  dirIndexes: 1116,
  baseNames: 1117,
  dirNames: 1118,
  longSize: 5009,
  fileDigestAlgo: 5011,
} as const;

/** Header data types (rpmtag.h rpmTagType). */
const Type = {
  Int8: 2,
  Int64: 5,
  String: 6,
  Bin: 7,
  StringArray: 8,
  I18nString: 9,
} as const;

/** Bytes per element of the fixed-size types; 0 for the NUL-terminated string types. */
const TYPE_SIZE: readonly number[] = [0, 1, 1, 2, 4, 8, 0, 1, 0, 0];
const ENTRY_SIZE = 16;
/** rpm's limits (header.cc): at most 0xffff entries, 256 MiB of data, 0xfffff array elements. */
const MAX_ENTRIES = 0xffff;
const MAX_DATA = 0x0fffffff;
const MAX_ARRAY = 0xfffff;
/** Region tags (HEADERIMAGE, HEADERSIGNATURES, HEADERIMMUTABLE) mark the signed part. */
const REGION_TAGS = new Set([61, 62, 63]);

interface Entry {
  type: number;
  count: number;
  offset: number;
}

/** One parsed header: its entries by tag, decoded on request. */
export class RpmHeader {
  private constructor(
    private readonly data: Buffer,
    private readonly entries: ReadonlyMap<number, Entry>,
  ) {}

  /** Parses a header blob as stored in an rpmdb (no lead, no magic). Throws RpmFormatError. */
  static parse(blob: Uint8Array): RpmHeader {
    const bytes = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
    if (bytes.length < 8) throw new RpmFormatError('header shorter than its 8-byte preamble');
    const il = bytes.readUInt32BE(0);
    const dl = bytes.readUInt32BE(4);
    if (il < 1 || il > MAX_ENTRIES) throw new RpmFormatError(`header entry count ${il}`);
    if (dl > MAX_DATA) throw new RpmFormatError(`header data length ${dl}`);
    const dataStart = 8 + il * ENTRY_SIZE;
    if (dataStart + dl > bytes.length)
      throw new RpmFormatError(`header needs ${dataStart + dl} bytes, has ${bytes.length}`);
    const data = bytes.subarray(dataStart, dataStart + dl);
    const entries = new Map<number, Entry>();
    for (let i = 0; i < il; i += 1) {
      const at = 8 + i * ENTRY_SIZE;
      const tag = bytes.readUInt32BE(at);
      const entry = checkedEntry(tag, bytes.readUInt32BE(at + 4), bytes, at, dl);
      if (i === 0 && REGION_TAGS.has(tag)) checkRegion(tag, entry, data, il);
      // Entries added after install ("dribbles") replace region entries of the same tag.
      else entries.set(tag, entry);
    }
    return new RpmHeader(data, entries);
  }

  has(tag: number): boolean {
    return this.entries.has(tag);
  }

  /** A STRING, or the first element of a STRING_ARRAY or I18NSTRING (its "C" locale). */
  string(tag: number): string | undefined {
    return this.strings(tag)?.[0];
  }

  /** The elements of a string-typed entry. */
  strings(tag: number): string[] | undefined {
    const entry = this.entries.get(tag);
    if (entry === undefined) return undefined;
    if (
      entry.type !== Type.String &&
      entry.type !== Type.StringArray &&
      entry.type !== Type.I18nString
    )
      throw new RpmFormatError(`tag ${tag} has type ${entry.type}, not a string type`);
    const count = entry.type === Type.String ? 1 : entry.count;
    const out: string[] = [];
    let start = entry.offset;
    for (let i = 0; i < count; i += 1) {
      const end = this.data.indexOf(0, start);
      if (end < 0) throw new RpmFormatError(`tag ${tag}: string ${i} runs past the data`);
      out.push(this.data.toString('utf8', start, end));
      start = end + 1;
    }
    return out;
  }

  /** The elements of an integer entry (INT8 to INT64; INT64 must fit a double exactly). */
  numbers(tag: number): number[] | undefined {
    const entry = this.entries.get(tag);
    if (entry === undefined) return undefined;
    const size = TYPE_SIZE[entry.type] ?? 0;
    if (entry.type < Type.Int8 || entry.type > Type.Int64)
      throw new RpmFormatError(`tag ${tag} has type ${entry.type}, not an integer type`);
    const out: number[] = [];
    for (let i = 0; i < entry.count; i += 1)
      out.push(readUnsigned(this.data, entry.offset + i * size, size, tag));
    return out;
  }

  number(tag: number): number | undefined {
    return this.numbers(tag)?.[0];
  }
}

/** Reads and checks one index entry as rpm's hdrblobVerifyInfo does. */
function checkedEntry(tag: number, type: number, bytes: Buffer, at: number, dl: number): Entry {
  const offset = bytes.readInt32BE(at + 8);
  const count = bytes.readUInt32BE(at + 12);
  const where = `header entry for tag ${tag}`;
  if (type > Type.I18nString) throw new RpmFormatError(`${where}: unknown type ${type}`);
  if (count < 1 || count > dl) throw new RpmFormatError(`${where}: count ${count}`);
  if (type !== Type.Bin && count > MAX_ARRAY) throw new RpmFormatError(`${where}: count ${count}`);
  if (offset < 0 || offset > dl) throw new RpmFormatError(`${where}: offset ${offset}`);
  const size = TYPE_SIZE[type] ?? 0;
  if (size > 1 && offset % size !== 0) throw new RpmFormatError(`${where}: misaligned offset`);
  if (offset + count * size > dl) throw new RpmFormatError(`${where}: data past the header end`);
  return { type, count, offset };
}

/** The region entry points at a trailer entry whose negated offset spans the region's entries. */
function checkRegion(tag: number, entry: Entry, data: Buffer, il: number): void {
  if (
    entry.type !== Type.Bin ||
    entry.count !== ENTRY_SIZE ||
    entry.offset + ENTRY_SIZE > data.length
  )
    throw new RpmFormatError(`region tag ${tag}: bad entry`);
  const trailerTag = data.readUInt32BE(entry.offset);
  const trailerType = data.readUInt32BE(entry.offset + 4);
  const regionBytes = -data.readInt32BE(entry.offset + 8);
  const trailerCount = data.readUInt32BE(entry.offset + 12);
  const sameTag = trailerTag === tag || (tag === 62 && trailerTag === 61);
  if (!sameTag || trailerType !== Type.Bin || trailerCount !== ENTRY_SIZE)
    throw new RpmFormatError(`region tag ${tag}: bad trailer`);
  if (regionBytes < 0 || regionBytes % ENTRY_SIZE !== 0 || regionBytes / ENTRY_SIZE > il)
    throw new RpmFormatError(`region tag ${tag}: region size ${regionBytes}`);
}

function readUnsigned(data: Buffer, at: number, size: number, tag: number): number {
  switch (size) {
    case 1:
      return data.readUInt8(at);
    case 2:
      return data.readUInt16BE(at);
    case 4:
      return data.readUInt32BE(at);
    default: {
      const value = data.readBigUInt64BE(at);
      if (value > BigInt(Number.MAX_SAFE_INTEGER))
        throw new RpmFormatError(`tag ${tag}: 64-bit value ${value} too large`);
      return Number(value);
    }
  }
}

/** What the cataloger keeps of one installed package: small and structured-cloneable. */
export interface RpmRecord {
  name: string;
  epoch?: number;
  version: string;
  release: string;
  arch?: string;
  /** The source rpm's file name: `bash-5.1.8-6.el9.src.rpm`. */
  sourceRpm?: string;
  license?: string;
  vendor?: string;
  /** Installed size in bytes. */
  size?: number;
  files: RpmFiles;
}

/** The file list as the header stores it (directories once), so cached layer values stay small. */
export interface RpmFiles {
  dirNames: string[];
  baseNames: string[];
  /** For each base name, the index of its directory in dirNames. */
  dirIndexes: number[];
  /** Hex digests, one per file; empty for directories, links and ghosts. */
  digests: string[];
  /** `md5` unless FILEDIGESTALGO names another. */
  digestAlgorithm: string;
}

/** OpenPGP hash algorithm ids (RFC 4880 9.4) as FILEDIGESTALGO uses them. */
const DIGEST_ALGORITHMS: Readonly<Record<number, string>> = {
  1: 'md5',
  2: 'sha1',
  3: 'ripemd160',
  8: 'sha256',
  9: 'sha384',
  10: 'sha512',
  11: 'sha224',
};

/** Reads the package fields from a header blob. Throws RpmFormatError. */
export function readRpmRecord(blob: Uint8Array): RpmRecord {
  const header = RpmHeader.parse(blob);
  const name = header.string(Tag.name);
  const version = header.string(Tag.version);
  if (name === undefined || name === '' || version === undefined)
    throw new RpmFormatError('header has no name or version');
  return {
    name,
    epoch: header.number(Tag.epoch),
    version,
    release: header.string(Tag.release) ?? '',
    arch: header.string(Tag.arch),
    sourceRpm: noneAsAbsent(header.string(Tag.sourceRpm)),
    license: header.string(Tag.license),
    vendor: header.string(Tag.vendor),
    size: header.number(Tag.longSize) ?? header.number(Tag.size),
    files: readFiles(header),
  };
}

/** rpm writes the literal `(none)` as the source rpm of gpg-pubkey and source packages. */
function noneAsAbsent(value: string | undefined): string | undefined {
  return value === '(none)' ? undefined : value;
}

function readFiles(header: RpmHeader): RpmFiles {
  const algorithmId = header.number(Tag.fileDigestAlgo) ?? 1;
  const digestAlgorithm = DIGEST_ALGORITHMS[algorithmId] ?? `pgp-hash-${algorithmId}`;
  const paths = header.has(Tag.baseNames) ? compressedPaths(header) : legacyPaths(header);
  const digests = header.strings(Tag.fileDigests) ?? [];
  if (digests.length !== 0 && digests.length !== paths.baseNames.length)
    throw new RpmFormatError(`${digests.length} file digests for ${paths.baseNames.length} files`);
  return { ...paths, digests, digestAlgorithm };
}

type FilePaths = Pick<RpmFiles, 'dirNames' | 'baseNames' | 'dirIndexes'>;

function compressedPaths(header: RpmHeader): FilePaths {
  const baseNames = header.strings(Tag.baseNames) ?? [];
  const dirNames = header.strings(Tag.dirNames) ?? [];
  const dirIndexes = header.numbers(Tag.dirIndexes) ?? [];
  if (dirIndexes.length !== baseNames.length)
    throw new RpmFormatError(`${dirIndexes.length} dir indexes for ${baseNames.length} files`);
  if (dirIndexes.some((index) => index >= dirNames.length))
    throw new RpmFormatError('file dir index past the dir names');
  return { dirNames, baseNames, dirIndexes };
}

/** Headers from before rpm 4 list whole paths in OLDFILENAMES; split them the modern way. */
function legacyPaths(header: RpmHeader): FilePaths {
  const dirNames: string[] = [];
  const dirIndex = new Map<string, number>();
  const baseNames: string[] = [];
  const dirIndexes: number[] = [];
  for (const path of header.strings(Tag.oldFilenames) ?? []) {
    const cut = path.lastIndexOf('/') + 1;
    const dir = path.slice(0, cut);
    let index = dirIndex.get(dir);
    if (index === undefined) {
      index = dirNames.push(dir) - 1;
      dirIndex.set(dir, index);
    }
    baseNames.push(path.slice(cut));
    dirIndexes.push(index);
  }
  return { dirNames, baseNames, dirIndexes };
}
