import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../test/harness/random.js';
import {
  awkwardFindings,
  PARTIAL_REPORT,
  SAMPLE_FINDINGS,
  SAMPLE_REPORT,
  SCAN_PACKAGES,
  UNAVAILABLE_REPORT,
} from '../../../test/fixtures/scan-report/sample-report.js';
import { cyclonedx16Validator } from '../../../test/fixtures/sbom/schemas.js';
import { cyclonedxFormat as sbomCyclonedx } from '../sbom/cyclonedx.js';
import { cyclonedxFormat } from './cyclonedx.js';
import type { ScanReport } from './scan-format.js';

const TOOL = { name: 'drydock', version: '0.1.0', timestamp: new Date('2024-05-01T12:00:00Z') };

interface Property {
  name: string;
  value: string;
}
interface CdxVulnerability {
  'bom-ref': string;
  id: string;
  source?: { name?: string; url?: string };
  references?: { id: string; source: { name?: string; url?: string } }[];
  ratings?: {
    source?: { name?: string };
    score?: number;
    severity?: string;
    method?: string;
    vector?: string;
  }[];
  description?: string;
  recommendation?: string;
  advisories?: { url: string }[];
  published?: string;
  updated?: string;
  affects?: { ref: string; versions?: { version: string; status: string }[] }[];
  properties?: Property[];
}
interface CdxBom {
  serialNumber: string;
  metadata: { properties?: Property[]; component?: unknown };
  components: { 'bom-ref': string; name: string }[];
  dependencies: unknown[];
  vulnerabilities?: CdxVulnerability[];
}

function render(report: ScanReport): CdxBom {
  return JSON.parse([...cyclonedxFormat.render(report, TOOL)].join('')) as CdxBom;
}

const values = (properties: Property[] | undefined, name: string): string[] =>
  (properties ?? []).filter((p) => p.name === name).map((p) => p.value);

describe('scan cyclonedx-json', () => {
  const validate = cyclonedx16Validator();
  const bom = render({ ...SAMPLE_REPORT, findings: [...SAMPLE_FINDINGS].reverse() });
  const vulnerabilities = bom.vulnerabilities ?? [];
  const vulnerability = (id: string, packageName?: string): CdxVulnerability | undefined =>
    vulnerabilities.find(
      (v) =>
        v.id === id &&
        (packageName === undefined ||
          v.affects?.[0]?.ref === SCAN_PACKAGES.find((p) => p.name === packageName)?.id),
    );

  it('is valid CycloneDX 1.6, with findings, with none and without data', () => {
    for (const report of [SAMPLE_REPORT, UNAVAILABLE_REPORT, PARTIAL_REPORT]) {
      const doc = render(report);
      expect(validate(doc), JSON.stringify(validate.errors, null, 2)).toBe(true);
    }
    // The validator is not vacuous: a rating severity CycloneDX does not have fails it.
    const broken = structuredClone(bom);
    const rating = broken.vulnerabilities?.[0]?.ratings?.[0];
    if (rating) rating.severity = 'Critical';
    expect(validate(broken)).toBe(false);
  });

  it('stays valid whatever text the image and the feeds supply', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const findings = awkwardFindings(seededRandom(seed), 25);
      const doc = render({ ...SAMPLE_REPORT, findings });
      expect(validate(doc), `seed ${seed}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it('is the SBOM drydock sbom writes, plus one vulnerability per finding', () => {
    const sbom = JSON.parse(
      [...sbomCyclonedx.render([SAMPLE_REPORT.sbom], TOOL)].join(''),
    ) as CdxBom;
    // All but the serial number, the vulnerabilities and the metadata's data properties.
    const sbomPart = ({ serialNumber: _s, vulnerabilities: _v, metadata, ...rest }: CdxBom) => ({
      ...rest,
      metadata: { ...metadata, properties: undefined },
    });
    expect(sbomPart(bom)).toEqual(sbomPart(sbom));
    expect(vulnerabilities).toHaveLength(SAMPLE_FINDINGS.length);
  });

  it("names each affected package by its component's bom-ref, at its installed version", () => {
    const refs = new Set(bom.components.map((c) => c['bom-ref']));
    for (const v of vulnerabilities) {
      expect(v.affects).toHaveLength(1);
      expect(refs.has(v.affects?.[0]?.ref ?? '')).toBe(true);
    }
    expect(vulnerability('CVE-2024-0727', 'libssl3')?.affects).toEqual([
      {
        ref: 'dpkg:libssl3@3.0.11-1~deb12u2:/var/lib/dpkg/status',
        versions: [{ version: '3.0.11-1~deb12u2', status: 'affected' }],
      },
    ]);
    expect(vulnerability('CVE-2024-0727', 'openssl')).toBeDefined();
  });

  it('gives each vulnerability a bom-ref that is unique in the document and the same in every run', () => {
    const refs = vulnerabilities.map((v) => v['bom-ref']);
    expect(refs[0]).toBe('vulnerability:CVE-2024-1001:dpkg:bash@5.2.15-2+b2:/var/lib/dpkg/status');
    const all = [...refs, ...bom.components.map((c) => c['bom-ref'])];
    expect(new Set(all).size).toBe(all.length);
    expect((render(SAMPLE_REPORT).vulnerabilities ?? []).map((v) => v['bom-ref'])).toEqual(refs);
  });

  it('carries id, source, aliases, description, advisories, dates and the upgrade', () => {
    expect(vulnerability('CVE-2024-1001')).toMatchObject({
      source: { name: 'Debian', url: 'https://osv.dev/vulnerability/DEBIAN-CVE-2024-1001' },
      references: [
        {
          id: 'DEBIAN-CVE-2024-1001',
          source: { name: 'OSV', url: 'https://osv.dev/vulnerability/DEBIAN-CVE-2024-1001' },
        },
        {
          id: 'DSA-5600-1',
          source: { name: 'OSV', url: 'https://osv.dev/vulnerability/DSA-5600-1' },
        },
      ],
      description: 'Bash | runs `commands` from *crafted* environment variables',
      advisories: [
        { url: 'https://osv.dev/vulnerability/DEBIAN-CVE-2024-1001' },
        { url: 'https://security-tracker.debian.org/tracker/CVE-2024-1001' },
      ],
      published: '2024-02-01T00:00:00.000Z',
      updated: '2024-04-01T10:00:00.000Z',
      recommendation: 'Upgrade bash to 5.2.15-2+b3 or 5.2.21-1',
    });
    expect(vulnerability('PYSEC-2023-74')?.references).toEqual([
      {
        id: 'CVE-2023-32681',
        source: { name: 'NVD', url: 'https://nvd.nist.gov/vuln/detail/CVE-2023-32681' },
      },
      {
        id: 'GHSA-j8r2-6x86-q33q',
        source: { name: 'GitHub', url: 'https://github.com/advisories/GHSA-j8r2-6x86-q33q' },
      },
    ]);
    expect(vulnerability('CVE-2024-1002')).not.toHaveProperty('recommendation');
    expect(vulnerability('GHSA-aaaa-bbbb-cccc')).not.toHaveProperty('advisories');
  });

  it('rates each CVSS score with its method, and the feed word when it decided the severity', () => {
    expect(vulnerability('CVE-2024-1001')?.ratings).toEqual([
      {
        source: { name: 'Debian' },
        score: 9.8,
        severity: 'critical',
        method: 'CVSSv31',
        vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
      },
      {
        source: { name: 'NVD' },
        score: 10,
        severity: 'high', // CVSS v2 has no critical
        method: 'CVSSv2',
        vector: 'AV:N/AC:L/Au:N/C:C/I:C/A:C',
      },
    ]);
    expect(vulnerability('CVE-2024-1002')?.ratings?.map((r) => r.method)).toEqual(['CVSSv3']);
    expect(vulnerability('CVE-2024-1003')?.ratings).toEqual([
      expect.objectContaining({ method: 'CVSSv4', score: 2, severity: 'low' }),
    ]);
    // The feed's Medium decided, over NVD's scores: both are kept.
    expect(
      vulnerability('GHSA-j288-q9x7-2f5v')?.ratings?.map((r) => [r.method, r.severity]),
    ).toEqual([
      ['CVSSv4', 'medium'],
      ['CVSSv31', 'medium'],
      ['other', 'medium'],
    ]);
    expect(vulnerability('CVE-2019-18276')?.ratings).toEqual([
      { source: { name: 'Debian' }, severity: 'info', method: 'other' },
    ]);
    expect(vulnerability('GHSA-aaaa-bbbb-cccc')?.ratings).toEqual([
      { source: { name: 'npm' }, severity: 'unknown', method: 'other' },
    ]);
  });

  it('keeps the fix state, KEV and EPSS as properties', () => {
    const bash = vulnerability('CVE-2024-1001')?.properties;
    expect(values(bash, 'drydock:fix:state')).toEqual(['fixed']);
    expect(values(bash, 'drydock:fix:version')).toEqual(['5.2.15-2+b3', '5.2.21-1']);
    expect(values(bash, 'drydock:vulnerability:group')).toEqual(['Debian:12']);
    expect(values(bash, 'drydock:kev:dateAdded')).toEqual(['2024-02-05']);
    expect(values(bash, 'drydock:kev:knownRansomwareUse')).toEqual(['true']);
    expect(values(bash, 'drydock:epss:score')).toEqual(['0.97512']);
    expect(values(vulnerability('CVE-2024-1002')?.properties, 'drydock:fix:state')).toEqual([
      'wont-fix',
    ]);
    expect(values(vulnerability('CVE-2024-1002')?.properties, 'drydock:kev:dateAdded')).toEqual([]);
  });

  it('says in the metadata whether there was data, with feeds, missing groups and unchecked packages', () => {
    expect(values(bom.metadata.properties, 'drydock:vulnerabilityData:available')).toEqual([
      'true',
    ]);
    expect(values(bom.metadata.properties, 'drydock:vulnerabilityData:feed')).toEqual([
      'Debian 2024-05-01T06:00:00Z',
      'npm 2024-05-02T06:00:00Z',
    ]);
    const none = render(UNAVAILABLE_REPORT);
    expect(values(none.metadata.properties, 'drydock:vulnerabilityData:available')).toEqual([
      'false',
    ]);
    expect(none).not.toHaveProperty('vulnerabilities');
    const partial = render(PARTIAL_REPORT).metadata.properties;
    expect(values(partial, 'drydock:vulnerabilityData:missingGroup')).toEqual(['Alpine:v3.18']);
    expect(values(partial, 'drydock:vulnerabilityData:uncheckedPackages')).toEqual(['1']);
  });
});
