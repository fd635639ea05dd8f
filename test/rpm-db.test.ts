/**
 * The rpm cataloger against the real rpm: packages built here with rpmbuild from
 * test/fixtures/rpm/specs (an epoch, a subpackage, 300 files, sha256 and md5 digests, noarch, no
 * files), installed with `rpm -i --justdb` into a fresh sqlite rpmdb, plus a gpg-pubkey that
 * `rpm --import` adds. What we read must equal what `rpm -qa` prints; the same headers loaded
 * into Berkeley DB hash files by db5.3_load (both byte orders) must equal what rpm's bdb_ro
 * backend prints. Needs rpm, rpmbuild, db5.3-util, gnupg and python3.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FoundPackage } from '../src/catalog/cataloger.js';
import type { RpmRecord } from '../src/catalog/os/rpm-header.js';
import { readRpmdb, rpmPackage, type RpmdbFormat } from '../src/catalog/os/rpm.js';
import { RPM_FIXTURES } from './fixtures/rpm/fixtures.js';

const run = promisify(execFile);
const QUERY =
  '%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\t%{LICENSE}\\t%{EVR}\\n';
const FILES_QUERY = '[%{=NAME}\\t%{FILENAMES}\\t%{FILEDIGESTS}\\n]';

type RpmPackage = Omit<FoundPackage, 'locations'>;

let work: string;
let dbPath: string;

async function rpmQuery(dir: string, format: string, backend = 'sqlite'): Promise<string[]> {
  const { stdout } = await run(
    'rpm',
    ['-qa', '--dbpath', dir, '--define', `_db_backend ${backend}`, '--qf', format],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout
    .split('\n')
    .filter((line) => line !== '' && !line.endsWith('\t(none)\t(none)'))
    .sort();
}

/** Our reading of a database: each header's record and the package made of it. */
async function ours(
  path: string,
  format: RpmdbFormat,
): Promise<{ record: RpmRecord; pkg: RpmPackage }[]> {
  const value = readRpmdb(format, { data: await readFile(path), truncated: false });
  expect(value.problems).toEqual([]);
  return value.packages.map((record) => ({ record, pkg: rpmPackage(record, undefined) }));
}

/** Our reading as QUERY prints it (rpm shows absent values as `(none)`). */
function asQueryLines(read: { record: RpmRecord; pkg: RpmPackage }[]): string[] {
  return read
    .map(({ record: r, pkg }) =>
      [r.name, r.epoch ?? 0, r.version, r.release, r.arch, r.sourceRpm, r.license, pkg.version]
        .map((value) => (value === undefined ? '(none)' : String(value)))
        .join('\t'),
    )
    .sort();
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'drydock-rpmdb-'));
  dbPath = join(work, 'db');
  await mkdir(dbPath);
  const specs = join(RPM_FIXTURES, 'specs');
  for (const spec of await readdir(specs))
    await run('rpmbuild', [
      '-bb',
      '--quiet',
      '--define',
      `_topdir ${join(work, 'top')}`,
      join(specs, spec),
    ]);
  const rpms: string[] = [];
  for (const arch of await readdir(join(work, 'top/RPMS')))
    for (const file of await readdir(join(work, 'top/RPMS', arch)))
      rpms.push(join(work, 'top/RPMS', arch, file));
  await run('rpm', ['-i', '--justdb', '--nodeps', '--dbpath', dbPath, ...rpms]);
  const env = { ...process.env, GNUPGHOME: join(work, 'gnupg') };
  await mkdir(env.GNUPGHOME, { mode: 0o700 });
  const gpg = ['--batch', '--passphrase', ''];
  await run(
    'gpg',
    [...gpg, '--quick-gen-key', 'Drydock Test <rpm@example.invalid>', 'ed25519', 'sign', 'never'],
    { env },
  );
  const { stdout: key } = await run('gpg', ['--batch', '--armor', '--export'], { env });
  await writeFile(join(work, 'key.asc'), key);
  await run('rpm', ['--import', '--dbpath', dbPath, join(work, 'key.asc')]);
}, 120_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('rpm databases written by the real rpm', () => {
  it('lists from rpmdb.sqlite what rpm -qa lists, gpg-pubkey included', async () => {
    const expected = await rpmQuery(dbPath, QUERY);
    const actual = asQueryLines(await ours(join(dbPath, 'rpmdb.sqlite'), 'sqlite'));
    expect(actual).toEqual(expected);
    expect(expected.some((line) => line.startsWith('gpg-pubkey\t'))).toBe(true);
    expect(expected.some((line) => line.startsWith('alpha\t2\t'))).toBe(true);
  });

  it('lists every file and digest that rpm lists', async () => {
    const expected = await rpmQuery(dbPath, FILES_QUERY);
    const actual = (await ours(join(dbPath, 'rpmdb.sqlite'), 'sqlite'))
      .flatMap(({ pkg }) =>
        (pkg.files ?? []).map((f) => [pkg.name, f.path, f.digest?.value ?? ''].join('\t')),
      )
      .sort();
    expect(actual).toEqual(expected);
    expect(actual.length).toBeGreaterThan(300);
  });

  it.each([
    ['little-endian', 'le', '1234', '4096'],
    ['big-endian', 'be', '4321', '512'],
  ])(
    'reads a %s Berkeley DB hash Packages as rpm bdb_ro does',
    async (_name, order, lorder, pageSize) => {
      const dir = join(work, `bdb-${order}`);
      await mkdir(dir);
      const { stdout: dump } = await run(
        'python3',
        [join(RPM_FIXTURES, 'blobs.py'), 'dump', join(dbPath, 'rpmdb.sqlite'), order],
        { maxBuffer: 64 * 1024 * 1024 },
      );
      await writeFile(join(dir, 'dump.txt'), dump);
      const load = [
        '-c',
        `db_lorder=${lorder}`,
        '-c',
        `db_pagesize=${pageSize}`,
        '-f',
        join(dir, 'dump.txt'),
      ];
      await run('db5.3_load', [...load, join(dir, 'Packages')]);
      const expected = await rpmQuery(dir, QUERY, 'bdb_ro');
      expect(expected).toEqual(await rpmQuery(dbPath, QUERY));
      expect(asQueryLines(await ours(join(dir, 'Packages'), 'bdb'))).toEqual(expected);
    },
  );
});
