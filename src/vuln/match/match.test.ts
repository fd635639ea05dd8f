import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Distro, ImageContent, Package, PackageType } from '../../model/index.js';
import { openVulnDb, type VulnDb } from '../db.js';
import { importEnrichment } from '../enrich/import.js';
import { importOsv } from '../import.js';
import { matchContent } from './match.js';

let work: string;
let db: VulnDb;

beforeEach(async () => {
  work = mkdtempSync(join(tmpdir(), 'drydock-match-'));
  db = await openVulnDb(join(work, 'vulndb.sqlite'));
});
afterEach(async () => {
  await db.destroy();
  rmSync(work, { recursive: true, force: true });
});

type Events = Record<string, string>[];

/** An OSV record in the real schema; `affected` as [ecosystem, name, events, extra]. */
function record(
  id: string,
  affected: [string, string, Events, object?][],
  extra: object = {},
): Record<string, unknown> {
  return {
    schema_version: '1.6.0',
    id,
    modified: '2024-05-01T00:00:00Z',
    published: '2024-04-01T00:00:00Z',
    affected: affected.map(([ecosystem, name, events, more]) => ({
      package: { ecosystem, name },
      ranges: [{ type: 'ECOSYSTEM', events }],
      ...more,
    })),
    ...extra,
  };
}

/** Imports records as one feed per ecosystem, as `db import` of osv.dev dumps does. */
async function store(...records: Record<string, unknown>[]): Promise<void> {
  const byFeed = new Map<string, Record<string, unknown>[]>();
  for (const r of records) {
    const [first] = r.affected as { package: { ecosystem: string } }[];
    const feed = (first?.package.ecosystem ?? 'none').split(':')[0] ?? 'none';
    byFeed.set(feed, [...(byFeed.get(feed) ?? []), r]);
  }
  for (const [feed, list] of byFeed) {
    const dir = join(work, 'feeds', feed);
    mkdirSync(dir, { recursive: true });
    for (const r of list) writeFileSync(join(dir, `${String(r.id)}.json`), JSON.stringify(r));
    await importOsv(db, dir, { cacheDir: join(work, 'cache'), feed });
  }
}

const debian12: Distro = { id: 'debian', versionId: '12', idLike: [], source: '/etc/os-release' };

function pkg(
  type: PackageType,
  name: string,
  version: string,
  more: Partial<Package> = {},
): Package {
  return {
    id: `${type}:${name}@${version}`,
    type,
    name,
    version,
    licenses: [],
    purl: `pkg:${type}/${name}@${version}`,
    cpes: [],
    locations: [{ path: `/lib/${name}`, layerDigest: 'sha256:00', layerIndex: 0 }],
    ...more,
  };
}

const image = (packages: Package[], distro: Distro | null = debian12): ImageContent => ({
  ...(distro === null ? {} : { distro }),
  packages,
  secrets: [],
  retainedFiles: [],
});

const summary = (result: Awaited<ReturnType<typeof matchContent>>) =>
  result.findings.map(
    (f) => `${f.package.name} ${f.id} ${f.fix.state} ${f.fix.versions.join('|')}`,
  );

describe('matchContent', () => {
  it('matches a Debian binary on its source package and source version', async () => {
    await store(
      record(
        'DEBIAN-CVE-2024-2961',
        [
          [
            'Debian:12',
            'glibc',
            [{ introduced: '0' }, { fixed: '2.36-9+deb12u6' }],
            { ecosystem_specific: { urgency: 'high' } },
          ],
          ['Debian:11', 'glibc', [{ introduced: '0' }, { fixed: '2.31-13+deb11u9' }]],
        ],
        { upstream: ['CVE-2024-2961'] },
      ),
      record('DEBIAN-CVE-2099-0001', [
        ['Debian:12', 'glibc', [{ introduced: '0' }, { fixed: '2.36-9+deb12u4' }]],
      ]),
      record('DEBIAN-CVE-2099-0002', [
        ['Debian:12', 'gcc-defaults', [{ introduced: '0' }, { fixed: '1.204' }]],
      ]),
    );
    const result = await matchContent(
      db,
      image([
        pkg('dpkg', 'libc6', '2.36-9+deb12u4', { source: { name: 'glibc' } }),
        pkg('dpkg', 'cpp', '4:12.2.0-3', { source: { name: 'gcc-defaults', version: '1.203' } }),
      ]),
    );
    expect(summary(result)).toEqual([
      'libc6 CVE-2024-2961 fixed 2.36-9+deb12u6',
      'cpp CVE-2099-0002 fixed 1.204',
    ]);
    const [glibc] = result.findings;
    expect(glibc).toMatchObject({
      severity: 'High',
      severitySource: 'feed',
      aliases: ['DEBIAN-CVE-2024-2961'],
      group: 'Debian:12',
      feed: 'Debian',
      matchedAs: { ecosystem: 'Debian:12', name: 'glibc', version: '2.36-9+deb12u4' },
    });
    expect(result.data).toMatchObject({ available: true, missingGroups: [], unchecked: [] });
  });

  it('compares epochs, and reports unfixed, end-of-life and unimportant records', async () => {
    await store(
      record('DEBIAN-CVE-2099-0010', [
        ['Debian:12', 'perl', [{ introduced: '0' }, { fixed: '1:5.36.0-8' }]],
      ]),
      record('DEBIAN-CVE-2099-0011', [['Debian:12', 'perl', [{ introduced: '0' }]]], {}),
      record('DEBIAN-CVE-2099-0012', [
        [
          'Debian:12',
          'perl',
          [{ introduced: '0' }],
          { ecosystem_specific: { urgency: 'end-of-life' } },
        ],
      ]),
      record('DEBIAN-CVE-2099-0013', [
        [
          'Debian:12',
          'perl',
          [{ introduced: '0' }],
          { ecosystem_specific: { urgency: 'unimportant' } },
        ],
      ]),
    );
    const result = await matchContent(db, image([pkg('dpkg', 'perl', '5.36.0-7+deb12u1')]));
    // 5.36.0-7 has epoch 0: it sorts before 1:5.36.0-8, whatever the upstream part says.
    expect(summary(result).sort()).toEqual([
      'perl CVE-2099-0010 fixed 1:5.36.0-8',
      'perl CVE-2099-0011 not-fixed ',
      'perl CVE-2099-0012 end-of-life ',
      'perl CVE-2099-0013 not-fixed ',
    ]);
    expect(result.findings.find((f) => f.id === 'CVE-2099-0013')?.severity).toBe('Negligible');
    const none = await matchContent(db, image([pkg('dpkg', 'perl', '2:1.0-1')]));
    expect(summary(none).sort()).toEqual([
      'perl CVE-2099-0011 not-fixed ',
      'perl CVE-2099-0012 end-of-life ',
      'perl CVE-2099-0013 not-fixed ',
    ]);
  });

  it('skips withdrawn records and other releases', async () => {
    await store(
      record('DEBIAN-CVE-2099-0020', [['Debian:12', 'bash', [{ introduced: '0' }]]], {
        withdrawn: '2024-05-02T00:00:00Z',
      }),
      record('DEBIAN-CVE-2099-0021', [['Debian:11', 'bash', [{ introduced: '0' }]]]),
    );
    const result = await matchContent(db, image([pkg('dpkg', 'bash', '5.2.15-2+b2')]));
    expect(result.findings).toEqual([]);
  });

  it('reports one finding for records that alias each other, under the GHSA id', async () => {
    const ranges: Events = [{ introduced: '2.3.0' }, { fixed: '2.31.0' }];
    await store(
      record('PYSEC-2023-74', [['PyPI', 'Requests', ranges]], {
        aliases: ['CVE-2023-32681', 'GHSA-j8r2-6x86-q33q'],
      }),
      record('GHSA-j8r2-6x86-q33q', [['PyPI', 'requests', ranges]], {
        aliases: ['CVE-2023-32681'],
        database_specific: { severity: 'MODERATE' },
        severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N' }],
      }),
    );
    const result = await matchContent(db, image([pkg('python', 'requests', '2.28.1')]));
    expect(summary(result)).toEqual(['requests GHSA-j8r2-6x86-q33q fixed 2.31.0']);
    expect(result.findings[0]).toMatchObject({
      aliases: ['CVE-2023-32681', 'PYSEC-2023-74'],
      severity: 'Medium',
      severitySource: 'feed',
    });
    expect(result.findings[0]?.cvss).toMatchObject([{ version: '3.1', baseScore: 6.1 }]);
  });

  it('matches a language package an OS package owns only as that OS package', async () => {
    await store(
      record('GHSA-j8r2-6x86-q33q', [
        ['PyPI', 'requests', [{ introduced: '0' }, { fixed: '2.31.0' }]],
      ]),
      record('DEBIAN-CVE-2023-32681', [
        ['Debian:12', 'requests', [{ introduced: '0' }, { fixed: '2.28.1+dfsg-1+deb12u1' }]],
      ]),
    );
    const deb = pkg('dpkg', 'python3-requests', '2.28.1+dfsg-1', { source: { name: 'requests' } });
    const py = pkg('python', 'requests', '2.28.1', { ownedBy: deb.id });
    const result = await matchContent(db, image([deb, py]));
    expect(summary(result)).toEqual([
      'python3-requests CVE-2023-32681 fixed 2.28.1+dfsg-1+deb12u1',
    ]);
  });

  it('folds a DSA into the CVE findings it covers, and keeps it when it covers more', async () => {
    const glibc = (id: string, extra: object = {}) =>
      record(
        id,
        [['Debian:12', 'glibc', [{ introduced: '0' }, { fixed: '2.36-9+deb12u7' }]]],
        extra,
      );
    await store(
      glibc('DSA-5678-1', { related: ['CVE-2024-33599', 'CVE-2024-33600'] }),
      glibc('DEBIAN-CVE-2024-33599'),
      glibc('DEBIAN-CVE-2024-33600'),
      glibc('DSA-9999-1', { related: ['CVE-2024-33599', 'CVE-2099-9999'] }),
    );
    const result = await matchContent(
      db,
      image([pkg('dpkg', 'libc6', '2.36-9+deb12u4', { source: { name: 'glibc' } })]),
    );
    expect(result.findings.map((f) => [f.id, f.aliases]).sort()).toEqual([
      ['CVE-2024-33599', ['DEBIAN-CVE-2024-33599', 'DSA-5678-1']],
      ['CVE-2024-33600', ['DEBIAN-CVE-2024-33600', 'DSA-5678-1']],
      ['DSA-9999-1', []],
    ]);
  });

  it('reads upstream ids naming one CVE as aliases and several as related', async () => {
    const glibc = (id: string, upstream: string[]) =>
      record(id, [['Debian:12', 'glibc', [{ introduced: '0' }, { fixed: '2.36-9+deb12u7' }]]], {
        upstream,
      });
    await store(
      glibc('DSA-5673-1', ['CVE-2024-2961', 'DEBIAN-CVE-2024-2961']),
      glibc('DSA-5678-1', ['CVE-2024-33599', 'CVE-2024-33600']),
    );
    const result = await matchContent(
      db,
      image([pkg('dpkg', 'libc6', '2.36-9+deb12u4', { source: { name: 'glibc' } })]),
    );
    expect(result.findings.map((f) => [f.id, f.aliases, f.related ?? []]).sort()).toEqual([
      ['CVE-2024-2961', ['DEBIAN-CVE-2024-2961', 'DSA-5673-1'], []],
      ['DSA-5678-1', [], ['CVE-2024-33599', 'CVE-2024-33600']],
    ]);
  });

  it('maps Ubuntu LTS, Alpine origin, Red Hat streams and Rocky to their groups', async () => {
    await store(
      record('UBUNTU-CVE-2099-0001', [
        ['Ubuntu:22.04:LTS', 'openssl', [{ introduced: '0' }, { fixed: '3.0.2-0ubuntu1.15' }]],
      ]),
      record('ALPINE-CVE-2099-0002', [
        ['Alpine:v3.19', 'openssl', [{ introduced: '0' }, { fixed: '3.1.4-r1' }]],
      ]),
      record('RHSA-2099:0003', [
        [
          'Red Hat:enterprise_linux:9::baseos',
          'openssl-libs',
          [{ introduced: '0' }, { fixed: '1:3.0.7-25.el9_3' }],
        ],
      ]),
      record('RLSA-2099:0004', [
        ['Rocky Linux:9', 'openssl-libs', [{ introduced: '0' }, { fixed: '1:3.0.7-25.el9_3' }]],
      ]),
    );
    const distro = (id: string, versionId: string): Distro => ({
      id,
      versionId,
      idLike: [],
      source: '/etc/os-release',
    });
    const ubuntu = await matchContent(
      db,
      image(
        [pkg('dpkg', 'libssl3', '3.0.2-0ubuntu1.10', { source: { name: 'openssl' } })],
        distro('ubuntu', '22.04'),
      ),
    );
    expect(summary(ubuntu)).toEqual(['libssl3 CVE-2099-0001 fixed 3.0.2-0ubuntu1.15']);
    const alpine = await matchContent(
      db,
      image(
        [pkg('apk', 'libcrypto3', '3.1.4-r0', { source: { name: 'openssl' } })],
        distro('alpine', '3.19.1'),
      ),
    );
    expect(summary(alpine)).toEqual(['libcrypto3 CVE-2099-0002 fixed 3.1.4-r1']);
    const rpm = pkg('rpm', 'openssl-libs', '1:3.0.7-24.el9', { source: { name: 'openssl' } });
    expect(summary(await matchContent(db, image([rpm], distro('rhel', '9.3'))))).toEqual([
      'openssl-libs RHSA-2099:0003 fixed 1:3.0.7-25.el9_3',
    ]);
    expect(summary(await matchContent(db, image([rpm], distro('rocky', '9.3'))))).toEqual([
      'openssl-libs RLSA-2099:0004 fixed 1:3.0.7-25.el9_3',
    ]);
  });

  it('matches npm scopes, PyPI normalised names, Maven coordinates, gems and Go modules', async () => {
    await store(
      record('GHSA-npm', [['npm', '@babel/traverse', [{ introduced: '0' }, { fixed: '7.23.2' }]]]),
      record('GHSA-pypi', [['PyPI', 'PyYAML', [{ introduced: '0' }, { fixed: '5.4' }]]]),
      record('GHSA-maven', [
        [
          'Maven',
          'org.apache.logging.log4j:log4j-core',
          [{ introduced: '2.0-beta9' }, { fixed: '2.15.0' }],
        ],
      ]),
      record('GHSA-gem', [['RubyGems', 'nokogiri', [{ introduced: '0' }, { fixed: '1.16.5' }]]]),
      record('GO-2099-0001', [
        ['Go', 'golang.org/x/net', [{ introduced: '0' }, { fixed: '0.17.0' }]],
      ]),
    );
    const result = await matchContent(
      db,
      image(
        [
          pkg('npm', '@babel/traverse', '7.22.0'),
          pkg('python', 'pyyaml', '5.3.1'),
          pkg('java', 'log4j-core', '2.14.1', {
            metadata: { groupId: 'org.apache.logging.log4j' },
          }),
          pkg('java', 'log4j-api', '2.14.1'),
          pkg('gem', 'nokogiri', '1.15.0'),
          pkg('go', 'golang.org/x/net', 'v0.10.0'),
          pkg('go', 'example.com/app', '(devel)'),
        ],
        null,
      ),
    );
    expect(summary(result).sort()).toEqual([
      '@babel/traverse GHSA-npm fixed 7.23.2',
      'golang.org/x/net GO-2099-0001 fixed 0.17.0',
      'log4j-core GHSA-maven fixed 2.15.0',
      'nokogiri GHSA-gem fixed 1.16.5',
      'pyyaml GHSA-pypi fixed 5.4',
    ]);
    expect(result.data.unchecked.map((u) => u.packageId).sort()).toEqual([
      'go:example.com/app@(devel)',
      'java:log4j-api@2.14.1',
    ]);
  });

  it('adds KEV, EPSS and NVD scores by CVE, and rates by them when the feed gave no word', async () => {
    const fixtures = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'enrich');
    for (const file of [
      'known_exploited_vulnerabilities.json',
      'epss_scores-2026-09-29.csv',
      'nvd',
    ])
      await importEnrichment(db, join(fixtures, file), { cacheDir: join(work, 'cache') });
    await store(
      record('DEBIAN-CVE-2023-4911', [
        ['Debian:12', 'glibc', [{ introduced: '0' }, { fixed: '2.36-9+deb12u3' }]],
      ]),
    );
    const libc6 = pkg('dpkg', 'libc6', '2.36-9+deb12u1', { source: { name: 'glibc' } });
    const [finding] = (await matchContent(db, image([libc6]))).findings;
    expect(finding).toMatchObject({
      id: 'CVE-2023-4911',
      severity: 'High',
      severitySource: 'cvss',
      kev: { dateAdded: '2023-11-21' },
      cvss: [{ version: '3.1', baseScore: 7.8, source: 'nvd' }],
    });
  });

  it('says which groups and packages it could not check', async () => {
    await store(record('GHSA-npm', [['npm', 'ms', [{ introduced: '0' }, { fixed: '2.0.0' }]]]));
    const result = await matchContent(
      db,
      image([
        pkg('dpkg', 'bash', '5.2-1'),
        pkg('npm', 'ms', '2.0.0'),
        pkg('python', 'x', 'not a version!'),
      ]),
    );
    expect(result.findings).toEqual([]);
    expect(result.data.missingGroups).toEqual(['Debian:12']);
    expect(result.data.unchecked).toEqual([
      {
        packageId: 'python:x@not a version!',
        reason: 'version "not a version!" is not a valid pep440 version',
      },
    ]);
    const noDistro = await matchContent(db, image([pkg('dpkg', 'bash', '5.2-1')], null));
    expect(noDistro.data.unchecked[0]?.reason).toMatch(/distribution is unknown/);
  });

  it('reports the data unavailable with no database or an empty one', async () => {
    const content = image([pkg('npm', 'ms', '2.0.0')]);
    for (const source of [undefined, db]) {
      const result = await matchContent(source, content);
      expect(result).toEqual({
        findings: [],
        data: { available: false, feeds: [], missingGroups: [], unchecked: [] },
      });
    }
  });
});
