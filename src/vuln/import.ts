/**
 * Imports OSV records into the vulnerability database from an `all.zip` dump, a directory of
 * JSON records (or one record file), or a URL (downloaded to a temp file in the cache dir first).
 *
 * One source is one transaction: a corrupt archive, a failed download or any error leaves the
 * database as it was. A record that is not valid OSV is skipped, counted and named, not fatal.
 * Re-importing replaces a record only when its `modified` is newer; records absent from the new
 * source are kept (OSV retracts by `withdrawn`, which is kept and marked, not by deletion).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isLoopbackRegistry } from '../config/config.js';
import { HttpClient } from '../source/registry/http.js';
import { DrydockError, limitExceeded, type Vulnerability } from '../model/index.js';
import type { VulnDb, VulnDbWriter } from './db.js';
import { ecosystemBase, OsvRecordError, parseOsvRecord, type OsvLimits } from './osv.js';
import { ZipError } from '../util/zip.js';
import { readZipFile, type ZipMember } from './zip-file.js';

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

/** Records written per batch: few statements, far below SQLite's bound-parameter limit. */
const BATCH = 500;
const AFFECTED_ROWS_PER_INSERT = 5_000;
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
  const members = (await isZip(source)) ? zipMembers(source, options) : singleFile(source, options);
  return importMembers(db, source, members, options);
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
    return await importMembers(db, url, zipMembers(temp, options, url), {
      ...options,
      ...(feed === undefined ? {} : { feed }),
    });
  } finally {
    await rm(temp, { force: true });
  }
}

async function download(url: string, file: string, options: ImportOptions): Promise<void> {
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
  return { ...DEFAULT_IMPORT_LIMITS, ...options.limits } as ImportLimits;
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

async function* zipMembers(
  file: string,
  options: ImportOptions,
  label = file,
): AsyncGenerator<ZipMember> {
  const limits = limitsOf(options);
  try {
    yield* readZipFile(
      file,
      { maxEntries: limits.maxRecords, maxEntryBytes: limits.maxRecordBytes },
      (name) => name.endsWith('.json'),
    );
  } catch (error) {
    if (!(error instanceof ZipError)) throw error;
    throw new DrydockError(
      'invalid-argument',
      `${label} is not a readable OSV zip: ${error.message}; nothing was imported — download it again`,
      { cause: error },
    );
  }
}

async function* directoryMembers(dir: string, options: ImportOptions): AsyncGenerator<ZipMember> {
  const limits = limitsOf(options);
  const names = (await readdir(dir, { recursive: true }))
    .filter((name) => name.endsWith('.json'))
    .sort();
  if (names.length > limits.maxRecords)
    throw limitExceeded(`${dir} (${names.length} JSON files)`, `${limits.maxRecords} records`);
  for (const name of names)
    yield* singleFile(join(dir, name), options, relative(dir, join(dir, name)));
}

async function* singleFile(
  file: string,
  options: ImportOptions,
  name = file,
): AsyncGenerator<ZipMember> {
  const maxBytes = limitsOf(options).maxRecordBytes;
  const info = await stat(file);
  if (!info.isFile()) return;
  if (info.size > maxBytes)
    yield { name, oversized: `${info.size} bytes, over the limit of ${maxBytes}` };
  else yield { name, content: await readFile(file) };
}

/** Parsed records waiting for the next batch write. */
interface Pending {
  name: string;
  record: Vulnerability;
}

async function importMembers(
  db: VulnDb,
  source: string,
  members: AsyncIterable<ZipMember>,
  options: ImportOptions,
): Promise<ImportResult> {
  const limits = limitsOf(options);
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
  await db.transaction().execute(async (trx) => {
    const writer = new FeedWriter(trx, result);
    let pending: Pending[] = [];
    for await (const member of members) {
      result.read += 1;
      const record = parseMember(member, limits, result);
      if (record !== undefined) pending.push({ name: member.name, record });
      if (pending.length >= BATCH) {
        await writer.write(pending);
        pending = [];
      }
    }
    await writer.write(pending);
    await writer.finish(source, options.now ?? new Date());
  });
  return result;
}

function parseMember(
  member: ZipMember,
  limits: ImportLimits,
  result: ImportResult,
): Vulnerability | undefined {
  try {
    if ('oversized' in member) throw new OsvRecordError(member.oversized);
    return parseOsvRecord(member.content, limits);
  } catch (error) {
    if (!(error instanceof OsvRecordError)) throw error;
    result.skipped += 1;
    if (result.skippedExamples.length < SKIPPED_EXAMPLES)
      result.skippedExamples.push(`${member.name}: ${error.message}`);
    return undefined;
  }
}

/** Writes one feed's records inside the import's transaction. */
class FeedWriter {
  private feedId: number | undefined;
  /** What the feed holds: record id → its row key and `modified`. */
  private stored = new Map<string, { key: number; modified: string }>();

  constructor(
    private readonly trx: VulnDbWriter,
    private readonly result: ImportResult,
  ) {}

  async write(batch: readonly Pending[]): Promise<void> {
    const first = batch[0];
    if (first === undefined) return;
    this.feedId ??= await this.openFeed(first.record);
    const fresh = batch.filter(({ record }) => {
      const known = this.stored.get(record.id);
      if (known !== undefined && known.modified >= record.modified) this.result.unchanged += 1;
      return known === undefined || known.modified < record.modified;
    });
    const feedId = this.feedId;
    const byId = new Map(fresh.map(({ record }) => [record.id, record]));
    const replaced = [...byId.keys()].flatMap((id) => this.stored.get(id)?.key ?? []);
    await this.deleteRecords(replaced);
    this.result.updated += replaced.length;
    this.result.added += byId.size - replaced.length;
    if (byId.size === 0) return;
    const rows = await this.trx
      .insertInto('vulnerabilities')
      .values(
        [...byId.values()].map((record) => ({
          feed_id: feedId,
          id: record.id,
          modified: record.modified,
          withdrawn: record.withdrawn ?? null,
          record: JSON.stringify(record),
        })),
      )
      .returning(['key', 'id', 'modified'])
      .execute();
    const affected = rows.flatMap((row) => {
      this.stored.set(row.id, { key: row.key, modified: row.modified });
      return affectedRows(row.key, byId.get(row.id));
    });
    for (let i = 0; i < affected.length; i += AFFECTED_ROWS_PER_INSERT)
      await this.trx
        .insertInto('affected')
        .values(affected.slice(i, i + AFFECTED_ROWS_PER_INSERT))
        .execute();
  }

  private async openFeed(first: Vulnerability): Promise<number> {
    const firstEcosystem = first.affected[0]?.ecosystem;
    this.result.feed ||=
      firstEcosystem === undefined
        ? (first.id.split('-')[0] ?? 'unknown')
        : ecosystemBase(firstEcosystem);
    const existing = await this.trx
      .selectFrom('feeds')
      .select('id')
      .where('name', '=', this.result.feed)
      .executeTakeFirst();
    const feedId =
      existing?.id ??
      (
        await this.trx
          .insertInto('feeds')
          .values({
            name: this.result.feed,
            source: this.result.source,
            record_count: 0,
            newest_modified: null,
            last_sync: new Date(0).toISOString(),
          })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    const rows = await this.trx
      .selectFrom('vulnerabilities')
      .select(['key', 'id', 'modified'])
      .where('feed_id', '=', feedId)
      .execute();
    for (const row of rows) this.stored.set(row.id, { key: row.key, modified: row.modified });
    return feedId;
  }

  private async deleteRecords(keys: readonly number[]): Promise<void> {
    if (keys.length === 0) return;
    await this.trx.deleteFrom('affected').where('vuln_key', 'in', keys).execute();
    await this.trx.deleteFrom('vulnerabilities').where('key', 'in', keys).execute();
  }

  /** Records the sync; a source with no valid record changes nothing and is an error. */
  async finish(source: string, now: Date): Promise<void> {
    if (this.feedId === undefined)
      throw new DrydockError(
        'invalid-argument',
        `${source} holds no valid OSV record (${this.result.read} read, ${this.result.skipped} skipped${this.result.skippedExamples.length > 0 ? `: ${this.result.skippedExamples.join('; ')}` : ''}); nothing was imported`,
      );
    const newest = [...this.stored.values()].reduce<string | null>(
      (max, { modified }) => (max === null || modified > max ? modified : max),
      null,
    );
    await this.trx
      .updateTable('feeds')
      .set({
        source,
        record_count: this.stored.size,
        newest_modified: newest,
        last_sync: now.toISOString(),
      })
      .where('id', '=', this.feedId)
      .execute();
  }
}

/** One lookup row per distinct (ecosystem, name) the record affects. */
function affectedRows(
  key: number,
  record: Vulnerability | undefined,
): { vuln_key: number; ecosystem: string; name: string }[] {
  const seen = new Set<string>();
  return (record?.affected ?? []).flatMap(({ ecosystem, lookupName }) => {
    const pair = `${ecosystem}\u0000${lookupName}`;
    if (seen.has(pair)) return [];
    seen.add(pair);
    return [{ vuln_key: key, ecosystem, name: lookupName }];
  });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
