/**
 * The Berkeley DB hash rpmdb (`Packages`: CentOS 7/8, Amazon Linux 2, older SUSE), read page by
 * page without libdb. Layout (db_page.h, as rpm's own lib/backend/bdb_ro.cc reads it): page 0 is
 * the hash meta page; each bucket is a chain of hash pages holding key/value items; a value too
 * big for a page is an "off-page" item pointing at a chain of overflow pages. Keys are 4-byte
 * package numbers; values are header blobs. The file may be in either byte order.
 */
import { RpmFormatError } from '../rpm-header.js';

const HASH_MAGIC = 0x061561;
const PAGE_HEADER_SIZE = 26;
const enum PageType {
  HashUnsorted = 2,
  Overflow = 7,
  Hash = 13,
}
const enum ItemType {
  KeyData = 1,
  OffPage = 3,
}

interface Meta {
  pageSize: number;
  lastPage: number;
  maxBucket: number;
  /** First page of each split point's buckets, minus the first bucket number of that point. */
  spares: number[];
}

/** A package number and its header blob. */
interface Record {
  key: number;
  blob: Buffer;
}

/** The header blobs of the packages, by package number. Throws RpmFormatError. */
export function readBdbPackages(bytes: Buffer): Buffer[] {
  const reader = new BdbReader(bytes);
  return reader
    .records()
    .filter((record) => record.key !== 0) // record 0 holds rpm's next package number
    .sort((a, b) => a.key - b.key)
    .map((record) => record.blob);
}

class BdbReader {
  private readonly littleEndian: boolean;
  private readonly meta: Meta;
  /** Bytes handed out so far: bounded by the file size, however items share overflow chains. */
  private budget: number;

  constructor(private readonly bytes: Buffer) {
    if (bytes.length < 512) throw new RpmFormatError('bdb: shorter than a meta page');
    this.littleEndian = bytes.readUInt32LE(12) === HASH_MAGIC;
    if (!this.littleEndian && bytes.readUInt32BE(12) !== HASH_MAGIC)
      throw new RpmFormatError('bdb: not a Berkeley DB hash database');
    this.meta = this.readMeta();
    this.budget = bytes.length;
  }

  records(): Record[] {
    const out: Record[] = [];
    const seen = new Set<number>();
    for (let bucket = 0; bucket <= this.meta.maxBucket; bucket += 1) {
      for (
        let page = this.bucketPage(bucket);
        page !== 0;
        page = this.u32(this.pageAt(page) + 16)
      ) {
        if (seen.has(page)) throw new RpmFormatError(`bdb: page ${page} linked twice`);
        seen.add(page);
        out.push(...this.pageRecords(page));
      }
    }
    return out;
  }

  private readMeta(): Meta {
    const version = this.u32(16);
    const pageSize = this.u32(20);
    if (version < 8 || version > 10) throw new RpmFormatError(`bdb: hash version ${version}`);
    if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0)
      throw new RpmFormatError(`bdb: page size ${pageSize}`);
    if (this.bytes[24] !== 0) throw new RpmFormatError('bdb: encrypted database');
    const lastPage = Math.min(this.u32(32), Math.floor(this.bytes.length / pageSize) - 1);
    const maxBucket = this.u32(72);
    if (maxBucket > lastPage) throw new RpmFormatError(`bdb: ${maxBucket} buckets`);
    const spares = Array.from({ length: 32 }, (_, i) => this.u32(96 + i * 4));
    return { pageSize, lastPage, maxBucket, spares };
  }

  /** Buckets split in powers of two; spares[number of bits of bucket] locates them. */
  private bucketPage(bucket: number): number {
    const splitPoint = bucket === 0 ? 0 : 32 - Math.clz32(bucket);
    return (bucket + (this.meta.spares[splitPoint] ?? 0)) >>> 0;
  }

  /** The byte offset of page `page`, once its number and bounds check out. */
  private pageAt(page: number, type?: PageType): number {
    if (page < 1 || page > this.meta.lastPage)
      throw new RpmFormatError(`bdb: page ${page} out of range`);
    const at = page * this.meta.pageSize;
    if (this.u32(at + 8) !== page) throw new RpmFormatError(`bdb: page ${page} misnumbered`);
    if (type !== undefined && this.bytes[at + 25] !== type)
      throw new RpmFormatError(`bdb: page ${page} is not of type ${type}`);
    return at;
  }

  private pageRecords(page: number): Record[] {
    const at = this.pageAt(page);
    const type = this.bytes[at + 25];
    if (type !== PageType.Hash && type !== PageType.HashUnsorted)
      throw new RpmFormatError(`bdb: bucket page ${page} has type ${type}`);
    const count = this.u16(at + 20);
    const indexEnd = PAGE_HEADER_SIZE + count * 2;
    if (count % 2 !== 0 || indexEnd > this.meta.pageSize)
      throw new RpmFormatError(`bdb: page ${page} holds ${count} items`);
    const item = (i: number): Buffer => {
      const start = this.u16(at + PAGE_HEADER_SIZE + i * 2);
      const end = i === 0 ? this.meta.pageSize : this.u16(at + PAGE_HEADER_SIZE + (i - 1) * 2);
      if (start < indexEnd || end <= start || end > this.meta.pageSize)
        throw new RpmFormatError(`bdb: page ${page} item ${i} out of bounds`);
      return this.bytes.subarray(at + start, at + end);
    };
    const records: Record[] = [];
    for (let i = 0; i < count; i += 2) {
      const key = this.itemValue(item(i));
      records.push({
        key: key.length === 4 ? this.u32(0, key) : -1,
        blob: this.itemValue(item(i + 1)),
      });
    }
    return records;
  }

  /** A 32-bit number in the database's byte order, from the file or from an item. */
  private u32(at: number, from: Buffer = this.bytes): number {
    return this.littleEndian ? from.readUInt32LE(at) : from.readUInt32BE(at);
  }

  private u16(at: number): number {
    return this.littleEndian ? this.bytes.readUInt16LE(at) : this.bytes.readUInt16BE(at);
  }

  private itemValue(item: Buffer): Buffer {
    if (item[0] === ItemType.KeyData) return item.subarray(1);
    if (item[0] !== ItemType.OffPage || item.length < 12)
      throw new RpmFormatError(`bdb: unsupported item type ${item[0] ?? 'none'}`);
    return this.overflow(this.u32(4, item), this.u32(8, item));
  }

  /** Joins an overflow chain of `length` bytes starting at `page`. */
  private overflow(page: number, length: number): Buffer {
    if (length === 0 || length > this.budget)
      throw new RpmFormatError(`bdb: overflow item of ${length} bytes`);
    this.budget -= length;
    const out = Buffer.allocUnsafe(length);
    let filled = 0;
    // Every page adds at least one byte, so the loop ends even on a cyclic chain.
    while (filled < length) {
      const at = this.pageAt(page, PageType.Overflow);
      const pageBytes = this.u16(at + 22);
      if (
        pageBytes === 0 ||
        pageBytes > length - filled ||
        PAGE_HEADER_SIZE + pageBytes > this.meta.pageSize
      )
        throw new RpmFormatError(`bdb: overflow page ${page} holds ${pageBytes} bytes`);
      filled += this.bytes.copy(
        out,
        filled,
        at + PAGE_HEADER_SIZE,
        at + PAGE_HEADER_SIZE + pageBytes,
      );
      page = this.u32(at + 16);
    }
    return out;
  }
}
