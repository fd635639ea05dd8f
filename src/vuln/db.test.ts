import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportBundle, importBundle, isBundle } from './bundle.js';
import { feedStatus, openVulnDb, SCHEMA_VERSION, type VulnDb } from './db.js';
import { importOsv } from './import.js';
import { recordsFor } from './lookup.js';

/** The records stored under (ecosystem, name), as the matcher reads them. */
const vulnerabilitiesFor = async (store: VulnDb, ecosystem: string, name: string) =>
  [...(await recordsFor(store, [{ ecosystem, name }])).values()].flat().map((s) => s.record);

const FIXTURES = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'osv');
let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'drydock-vulndb-'));
});
afterEach(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('openVulnDb', () => {
  it('creates the file with its directory and records the schema version', async () => {
    const file = join(work, 'deep', 'vulndb.sqlite');
    await (await openVulnDb(file)).destroy();
    await (await openVulnDb(file)).destroy(); // reopening migrates nothing twice
    const raw = new Database(file, { readonly: true });
    expect(raw.prepare('SELECT version FROM schema_version').all()).toEqual([
      { version: SCHEMA_VERSION },
    ]);
    raw.close();
  });

  it('refuses a database from a newer drydock and one that is not SQLite', async () => {
    const file = join(work, 'vulndb.sqlite');
    await (await openVulnDb(file)).destroy();
    const raw = new Database(file);
    raw.prepare('UPDATE schema_version SET version = 99').run();
    raw.close();
    await expect(openVulnDb(file)).rejects.toThrow(
      /schema version 99, newer than this drydock reads/,
    );
    writeFileSync(join(work, 'junk.sqlite'), 'not a database at all, just text'.repeat(40));
    await expect(openVulnDb(join(work, 'junk.sqlite'))).rejects.toThrow(
      /cannot open the vulnerability database .*junk\.sqlite/,
    );
  });
});

describe('bundles', () => {
  it('round-trips the database through export and import', async () => {
    const source = await openVulnDb(join(work, 'a.sqlite'));
    await importOsv(source, FIXTURES, { cacheDir: work, feed: 'fixtures' });
    const bundle = join(work, 'bundle.gz');
    await exportBundle(source, bundle);
    const before = await feedStatus(source);
    await source.destroy();
    expect(await isBundle(bundle)).toBe(true);

    const targetFile = join(work, 'b.sqlite');
    const target = await openVulnDb(targetFile);
    await importOsv(target, join(FIXTURES, 'DSA-5678-1.json'), { cacheDir: work, feed: 'stale' });
    expect(await importBundle(target, targetFile, bundle)).toEqual({ feeds: 1, records: 7 });
    expect(await feedStatus(target)).toEqual(before);
    expect((await vulnerabilitiesFor(target, 'npm', 'semver')).map((v) => v.id)).toEqual([
      'GHSA-c2qf-rxjj-qqgw',
    ]);
    await target.destroy();
  });

  it('leaves the database as it was when the bundle is cut short or is not a database', async () => {
    const file = join(work, 'db.sqlite');
    const db = await openVulnDb(file);
    await importOsv(db, FIXTURES, { cacheDir: work, feed: 'fixtures' });
    const bundle = join(work, 'bundle.gz');
    await exportBundle(db, bundle);
    const whole = readFileSync(bundle);
    writeFileSync(join(work, 'cut.gz'), whole.subarray(0, whole.length >> 1));
    await expect(importBundle(db, file, join(work, 'cut.gz'))).rejects.toThrow(
      /cut\.gz is not a readable drydock bundle/,
    );
    writeFileSync(join(work, 'text.gz'), gzipSync(Buffer.from('hello '.repeat(1000))));
    await expect(importBundle(db, file, join(work, 'text.gz'))).rejects.toThrow(
      /text\.gz is not a drydock vulnerability bundle/,
    );
    await expect(importBundle(db, file, bundle, 1024)).rejects.toThrow(
      /exceeds the limit of 1024 bytes/,
    );
    expect(await feedStatus(db)).toMatchObject([{ feed: 'fixtures', records: 7 }]);
    await db.destroy();
  });
});
