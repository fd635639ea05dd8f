/**
 * The vulnerability database: a SQLite file (default `<cacheDir>/vulndb.sqlite`) reached through
 * Kysely, so the same queries later run on PostgreSQL. Records are stored whole as JSON, with an
 * index of (ecosystem, package name) → record for lookup. The schema is versioned: `migrations`
 * holds one step per version, applied in order in one transaction when the file is opened.
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, sql, SqliteDialect, type Generated, type Transaction } from 'kysely';
import { DrydockError, type Vulnerability } from '../model/index.js';
import { indexKeys } from './osv.js';

export interface VulnDbSchema {
  schema_version: { version: number };
  feeds: {
    id: Generated<number>;
    /** The feed's name: its OSV ecosystem (`Debian`, `npm`) unless the user named it. */
    name: string;
    /** The URL, file or directory it was last imported from. */
    source: string;
    record_count: number;
    newest_modified: string | null;
    last_sync: string;
  };
  vulnerabilities: {
    key: Generated<number>;
    feed_id: number;
    id: string;
    modified: string;
    withdrawn: string | null;
    /** The Vulnerability as JSON. */
    record: string;
  };
  affected: { vuln_key: number; ecosystem: string; name: string };
  /** CISA KEV: the CVEs exploited in the wild (src/vuln/enrich/kev.ts). */
  known_exploited: {
    cve_id: string;
    date_added: string;
    due_date: string | null;
    /** 1 `Known`, 0 `Unknown` (not confirmed), null when the catalogue does not say. */
    known_ransomware_use: number | null;
  };
  /** FIRST EPSS: each CVE's probability of exploitation in the next 30 days, and its percentile. */
  exploit_predictions: { cve_id: string; score: number; percentile: number; date: string };
  /** NVD's CVSS scores per CVE, as of its record's `lastModified` (src/vuln/enrich/nvd.ts). */
  nvd_cvss: {
    cve_id: string;
    last_modified: string;
    /** CvssScore[] without `source` (always NVD), as JSON. */
    scores: string;
  };
}

/** The table holding each enrichment feed's records (keyed by CVE id), by the feed's name. */
export const ENRICHMENT_TABLES = {
  kev: 'known_exploited',
  epss: 'exploit_predictions',
  nvd: 'nvd_cvss',
} as const satisfies Record<string, keyof VulnDbSchema>;

export type VulnDb = Kysely<VulnDbSchema>;
export type VulnDbWriter = Transaction<VulnDbSchema>;

export const defaultDbFile = (cacheDir: string): string => join(cacheDir, 'vulndb.sqlite');

/** Schema steps; migration i brings the schema from version i to i + 1. Never edit one: append. */
const migrations: ((db: VulnDbWriter) => Promise<void>)[] = [
  async (db) => {
    await db.schema
      .createTable('feeds')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('record_count', 'integer', (c) => c.notNull())
      .addColumn('newest_modified', 'text')
      .addColumn('last_sync', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('vulnerabilities')
      .addColumn('key', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('feed_id', 'integer', (c) => c.notNull().references('feeds.id'))
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('modified', 'text', (c) => c.notNull())
      .addColumn('withdrawn', 'text')
      .addColumn('record', 'text', (c) => c.notNull())
      .addUniqueConstraint('vulnerabilities_feed_id', ['feed_id', 'id'])
      .execute();
    await db.schema
      .createTable('affected')
      .addColumn('vuln_key', 'integer', (c) => c.notNull().references('vulnerabilities.key'))
      .addColumn('ecosystem', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('affected_lookup')
      .on('affected')
      .columns(['ecosystem', 'name'])
      .execute();
    await db.schema.createIndex('affected_vuln').on('affected').column('vuln_key').execute();
  },
  // Version 2 indexes by match ecosystem (`Ubuntu:22.04:LTS` → `Ubuntu:22.04`): re-derived.
  async (db) => {
    const records = await db.selectFrom('vulnerabilities').select(['key', 'record']).execute();
    await db.deleteFrom('affected').execute();
    for (const { key, record } of records) {
      const rows = indexKeys(JSON.parse(record) as Vulnerability).map((k) => ({
        vuln_key: key,
        ...k,
      }));
      if (rows.length > 0) await db.insertInto('affected').values(rows).execute();
    }
  },
  // Version 3 adds the enrichment feeds (CISA KEV, FIRST EPSS, NVD CVSS), keyed by CVE id.
  async (db) => {
    await db.schema
      .createTable('known_exploited')
      .addColumn('cve_id', 'text', (c) => c.primaryKey())
      .addColumn('date_added', 'text', (c) => c.notNull())
      .addColumn('due_date', 'text')
      .addColumn('known_ransomware_use', 'integer')
      .execute();
    await db.schema
      .createTable('exploit_predictions')
      .addColumn('cve_id', 'text', (c) => c.primaryKey())
      .addColumn('score', 'real', (c) => c.notNull())
      .addColumn('percentile', 'real', (c) => c.notNull())
      .addColumn('date', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('nvd_cvss')
      .addColumn('cve_id', 'text', (c) => c.primaryKey())
      .addColumn('last_modified', 'text', (c) => c.notNull())
      .addColumn('scores', 'text', (c) => c.notNull())
      .execute();
  },
];

export const SCHEMA_VERSION = migrations.length;

/** Opens (creating it and its directory if need be) and migrates the database at `file`. */
export async function openVulnDb(file: string): Promise<VulnDb> {
  await mkdir(dirname(file), { recursive: true });
  let database: Database.Database;
  try {
    database = new Database(file);
    // New files only (an existing file keeps its page size): records are a few KB of JSON, and
    // 4 KiB pages (the default) hold one each with a third left empty; 16 KiB pages make the file
    // 15% smaller and a feed import spend half the system time writing it.
    database.pragma('page_size = 16384');
    // 16 MiB of page cache, not 2: an import inserts lookup rows all over the (ecosystem, name)
    // index, which then stays in memory instead of being written and read back page by page
    // (300,000 records: 1.2 s less CPU).
    database.pragma('cache_size = -16384');
    // A database from a bundle is untrusted: no triggers or views may call functions.
    database.pragma('trusted_schema = OFF');
    database.pragma('foreign_keys = ON');
  } catch (error) {
    throw dbError(file, error);
  }
  const db = new Kysely<VulnDbSchema>({ dialect: new SqliteDialect({ database }) });
  try {
    await migrate(db, file);
  } catch (error) {
    await db.destroy();
    throw error instanceof DrydockError ? error : dbError(file, error);
  }
  return db;
}

/**
 * Runs `read` on the database at `file` and closes it; `absent` when there is no file. Readers
 * (matching, status, lookups) never create a database: a missing one means no data.
 */
export async function withVulnDb<T>(
  file: string,
  read: (db: VulnDb) => Promise<T>,
  absent: () => T | Promise<T>,
): Promise<T> {
  const exists = await stat(file).then(
    (info) => info.isFile(),
    () => false,
  );
  if (!exists) return absent();
  const db = await openVulnDb(file);
  try {
    return await read(db);
  } finally {
    await db.destroy();
  }
}

async function migrate(db: VulnDb, file: string): Promise<void> {
  // Up to date, the common case: nothing is written, so parallel scans opening the same file
  // never contend for its write lock (a read-then-write transaction can fail at once as "locked").
  if ((await schemaVersion(db)) === SCHEMA_VERSION) return;
  await db.transaction().execute(async (trx) => {
    await trx.schema
      .createTable('schema_version')
      .ifNotExists()
      .addColumn('version', 'integer', (c) => c.notNull())
      .execute();
    const row = await trx.selectFrom('schema_version').select('version').executeTakeFirst();
    const current = row?.version ?? 0;
    if (current > SCHEMA_VERSION)
      throw new DrydockError(
        'unsupported',
        `vulnerability database ${file} has schema version ${current}, newer than this drydock reads (${SCHEMA_VERSION}); upgrade drydock or use another --db-file`,
      );
    for (const step of migrations.slice(current)) await step(trx);
    if (row === undefined)
      await trx.insertInto('schema_version').values({ version: SCHEMA_VERSION }).execute();
    else await trx.updateTable('schema_version').set({ version: SCHEMA_VERSION }).execute();
  });
}

async function schemaVersion(db: VulnDb): Promise<number | undefined> {
  try {
    const row = await db.selectFrom('schema_version').select('version').executeTakeFirst();
    return row?.version;
  } catch {
    return undefined; // a new file: no schema_version table yet
  }
}

function dbError(file: string, error: unknown): DrydockError {
  const reason = error instanceof Error ? error.message : String(error);
  return new DrydockError(
    'invalid-argument',
    `cannot open the vulnerability database ${file} (${reason}); delete it and run \`drydock db update\` or \`drydock db import\``,
    { cause: error },
  );
}

export interface FeedStatus {
  feed: string;
  source: string;
  records: number;
  withdrawn: number;
  newestModified?: string;
  lastSync: string;
  /** Records per affected ecosystem (`Debian:11`, `Debian:12`): a record may count in several. */
  ecosystems: Record<string, number>;
}

/** One entry per feed, by name. */
export async function feedStatus(db: VulnDb): Promise<FeedStatus[]> {
  const feeds = await db
    .selectFrom('feeds')
    .leftJoin('vulnerabilities', 'vulnerabilities.feed_id', 'feeds.id')
    .select(({ fn }) => [
      'feeds.id',
      'feeds.name',
      'feeds.source',
      'feeds.newest_modified',
      'feeds.last_sync',
      fn.count<number>('vulnerabilities.key').as('records'),
      fn.count<number>('vulnerabilities.withdrawn').as('withdrawn'),
    ])
    .groupBy('feeds.id')
    .orderBy('feeds.name')
    .execute();
  const groups = await db
    .selectFrom('affected')
    .innerJoin('vulnerabilities', 'vulnerabilities.key', 'affected.vuln_key')
    .select(({ fn }) => [
      'vulnerabilities.feed_id',
      'affected.ecosystem',
      fn.count<number>(sql`distinct affected.vuln_key`).as('records'),
    ])
    .groupBy(['vulnerabilities.feed_id', 'affected.ecosystem'])
    .orderBy('affected.ecosystem')
    .execute();
  const enrichment = await enrichmentRecordCounts(db);
  return feeds.map((feed) => ({
    feed: feed.name,
    source: feed.source,
    records: enrichment.get(feed.name) ?? feed.records,
    withdrawn: feed.withdrawn,
    ...(feed.newest_modified === null ? {} : { newestModified: feed.newest_modified }),
    lastSync: feed.last_sync,
    ecosystems: Object.fromEntries(
      groups.filter((g) => g.feed_id === feed.id).map((g) => [g.ecosystem, g.records]),
    ),
  }));
}

/** Records per enrichment feed: they live in tables of their own, not in `vulnerabilities`. */
async function enrichmentRecordCounts(db: VulnDb): Promise<Map<string, number>> {
  const counts = await Promise.all(
    Object.entries(ENRICHMENT_TABLES).map(async ([feed, table]) => {
      const row = await db
        .selectFrom(table)
        .select(({ fn }) => fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return [feed, row.n] as const;
    }),
  );
  return new Map(counts);
}
