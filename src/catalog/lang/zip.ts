/**
 * Zip archives already in memory (jars, wars, eggs): the whole archive is the tail the shared
 * reader in src/util/zip.ts parses, so every local header is checked up front and entries whose
 * bytes overlap are refused before any is inflated.
 */
import * as zip from '../../util/zip.js';

export interface ZipEntry extends zip.ZipCentralEntry {
  /** Offset of the entry's (compressed) data. */
  dataOffset: number;
}

export type ZipLimits = Pick<zip.ZipDirectoryLimits, 'maxEntries' | 'maxNameBytes'>;

export const DEFAULT_ZIP_LIMITS: ZipLimits = { maxEntries: 200_000, maxNameBytes: 4096 };

/** The entries of the archive's central directory, in directory order. */
export function listZipEntries(data: Buffer, limits: Partial<ZipLimits> = {}): ZipEntry[] {
  // The buffer already bounds the directory; the limit only matters for reads from a file.
  const bounds = { ...DEFAULT_ZIP_LIMITS, ...limits, maxDirectoryBytes: data.length };
  const entries = zip
    .readCentralDirectory(data, 0, bounds)
    .map((entry) => withDataOffset(data, entry));
  const spans: zip.ZipSpan[] = entries.map((entry) => ({
    name: entry.name,
    localHeaderOffset: entry.localHeaderOffset,
    dataEnd: entry.dataOffset + entry.compressedSize,
  }));
  spans
    .sort((a, b) => a.localHeaderOffset - b.localHeaderOffset)
    .reduce<zip.ZipSpan | undefined>((previous, current) => {
      zip.refuseOverlap(previous, current);
      return current;
    }, undefined);
  return entries;
}

/** The entry's content, inflated; throws ZipError past `maxBytes`, on a bad CRC or method. */
export function readZipEntry(data: Buffer, entry: ZipEntry, maxBytes: number): Buffer {
  const oversized = zip.oversizedReason(entry, maxBytes);
  if (oversized !== undefined) throw new zip.ZipError(`${entry.name} is ${oversized}`);
  return zip.inflateEntry(
    data.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize),
    entry,
  );
}

function withDataOffset(data: Buffer, entry: zip.ZipCentralEntry): ZipEntry {
  const dataOffset = zip.localDataOffset(data.subarray(entry.localHeaderOffset), entry);
  if (dataOffset + entry.compressedSize > data.length)
    throw new zip.ZipError(`${entry.name}: data runs past the end of the archive`);
  return { ...entry, dataOffset };
}
