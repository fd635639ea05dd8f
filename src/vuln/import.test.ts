import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { feedStatus, openVulnDb, type VulnDb } from './db.js';
import { feedFromUrl, importOsv } from './import.js';
import { recordsFor } from './lookup.js';

/** The records stored under (ecosystem, name), as the matcher reads them. */
const vulnerabilitiesFor = async (store: VulnDb, ecosystem: string, name: string) =>
  [...(await recordsFor(store, [{ ecosystem, name }])).values()].flat().map((s) => s.record);

const FIXTURES = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'osv');
let work: string;
let db: VulnDb;

beforeEach(async () => {
  work = mkdtempSync(join(tmpdir(), 'drydock-vulndb-'));
  db = await openVulnDb(join(work, 'vulndb.sqlite'));
});
afterEach(async () => {
  await db.destroy();
  rmSync(work, { recursive: true, force: true });
});

/**
 * A zip made by Info-ZIP `zip` (the real tool) of `files` written into a fresh directory, in the
 * order given.
 */
function zipOf(name: string, files: Record<string, string | Buffer>, flags: string[] = []): string {
  const dir = mkdtempSync(join(work, 'records-'));
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), content);
  const archive = join(work, name);
  execFileSync('zip', ['-q', '-X', ...flags, archive, '-@'], {
    cwd: dir,
    input: Object.keys(files).join('\n'),
  });
  return archive;
}

const osv = (id: string, modified: string, name = 'openssl', extra: object = {}): string =>
  JSON.stringify({
    id,
    modified,
    affected: [
      {
        package: { ecosystem: 'Alpine:v3.19', name },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.1.4-r0' }] }],
      },
    ],
    ...extra,
  });

const options = () => ({ cacheDir: join(work, 'cache'), now: new Date('2025-01-02T03:04:05Z') });

describe('importOsv', () => {
  it('imports a directory of records and indexes them by (ecosystem, name)', async () => {
    const result = await importOsv(db, FIXTURES, { ...options(), feed: 'fixtures' });
    expect(result).toMatchObject({ read: 7, added: 7, skipped: 0 });
    expect((await vulnerabilitiesFor(db, 'Debian:12', 'glibc')).map((v) => v.id).sort()).toEqual([
      'DEBIAN-CVE-2023-4911',
      'DSA-5678-1',
    ]);
    expect((await vulnerabilitiesFor(db, 'PyPI', 'requests')).map((v) => v.id).sort()).toEqual([
      'GHSA-9wx4-h78v-vm56',
      'PYSEC-2023-74',
    ]);
    const [status] = await feedStatus(db);
    expect(status).toMatchObject({
      feed: 'fixtures',
      records: 7,
      withdrawn: 1,
      newestModified: '2024-09-18T03:21:33.507Z',
      lastSync: '2025-01-02T03:04:05.000Z',
    });
    expect(status?.ecosystems).toMatchObject({ 'Debian:12': 2, 'Debian:13': 1, npm: 1, PyPI: 2 });
  });

  it('imports an all.zip, names the feed after the first record, skips and names bad records', async () => {
    const archive = zipOf('all.zip', {
      'A-1.json': osv('A-1', '2024-01-01T00:00:00Z'),
      'BAD.json': '{"id": 1}',
      'A-2.json': osv('A-2', '2024-02-01T00:00:00Z'),
    });
    const result = await importOsv(db, archive, options());
    expect(result).toMatchObject({ feed: 'Alpine', read: 3, added: 2, skipped: 1 });
    expect(result.skippedExamples).toEqual(['BAD.json: id is not a string']);
  });

  it('replaces a record only when its modified is newer, and keeps the others', async () => {
    await importOsv(
      db,
      zipOf('v1.zip', {
        'A-1.json': osv('A-1', '2024-01-01T00:00:00Z'),
        'A-2.json': osv('A-2', '2024-01-01T00:00:00Z'),
      }),
      options(),
    );
    const second = await importOsv(
      db,
      zipOf('v2.zip', {
        'A-1.json': osv('A-1', '2024-06-01T00:00:00Z', 'libcrypto3', {
          withdrawn: '2024-06-01T00:00:00Z',
        }),
        'A-2.json': osv('A-2', '2023-01-01T00:00:00Z', 'musl'),
      }),
      options(),
    );
    expect(second).toMatchObject({ added: 0, updated: 1, unchanged: 1 });
    expect(await vulnerabilitiesFor(db, 'Alpine:v3.19', 'libcrypto3')).toMatchObject([
      { id: 'A-1', withdrawn: '2024-06-01T00:00:00.000Z' },
    ]);
    expect((await vulnerabilitiesFor(db, 'Alpine:v3.19', 'openssl')).map((v) => v.id)).toEqual([
      'A-2',
    ]);
    expect(await vulnerabilitiesFor(db, 'Alpine:v3.19', 'musl')).toEqual([]);
    expect(await feedStatus(db)).toMatchObject([
      { records: 2, withdrawn: 1, newestModified: '2024-06-01T00:00:00.000Z' },
    ]);
  });

  it('leaves the previous data intact when an archive is corrupt or truncated', async () => {
    const good = zipOf('good.zip', { 'A-1.json': osv('A-1', '2024-01-01T00:00:00Z') });
    await importOsv(db, good, options());
    const next = readFileSync(
      zipOf('next.zip', {
        'A-2.json': osv('A-2', '2024-01-01T00:00:00Z'),
        'A-3.json': osv('A-3', '2024-01-01T00:00:00Z', 'zlib'),
      }),
    );
    const truncated = join(work, 'truncated.zip');
    writeFileSync(truncated, next.subarray(0, next.length - 30));
    await expect(importOsv(db, truncated, options())).rejects.toThrow(
      /truncated\.zip is not a readable OSV zip.*nothing was imported/,
    );
    const flipped = Buffer.from(next);
    // -X: no extra fields, so the first entry's data starts at 30 + its 8-byte name.
    flipped[40] = (flipped[40] ?? 0) ^ 0xff;
    const corrupt = join(work, 'corrupt.zip');
    writeFileSync(corrupt, flipped);
    await expect(importOsv(db, corrupt, options())).rejects.toThrow(
      /corrupt\.zip is not a readable OSV zip/,
    );
    expect(await feedStatus(db)).toMatchObject([{ feed: 'Alpine', records: 1 }]);
    expect(await vulnerabilitiesFor(db, 'Alpine:v3.19', 'zlib')).toEqual([]);
  });

  it('keeps the source order across batches and parser threads: first record, duplicates, bad ones', async () => {
    // Stored, not deflated: 5.6 MB of members spans several read windows, so several batches.
    const details = 'd'.repeat(2500);
    const files: Record<string, string> = {};
    for (let i = 0; i < 2000; i++) {
      const id = `A-${String(i).padStart(4, '0')}`;
      files[`${id}.json`] = osv(id, '2024-01-01T00:00:00Z', 'openssl', { details });
    }
    files['A-0001.json'] = 'not json';
    files['Z-newer.json'] = osv('A-0005', '2024-06-01T00:00:00Z', 'libcrypto3', { details });
    files['Z-older.json'] = osv('A-0006', '2023-01-01T00:00:00Z', 'musl', { details });
    files['Z-bad.json'] = '{"id": "A-9999"}';
    const archive = zipOf('big.zip', files, ['-0']);
    expect(readFileSync(archive).length).toBeGreaterThan(4 * 1024 ** 2);
    const first = await importOsv(db, archive, options());
    expect(first).toMatchObject({ feed: 'Alpine', read: 2003, added: 1999, updated: 1 });
    expect(first).toMatchObject({ unchanged: 1, skipped: 2 });
    expect(first.skippedExamples).toEqual([
      expect.stringMatching(/^A-0001\.json: not JSON/),
      'Z-bad.json: modified is missing',
    ]);
    expect(await vulnerabilitiesFor(db, 'Alpine:v3.19', 'libcrypto3')).toMatchObject([
      { id: 'A-0005', modified: '2024-06-01T00:00:00.000Z' },
    ]);
    expect(await vulnerabilitiesFor(db, 'Alpine:v3.19', 'musl')).toEqual([]);
    expect(await vulnerabilitiesFor(db, 'Alpine:v3.19', 'openssl')).toHaveLength(1998);
    expect(await feedStatus(db)).toMatchObject([
      { records: 1999, newestModified: '2024-06-01T00:00:00.000Z' },
    ]);
    // Again: everything is stored already, at the same or a newer `modified`.
    const again = await importOsv(db, archive, options());
    expect(again).toMatchObject({ read: 2003, added: 0, updated: 0, unchanged: 2001, skipped: 2 });
    expect(await feedStatus(db)).toMatchObject([{ records: 1999 }]);
  });

  it('skips records over the size limit without parsing them', async () => {
    const archive = zipOf('sizes.zip', {
      'A-1.json': osv('A-1', '2024-01-01T00:00:00Z'),
      'A-2.json': osv('A-2', '2024-01-01T00:00:00Z', 'zlib', { details: 'x'.repeat(500) }),
    });
    const result = await importOsv(db, archive, { ...options(), limits: { maxRecordBytes: 400 } });
    expect(result).toMatchObject({ read: 2, added: 1, skipped: 1 });
    expect(result.skippedExamples).toEqual([
      expect.stringMatching(/^A-2\.json: \d+ bytes, over the limit of 400$/),
    ]);
  });

  it('refuses a source with no valid record', async () => {
    await expect(importOsv(db, zipOf('bad.zip', { 'x.json': 'nope' }), options())).rejects.toThrow(
      /holds no valid OSV record.*x\.json: not JSON/,
    );
  });
});

describe('importOsv from a URL (a local HTTP server; no internet)', () => {
  let server: Server;
  let base = '';
  const served = new Map<string, { body: Buffer; cutAt?: number; busyFirst?: number }>();

  beforeEach(async () => {
    server = createServer((req, res) => {
      const file = served.get(req.url ?? '');
      if (file === undefined) return void res.writeHead(404).end();
      if ((file.busyFirst ?? 0) > 0) {
        file.busyFirst = (file.busyFirst ?? 0) - 1;
        return void res.writeHead(503, { 'retry-after': '0' }).end();
      }
      res.writeHead(200, { 'content-length': file.body.length });
      if (file.cutAt === undefined) return void res.end(file.body);
      // An interrupted download: half the promised bytes, then the connection drops.
      res.write(file.body.subarray(0, file.cutAt), () => res.destroy());
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(
    () =>
      new Promise<void>((done) =>
        server.close(() => {
          done();
        }),
      ),
  );
  afterAll(() => {
    served.clear();
  });

  it('downloads an all.zip into the cache dir, imports it, and removes the download', async () => {
    const archive = readFileSync(
      zipOf('all.zip', { 'A-1.json': osv('A-1', '2024-01-01T00:00:00Z') }),
    );
    served.set('/Alpine/all.zip', { body: archive });
    const result = await importOsv(db, `${base}/Alpine/all.zip`, options());
    expect(result).toMatchObject({ feed: 'Alpine', added: 1, source: `${base}/Alpine/all.zip` });
    expect(execFileSync('ls', ['-A', join(work, 'cache')]).toString()).toBe('');
  });

  it('tries again when the feed server is busy', async () => {
    const archive = readFileSync(
      zipOf('all.zip', { 'A-1.json': osv('A-1', '2024-01-01T00:00:00Z') }),
    );
    served.set('/Alpine/all.zip', { body: archive, busyFirst: 2 });
    const result = await importOsv(db, `${base}/Alpine/all.zip`, options());
    expect(result).toMatchObject({ feed: 'Alpine', added: 1 });
    expect(served.get('/Alpine/all.zip')?.busyFirst).toBe(0);
  });

  it('keeps the previous data when the download is interrupted or missing', async () => {
    await importOsv(
      db,
      zipOf('first.zip', { 'A-1.json': osv('A-1', '2024-01-01T00:00:00Z') }),
      options(),
    );
    const archive = readFileSync(
      zipOf('all.zip', { 'A-2.json': osv('A-2', '2024-01-01T00:00:00Z') }),
    );
    served.set('/Alpine/all.zip', { body: archive, cutAt: archive.length >> 1 });
    await expect(importOsv(db, `${base}/Alpine/all.zip`, options())).rejects.toThrow(
      /all\.zip: the download (failed|stopped).*nothing was imported/,
    );
    await expect(importOsv(db, `${base}/Nope/all.zip`, options())).rejects.toThrow(/answered 404/);
    expect(await feedStatus(db)).toMatchObject([{ feed: 'Alpine', records: 1 }]);
  });

  it('names the feed after the ecosystem in the URL', () => {
    expect(
      feedFromUrl('https://osv-vulnerabilities.storage.googleapis.com/Red%20Hat/all.zip'),
    ).toBe('Red Hat');
    expect(feedFromUrl('https://example.com/x.zip')).toBeUndefined();
  });
});

describe('importOsv of a copy of the fixtures as one zip', () => {
  it('gives the same records as the directory', async () => {
    const dir = join(work, 'fixtures');
    cpSync(FIXTURES, dir, { recursive: true });
    execFileSync('zip', ['-q', '-r', join(work, 'fixtures.zip'), '.'], { cwd: dir });
    const result = await importOsv(db, join(work, 'fixtures.zip'), options());
    expect(result).toMatchObject({ read: 7, added: 7, skipped: 0 });
  });
});
