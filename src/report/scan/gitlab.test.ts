import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../test/harness/random.js';
import {
  awkwardFindings,
  CLEAN_REPORT,
  PARTIAL_REPORT,
  SAMPLE_FINDINGS,
  SAMPLE_REPORT,
  UNAVAILABLE_REPORT,
} from '../../../test/fixtures/scan-report/sample-report.js';
import { gitlabFormat } from './gitlab.js';
import type { ScanReport } from './scan-format.js';

const TOOL = { name: 'drydock', version: '0.1.0', timestamp: new Date('2024-05-01T12:00:00.250Z') };

/** GitLab's published schema (test/fixtures/schemas/README.md), a draft-07 schema. */
const SCHEMA = join(
  import.meta.dirname,
  '../../../test/fixtures/schemas/gitlab-container-scanning-report-format-15.2.1.json',
);

interface GitlabVulnerability {
  id: string;
  name: string;
  description: string;
  severity: string;
  solution?: string;
  location: {
    dependency: { package: { name: string }; version: string };
    operating_system: string;
    image: string;
  };
  identifiers: { type: string; name: string; value: string; url?: string }[];
  links?: { url: string }[];
  cvss_vectors?: { vendor: string; vector: string }[];
}
interface GitlabReport {
  version: string;
  scan: {
    analyzer: object;
    scanner: object;
    type: string;
    start_time: string;
    end_time: string;
    status: string;
    messages?: { level: string; value: string }[];
  };
  vulnerabilities: GitlabVulnerability[];
  remediations: object[];
}

function render(report: ScanReport): GitlabReport {
  return JSON.parse([...gitlabFormat.render(report, TOOL)].join('')) as GitlabReport;
}

describe('gitlab', () => {
  // The schema's `self` keyword is GitLab's own: not strict, so Ajv lets it be.
  const validate = new Ajv({ strict: false, allErrors: true }).compile(
    JSON.parse(readFileSync(SCHEMA, 'utf8')) as object,
  );
  const doc = render({ ...SAMPLE_REPORT, findings: [...SAMPLE_FINDINGS].reverse() });
  const entries = (id: string): GitlabVulnerability[] =>
    doc.vulnerabilities.filter((v) => v.identifiers[0]?.value === id);
  const entry = (id: string): GitlabVulnerability | undefined => entries(id)[0];

  it('is valid against GitLab’s container scanning schema, with or without findings and data', () => {
    for (const report of [SAMPLE_REPORT, CLEAN_REPORT, UNAVAILABLE_REPORT, PARTIAL_REPORT]) {
      const rendered = render(report);
      expect(validate(rendered), JSON.stringify(validate.errors, null, 2)).toBe(true);
    }
    // The validator is not vacuous: a severity GitLab does not have fails it.
    const broken = structuredClone(doc);
    const [first] = broken.vulnerabilities;
    if (first) first.severity = 'Negligible';
    expect(validate(broken)).toBe(false);
  });

  it('describes the scan: drydock as analyzer and scanner, container_scanning, UTC seconds', () => {
    const drydock = {
      id: 'drydock',
      name: 'drydock',
      version: '0.1.0',
      vendor: { name: 'drydock' },
    };
    expect(doc.version).toBe('15.2.1');
    expect(doc.scan).toEqual({
      analyzer: drydock,
      scanner: drydock,
      type: 'container_scanning',
      start_time: '2024-05-01T12:00:00',
      end_time: '2024-05-01T12:00:00',
      status: 'success',
    });
    expect(doc.remediations).toEqual([]);
  });

  it('lists each finding once, worst first, located by package, version, distribution and image', () => {
    expect(doc.vulnerabilities).toHaveLength(SAMPLE_FINDINGS.length);
    expect(doc.vulnerabilities.map((v) => v.severity)).toEqual([
      'Critical',
      'High',
      'Medium',
      'Medium',
      'Medium',
      'Medium',
      'Medium',
      'Low',
      'Info', // Negligible
      'Unknown',
    ]);
    expect(entry('CVE-2024-1002')?.location).toEqual({
      dependency: { package: { name: 'openssl-libs' }, version: '1:3.0.7-25.el9' },
      operating_system: 'debian 12',
      image: 'registry.example:5000/team/app:1.0',
    });
    // One vulnerability in two packages is two entries.
    expect(entries('CVE-2024-0727').map((v) => v.location.dependency.package.name)).toEqual([
      'libssl3',
      'openssl',
    ]);
  });

  it('names the distribution Unknown when the image has none', () => {
    const content = { ...SAMPLE_REPORT.sbom.content, distro: undefined };
    const bare = render({ ...SAMPLE_REPORT, sbom: { ...SAMPLE_REPORT.sbom, content } });
    expect(bare.vulnerabilities[0]?.location.operating_system).toBe('Unknown');
  });

  it('gives each entry a UUID stable across runs and orders, distinct per vulnerability, package and version', () => {
    const ids = doc.vulnerabilities.map((v) => v.id);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(
      render(SAMPLE_REPORT)
        .vulnerabilities.map((v) => v.id)
        .sort(),
    ).toEqual([...ids].sort());
    // The image is not part of it: a new tag keeps the ids.
    const retagged = render({
      ...SAMPLE_REPORT,
      sbom: { ...SAMPLE_REPORT.sbom, subject: { name: 'registry.example:5000/team/app:2.0' } },
    });
    expect(retagged.vulnerabilities.map((v) => v.id).sort()).toEqual([...ids].sort());
    // A new version is a new finding.
    const [bash] = SAMPLE_FINDINGS;
    if (bash === undefined) throw new Error('no sample finding');
    const upgraded = render({
      ...SAMPLE_REPORT,
      findings: [{ ...bash, package: { ...bash.package, version: '5.2.15-2+b3' } }],
    });
    expect(ids).not.toContain(upgraded.vulnerabilities[0]?.id);
  });

  it('makes one entry of a package found at two paths, naming both', () => {
    const [bash] = SAMPLE_FINDINGS;
    if (bash === undefined) throw new Error('no sample finding');
    const copy = {
      ...bash,
      package: { ...bash.package, id: 'copy', paths: ['/opt/var/lib/dpkg/status'] },
    };
    const twice = render({ ...SAMPLE_REPORT, findings: [bash, copy] });
    expect(twice.vulnerabilities).toHaveLength(1);
    expect(twice.vulnerabilities[0]?.description).toContain(
      'dpkg package bash 5.2.15-2+b2 at /opt/var/lib/dpkg/status, /var/lib/dpkg/status',
    );
  });

  it('identifies an entry by its id, then its aliases, with the record page as the primary URL', () => {
    expect(entry('CVE-2024-1001')?.identifiers).toEqual([
      {
        type: 'cve',
        name: 'CVE-2024-1001',
        value: 'CVE-2024-1001',
        url: 'https://osv.dev/vulnerability/DEBIAN-CVE-2024-1001',
      },
      { type: 'debian', name: 'DEBIAN-CVE-2024-1001', value: 'DEBIAN-CVE-2024-1001' },
      { type: 'dsa', name: 'DSA-5600-1', value: 'DSA-5600-1' },
    ]);
    expect(entry('GHSA-j288-q9x7-2f5v')?.identifiers.map((i) => i.type)).toEqual(['ghsa', 'cve']);
    // Only web URLs are links; no URL, no links.
    expect(entry('CVE-2024-1001')?.links).toEqual([
      { url: 'https://osv.dev/vulnerability/DEBIAN-CVE-2024-1001' },
      { url: 'https://security-tracker.debian.org/tracker/CVE-2024-1001' },
    ]);
    expect(entry('GHSA-aaaa-bbbb-cccc')).not.toHaveProperty('links');
    expect(entry('GHSA-aaaa-bbbb-cccc')?.identifiers[0]).not.toHaveProperty('url');
  });

  it('names and describes an entry from the feed, with the fix as the solution when there is one', () => {
    expect(entry('CVE-2024-1002')).toMatchObject({
      name: 'CVE-2024-1002: openssl: denial of service',
      description:
        "openssl: denial of service\n\nrpm package openssl-libs 1:3.0.7-25.el9 at /var/lib/rpm/rpmdb.sqlite; fix: (won't fix)",
    });
    expect(entry('CVE-2024-1002')).not.toHaveProperty('solution');
    expect(entry('CVE-2024-1001')?.solution).toBe('Upgrade bash to 5.2.15-2+b3 or 5.2.21-1');
    // No summary: the id names it.
    expect(entry('GHSA-aaaa-bbbb-cccc')?.name).toBe('GHSA-aaaa-bbbb-cccc');
    expect(entry('GHSA-aaaa-bbbb-cccc')?.description).toMatch(
      /^GHSA-aaaa-bbbb-cccc \(Unknown\)\n\n/,
    );
  });

  it('carries CVSS v2 and v3 vectors with who scored them, and leaves v4 out', () => {
    expect(entry('CVE-2024-1001')?.cvss_vectors).toEqual([
      { vendor: 'DEBIAN-CVE-2024-1001', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
      { vendor: 'nvd', vector: 'AV:N/AC:L/Au:N/C:C/I:C/A:C' },
    ]);
    expect(entry('GHSA-j288-q9x7-2f5v')?.cvss_vectors).toEqual([
      { vendor: 'nvd', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L' },
    ]);
    expect(entry('CVE-2024-1003')).not.toHaveProperty('cvss_vectors'); // v4 only
  });

  it('fails the scan when there was no data, and warns about what was not checked', () => {
    const none = render(UNAVAILABLE_REPORT).scan;
    expect(none.status).toBe('failure');
    expect(none.messages).toHaveLength(1);
    expect(none.messages?.[0]?.level).toBe('fatal');
    expect(none.messages?.[0]?.value).toMatch(/^vulnerability data is unavailable/);
    const partial = render(PARTIAL_REPORT).scan;
    expect(partial.status).toBe('success');
    expect(partial.messages?.map((m) => m.level)).toEqual(['warn', 'warn']);
    expect(partial.messages?.[0]?.value).toContain('Alpine:v3.18');
  });

  it('stays valid whatever text the image and the feeds supply', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const findings = awkwardFindings(seededRandom(seed), 25);
      const rendered = render({ ...SAMPLE_REPORT, findings });
      expect(validate(rendered), `seed ${seed}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
    // Longer than the schema allows is clipped, not refused.
    const [bash] = SAMPLE_FINDINGS;
    if (bash === undefined) throw new Error('no sample finding');
    const long = render({
      ...SAMPLE_REPORT,
      findings: [
        {
          ...bash,
          summary: 'x'.repeat(300),
          fix: { state: 'fixed', versions: ['1'.repeat(8000)] },
        },
      ],
    });
    expect(validate(long), JSON.stringify(validate.errors)).toBe(true);
    expect(Array.from(long.vulnerabilities[0]?.name ?? '')).toHaveLength(255);
  });
});
