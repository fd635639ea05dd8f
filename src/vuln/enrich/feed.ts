/**
 * An enrichment feed: facts about CVEs that OSV records do not carry (CISA KEV, FIRST EPSS, NVD's
 * CVSS scores). Each feed is one file behind this interface, listed in `feeds.ts`; `import.ts`
 * finds which feed a file holds, reads it and stores it in one transaction.
 */
import type { ENRICHMENT_TABLES, VulnDbWriter } from '../db.js';

export type EnrichmentFeedName = keyof typeof ENRICHMENT_TABLES;

export interface EnrichmentFeed {
  /** Its row in the `feeds` table (and so in `db status`). */
  readonly name: EnrichmentFeedName;
  /** What it is, for messages: `a CISA KEV catalogue`. */
  readonly title: string;
  /**
   * `snapshot`: one file is the whole feed and replaces what was stored. `pages`: files (pages of
   * an API, feed files) update the stored rows by CVE, newer data winning; a directory may hold many.
   */
  readonly kind: 'snapshot' | 'pages';
  /** Whether a file whose decompressed text begins with `head` is one of this feed's. */
  recognises(head: string): boolean;
  /** Reads one file's decompressed bytes; throws EnrichmentFormatError saying what is wrong. */
  read(chunks: AsyncIterable<Buffer>, limits: EnrichmentLimits): Promise<FeedFile>;
}

/** One file, read and checked, waiting to be written. */
export interface FeedFile {
  /** Records (CVEs) read. */
  records: number;
  /** What the file is as of (RFC 3339): the catalogue's release, the score date, the newest change. */
  asOf?: string;
  /** Writes the records inside the import's transaction; returns the rows added or changed. */
  write(trx: VulnDbWriter): Promise<number>;
}

export interface EnrichmentLimits {
  /** Largest file, decompressed. */
  maxFileBytes: number;
  /** Largest single record (one JSON array element, one CSV line). */
  maxRecordBytes: number;
  /** Most records in one file. */
  maxRecords: number;
  /** Deepest nesting of JSON arrays and objects. */
  maxDepth: number;
  /** Most files in a directory of pages. */
  maxFiles: number;
  maxDownloadBytes: number;
}

export const DEFAULT_ENRICHMENT_LIMITS: EnrichmentLimits = {
  // NVD's yearly feed files run to hundreds of MB; they are streamed, never held whole.
  maxFileBytes: 4 * 1024 ** 3,
  maxRecordBytes: 16 * 1024 ** 2,
  maxRecords: 2_000_000,
  maxDepth: 64,
  maxFiles: 100_000,
  maxDownloadBytes: 4 * 1024 ** 3,
};

/** The file is not what its feed publishes (or is over a limit); the import stops, changing nothing. */
export class EnrichmentFormatError extends Error {
  override readonly name = 'EnrichmentFormatError';
}

export const CVE_ID = /^CVE-\d{4}-\d{4,19}$/;

/** `value` as an RFC 3339 timestamp in UTC; NVD writes its times without a zone, meaning UTC. */
export function timestamp(value: unknown, what: string): string {
  const text = typeof value === 'string' ? value : '';
  const zoned = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text) ? `${text}Z` : text;
  const time = /^\d{4}-\d{2}-\d{2}/.test(zoned) ? Date.parse(zoned) : Number.NaN;
  if (!Number.isFinite(time))
    throw new EnrichmentFormatError(`${what} is not a date and time (${describe(value)})`);
  return new Date(time).toISOString();
}

/** A short, printable rendering of a value for messages. */
export function describe(value: unknown): string {
  const text = value === undefined ? 'missing' : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Runs `write` on `rows` in slices small enough for SQLite's bound-parameter limit. */
export async function inBatches<Row>(
  rows: readonly Row[],
  write: (batch: Row[]) => Promise<unknown>,
  size = 1000,
): Promise<void> {
  for (let i = 0; i < rows.length; i += size) await write(rows.slice(i, i + size));
}
