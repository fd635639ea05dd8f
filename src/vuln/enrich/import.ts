/**
 * Imports an enrichment feed from a file, a directory of NVD pages, or a URL (downloaded into the
 * cache dir first, as OSV dumps are). Which feed a file holds is judged by its content, never by
 * its name. One source is one transaction: a malformed file anywhere leaves the database as it was.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DrydockError, limitExceeded } from '../../model/index.js';
import { ENRICHMENT_TABLES, type VulnDb, type VulnDbWriter } from '../db.js';
import { download } from '../import.js';
import {
  DEFAULT_ENRICHMENT_LIMITS,
  describe,
  EnrichmentFormatError,
  type EnrichmentFeed,
  type EnrichmentFeedName,
  type EnrichmentLimits,
  type FeedFile,
} from './feed.js';
import { ENRICHMENT_FEEDS } from './feeds.js';
import { fileChunks, fileHead } from './source-file.js';

export interface EnrichmentImportOptions {
  /** Where downloads are kept while they are imported. */
  cacheDir: string;
  limits?: Partial<EnrichmentLimits>;
  /** Milliseconds a download may stay silent. */
  timeoutMs?: number;
  /** The time recorded as the feed's last sync (tests pin it). */
  now?: Date;
}

export interface EnrichmentImportResult {
  feed: EnrichmentFeedName;
  source: string;
  files: number;
  /** Records (CVEs) read from the source. */
  read: number;
  /** Records added or changed: all of them for a snapshot, the newer ones for NVD pages. */
  written: number;
  /** Records the feed holds now. */
  records: number;
  /** The newest date the feed's data is as of. */
  asOf?: string;
}

/** One file to read, and how messages name it (the URL of a download, not its temp file). */
interface SourceFile {
  path: string;
  label: string;
}

/**
 * The enrichment feed `path` holds (a file, or a directory whose first JSON file decides), or
 * undefined when it holds none of theirs: an OSV dump or record, a bundle, a missing path.
 */
export async function detectEnrichment(path: string): Promise<EnrichmentFeed | undefined> {
  const info = await stat(path).catch(() => undefined);
  if (info?.isDirectory() === true) {
    const [first] = await jsonFilesIn(path);
    return first === undefined ? undefined : recognise(first);
  }
  return info?.isFile() === true ? recognise(path) : undefined;
}

/** Imports `source`: an http(s) URL, a file, or a directory of NVD pages. */
export async function importEnrichment(
  db: VulnDb,
  source: string,
  options: EnrichmentImportOptions,
): Promise<EnrichmentImportResult> {
  if (/^https?:\/\//i.test(source)) return importUrl(db, source, options);
  const feed = await detectEnrichment(source);
  if (feed === undefined)
    throw new DrydockError(
      'invalid-argument',
      `${source} is not a CISA KEV catalogue, an EPSS score file or NVD CVE JSON`,
    );
  const info = await stat(source);
  const paths = info.isDirectory() ? await pagesIn(source, feed, limitsOf(options)) : [source];
  return importFiles(
    db,
    feed,
    source,
    paths.map((path) => ({ path, label: path })),
    options,
  );
}

async function importUrl(
  db: VulnDb,
  url: string,
  options: EnrichmentImportOptions,
): Promise<EnrichmentImportResult> {
  await mkdir(options.cacheDir, { recursive: true });
  const temp = join(options.cacheDir, `enrichment-download-${randomBytes(6).toString('hex')}`);
  try {
    await download(url, temp, {
      cacheDir: options.cacheDir,
      limits: { maxDownloadBytes: limitsOf(options).maxDownloadBytes },
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
    const feed = await recognise(temp);
    if (feed === undefined)
      throw new DrydockError(
        'invalid-argument',
        `${url} is not a CISA KEV catalogue, an EPSS score file or NVD CVE JSON (it begins ${describe((await fileHead(temp, 40)).trim())}); OSV dumps are fetched from URLs ending in .zip`,
      );
    return await importFiles(db, feed, url, [{ path: temp, label: url }], options);
  } finally {
    await rm(temp, { force: true });
  }
}

async function recognise(path: string): Promise<EnrichmentFeed | undefined> {
  const head = await fileHead(path);
  return ENRICHMENT_FEEDS.find((feed) => feed.recognises(head));
}

/** `.json` and `.json.gz` files under `dir`, in name order (the order pages are imported in). */
async function jsonFilesIn(dir: string): Promise<string[]> {
  const names = await readdir(dir, { recursive: true });
  return names
    .filter((name) => /\.json(\.gz)?$/i.test(name))
    .sort()
    .map((name) => join(dir, name));
}

async function pagesIn(
  dir: string,
  feed: EnrichmentFeed,
  limits: EnrichmentLimits,
): Promise<string[]> {
  const files = await jsonFilesIn(dir);
  if (files.length > limits.maxFiles)
    throw limitExceeded(`${dir} (${files.length} JSON files)`, `${limits.maxFiles} files`);
  if (feed.kind === 'snapshot' && files.length > 1)
    throw new DrydockError(
      'invalid-argument',
      `${dir} holds ${files.length} JSON files, but a ${feed.title} is one file: import that file`,
    );
  return files;
}

async function importFiles(
  db: VulnDb,
  feed: EnrichmentFeed,
  source: string,
  files: readonly SourceFile[],
  options: EnrichmentImportOptions,
): Promise<EnrichmentImportResult> {
  const limits = limitsOf(options);
  return db.transaction().execute(async (trx) => {
    const result: EnrichmentImportResult = {
      feed: feed.name,
      source,
      files: files.length,
      read: 0,
      written: 0,
      records: 0,
    };
    // Pages add to what the feed held, so its newest date can only grow; a snapshot's is its own.
    let asOf = feed.kind === 'pages' ? await storedAsOf(trx, feed.name) : undefined;
    for (const file of files) {
      const content = await readFile(feed, file, limits);
      result.read += content.records;
      result.written += await content.write(trx);
      if (content.asOf !== undefined && (asOf === undefined || content.asOf > asOf))
        asOf = content.asOf;
    }
    result.records = await countRecords(trx, feed.name);
    if (asOf !== undefined) result.asOf = asOf;
    await recordSync(trx, result, options.now ?? new Date());
    return result;
  });
}

async function readFile(
  feed: EnrichmentFeed,
  file: SourceFile,
  limits: EnrichmentLimits,
): Promise<FeedFile> {
  try {
    return await feed.read(fileChunks(file.path, limits.maxFileBytes), limits);
  } catch (error) {
    if (!(error instanceof EnrichmentFormatError)) throw error;
    throw new DrydockError(
      'invalid-argument',
      `${file.label} is not a usable ${feed.title}: ${error.message}; nothing was imported, the ${feed.name} data is as it was`,
      { cause: error },
    );
  }
}

async function storedAsOf(trx: VulnDbWriter, feed: string): Promise<string | undefined> {
  const row = await trx
    .selectFrom('feeds')
    .select('newest_modified')
    .where('name', '=', feed)
    .executeTakeFirst();
  return row?.newest_modified ?? undefined;
}

async function countRecords(trx: VulnDbWriter, feed: EnrichmentFeedName): Promise<number> {
  const row = await trx
    .selectFrom(ENRICHMENT_TABLES[feed])
    .select(({ fn }) => fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return row.n;
}

/** The feed's row in `feeds`, which `db status` reports. */
async function recordSync(
  trx: VulnDbWriter,
  result: EnrichmentImportResult,
  now: Date,
): Promise<void> {
  const sync = {
    source: result.source,
    record_count: result.records,
    newest_modified: result.asOf ?? null,
    last_sync: now.toISOString(),
  };
  await trx
    .insertInto('feeds')
    .values({ name: result.feed, ...sync })
    .onConflict((conflict) => conflict.column('name').doUpdateSet(sync))
    .execute();
}

function limitsOf(options: EnrichmentImportOptions): EnrichmentLimits {
  return { ...DEFAULT_ENRICHMENT_LIMITS, ...options.limits };
}
