/**
 * The enrichment feeds (CISA KEV, FIRST EPSS, NVD CVE JSON) through the built CLI: `db import`
 * recognises each by content (a gzipped EPSS file under any name, a directory of NVD pages),
 * `db status` lists them with their record counts, `db update --source` fetches them from a local
 * HTTP server (never the internet), a malformed file is refused by name with the data kept, and
 * bundles carry them.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from './harness/cli.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'enrich');
const KEV = join(FIXTURES, 'known_exploited_vulnerabilities.json');
const EPSS = join(FIXTURES, 'epss_scores-2026-09-29.csv');
let work: string;
let server: Server;
let base = '';

beforeAll(async () => {
  await ensureBuilt();
  work = await mkdtemp(join(tmpdir(), 'drydock-enrich-cli-'));
  const files = new Map([
    ['/feeds/known_exploited_vulnerabilities.json', await readFile(KEV)],
    ['/epss_scores-current.csv.gz', gzipSync(await readFile(EPSS))],
  ]);
  server = createServer((req, res) => {
    const body = files.get(req.url ?? '');
    if (body === undefined) res.writeHead(404).end();
    else res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);
afterAll(async () => {
  await new Promise<void>((done) =>
    server.close(() => {
      done();
    }),
  );
  await rm(work, { recursive: true, force: true });
});

interface Status {
  feed: string;
  records: number;
  source: string;
  newestModified?: string;
}
/** `db status -o json` without the age, which moves with the clock. */
const status = async (db: string[]): Promise<Status[]> =>
  (
    JSON.parse((await runCli(['db', 'status', '-o', 'json', ...db], work)).stdout) as (Status & {
      ageSeconds: number;
    })[]
  ).map(({ ageSeconds: _age, ...feed }) => feed);

describe('drydock db with enrichment feeds', () => {
  it('imports KEV, EPSS and NVD files recognised by content and lists them in status', async () => {
    const db = ['--db-file', join(work, 'a.sqlite')];
    const scores = join(work, 'scores.dat');
    await writeFile(scores, gzipSync(await readFile(EPSS)));

    const kev = await runCli(['db', 'import', KEV, ...db], work);
    expect(kev).toMatchObject({ code: 0, stdout: '' });
    expect(kev.stderr).toMatch(
      /^kev: 4 records read from .*, 4 added or changed; 4 held \(as of 2025-08-25T17:04:19\.979Z\)\n$/,
    );
    expect((await runCli(['db', 'import', scores, ...db], work)).stderr).toContain(
      'epss: 11 records read',
    );
    const nvd = await runCli(['db', 'import', join(FIXTURES, 'nvd'), '-o', 'json', ...db], work);
    expect(JSON.parse(nvd.stdout)).toMatchObject({ feed: 'nvd', files: 2, read: 3, records: 3 });

    const table = await runCli(['db', 'status', ...db], work);
    expect(table.stdout).toMatch(/^epss\s+11\s+0\s+2026-09-29T12:00:22\.000Z\s/m);
    expect(table.stdout).toMatch(/^kev\s+4\s+0\s+2025-08-25T17:04:19\.979Z\s/m);
    expect(table.stdout).toMatch(/^nvd\s+3\s+0\s+2025-02-14T16:15:23\.887Z\s/m);

    const bundle = join(work, 'bundle.gz');
    expect((await runCli(['db', 'export', bundle, ...db], work)).code).toBe(0);
    const other = ['--db-file', join(work, 'b.sqlite')];
    expect((await runCli(['db', 'import', bundle, ...other], work)).code).toBe(0);
    expect(await status(other)).toEqual(await status(db));
  });

  it('refuses a malformed file by name and keeps what it had', async () => {
    const db = ['--db-file', join(work, 'c.sqlite')];
    expect((await runCli(['db', 'import', KEV, ...db], work)).code).toBe(0);
    const truncated = join(work, 'truncated.json');
    const catalogue = await readFile(KEV);
    await writeFile(truncated, catalogue.subarray(0, catalogue.length >> 1));
    const run = await runCli(['db', 'import', truncated, ...db], work);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^drydock: .*truncated\.json is not a usable CISA KEV catalogue: the JSON ends early, after \d+ bytes: the file is truncated; nothing was imported/,
    );
    const named = await runCli(['db', 'import', KEV, '--feed', 'mine', ...db], work);
    expect(named.code).toBe(1);
    expect(named.stderr).toContain('--feed names OSV feeds');
    expect(await status(db)).toMatchObject([{ feed: 'kev', records: 4, source: KEV }]);
  });

  it('updates from --source URLs, judged by content', async () => {
    const db = ['--db-file', join(work, 'd.sqlite'), '-q'];
    const kevUrl = `${base}/feeds/known_exploited_vulnerabilities.json`;
    const epssUrl = `${base}/epss_scores-current.csv.gz`;
    const run = await runCli(
      ['db', 'update', '--source', kevUrl, '--source', epssUrl, '-o', 'json', ...db],
      work,
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject([
      { feed: 'kev', source: kevUrl, read: 4 },
      { feed: 'epss', source: epssUrl, read: 11 },
    ]);
    const failed = await runCli(['db', 'update', '--source', `${base}/missing.json`, ...db], work);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('1 of 1 feeds failed to update');
    expect(await status(db)).toMatchObject([
      { feed: 'epss', records: 11, source: epssUrl },
      { feed: 'kev', records: 4, source: kevUrl },
    ]);
  });
});
