/**
 * The enrichment feeds through the real SQLite database: real-shaped fixtures imported from
 * files, directories and a local HTTP server (never the internet), looked up as the matcher
 * will, replaced or updated on re-import, refused whole when malformed, and carried by bundles.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportBundle, importBundle } from '../bundle.js';
import { feedStatus, openVulnDb, type VulnDb } from '../db.js';
import { importOsv } from '../import.js';
import { detectEnrichment, importEnrichment } from './import.js';
import { enrichmentFor } from './lookup.js';

const TEST_FIXTURES = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures');
const FIXTURES = join(TEST_FIXTURES, 'enrich');
const KEV = join(FIXTURES, 'known_exploited_vulnerabilities.json');
const EPSS = join(FIXTURES, 'epss_scores-2026-09-29.csv');
const EPSS_2025 = join(FIXTURES, 'epss_scores-2025-01-01.csv');
const NVD_PAGES = join(FIXTURES, 'nvd');
const NVD_UPDATE = join(FIXTURES, 'nvd-update');

let work: string;
let db: VulnDb;

beforeEach(async () => {
  work = mkdtempSync(join(tmpdir(), 'drydock-enrich-'));
  db = await openVulnDb(join(work, 'vulndb.sqlite'));
});
afterEach(async () => {
  await db.destroy();
  rmSync(work, { recursive: true, force: true });
});

const options = () => ({ cacheDir: join(work, 'cache'), now: new Date('2026-11-01T00:00:00Z') });
const importAll = async () => {
  for (const source of [KEV, EPSS, NVD_PAGES]) await importEnrichment(db, source, options());
};
const write = (name: string, content: string | Buffer): string => {
  const file = join(work, name);
  writeFileSync(file, content);
  return file;
};
const json = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
const flash = 'CVE-2015-7645';
const glibc = 'CVE-2023-4911';

describe('importing the enrichment feeds', () => {
  it('stores KEV, EPSS and NVD facts and hands them out per CVE', async () => {
    expect(await importEnrichment(db, KEV, options())).toEqual({
      feed: 'kev',
      source: KEV,
      files: 1,
      read: 4,
      written: 4,
      records: 4,
      asOf: '2025-08-25T17:04:19.979Z',
    });
    expect(await importEnrichment(db, EPSS, options())).toMatchObject({ feed: 'epss', read: 11 });
    expect(await importEnrichment(db, NVD_PAGES, options())).toMatchObject({
      feed: 'nvd',
      files: 2,
      read: 3,
      written: 3,
      asOf: '2025-02-14T16:15:23.887Z',
    });
    const found = await enrichmentFor(db, [
      flash,
      glibc,
      'CVE-2024-12999',
      'CVE-1999-0002',
      'CVE-2000-0001',
    ]);
    expect(found.get(flash)).toEqual({
      kev: { dateAdded: '2022-03-03', dueDate: '2022-03-24', knownRansomwareUse: true },
      epss: { score: 0.65339, percentile: 0.99237, date: '2026-09-29' },
      cvss: [
        {
          version: '3.1',
          vector: 'CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H',
          baseScore: 7.8,
          exploitabilityScore: 1.8,
          impactScore: 5.9,
          source: 'nvd',
        },
        {
          version: '2.0',
          vector: 'AV:N/AC:M/Au:N/C:C/I:C/A:C',
          baseScore: 9.3,
          exploitabilityScore: 8.6,
          impactScore: 10,
          source: 'nvd',
        },
      ],
    });
    expect(found.get(glibc)).toMatchObject({
      kev: { dateAdded: '2023-11-21', knownRansomwareUse: false },
      cvss: [{ version: '3.1', baseScore: 7.8, source: 'nvd' }],
    });
    expect(found.get(glibc)?.epss).toBeUndefined();
    expect(found.get('CVE-2024-12999')?.cvss.map((s) => [s.version, s.baseScore])).toEqual([
      ['4.0', 5.3],
      ['3.1', 6.3],
      ['2.0', 6.5],
    ]);
    expect(found.get('CVE-1999-0002')).toEqual({
      epss: { score: 0.27858, percentile: 0.98037, date: '2026-09-29' },
      cvss: [],
    });
    expect(found.has('CVE-2000-0001')).toBe(false);
  });

  it('shows each feed in db status beside the OSV feeds, with its record count', async () => {
    await importOsv(db, join(TEST_FIXTURES, 'osv'), { ...options(), feed: 'fixtures' });
    await importAll();
    expect(await feedStatus(db)).toMatchObject([
      { feed: 'epss', records: 11, newestModified: '2026-09-29T12:00:22.000Z', ecosystems: {} },
      { feed: 'fixtures', records: 7, withdrawn: 1 },
      { feed: 'kev', records: 4, source: KEV, lastSync: '2026-11-01T00:00:00.000Z' },
      { feed: 'nvd', records: 3, newestModified: '2025-02-14T16:15:23.887Z', withdrawn: 0 },
    ]);
  });

  it('recognises gzipped files and pages by content, whatever their names', async () => {
    const scores = write('scores.bin', gzipSync(readFileSync(EPSS)));
    const pages = join(work, 'pages');
    mkdirSync(pages);
    writeFileSync(join(pages, 'a.json.gz'), gzipSync(readFileSync(join(NVD_PAGES, 'cves-0.json'))));
    cpSync(join(NVD_PAGES, 'cves-2.json'), join(pages, 'b.json'));
    expect((await detectEnrichment(scores))?.name).toBe('epss');
    expect((await detectEnrichment(pages))?.name).toBe('nvd');
    expect(await importEnrichment(db, scores, options())).toMatchObject({ feed: 'epss', read: 11 });
    expect(await importEnrichment(db, pages, options())).toMatchObject({ feed: 'nvd', read: 3 });
  });

  it('leaves OSV sources, bundles and missing paths to the other importers', async () => {
    expect(await detectEnrichment(join(TEST_FIXTURES, 'osv'))).toBeUndefined();
    expect(await detectEnrichment(join(TEST_FIXTURES, 'osv', 'DSA-5678-1.json'))).toBeUndefined();
    expect(await detectEnrichment(join(work, 'missing.json'))).toBeUndefined();
    await exportBundle(db, join(work, 'bundle.gz'));
    expect(await detectEnrichment(join(work, 'bundle.gz'))).toBeUndefined();
    const xz = write('kev.json.xz', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 0]));
    await expect(detectEnrichment(xz)).rejects.toThrow(
      /kev\.json\.xz: it is xz-compressed; decompress it \(unxz\)/,
    );
  });
});

describe('importing again', () => {
  it('replaces a KEV catalogue or EPSS snapshot whole', async () => {
    await importAll();
    const catalogue = json(KEV);
    const entries = catalogue.vulnerabilities as { cveID: string }[];
    catalogue.vulnerabilities = entries.filter((e) => e.cveID !== flash);
    await importEnrichment(db, write('kev.json', JSON.stringify(catalogue)), options());
    await importEnrichment(db, EPSS_2025, options());
    const found = await enrichmentFor(db, [flash, glibc, 'CVE-1999-0001', 'CVE-1999-0005']);
    expect(found.get(flash)?.kev).toBeUndefined();
    expect(found.get(flash)?.epss).toBeUndefined();
    expect(found.get(glibc)?.kev).toMatchObject({ dateAdded: '2023-11-21' });
    expect(found.get('CVE-1999-0001')?.epss).toEqual({
      score: 0.00383,
      percentile: 0.72779,
      date: '2025-01-01',
    });
    expect(found.get('CVE-1999-0005')?.epss).toBeUndefined();
    expect(await feedStatus(db)).toMatchObject([
      { feed: 'epss', records: 3, newestModified: '2025-01-01T00:00:00.000Z' },
      { feed: 'kev', records: 3 },
      { feed: 'nvd', records: 3 },
    ]);
  });

  it('updates NVD scores by CVE only from records modified later', async () => {
    await importEnrichment(db, NVD_PAGES, options());
    expect(await importEnrichment(db, NVD_UPDATE, options())).toMatchObject({
      read: 1,
      written: 1,
      records: 3,
      asOf: '2026-02-13T17:16:09.710Z',
    });
    // The same pages again: every record is older than (or as old as) what is stored.
    expect(await importEnrichment(db, NVD_PAGES, options())).toMatchObject({ read: 3, written: 0 });
    const page = json(join(NVD_UPDATE, 'CVE-2023-4911.json'));
    const rescored = (lastModified: string, baseScore: number) => {
      const copy = structuredClone(page) as { vulnerabilities: { cve: Record<string, unknown> }[] };
      const [{ cve } = { cve: {} }] = copy.vulnerabilities;
      cve.lastModified = lastModified;
      cve.metrics = {
        cvssMetricV31: [
          {
            source: 'nvd@nist.gov',
            type: 'Primary',
            cvssData: {
              version: '3.1',
              vectorString: 'CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:H/A:H',
              baseScore,
            },
          },
        ],
      };
      return write(`rescored-${baseScore}.json`, JSON.stringify(copy));
    };
    expect(
      await importEnrichment(db, rescored('2026-01-01T00:00:00.000', 7.0), options()),
    ).toMatchObject({
      written: 0,
    });
    expect((await enrichmentFor(db, [glibc])).get(glibc)?.cvss[0]?.baseScore).toBe(7.8);
    expect(
      await importEnrichment(db, rescored('2026-03-01T00:00:00.000', 7.0), options()),
    ).toMatchObject({
      written: 1,
      asOf: '2026-03-01T00:00:00.000Z',
    });
    expect((await enrichmentFor(db, [glibc])).get(glibc)?.cvss).toEqual([
      {
        version: '3.1',
        vector: 'CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:H/A:H',
        baseScore: 7,
        source: 'nvd',
      },
    ]);
  });
});

describe('refusing malformed input', () => {
  it('names the file and what is wrong, and keeps the data it had', async () => {
    await importAll();
    const before = await enrichmentFor(db, [flash, glibc, 'CVE-2024-12999']);
    const kev = readFileSync(KEV);
    const truncated = write('truncated.json', kev.subarray(0, kev.length - 200));
    await expect(importEnrichment(db, truncated, options())).rejects.toThrow(
      /truncated\.json is not a usable CISA KEV catalogue: the JSON ends early, after \d+ bytes: the file is truncated; nothing was imported, the kev data is as it was/,
    );
    const badRow = write('scores.csv', `${readFileSync(EPSS, 'utf8')}CVE-2026-0001,0.5,high\n`);
    await expect(importEnrichment(db, badRow, options())).rejects.toThrow(
      /scores\.csv is not a usable FIRST EPSS score file: line 14: CVE-2026-0001 has an epss or percentile that is not a number/,
    );
    const cutGzip = gzipSync(readFileSync(EPSS));
    const cut = write('scores.csv.gz', cutGzip.subarray(0, cutGzip.length - 12));
    await expect(importEnrichment(db, cut, options())).rejects.toThrow(
      /scores\.csv\.gz .*it is not readable gzip/,
    );
    // A bad page after a good one: the good one's updates are undone with it.
    const pages = join(work, 'pages');
    mkdirSync(pages);
    cpSync(join(NVD_UPDATE, 'CVE-2023-4911.json'), join(pages, '1.json'));
    writeFileSync(
      join(pages, '2.json'),
      '{"format":"NVD_CVE","vulnerabilities":[{"cve":{"id":"CVE-2024-0001"}}]}',
    );
    await expect(importEnrichment(db, pages, options())).rejects.toThrow(
      /2\.json is not a usable NVD CVE API 2\.0 JSON file: CVE-2024-0001: lastModified is not a date and time \(missing\)/,
    );
    expect(await enrichmentFor(db, [flash, glibc, 'CVE-2024-12999'])).toEqual(before);
    expect(await feedStatus(db)).toMatchObject([
      { feed: 'epss', records: 11 },
      { feed: 'kev', records: 4 },
      { feed: 'nvd', records: 3, newestModified: '2025-02-14T16:15:23.887Z' },
    ]);
  });

  it('bounds what a file may unpack to and how many pages a directory may hold', async () => {
    const bomb = write(
      'scores.csv.gz',
      gzipSync(`${readFileSync(EPSS, 'utf8')}${'\n'.repeat(1_000_000)}`),
    );
    await expect(
      importEnrichment(db, bomb, { ...options(), limits: { maxFileBytes: 100_000 } }),
    ).rejects.toThrow(
      /scores\.csv\.gz is not a usable FIRST EPSS score file: it is over 100000 bytes decompressed, the limit/,
    );
    await expect(
      importEnrichment(db, NVD_PAGES, { ...options(), limits: { maxFiles: 1 } }),
    ).rejects.toThrow(/nvd \(2 JSON files\) exceeds the limit of 1 files/);
    expect(await feedStatus(db)).toEqual([]);
  });

  it('refuses a directory of snapshots, and files that are no feed', async () => {
    const dir = join(work, 'catalogues');
    mkdirSync(dir);
    cpSync(KEV, join(dir, 'a.json'));
    cpSync(KEV, join(dir, 'b.json'));
    await expect(importEnrichment(db, dir, options())).rejects.toThrow(
      /holds 2 JSON files, but a CISA KEV catalogue is one file: import that file/,
    );
    await expect(
      importEnrichment(db, join(TEST_FIXTURES, 'osv', 'DSA-5678-1.json'), options()),
    ).rejects.toThrow(
      /DSA-5678-1\.json is not a CISA KEV catalogue, an EPSS score file or NVD CVE JSON/,
    );
  });
});

describe('importing from a URL (a local HTTP server; no internet)', () => {
  let server: Server;
  let base = '';
  const served = new Map<string, Buffer>();

  beforeEach(async () => {
    server = createServer((req, res) => {
      const body = served.get(req.url ?? '');
      if (body === undefined) res.writeHead(404).end();
      else res.writeHead(200, { 'content-length': body.length }).end(body);
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

  it('downloads, recognises and imports it, naming the URL, and removes the download', async () => {
    served.set('/feeds/known_exploited_vulnerabilities.json', readFileSync(KEV));
    served.set('/epss_scores-current.csv.gz', gzipSync(readFileSync(EPSS)));
    served.set('/error-page', Buffer.from('<!DOCTYPE html><html>Service unavailable</html>'));
    const kevUrl = `${base}/feeds/known_exploited_vulnerabilities.json`;
    expect(await importEnrichment(db, kevUrl, options())).toMatchObject({
      feed: 'kev',
      source: kevUrl,
      read: 4,
    });
    expect(
      await importEnrichment(db, `${base}/epss_scores-current.csv.gz`, options()),
    ).toMatchObject({
      feed: 'epss',
      read: 11,
    });
    await expect(importEnrichment(db, `${base}/error-page`, options())).rejects.toThrow(
      /error-page is not a CISA KEV catalogue, an EPSS score file or NVD CVE JSON \(it begins "<!DOCTYPE html><html>Service unavailab/,
    );
    await expect(importEnrichment(db, `${base}/missing.json`, options())).rejects.toThrow(
      /answered 404/,
    );
    expect(execFileSync('ls', ['-A', join(work, 'cache')]).toString()).toBe('');
    expect(await feedStatus(db)).toMatchObject([
      { feed: 'epss', records: 11, source: `${base}/epss_scores-current.csv.gz` },
      { feed: 'kev', records: 4, source: kevUrl },
    ]);
  });
});

describe('lookups', () => {
  it('batch thousands of CVEs, duplicates and unknown ones among them', async () => {
    const ids = Array.from({ length: 1200 }, (_, i) => `CVE-2024-${10000 + i}`);
    const rows = ids.map((id, i) => `${id},${(i / 10000).toFixed(5)},${(i / 1200).toFixed(5)}`);
    const csv = [
      '#model_version:v2025.03.14,score_date:2026-10-01T12:55:00Z',
      'cve,epss,percentile',
      ...rows,
    ];
    await importEnrichment(db, write('scores.csv', `${csv.join('\n')}\n`), options());
    await importEnrichment(db, KEV, options());
    const asked = [...ids, ...ids.slice(0, 300), glibc, 'CVE-2025-99999'];
    const found = await enrichmentFor(db, asked);
    expect(found.size).toBe(1201);
    expect(found.get('CVE-2024-11199')?.epss).toEqual({
      score: 0.1199,
      percentile: 0.99917,
      date: '2026-10-01',
    });
    expect(found.get(glibc)?.kev).toBeDefined();
    expect(found.has('CVE-2025-99999')).toBe(false);
    expect(await enrichmentFor(db, [])).toEqual(new Map());
  });
});

describe('bundles', () => {
  it('carry the enrichment tables to another database', async () => {
    await importOsv(db, join(TEST_FIXTURES, 'osv'), { ...options(), feed: 'fixtures' });
    await importAll();
    await exportBundle(db, join(work, 'bundle.gz'));
    const other = await openVulnDb(join(work, 'other.sqlite'));
    try {
      await importEnrichment(other, EPSS_2025, options());
      expect(
        await importBundle(other, join(work, 'other.sqlite'), join(work, 'bundle.gz')),
      ).toEqual({
        feeds: 4,
        records: 7,
      });
      const ids = [flash, glibc, 'CVE-2024-12999', 'CVE-1999-0004'];
      expect(await enrichmentFor(other, ids)).toEqual(await enrichmentFor(db, ids));
      expect(await feedStatus(other)).toEqual(await feedStatus(db));
    } finally {
      await other.destroy();
    }
  });
});
