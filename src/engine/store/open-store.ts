/**
 * Opens the engine's database: a SQLite file in the data directory by default, PostgreSQL when
 * given a `postgres://` URL. Migrations run on open, in one transaction; on PostgreSQL an
 * advisory lock makes a server and its workers starting together migrate once.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect, sql, type Dialect } from 'kysely';
import { DrydockError } from '../../model/index.js';
import { ENGINE_SCHEMA_VERSION, MIGRATIONS, type EngineDb, type EngineSchema } from './schema.js';

export interface StoreLocation {
  /** `postgres://…` or `postgresql://…`; without it the SQLite file in `dataDir`. */
  url?: string;
  dataDir: string;
}

/** A lock id of our own, so another application's advisory locks never collide with it. */
const MIGRATION_LOCK = 0x64727964;

export async function openEngineStore(location: StoreLocation): Promise<EngineDb> {
  const postgres = location.url !== undefined && /^postgres(ql)?:\/\//.test(location.url);
  if (location.url !== undefined && !postgres)
    throw new DrydockError(
      'config-error',
      `--db ${location.url} is not a postgres:// URL; leave it out to use SQLite in the data directory`,
    );
  const db = new Kysely<EngineSchema>({
    dialect: postgres ? await postgresDialect(location.url ?? '') : await sqliteDialect(location),
  });
  try {
    await migrate(db, postgres);
  } catch (error) {
    await db.destroy();
    const reason = error instanceof Error ? error.message : String(error);
    throw error instanceof DrydockError
      ? error
      : new DrydockError(
          'config-error',
          `cannot open the engine database ${describe(location)}: ${reason}`,
          { cause: error },
        );
  }
  return db;
}

async function sqliteDialect(location: StoreLocation): Promise<Dialect> {
  await mkdir(location.dataDir, { recursive: true });
  const { default: Database } = await import('better-sqlite3');
  const database = new Database(join(location.dataDir, 'engine.sqlite'));
  // Several processes (serve, worker) share the file: readers never wait for the writer, and a
  // writer waits for another rather than failing at once.
  database.pragma('journal_mode = WAL');
  database.pragma('busy_timeout = 10000');
  database.pragma('foreign_keys = ON');
  return new SqliteDialect({ database });
}

async function postgresDialect(url: string): Promise<Dialect> {
  const { default: pg } = await import('pg');
  // 20, not pg's 10: under 50 concurrent API clients, 10 connections queued requests (p99 +30 ms).
  return new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 20 }) });
}

async function migrate(db: EngineDb, postgres: boolean): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (postgres) await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(trx);
    await trx.schema
      .createTable('engine_schema_version')
      .ifNotExists()
      .addColumn('version', 'integer', (c) => c.notNull())
      .execute();
    const row = await trx.selectFrom('engine_schema_version').select('version').executeTakeFirst();
    const current = row?.version ?? 0;
    if (current > ENGINE_SCHEMA_VERSION)
      throw new DrydockError(
        'unsupported',
        `the engine database has schema version ${current}, newer than this drydock reads (${ENGINE_SCHEMA_VERSION}); upgrade drydock`,
      );
    for (const step of MIGRATIONS.slice(current)) await step(trx);
    if (row === undefined)
      await trx
        .insertInto('engine_schema_version')
        .values({ version: ENGINE_SCHEMA_VERSION })
        .execute();
    else
      await trx
        .updateTable('engine_schema_version')
        .set({ version: ENGINE_SCHEMA_VERSION })
        .execute();
  });
}

/** The database named without its password. */
function describe(location: StoreLocation): string {
  if (location.url === undefined) return join(location.dataDir, 'engine.sqlite');
  try {
    const url = new URL(location.url);
    url.password = '';
    return url.toString();
  } catch {
    return 'at the given URL';
  }
}
