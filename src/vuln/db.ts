/**
 * The vulnerability database: a SQLite file (default `<cacheDir>/vulndb.sqlite`) reached through
 * Kysely, so the same queries later run on PostgreSQL. Records are stored whole as JSON, with an
 * index of (ecosystem, package name) → record for lookup. The schema is versioned: `migrations`
 * holds one step per version, applied in order in one transaction when the file is opened.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, sql, SqliteDialect, type Generated, type Transaction } from 'kysely';
import { DrydockError, type Vulnerability } from '../model/index.js';

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
}

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
];

export const SCHEMA_VERSION = migrations.length;

/** Opens (creating it and its directory if need be) and migrates the database at `file`. */
export async function openVulnDb(file: string): Promise<VulnDb> {
  await mkdir(dirname(file), { recursive: true });
  let database: Database.Database;
  try {
    database = new Database(file);
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

async function migrate(db: VulnDb, file: string): Promise<void> {
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
  return feeds.map((feed) => ({
    feed: feed.name,
    source: feed.source,
    records: feed.records,
    withdrawn: feed.withdrawn,
    ...(feed.newest_modified === null ? {} : { newestModified: feed.newest_modified }),
    lastSync: feed.last_sync,
    ecosystems: Object.fromEntries(
      groups.filter((g) => g.feed_id === feed.id).map((g) => [g.ecosystem, g.records]),
    ),
  }));
}

/**
 * The records naming `lookupName` (normalised as osv.ts `lookupName` does) in `ecosystem`,
 * withdrawn ones included (marked): the matcher decides what to skip.
 */
export async function vulnerabilitiesFor(
  db: VulnDb,
  ecosystem: string,
  lookupName: string,
): Promise<Vulnerability[]> {
  const rows = await db
    .selectFrom('affected')
    .innerJoin('vulnerabilities', 'vulnerabilities.key', 'affected.vuln_key')
    .select('vulnerabilities.record')
    .distinct()
    .where('affected.ecosystem', '=', ecosystem)
    .where('affected.name', '=', lookupName)
    .execute();
  return rows.map((row) => JSON.parse(row.record) as Vulnerability);
}
