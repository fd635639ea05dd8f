import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoImageSpec } from '../../../examples/demo-image/spec.js';
import type { ImageSpec } from '../../../test/harness/image-builder.js';
import { policyInputFor } from '../../../test/harness/policy-input.js';
import { evaluateRule, ruleProblems, type RuleParams } from '../../../test/harness/policy-rule.js';
import { corpusCases } from '../../../test/fixtures/vuln-corpus/cases.js';
import type { ImageContent, MatchResult } from '../../model/index.js';
import { openVulnDb } from '../../vuln/db.js';
import { importEnrichment } from '../../vuln/enrich/import.js';
import { importOsv } from '../../vuln/import.js';
import { matchContent } from '../../vuln/match/match.js';
import type { PolicyInput } from '../gate.js';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures');
const CORPUS_OSV = join(FIXTURES, 'vuln-corpus', 'osv');
const ENRICH = join(FIXTURES, 'enrich');

const rows = (input: PolicyInput, trigger: string, params: RuleParams = {}) =>
  evaluateRule(input, 'vulnerabilities', trigger, params);
const ids = (input: PolicyInput, trigger: string, params: RuleParams = {}) =>
  rows(input, trigger, params).map((row) => row.triggerId);

function corpusImage(name: string): ImageSpec {
  const found = corpusCases.find((c) => c.name === name);
  if (found === undefined) throw new Error(`no corpus case ${name}`);
  return found.image;
}

const DEBIAN_12 = 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n';

const dpkgStanza = (name: string, version: string, source?: string): string =>
  [
    `Package: ${name}`,
    'Status: install ok installed',
    'Architecture: amd64',
    ...(source === undefined ? [] : [`Source: ${source}`]),
    `Version: ${version}`,
    '',
  ].join('\n');

/** Debian 12 with a glibc older than the fix of CVE-2023-4911 (in CISA KEV). */
const oldGlibcImage: ImageSpec = {
  layers: [
    {
      entries: [
        { path: 'etc/os-release', content: DEBIAN_12 },
        { path: 'var/lib/dpkg/status', content: dpkgStanza('libc6', '2.36-9+deb12u1', 'glibc') },
      ],
    },
  ],
};

/** dpkg packages and no os-release: the distribution, and so its feed, is unknown. */
const noDistroImage: ImageSpec = {
  layers: [{ entries: [{ path: 'var/lib/dpkg/status', content: dpkgStanza('bash', '5.2-1') }] }],
};

/**
 * The glibc image matched against the real DEBIAN-CVE-2023-4911 record and the real KEV, NVD and
 * EPSS fixtures. The EPSS file gets one row for CVE-2023-4911, a test value (the fixture holds no
 * score for it), so that a finding has an EPSS score.
 */
async function enrichedMatch(content: ImageContent): Promise<MatchResult> {
  const work = await mkdtemp(join(tmpdir(), 'drydock-vuln-gate-'));
  const db = await openVulnDb(join(work, 'vulndb.sqlite'));
  const options = { cacheDir: join(work, 'cache') };
  try {
    await importOsv(db, join(FIXTURES, 'osv', 'DEBIAN-CVE-2023-4911.json'), options);
    const epss = join(work, 'epss.csv');
    const real = await readFile(join(ENRICH, 'epss_scores-2026-09-29.csv'), 'utf8');
    await writeFile(epss, `${real}CVE-2023-4911,0.51234,0.97655\n`);
    for (const source of [
      join(ENRICH, 'known_exploited_vulnerabilities.json'),
      join(ENRICH, 'nvd'),
      epss,
    ])
      await importEnrichment(db, source, options);
    return await matchContent(db, content);
  } finally {
    await db.destroy();
    await rm(work, { recursive: true, force: true });
  }
}

/** `input` with the finding `id` of package `name` marked won't-fix by the distribution. */
function withWontFix(input: PolicyInput, id: string, name: string): PolicyInput {
  const findings = input.match.findings.map((f) =>
    f.id === id && f.package.name === name
      ? { ...f, fix: { state: 'wont-fix' as const, versions: [] } }
      : f,
  );
  return { ...input, match: { ...input.match, findings } };
}

let demo: PolicyInput;
let demoNoData: PolicyInput;
let npmApp: PolicyInput;
let javaApp: PolicyInput;
let gems: PolicyInput;
let alpineDebianOnly: PolicyInput;
let npmDebianOnly: PolicyInput;
let noDistro: PolicyInput;
let oldGlibc: PolicyInput;

beforeAll(async () => {
  const debianOnly = join(CORPUS_OSV, 'Debian');
  [demo, demoNoData, npmApp, javaApp, gems, alpineDebianOnly, npmDebianOnly, noDistro, oldGlibc] =
    await Promise.all([
      policyInputFor(demoImageSpec, { records: CORPUS_OSV }),
      policyInputFor(demoImageSpec),
      policyInputFor(corpusImage('npm-scoped-and-boundaries'), {
        records: join(CORPUS_OSV, 'npm'),
      }),
      policyInputFor(corpusImage('maven-group-artifact-and-last-affected'), {
        records: join(CORPUS_OSV, 'Maven'),
      }),
      policyInputFor(corpusImage('rubygems-two-versions'), {
        records: join(CORPUS_OSV, 'RubyGems'),
      }),
      policyInputFor(corpusImage('alpine-3.19-origin-packages'), { records: debianOnly }),
      policyInputFor(corpusImage('npm-scoped-and-boundaries'), { records: debianOnly }),
      policyInputFor(noDistroImage, { records: debianOnly }),
      policyInputFor(oldGlibcImage),
    ]);
  oldGlibc = { ...oldGlibc, match: await enrichedMatch(oldGlibc.content) };
}, 120_000);

describe('vulnerabilities/package', () => {
  it("fires for OS packages with Anchore's message, trigger id and the fix", () => {
    const all = rows(demo, 'package', {
      package_type: 'os',
      severity_comparison: '>=',
      severity: 'unknown',
    });
    expect(all.map((row) => row.triggerId)).toEqual(['CVE-2024-2961+libc6', 'DSA-5678-1+libc6']);
    expect(all[0]).toMatchObject({
      checkOutput:
        'UNKNOWN Vulnerability found in os package type (dpkg) - libc6 (fixed in: 2.36-9+deb12u6)(CVE-2024-2961 - https://osv.dev/vulnerability/DSA-5673-1)',
      fixAvailable: true,
      action: 'STOP',
    });
    // Anchore's defaults (severity_comparison ">", severity unknown): findings of unknown severity stay out.
    expect(ids(demo, 'package', { package_type: 'os' })).toEqual([]);
  });

  it('names language packages by where they were found, and keeps them apart from OS ones', () => {
    const high = rows(npmApp, 'package', {
      package_type: 'non-os',
      severity_comparison: '>',
      severity: 'medium',
    });
    expect(high.map((row) => row.triggerId)).toEqual([
      'GHSA-67hx-6x53-jw92+@babel/traverse',
      'GHSA-67hx-6x53-jw92+babel-traverse',
      'GHSA-whgm-jr23-g3j9+ansi-html',
    ]);
    expect(high[0]?.checkOutput).toBe(
      'CRITICAL Vulnerability found in non-os package type (npm) - /app/node_modules/@babel/traverse/package.json (fixed in: 7.23.2)(GHSA-67hx-6x53-jw92 - https://osv.dev/vulnerability/GHSA-67hx-6x53-jw92)',
    );
    expect(high[1]).toMatchObject({ fixAvailable: false });
    expect(high[1]?.checkOutput).toContain('- /app/node_modules/babel-traverse/package.json (GHSA');
    expect(ids(npmApp, 'package', { package_type: 'os' })).toEqual([]);
  });

  it('ends the trigger id of a jar or a gem with its file name, as Anchore does', () => {
    expect(ids(javaApp, 'package', { package_type: 'all' }).sort()).toEqual([
      'GHSA-269g-pwp5-87pp+junit-4.12.jar',
      'GHSA-3pxv-7cmr-fjr4+log4j-core-2.17.1.jar',
      'GHSA-3pxv-7cmr-fjr4+log4j-core-3.0.0-beta2.jar',
    ]);
    expect(ids(gems, 'package', { package_type: 'non-os' })).toEqual([
      'GHSA-5cm2-9h8c-rvfx+tzinfo-1.2.9.gemspec',
    ]);
  });

  it('filters on fix availability', () => {
    expect(ids(npmApp, 'package', { package_type: 'all', fix_available: 'false' })).toEqual([
      'GHSA-67hx-6x53-jw92+babel-traverse',
    ]);
    const fixed = rows(npmApp, 'package', { package_type: 'all', fix_available: 'TRUE' });
    expect(fixed.map((row) => row.triggerId)).toEqual([
      'GHSA-67hx-6x53-jw92+@babel/traverse',
      'GHSA-whgm-jr23-g3j9+ansi-html',
      'GHSA-qw6h-vgh9-j6wx+express',
    ]);
    expect(fixed.every((row) => row.fixAvailable === true)).toBe(true);
  });

  it("compares the record's own CVSS v3 scores with the vendor_ parameters", () => {
    const critical = rows(npmApp, 'package', {
      package_type: 'all',
      vendor_cvss_v3_base_score: '9',
    });
    expect(critical.map((row) => row.triggerId)).toEqual([
      'GHSA-67hx-6x53-jw92+@babel/traverse',
      'GHSA-67hx-6x53-jw92+babel-traverse',
    ]);
    expect(critical[0]?.checkOutput).toContain(
      '(fixed in: 7.23.2)(vendor_cvss_v3_base_score=9.3)(',
    );
    expect(
      ids(npmApp, 'package', {
        package_type: 'all',
        vendor_cvss_v3_impact_score_comparison: '<',
        vendor_cvss_v3_impact_score: '3.5',
      }),
    ).toEqual(['GHSA-qw6h-vgh9-j6wx+express']);
  });

  it('compares NVD scores with the cvss_v3 parameters, a missing one counting as -1', () => {
    const scored = rows(oldGlibc, 'package', { package_type: 'os', cvss_v3_base_score: '7.8' });
    expect(scored.map((row) => row.triggerId)).toEqual(['CVE-2023-4911+libc6']);
    expect(scored[0]?.checkOutput).toContain('(cvss_v3_base_score=7.8)(CVE-2023-4911');
    expect(ids(oldGlibc, 'package', { package_type: 'os', cvss_v3_base_score: '7.9' })).toEqual([]);
    expect(
      ids(oldGlibc, 'package', {
        package_type: 'os',
        cvss_v3_exploitability_score_comparison: '<=',
        cvss_v3_exploitability_score: '1.8',
        cvss_v3_impact_score_comparison: '=',
        cvss_v3_impact_score: '5.9',
      }),
    ).toEqual(['CVE-2023-4911+libc6']);
    // The npm records carry no NVD scores: -1 is never >= 0, and always < 0.
    expect(ids(npmApp, 'package', { package_type: 'all', cvss_v3_base_score: '0' })).toEqual([]);
    expect(
      ids(npmApp, 'package', {
        package_type: 'all',
        cvss_v3_base_score_comparison: '<',
        cvss_v3_base_score: '0',
      }),
    ).toHaveLength(4);
  });

  it('leaves out vulnerabilities published too recently; max_days_since_fix changes nothing', () => {
    const october = { ...npmApp, now: new Date('2024-10-01T00:00:00Z') };
    const params = { package_type: 'all', max_days_since_creation: '30' };
    const old = rows(october, 'package', params);
    // express's GHSA-qw6h-vgh9-j6wx was published 2024-09-10, 21 days before.
    expect(old.map((row) => row.triggerId)).toEqual([
      'GHSA-67hx-6x53-jw92+@babel/traverse',
      'GHSA-67hx-6x53-jw92+babel-traverse',
      'GHSA-whgm-jr23-g3j9+ansi-html',
    ]);
    expect(old[0]?.checkOutput).toContain('(max_days_since_creation=2023-10-16)(GHSA-67hx');
    expect(
      rows(october, 'package', { ...params, fix_available: 'true', max_days_since_fix: '9999' }),
    ).toEqual(rows(october, 'package', { ...params, fix_available: 'true' }));
  });

  it('excludes language packages by path, never OS packages', () => {
    expect(
      ids(npmApp, 'package', {
        package_type: 'all',
        package_path_exclude: '/app/node_modules/@babel/',
      }),
    ).not.toContain('GHSA-67hx-6x53-jw92+@babel/traverse');
    expect(
      ids(demo, 'package', {
        package_type: 'all',
        severity_comparison: '>=',
        severity: 'unknown',
        package_path_exclude: '.*',
      }),
    ).toEqual(['CVE-2024-2961+libc6', 'DSA-5678-1+libc6']);
  });

  it("leaves out what the distribution won't fix unless vendor_only is false", () => {
    // No feed drydock reads marks a fix won't-fix yet, so the state is set on a real finding.
    const wontFix = withWontFix(demo, 'CVE-2024-2961', 'libc6');
    const params = { package_type: 'os', severity_comparison: '>=', severity: 'unknown' };
    expect(ids(wontFix, 'package', params)).toEqual(['DSA-5678-1+libc6']);
    expect(ids(wontFix, 'package', { ...params, vendor_only: 'false' })).toEqual([
      'CVE-2024-2961+libc6',
      'DSA-5678-1+libc6',
    ]);
  });
});

describe('vulnerabilities/blacklist', () => {
  it('fires for each finding of a listed id, its aliases or the CVEs an advisory fixes', () => {
    const listed = rows(demo, 'blacklist', {
      vulnerability_ids: 'cve-2024-2961, CVE-2024-33599,GHSA-rv95-896h-c2vc',
    });
    expect(listed.map((row) => row.triggerId)).toEqual([
      'GHSA-rv95-896h-c2vc+express',
      'CVE-2024-2961+libc6',
      'DSA-5678-1+libc6',
    ]);
    expect(listed[2]?.checkOutput).toContain('(blacklisted: CVE-2024-33599)(DSA-5678-1 - ');
    expect(ids(demo, 'blacklist', { vulnerability_ids: 'CVE-2019-1234' })).toEqual([]);
  });

  it("honours vendor_only for findings the distribution won't fix", () => {
    const wontFix = withWontFix(demo, 'CVE-2024-2961', 'libc6');
    expect(ids(wontFix, 'blacklist', { vulnerability_ids: 'CVE-2024-2961' })).toEqual([]);
    expect(
      ids(wontFix, 'blacklist', { vulnerability_ids: 'CVE-2024-2961', vendor_only: 'false' }),
    ).toEqual(['CVE-2024-2961+libc6']);
  });
});

const anchoreId = (trigger: string, message: string): string =>
  createHash('md5').update(`vulnerabilities${trigger}${message}`).digest('hex');

describe('vulnerabilities/stale_feed_data', () => {
  it("fires for each of the image's feeds synced too long ago, with Anchore's trigger id", () => {
    const newest = Math.max(...demo.match.data.feeds.map((feed) => Date.parse(feed.lastSync)));
    const later = { ...demo, now: new Date(newest + 3 * 86_400_000) };
    const stale = rows(later, 'stale_feed_data', { max_days_since_sync: '2' });
    // The demo image is matched in the Debian and npm feeds only; Alpine, PyPI … do not count.
    expect(stale.map((row) => row.checkOutput.split(' ')[1])).toEqual(['Debian', 'npm']);
    expect(stale[0]?.checkOutput).toMatch(
      /^The Debian vulnerability feed was last synced \d{4}-\d\d-\d\d, more than 2 days ago; run `drydock db update`\.$/,
    );
    expect(stale[0]?.triggerId).toBe(
      anchoreId(
        'stale_feed_data',
        'The vulnerability feed for this image distro is older than MAXAGE (2) days',
      ),
    );
    expect(ids(later, 'stale_feed_data', { max_days_since_sync: '5' })).toEqual([]);
  });

  it('fires when no feed was ever synced', () => {
    expect(rows(demoNoData, 'stale_feed_data', { max_days_since_sync: '30' })).toMatchObject([
      { checkOutput: expect.stringMatching(/^No vulnerability feed has been synced/) as string },
    ]);
  });
});

describe('vulnerabilities/vulnerability_data_unavailable', () => {
  it("fires without any data, with Anchore's trigger id", () => {
    const [row, ...more] = rows(demoNoData, 'vulnerability_data_unavailable');
    expect(more).toEqual([]);
    expect(row?.checkOutput).toMatch(
      /^Vulnerability data unavailable for debian:12: no vulnerability data is available, so no package was checked/,
    );
    expect(row?.triggerId).toBe(
      anchoreId(
        'vulnerability_data_unavailable',
        'Distro-specific feed data not found for distro namespace: debian:12. Cannot perform CVE scan OS/distro packages',
      ),
    );
  });

  it("fires when the database has nothing for the image's distribution, or it is unknown", () => {
    expect(rows(alpineDebianOnly, 'vulnerability_data_unavailable')[0]?.checkOutput).toBe(
      'Vulnerability data unavailable for alpine:3.19.1: the vulnerability database has no records for Alpine:v3.19, so its OS packages were not checked; import that feed (drydock db update).',
    );
    expect(rows(noDistro, 'vulnerability_data_unavailable')[0]?.checkOutput).toMatch(
      /^Vulnerability data unavailable for unknown: the distribution is unknown .*: its OS packages were not checked\.$/,
    );
  });

  it('does not fire when the distribution is covered, nor for language packages', () => {
    expect(ids(demo, 'vulnerability_data_unavailable')).toEqual([]);
    expect(npmDebianOnly.match.data.missingGroups).toEqual(['npm']);
    expect(ids(npmDebianOnly, 'vulnerability_data_unavailable')).toEqual([]);
  });
});

describe('vulnerabilities/known_exploited', () => {
  it('fires for findings in CISA KEV, saying since when and by when', () => {
    const exploited = rows(oldGlibc, 'known_exploited');
    expect(exploited).toMatchObject([
      {
        triggerId: 'CVE-2023-4911+libc6',
        checkOutput:
          'HIGH Vulnerability found in os package type (dpkg) - libc6 (fixed in: 2.36-9+deb12u3)(known exploited: in CISA KEV since 2023-11-21, remediation due 2023-12-12)(CVE-2023-4911 - https://osv.dev/vulnerability/DEBIAN-CVE-2023-4911)',
        fixAvailable: true,
      },
    ]);
  });

  it('does not fire for findings outside KEV or outside its filters', () => {
    expect(ids(demo, 'known_exploited')).toEqual([]);
    expect(ids(oldGlibc, 'known_exploited', { fix_available: 'false' })).toEqual([]);
    expect(ids(oldGlibc, 'known_exploited', { package_type: 'non-os' })).toEqual([]);
  });
});

describe('vulnerabilities/epss_score', () => {
  it('fires when the EPSS score or percentile compares as asked', () => {
    const likely = rows(oldGlibc, 'epss_score', { epss_score: '0.5' });
    expect(likely.map((row) => row.triggerId)).toEqual(['CVE-2023-4911+libc6']);
    expect(likely[0]?.checkOutput).toContain(
      '(epss=0.51234 percentile=0.97655 on 2026-09-29)(CVE-2023-4911 - ',
    );
    expect(
      ids(oldGlibc, 'epss_score', { epss_comparison: '<', epss_percentile: '0.98' }),
    ).toHaveLength(1);
  });

  it('does not fire below the threshold, nor for findings without a score', () => {
    expect(ids(oldGlibc, 'epss_score', { epss_score: '0.6' })).toEqual([]);
    expect(ids(oldGlibc, 'epss_score', { epss_score: '0.5', epss_percentile: '0.99' })).toEqual([]);
    expect(ids(demo, 'epss_score')).toEqual([]);
  });
});

describe('vulnerabilities parameters', () => {
  const problems = (trigger: string, params: RuleParams) =>
    ruleProblems('vulnerabilities', trigger, params);

  it('refuses bad values, naming the policy, rule and parameter', () => {
    expect(problems('package', {})).toEqual([
      'policy p1 rule r1: parameter package_type is required',
    ]);
    expect(problems('package', { package_type: 'all', severity: 'severe' })).toEqual([
      'policy p1 rule r1: parameter severity "severe": expected one of unknown, negligible, low, medium, high, critical',
    ]);
    expect(problems('package', { package_type: 'apps' })[0]).toMatch(
      /parameter package_type "apps": expected one of all, os, non-os/,
    );
    expect(problems('package', { package_type: 'all', cvss_v3_base_score: 'high' })).toEqual([
      'policy p1 rule r1: parameter cvss_v3_base_score "high": expected a number',
    ]);
    expect(
      problems('package', { package_type: 'all', vendor_cvss_v3_impact_score_comparison: '=>' }),
    ).toEqual([
      'policy p1 rule r1: parameter vendor_cvss_v3_impact_score_comparison "=>": expected one of =, !=, <, >, <=, >=',
    ]);
    expect(problems('package', { package_type: 'all', package_path_exclude: '(' })[0]).toMatch(
      /parameter package_path_exclude "\(": not a valid regular expression/,
    );
    expect(problems('package', { package_type: 'all', fix_available: 'yes' })[0]).toMatch(
      /parameter fix_available "yes": expected true or false/,
    );
    expect(problems('stale_feed_data', {})).toEqual([
      'policy p1 rule r1: parameter max_days_since_sync is required',
    ]);
    expect(problems('stale_feed_data', { max_days_since_sync: 'two' })[0]).toMatch(
      /max_days_since_sync "two": expected an integer/,
    );
    expect(problems('blacklist', {})).toEqual([
      'policy p1 rule r1: parameter vulnerability_ids is required',
    ]);
    expect(problems('epss_score', { epss_score: 'likely' })[0]).toMatch(/expected a number/);
  });

  it('takes no parameter Anchore Engine does not have (its CVSS filters are v3 only)', () => {
    expect(problems('package', { package_type: 'all', score_version: '3' })[0]).toMatch(
      /trigger vulnerabilities\/package has no parameter "score_version"/,
    );
  });

  it("loads the rules Anchore's all-rules test bundle writes for this gate", () => {
    // anchore-engine tests/functional/artifacts/bundle-with-all-rules-2020-08-20.json
    expect(problems('vulnerability_data_unavailable', {})).toEqual([]);
    expect(problems('stale_feed_data', { max_days_since_sync: '100' })).toEqual([]);
    expect(problems('package', { package_type: 'all' })).toEqual([]);
    expect(
      problems('blacklist', { vulnerability_ids: 'CVE-2019-1234', vendor_only: 'false' }),
    ).toEqual([]);
    expect(
      problems('package', {
        package_type: 'all',
        severity_comparison: '>',
        severity: 'medium',
        cvss_v3_base_score_comparison: '>=',
        cvss_v3_base_score: '5.0',
        vendor_cvss_v3_exploitability_score_comparison: '>',
        vendor_cvss_v3_exploitability_score: '1.0',
        fix_available: 'true',
        vendor_only: 'true',
        max_days_since_creation: '7',
        max_days_since_fix: '30',
        package_path_exclude: '.*test\\.jar*',
      }),
    ).toEqual([]);
  });
});
