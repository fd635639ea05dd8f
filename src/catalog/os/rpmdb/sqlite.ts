/**
 * The sqlite rpmdb (`rpmdb.sqlite`, rpm 4.16+: RHEL/Fedora 9+): header blobs in table
 * Packages(hnum, blob). Opened from memory with better-sqlite3 (sqlite3_deserialize), read-only,
 * so nothing is written to disk.
 */
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';

/** Loaded when an image has an rpmdb: every other image should not pay for loading SQLite. */
const require = createRequire(import.meta.url);
let sqlite: typeof Database | undefined;
const openSqlite = (): typeof Database => (sqlite ??= require('better-sqlite3') as typeof Database);
import { RpmFormatError } from '../rpm-header.js';

/** Bytes 18 and 19 of a sqlite file: read and write format versions; 2 means WAL mode. */
const FORMAT_VERSION_OFFSETS = [18, 19] as const;
const SQLITE_MAGIC = 'SQLite format 3\0';

/**
 * The header blobs of the packages, in install order. rpm keeps its database in WAL mode, which
 * an in-memory database cannot open, so bytes 18–19 of `bytes` are rewritten to the rollback
 * journal format (the caller's buffer is changed). Pages still in an uncheckpointed
 * `rpmdb.sqlite-wal` are not seen here. Throws RpmFormatError.
 */
export function readSqlitePackages(bytes: Buffer): Buffer[] {
  if (bytes.length < 100 || bytes.toString('latin1', 0, 16) !== SQLITE_MAGIC)
    throw new RpmFormatError('not a sqlite database');
  for (const offset of FORMAT_VERSION_OFFSETS) if (bytes[offset] === 2) bytes[offset] = 1;
  let db: Database.Database | undefined;
  try {
    const Sqlite = openSqlite();
    db = new Sqlite(bytes, { readonly: true });
    const rows = db.prepare('SELECT blob FROM Packages ORDER BY hnum').raw().all() as unknown[][];
    return rows.map(([blob], i) => {
      if (!Buffer.isBuffer(blob)) throw new RpmFormatError(`Packages row ${i} holds no blob`);
      return blob;
    });
  } catch (error) {
    if (error instanceof RpmFormatError) throw error;
    throw new RpmFormatError(`sqlite: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    db?.close();
  }
}
