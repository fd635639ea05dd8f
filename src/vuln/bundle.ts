/**
 * The offline bundle: the whole vulnerability database in one gzip file, for air-gapped sites and
 * CI caches. Export copies the database with `VACUUM INTO` (a consistent, compact snapshot) and
 * gzips it. Import unpacks it (bounded) into a temp file next to the database, opens it as a
 * vulnerability database (which checks and migrates its schema), and then replaces the current
 * contents with the bundle's in one transaction: a bad bundle leaves the database as it was.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { sql } from 'kysely';
import { DrydockError, limitExceeded } from '../model/index.js';
import { openVulnDb, type VulnDb } from './db.js';

/** Largest database a bundle may unpack to. */
export const MAX_BUNDLE_BYTES = 16 * 1024 ** 3;

const GZIP_MAGIC = [0x1f, 0x8b];
/** Every table a bundle carries, parents first (the order they are filled in). */
const TABLES = {
  feeds: 'id, name, source, record_count, newest_modified, last_sync',
  vulnerabilities: 'key, feed_id, id, modified, withdrawn, record',
  affected: 'vuln_key, ecosystem, name',
  known_exploited: 'cve_id, date_added, due_date, known_ransomware_use',
  exploit_predictions: 'cve_id, score, percentile, date',
  nvd_cvss: 'cve_id, last_modified, scores',
} as const;

export async function exportBundle(db: VulnDb, file: string): Promise<void> {
  const snapshot = tempPath(file, 'sqlite');
  const partial = tempPath(file, 'gz');
  try {
    await sql`VACUUM INTO ${snapshot}`.execute(db);
    await pipeline(createReadStream(snapshot), createGzip(), createWriteStream(partial));
    await rename(partial, file);
  } catch (error) {
    if (error instanceof DrydockError) throw error;
    throw new DrydockError(
      'invalid-argument',
      `cannot write the bundle ${file} (${errorText(error)})`,
      { cause: error },
    );
  } finally {
    await rm(snapshot, { force: true });
    await rm(partial, { force: true });
  }
}

/** A gzip file; anything else (a zip, a directory, a missing path) is for importOsv to judge. */
export async function isBundle(file: string): Promise<boolean> {
  const info = await stat(file).catch(() => undefined);
  if (info?.isFile() !== true) return false;
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && GZIP_MAGIC.every((byte, i) => buffer[i] === byte);
  } finally {
    await handle.close();
  }
}

export interface BundleResult {
  feeds: number;
  records: number;
}

/** Replaces the contents of `db` (at `dbFile`) with those of the bundle `file`. */
export async function importBundle(
  db: VulnDb,
  dbFile: string,
  file: string,
  maxBytes = MAX_BUNDLE_BYTES,
): Promise<BundleResult> {
  const unpacked = tempPath(dbFile, 'sqlite');
  try {
    await unpack(file, unpacked, maxBytes);
    await checkBundle(file, unpacked);
    await sql`ATTACH DATABASE ${unpacked} AS bundle`.execute(db);
    try {
      return await copyFromBundle(db);
    } finally {
      await sql`DETACH DATABASE bundle`.execute(db);
    }
  } finally {
    await rm(unpacked, { force: true });
    await rm(`${unpacked}-journal`, { force: true });
  }
}

async function unpack(file: string, target: string, maxBytes: number): Promise<void> {
  let size = 0;
  const bound = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      done(
        size > maxBytes ? limitExceeded(`the bundle ${file} unpacked`, `${maxBytes} bytes`) : null,
        chunk,
      );
    },
  });
  try {
    await pipeline(createReadStream(file), createGunzip(), bound, createWriteStream(target));
  } catch (error) {
    if (error instanceof DrydockError) throw error;
    throw new DrydockError(
      'invalid-argument',
      `${file} is not a readable drydock bundle (${errorText(error)}); nothing was imported — export it again`,
      { cause: error },
    );
  }
}

/** Opening it migrates its schema (or refuses a newer one); it must hold nothing but tables. */
async function checkBundle(file: string, unpacked: string): Promise<void> {
  let bundle: VulnDb;
  try {
    bundle = await openVulnDb(unpacked);
  } catch (error) {
    throw new DrydockError(
      'invalid-argument',
      `${file} is not a drydock vulnerability bundle (${errorText(error)}); nothing was imported`,
      { cause: error },
    );
  }
  try {
    const check = await sql<{ quick_check: string }>`PRAGMA quick_check`.execute(bundle);
    const extras = await sql<{
      name: string;
    }>`SELECT name FROM sqlite_master WHERE type IN ('trigger', 'view')`.execute(bundle);
    const problem =
      check.rows[0]?.quick_check !== 'ok'
        ? "it fails SQLite's integrity check"
        : extras.rows.length > 0
          ? 'it holds triggers or views'
          : undefined;
    if (problem !== undefined)
      throw new DrydockError(
        'invalid-argument',
        `${file} is not a usable drydock bundle: ${problem}; nothing was imported`,
      );
  } finally {
    await bundle.destroy();
  }
}

async function copyFromBundle(db: VulnDb): Promise<BundleResult> {
  return db.transaction().execute(async (trx) => {
    for (const table of Object.keys(TABLES).reverse())
      await sql`DELETE FROM main.${sql.table(table)}`.execute(trx);
    for (const [table, columns] of Object.entries(TABLES))
      await sql`INSERT INTO main.${sql.table(table)} (${sql.raw(columns)}) SELECT ${sql.raw(columns)} FROM bundle.${sql.table(table)}`.execute(
        trx,
      );
    const feeds = await trx
      .selectFrom('feeds')
      .select(({ fn }) => fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const records = await trx
      .selectFrom('vulnerabilities')
      .select(({ fn }) => fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return { feeds: feeds.n, records: records.n };
  });
}

function tempPath(near: string, extension: string): string {
  return join(dirname(near), `.drydock-${randomBytes(6).toString('hex')}.${extension}`);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
