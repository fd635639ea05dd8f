/**
 * Imports OSV records into the vulnerability database from an `all.zip` dump, a directory of
 * JSON records (or one record file), or a URL (downloaded to a temp file in the cache dir first).
 *
 * One source is one transaction: a corrupt archive, a failed download or any error leaves the
 * database as it was. A record that is not valid OSV is skipped, counted and named, not fatal.
 * Re-importing replaces a record only when its `modified` is newer; records absent from the new
 * source are kept (OSV retracts by `withdrawn`, which is kept and marked, not by deletion).
 *
 * Members are read in batches and parsed on worker threads (parse-pool.ts) while the main thread
 * writes the batches before them, in the source's order.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isLoopbackRegistry } from '../config/config.js';
import { HttpClient } from '../source/registry/http.js';
import { CompiledQuery } from 'kysely';
import { DrydockError, limitExceeded } from '../model/index.js';
import type { VulnDb, VulnDbWriter } from './db.js';
import { DEFAULT_OSV_LIMITS, ecosystemBase, type OsvLimits } from './osv.js';
import { ParsePool, type ParsedBatch, type SourceMember, type StoredRecord } from './parse-pool.js';
import { ZipError } from '../util/zip.js';
import { BATCH_INFLATED_BYTES, readZipFile } from './zip-file.js';

export interface ImportOptions {
  /** The feed name; default: the ecosystem in an OSV URL, else that of the first record. */
  feed?: string;
  /** Where downloads are kept while they are imported. */
  cacheDir: string;
  limits?: Partial<ImportLimits>;
  /** Milliseconds a download may stay silent. */
  timeoutMs?: number;
  /** The time recorded as the feed's last sync (tests pin it). */
  now?: Date;
}

export interface ImportLimits extends OsvLimits {
  /** Most records (zip entries or files) in one source. */
  maxRecords: number;
  maxDownloadBytes: number;
}

export const DEFAULT_IMPORT_LIMITS: Omit<ImportLimits, keyof OsvLimits> = {
  maxRecords: 2_000_000,
  maxDownloadBytes: 4 * 1024 ** 3,
};

export interface ImportResult {
  feed: string;
  source: string;
  /** Records read from the source, bad ones included. */
  read: number;
  added: number;
  updated: number;
  /** Already stored with the same or a newer `modified`. */
  unchanged: number;
  skipped: number;
  /** The first few skipped records: file name and why. */
  skippedExamples: string[];
}

const SKIPPED_EXAMPLES = 5;
/** Attempts after the first for a feed download that meets 429/5xx or a dropped connection. */
const DOWNLOAD_RETRIES = 3;
const DEFAULT_TIMEOUT_MS = 60_000;

export async function importOsv(
  db: VulnDb,
  source: string,
  options: ImportOptions,
): Promise<ImportResult> {
  if (/^https?:\/\//i.test(source)) return importUrl(db, source, options);
  const info = await stat(source).catch((error: unknown) => {
    throw new DrydockError(
      'not-found',
      `${source}: no such file or directory (${errorText(error)})`,
    );
  });
  if (info.isDirectory())
    return importMembers(db, source, directoryMembers(source, options), options);
  const batches = (await isZip(source)) ? zipMembers(source, options) : singleFile(source, options);
  return importMembers(db, source, batches, options);
}

/** `…/<Ecosystem>/all.zip` → the ecosystem, as osv.dev lays out its dumps. */
export function feedFromUrl(url: string): string | undefined {
  const match = /\/([^/]+)\/all\.zip$/.exec(new URL(url).pathname);
  return match?.[1] === undefined ? undefined : decodeURIComponent(match[1]);
}

async function importUrl(db: VulnDb, url: string, options: ImportOptions): Promise<ImportResult> {
  await mkdir(options.cacheDir, { recursive: true });
  const temp = join(options.cacheDir, `vulndb-download-${randomBytes(6).toString('hex')}.zip`);
  try {
    await download(url, temp, options);
    const feed = options.feed ?? feedFromUrl(url);
    return await importMembers(db, url, zipMembers(temp, options), {
      ...options,
      ...(feed === undefined ? {} : { feed }),
    });
  } finally {
    await rm(temp, { force: true });
  }
}

export async function download(url: string, file: string, options: ImportOptions): Promise<void> {
  const parsed = new URL(url);
  if (parsed.protocol === 'http:' && !isLoopbackRegistry(parsed.host))
    throw new DrydockError(
      'invalid-argument',
      `${url}: vulnerability data is only fetched over https (plain http only from this machine)`,
    );
  const maxBytes = limitsOf(options).maxDownloadBytes;
  // The registry's client: the OS CA bundle (a private CA works as it does for registries),
  // retries with backoff on 429/5xx and dropped connections, timeouts, messages naming the peer.
  const client = new HttpClient({
    registryHost: parsed.host,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxRetries: DOWNLOAD_RETRIES,
    userAgent: 'drydock',
  });
  try {
    const response = await client.send({ method: 'GET', url: parsed, peer: 'vulnerability feed' });
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new DrydockError(
        response.statusCode === 404 ? 'not-found' : 'registry-error',
        `${url}: the server answered ${response.statusCode}; check the --source URL`,
      );
    }
    const declared = Number(response.headers['content-length'] ?? Number.NaN);
    if (declared > maxBytes)
      throw limitExceeded(`the download ${url} (${declared} bytes)`, `${maxBytes} bytes`);
    let received = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        received += chunk.length;
        done(
          received > maxBytes ? limitExceeded(`the download ${url}`, `${maxBytes} bytes`) : null,
          chunk,
        );
      },
    });
    await pipeline(response.body, counter, createWriteStream(file));
    if (Number.isFinite(declared) && received !== declared)
      throw new DrydockError(
        'registry-unreachable',
        `${url}: the download stopped after ${received} of ${declared} bytes; nothing was imported, run the update again`,
      );
  } catch (error) {
    if (error instanceof DrydockError) throw error;
    throw new DrydockError(
      'registry-unreachable',
      `${url}: the download failed (${errorText(error)}); nothing was imported, check the network and run the update again`,
      { cause: error },
    );
  } finally {
    await client.close();
  }
}

function limitsOf(options: ImportOptions): ImportLimits {
  return { ...DEFAULT_OSV_LIMITS, ...DEFAULT_IMPORT_LIMITS, ...options.limits };
}

async function isZip(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4), 0, 4, 0);
    return bytesRead === 4 && buffer.readUInt32LE(0) === 0x04034b50;
  } finally {
    await handle.close();
  }
}

function zipMembers(file: string, options: ImportOptions): AsyncGenerator<SourceMember[]> {
  const limits = limitsOf(options);
  return readZipFile(
    file,
    { maxEntries: limits.maxRecords, maxEntryBytes: limits.maxRecordBytes },
    (name) => name.endsWith('.json'),
  );
}

/** A zip that cannot be read, whether the reader or a parser thread (inflating) found it. */
function zipError(label: string, error: unknown): unknown {
  if (!(error instanceof ZipError)) return error;
  return new DrydockError(
    'invalid-argument',
    `${label} is not a readable OSV zip: ${error.message}; nothing was imported — download it again`,
    { cause: error },
  );
}

async function* directoryMembers(
  dir: string,
  options: ImportOptions,
): AsyncGenerator<SourceMember[]> {
  const limits = limitsOf(options);
  const names = (await readdir(dir, { recursive: true }))
    .filter((name) => name.endsWith('.json'))
    .sort();
  if (names.length > limits.maxRecords)
    throw limitExceeded(`${dir} (${names.length} JSON files)`, `${limits.maxRecords} records`);
  let batch: SourceMember[] = [];
  let bytes = 0;
  for (const name of names) {
    const member = await fileMember(join(dir, name), options, relative(dir, join(dir, name)));
    if (member === undefined) continue;
    batch.push(member);
    bytes += 'content' in member ? member.content.length : 0;
    if (bytes >= BATCH_INFLATED_BYTES) {
      yield batch;
      batch = [];
      bytes = 0;
    }
  }
  if (batch.length > 0) yield batch;
}

async function* singleFile(file: string, options: ImportOptions): AsyncGenerator<SourceMember[]> {
  const member = await fileMember(file, options, file);
  if (member !== undefined) yield [member];
}

/** A file as a member, or undefined when it is not a regular file. */
async function fileMember(
  file: string,
  options: ImportOptions,
  name: string,
): Promise<SourceMember | undefined> {
  const maxBytes = limitsOf(options).maxRecordBytes;
  const info = await stat(file);
  if (!info.isFile()) return undefined;
  if (info.size > maxBytes)
    return { name, oversized: `${info.size} bytes, over the limit of ${maxBytes}` };
  return { name, content: await readFile(file) };
}

async function importMembers(
  db: VulnDb,
  source: string,
  batches: AsyncIterable<SourceMember[]>,
  options: ImportOptions,
): Promise<ImportResult> {
  const result: ImportResult = {
    feed: options.feed ?? '',
    source,
    read: 0,
    added: 0,
    updated: 0,
    unchanged: 0,
    skipped: 0,
    skippedExamples: [],
  };
  const pool = new ParsePool(limitsOf(options));
  try {
    await db.transaction().execute(async (trx) => {
      const writer = new FeedWriter(trx, result);
      await parseInOrder(batches, pool, (parsed) => writer.write(parsed));
      await writer.finish(source, options.now ?? new Date());
    });
  } catch (error) {
    throw zipError(source, error);
  } finally {
    await pool.close();
  }
  return result;
}

/**
 * Hands each batch to the pool as it is read, keeps one batch per parser thread parsing while
 * the writer writes, and writes them in the source's order.
 */
async function parseInOrder(
  batches: AsyncIterable<SourceMember[]>,
  pool: ParsePool,
  write: (parsed: ParsedBatch) => Promise<void>,
): Promise<void> {
  const ahead: Promise<ParsedBatch>[] = [];
  for await (const batch of batches) {
    const parsed = pool.parse(batch);
    // Awaited below in turn; a failure before then must not count as unhandled.
    parsed.catch(() => undefined);
    ahead.push(parsed);
    const first = ahead.length > pool.threads ? ahead.shift() : undefined;
    if (first !== undefined) await write(await first);
  }
  for (const parsed of ahead) await write(await parsed);
}

/** The feed being written: its row, and what it will hold once this import is done. */
interface FeedState {
  id: number;
  records: number;
  newestModified: string | null;
}

/** Writes one feed's records inside the import's transaction. */
class FeedWriter {
  private feed: FeedState | undefined;

  constructor(
    private readonly trx: VulnDbWriter,
    private readonly result: ImportResult,
  ) {}

  async write(parsed: ParsedBatch): Promise<void> {
    const records: StoredRecord[] = [];
    for (const member of parsed.members) {
      this.result.read += 1;
      if ('record' in member) records.push(member.record);
      else this.skip(member.name, member.skipped);
    }
    const first = records[0];
    if (first === undefined) return;
    const feed = (this.feed ??= await this.openFeed(first));
    const latest = this.latestById(records);
    const stored = await selectStored(this.trx, feed.id, [...latest.keys()]);
    const fresh: StoredRecord[] = [];
    const replaced: number[] = [];
    for (const record of latest.values()) {
      const known = stored.get(record.id);
      if (known !== undefined && known.modified >= record.modified) this.result.unchanged += 1;
      else {
        fresh.push(record);
        if (known === undefined) this.result.added += 1;
        else replaced.push(known.key);
      }
      if (feed.newestModified === null || record.modified > feed.newestModified)
        feed.newestModified = record.modified;
    }
    this.result.updated += replaced.length;
    feed.records += fresh.length - replaced.length;
    await deleteRecords(this.trx, replaced);
    await insertRecords(this.trx, feed.id, parsed.json, fresh);
  }

  private skip(name: string, why: string): void {
    this.result.skipped += 1;
    if (this.result.skippedExamples.length < SKIPPED_EXAMPLES)
      this.result.skippedExamples.push(`${name}: ${why}`);
  }

  /**
   * One record per id. Copies of one id within a batch count as they would in two batches: the
   * first is added (or not) against what is stored, a later newer one updates it, a later older
   * or equal one is unchanged.
   */
  private latestById(records: readonly StoredRecord[]): Map<string, StoredRecord> {
    const latest = new Map<string, StoredRecord>();
    for (const record of records) {
      const earlier = latest.get(record.id);
      if (earlier === undefined) latest.set(record.id, record);
      else if (earlier.modified < record.modified) {
        latest.set(record.id, record);
        this.result.updated += 1;
      } else this.result.unchanged += 1;
    }
    return latest;
  }

  /**
   * The feed's row, made if new. Its newest `modified` only grows (a record is replaced only by
   * a newer one), so it is carried on from the row rather than read from every record.
   */
  private async openFeed(first: StoredRecord): Promise<FeedState> {
    this.result.feed ||=
      first.firstEcosystem === undefined
        ? (first.id.split('-')[0] ?? 'unknown')
        : ecosystemBase(first.firstEcosystem);
    const existing = await this.trx
      .selectFrom('feeds')
      .select(['id', 'newest_modified'])
      .where('name', '=', this.result.feed)
      .executeTakeFirst();
    if (existing !== undefined) {
      const { records } = await this.trx
        .selectFrom('vulnerabilities')
        .select((eb) => eb.fn.countAll<number>().as('records'))
        .where('feed_id', '=', existing.id)
        .executeTakeFirstOrThrow();
      return { id: existing.id, records, newestModified: existing.newest_modified };
    }
    const { id } = await this.trx
      .insertInto('feeds')
      .values({
        name: this.result.feed,
        source: this.result.source,
        record_count: 0,
        newest_modified: null,
        last_sync: new Date(0).toISOString(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id, records: 0, newestModified: null };
  }

  /** Records the sync; a source with no valid record changes nothing and is an error. */
  async finish(source: string, now: Date): Promise<void> {
    if (this.feed === undefined)
      throw new DrydockError(
        'invalid-argument',
        `${source} holds no valid OSV record (${this.result.read} read, ${this.result.skipped} skipped${this.result.skippedExamples.length > 0 ? `: ${this.result.skippedExamples.join('; ')}` : ''}); nothing was imported`,
      );
    await this.trx
      .updateTable('feeds')
      .set({
        source,
        record_count: this.feed.records,
        newest_modified: this.feed.newestModified,
        last_sync: now.toISOString(),
      })
      .where('id', '=', this.feed.id)
      .execute();
  }
}

/*
 * The bulk reads and writes of an import, one statement each per batch, run through the
 * transaction's connection. A batch's rows go to SQLite as one JSON array (read with json_each)
 * and the records' JSON as the one buffer the parser thread filled (each cut out with substr):
 * the query builder's multi-row VALUES statements, with a parameter per value, cost more in
 * building, compiling, binding and garbage than SQLite's own work (profile of a 300,000-record
 * import), and the import's main thread is where it waits. This is SQLite's SQL: a PostgreSQL
 * store would load in bulk its own way (COPY).
 */

/** The feed's stored rows among `ids`: id → key and `modified`. */
async function selectStored(
  trx: VulnDbWriter,
  feedId: number,
  ids: readonly string[],
): Promise<Map<string, { key: number; modified: string }>> {
  const { rows } = await trx.executeQuery<{ key: number; id: string; modified: string }>(
    CompiledQuery.raw(
      `select "key", "id", "modified" from "vulnerabilities"
       where "feed_id" = ? and "id" in (select "value" from json_each(?))`,
      [feedId, JSON.stringify(ids)],
    ),
  );
  return new Map(rows.map((row) => [row.id, { key: row.key, modified: row.modified }]));
}

/** Deletes the records with these keys, and their lookup rows. */
async function deleteRecords(trx: VulnDbWriter, keys: readonly number[]): Promise<void> {
  if (keys.length === 0) return;
  const list = JSON.stringify(keys);
  await trx.executeQuery(
    CompiledQuery.raw(
      `delete from "affected" where "vuln_key" in (select "value" from json_each(?))`,
      [list],
    ),
  );
  await trx.executeQuery(
    CompiledQuery.raw(
      `delete from "vulnerabilities" where "key" in (select "value" from json_each(?))`,
      [list],
    ),
  );
}

/** Inserts the records (their JSON is in `json`) and their lookup rows. */
async function insertRecords(
  trx: VulnDbWriter,
  feedId: number,
  json: Uint8Array,
  records: readonly StoredRecord[],
): Promise<void> {
  if (records.length === 0) return;
  const rows = records.map((r) => [
    r.id,
    r.modified,
    r.withdrawn,
    r.jsonStart + 1,
    r.jsonEnd - r.jsonStart,
  ]);
  const { rows: inserted } = await trx.executeQuery<{ key: number; id: string }>(
    CompiledQuery.raw(
      // substr counts bytes in a blob, from 1; the cast makes the UTF-8 bytes the text they are.
      `insert into "vulnerabilities" ("feed_id", "id", "modified", "withdrawn", "record")
       select ?, "value" ->> 0, "value" ->> 1, "value" ->> 2,
              cast(substr(?, "value" ->> 3, "value" ->> 4) as text)
       from json_each(?)
       returning "key", "id"`,
      [feedId, Buffer.from(json.buffer, json.byteOffset, json.byteLength), JSON.stringify(rows)],
    ),
  );
  // RETURNING gives rows in no promised order: match them by id (unique within the batch).
  const keyOf = new Map(inserted.map((row) => [row.id, row.key]));
  const affected = records.flatMap((r) =>
    r.keys.map(({ ecosystem, name }) => [keyOf.get(r.id), ecosystem, name]),
  );
  await trx.executeQuery(
    CompiledQuery.raw(
      `insert into "affected" ("vuln_key", "ecosystem", "name")
       select "value" ->> 0, "value" ->> 1, "value" ->> 2 from json_each(?)`,
      [JSON.stringify(affected)],
    ),
  );
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
