/**
 * `drydock db` end to end through the built CLI: import the OSV fixtures, status as table and
 * JSON, export → import of the bundle into another database, `update --source` from a local HTTP
 * server (never the internet), and a clear error for a corrupt archive.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from './harness/cli.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'osv');
let work: string;
let server: Server;
let base = '';

beforeAll(async () => {
  await ensureBuilt();
  work = await mkdtemp(join(tmpdir(), 'drydock-db-cli-'));
  execFileSync('zip', [
    '-q',
    '-j',
    join(work, 'npm.zip'),
    join(FIXTURES, 'GHSA-c2qf-rxjj-qqgw.json'),
  ]);
  const zip = await readFile(join(work, 'npm.zip'));
  server = createServer((req, res) => {
    if (req.url === '/npm/all.zip') res.writeHead(200, { 'content-length': zip.length }).end(zip);
    else res.writeHead(404).end();
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

describe('drydock db', () => {
  it('imports records, reports status, and round-trips a bundle', async () => {
    const db = ['--db-file', join(work, 'a.sqlite')];
    const imported = await runCli(['db', 'import', FIXTURES, '--feed', 'fixtures', ...db], work);
    expect(imported).toMatchObject({ code: 0, stdout: '' });
    expect(imported.stderr).toContain('fixtures: 7 added, 0 updated, 0 unchanged');

    const table = await runCli(['db', 'status', ...db], work);
    expect(table.stdout).toMatch(
      /^FEED\s+RECORDS\s+WITHDRAWN\s+NEWEST MODIFIED\s+LAST SYNC\s+AGE\n/,
    );
    expect(table.stdout).toMatch(/fixtures\s+7\s+1\s+2024-09-18T03:21:33\.507Z\s+\S+\s+0m/);

    expect((await runCli(['db', 'export', join(work, 'bundle.gz'), ...db], work)).code).toBe(0);
    const other = ['--db-file', join(work, 'b.sqlite')];
    expect((await runCli(['db', 'import', join(work, 'bundle.gz'), ...other], work)).code).toBe(0);
    const json = JSON.parse(
      (await runCli(['db', 'status', '-o', 'json', ...other], work)).stdout,
    ) as unknown;
    expect(json).toMatchObject([
      { feed: 'fixtures', records: 7, withdrawn: 1, ecosystems: { 'Debian:12': 2, npm: 1 } },
    ]);
  });

  it('serves many processes reading one database at once', async () => {
    const db = ['--db-file', join(work, 'shared.sqlite')];
    expect((await runCli(['db', 'import', FIXTURES, ...db, '-q'], work)).code).toBe(0);
    const runs = await Promise.all(
      Array.from({ length: 8 }, () => runCli(['db', 'status', '-o', 'json', ...db], work)),
    );
    expect(runs.map((run) => [run.code, run.stderr])).toEqual(runs.map(() => [0, '']));
  });

  it('updates from --source and fails clearly on a missing feed, keeping what it had', async () => {
    const db = ['--db-file', join(work, 'c.sqlite'), '-q'];
    expect(
      (await runCli(['db', 'update', '--source', `${base}/npm/all.zip`, ...db], work)).code,
    ).toBe(0);
    const failed = await runCli(['db', 'update', '--source', `${base}/PyPI/all.zip`, ...db], work);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('1 of 1 feeds failed to update');
    const json = JSON.parse(
      (await runCli(['db', 'status', '-o', 'json', ...db], work)).stdout,
    ) as unknown;
    expect(json).toMatchObject([{ feed: 'npm', records: 1, source: `${base}/npm/all.zip` }]);
  });

  it('names the corrupt archive and changes nothing', async () => {
    const bad = join(work, 'bad.zip');
    const zip = await readFile(join(work, 'npm.zip'));
    execFileSync('sh', ['-c', `head -c ${zip.length - 10} ${join(work, 'npm.zip')} > ${bad}`]);
    const run = await runCli(['db', 'import', bad, '--db-file', join(work, 'd.sqlite')], work);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^drydock: .*bad\.zip is not a readable OSV zip/);
  });
});
