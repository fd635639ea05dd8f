/**
 * The NDB rpmdb (`Packages.db`: SUSE, rpm 4.15+ with the ndb backend), laid out as rpm's
 * lib/backend/ndb/rpmpkg.c writes it, all numbers little-endian:
 * - a 32-byte file header: magic `RpmP`, version 0, generation, slot page count, next package;
 * - slot pages of 4096 bytes right after it, 16-byte slots: magic `Slot`, package number,
 *   block offset, block count (blocks are 16 bytes; offset 0 is a free slot);
 * - each package's blob at its block offset: head (`BlbS`, package number, generation, length),
 *   the header blob, zero padding, tail (adler32 of head + blob + padding, length, `BlbE`).
 */
import { RpmFormatError } from '../rpm-header.js';

const FILE_MAGIC = 0x506d7052; // "RpmP"
const SLOT_MAGIC = 0x746f6c53; // "Slot"
const BLOB_HEAD_MAGIC = 0x53626c42; // "BlbS"
const BLOB_TAIL_MAGIC = 0x45626c42; // "BlbE"
const FILE_HEADER_SIZE = 32;
const SLOT_SIZE = 16;
const BLOCK_SIZE = 16;
const SLOT_PAGE_SIZE = 4096;
const BLOB_HEAD_SIZE = 16;
const BLOB_TAIL_SIZE = 12;

interface Slot {
  packageNumber: number;
  blockOffset: number;
  blockCount: number;
}

/** The header blobs of the packages, by package number. Throws RpmFormatError. */
export function readNdbPackages(bytes: Buffer): Buffer[] {
  return usedSlots(bytes)
    .sort((a, b) => a.packageNumber - b.packageNumber)
    .map((slot) => blobOf(bytes, slot));
}

function usedSlots(bytes: Buffer): Slot[] {
  if (bytes.length < FILE_HEADER_SIZE || bytes.readUInt32LE(0) !== FILE_MAGIC)
    throw new RpmFormatError('ndb: not an rpm Packages.db');
  const version = bytes.readUInt32LE(4);
  if (version !== 0) throw new RpmFormatError(`ndb: version ${version}`);
  const slotPages = bytes.readUInt32LE(12);
  const slotsEnd = slotPages * SLOT_PAGE_SIZE;
  if (slotPages < 1 || slotsEnd > bytes.length)
    throw new RpmFormatError(`ndb: ${slotPages} slot pages in ${bytes.length} bytes`);
  const fileBlocks = Math.floor(bytes.length / BLOCK_SIZE);
  const firstDataBlock = slotsEnd / BLOCK_SIZE;
  const slots: Slot[] = [];
  for (let at = FILE_HEADER_SIZE; at < slotsEnd; at += SLOT_SIZE) {
    if (bytes.readUInt32LE(at) !== SLOT_MAGIC) throw new RpmFormatError(`ndb: bad slot at ${at}`);
    const slot = {
      packageNumber: bytes.readUInt32LE(at + 4),
      blockOffset: bytes.readUInt32LE(at + 8),
      blockCount: bytes.readUInt32LE(at + 12),
    };
    if (slot.blockOffset === 0) continue;
    if (
      slot.packageNumber === 0 ||
      slot.blockCount === 0 ||
      slot.blockOffset < firstDataBlock ||
      slot.blockOffset + slot.blockCount > fileBlocks
    )
      throw new RpmFormatError(`ndb: slot at ${at} points outside the data`);
    slots.push(slot);
  }
  return slots;
}

/** The header blob a slot points at, after the head, tail and checksum agree with it. */
function blobOf(bytes: Buffer, slot: Slot): Buffer {
  const start = slot.blockOffset * BLOCK_SIZE;
  const end = start + slot.blockCount * BLOCK_SIZE;
  const where = `ndb: package ${slot.packageNumber}`;
  if (slot.blockCount * BLOCK_SIZE < BLOB_HEAD_SIZE + BLOB_TAIL_SIZE)
    throw new RpmFormatError(`${where}: blob too small`);
  const length = bytes.readUInt32LE(start + 12);
  if (
    bytes.readUInt32LE(start) !== BLOB_HEAD_MAGIC ||
    bytes.readUInt32LE(start + 4) !== slot.packageNumber ||
    Math.ceil((BLOB_HEAD_SIZE + length + BLOB_TAIL_SIZE) / BLOCK_SIZE) !== slot.blockCount
  )
    throw new RpmFormatError(`${where}: bad blob head`);
  const tail = end - BLOB_TAIL_SIZE;
  if (
    bytes.readUInt32LE(tail + 4) !== length ||
    bytes.readUInt32LE(tail + 8) !== BLOB_TAIL_MAGIC ||
    bytes.readUInt32LE(tail) !== adler32(bytes.subarray(start, tail))
  )
    throw new RpmFormatError(`${where}: bad blob tail or checksum`);
  return bytes.subarray(start + BLOB_HEAD_SIZE, start + BLOB_HEAD_SIZE + length);
}

/** Adler-32 (RFC 1950), as rpmpkg.c checks blobs with. */
export function adler32(data: Uint8Array): number {
  const MOD = 65521;
  // 5552 bytes is the most that can be summed before the 32-bit sums must be reduced.
  const CHUNK = 5552;
  let a = 1;
  let b = 0;
  for (let chunkStart = 0; chunkStart < data.length; chunkStart += CHUNK) {
    const chunkEnd = Math.min(chunkStart + CHUNK, data.length);
    for (let i = chunkStart; i < chunkEnd; i += 1) {
      a += data[i] ?? 0;
      b += a;
    }
    a %= MOD;
    b %= MOD;
  }
  return ((b << 16) | a) >>> 0;
}
