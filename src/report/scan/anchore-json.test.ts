import { describe, expect, it } from 'vitest';
import {
  CLEAN_REPORT,
  SAMPLE_FINDINGS,
  SAMPLE_REPORT,
  UNAVAILABLE_REPORT,
} from '../../../test/fixtures/scan-report/sample-report.js';
import { DrydockError } from '../../model/index.js';
import {
  anchoreJsonFormat,
  anchoreVulnerabilities,
  type AnchoreVulnerability,
  type AnchoreVulnerabilityResponse,
} from './anchore-json.js';
import type { ScanReport } from './scan-format.js';

const TOOL = { name: 'drydock', version: '0.1.0', timestamp: new Date('2024-05-01T12:00:00Z') };
const DIGEST = `sha256:${'3'.repeat(64)}`;
const UNSCORED = { base_score: -1, exploitability_score: -1, impact_score: -1 };

function render(report: ScanReport): AnchoreVulnerabilityResponse {
  return JSON.parse(
    [...anchoreJsonFormat.render(report, TOOL)].join(''),
  ) as AnchoreVulnerabilityResponse;
}

describe('anchore-json', () => {
  const reversed = { ...SAMPLE_REPORT, findings: [...SAMPLE_FINDINGS].reverse() };
  const doc = render(reversed);
  const entry = (vuln: string, packageName: string): AnchoreVulnerability | undefined =>
    doc.vulnerabilities.find((v) => v.vuln === vuln && v.package_name === packageName);

  it("is Anchore Engine's VulnerabilityResponse for vuln/all", () => {
    expect(Object.keys(doc)).toEqual(['imageDigest', 'vulnerability_type', 'vulnerabilities']);
    expect(doc).toMatchObject({ imageDigest: DIGEST, vulnerability_type: 'all' });
  });

  it("fills a distribution package's entry as the engine does, keys in its order", () => {
    const bash = entry('CVE-2024-1001', 'bash');
    expect(Object.keys(bash ?? {})).toEqual([
      'vuln',
      'severity',
      'url',
      'fix',
      'package',
      'package_name',
      'package_version',
      'package_type',
      'package_cpe',
      'package_cpe23',
      'package_path',
      'feed',
      'feed_group',
      'nvd_data',
      'vendor_data',
      'will_not_fix',
    ]);
    expect(bash).toEqual({
      vuln: 'CVE-2024-1001',
      severity: 'Critical',
      url: 'https://osv.dev/vulnerability/DEBIAN-CVE-2024-1001',
      fix: '5.2.15-2+b3,5.2.21-1',
      package: 'bash-5.2.15-2+b2',
      package_name: 'bash',
      package_version: '5.2.15-2+b2',
      package_type: 'dpkg',
      package_cpe: 'None',
      package_cpe23: 'None',
      package_path: 'pkgdb',
      feed: 'vulnerabilities',
      feed_group: 'debian:12',
      nvd_data: [
        {
          id: 'CVE-2024-1001',
          cvss_v2: { base_score: 10, exploitability_score: 10, impact_score: 10 },
          cvss_v3: UNSCORED,
        },
      ],
      vendor_data: [
        {
          id: 'CVE-2024-1001',
          cvss_v2: UNSCORED,
          cvss_v3: { base_score: 9.8, exploitability_score: 3.9, impact_score: 5.9 },
        },
      ],
      will_not_fix: false,
    });
  });

  it("fills a language package's entry with its path and the engine's github group", () => {
    expect(entry('PYSEC-2023-74', 'requests')).toMatchObject({
      fix: '2.31.0',
      package_type: 'python',
      package_path: '/usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO',
      feed_group: 'github:python',
      nvd_data: [],
      vendor_data: [
        {
          id: 'PYSEC-2023-74',
          cvss_v2: UNSCORED,
          cvss_v3: { base_score: 6.1, exploitability_score: 1.6, impact_score: 4 },
        },
      ],
    });
    // NVD's score sits under the CVE the GHSA aliases; the v4 score has no place in Anchore's shape.
    expect(entry('GHSA-j288-q9x7-2f5v', 'commons-lang3')).toMatchObject({
      package_type: 'java',
      package_path: '/app/lib/commons-lang3-3.12.0.jar',
      feed_group: 'github:java',
      nvd_data: [
        {
          id: 'CVE-2025-48924',
          cvss_v2: UNSCORED,
          cvss_v3: { base_score: 5.3, exploitability_score: 3.9, impact_score: 1.4 },
        },
      ],
      vendor_data: [],
    });
    expect(entry('GHSA-aaaa-bbbb-cccc', 'left-pad')).toMatchObject({
      severity: 'Unknown',
      url: 'None',
      fix: 'None',
      feed_group: 'github:npm',
      nvd_data: [],
      vendor_data: [],
    });
  });

  it("names apk packages APKG and the distributions' groups as the engine does", () => {
    expect(entry('CVE-2024-1003', 'musl')).toMatchObject({
      package_type: 'APKG',
      package_path: 'pkgdb',
      feed_group: 'alpine:3.18',
      fix: 'None',
      vendor_data: [], // CVSS v4 only
    });
    expect(entry('CVE-2019-18276', 'bash')).toMatchObject({ fix: 'None', will_not_fix: false });
  });

  it("leaves out, by default as the engine does, what the distribution won't fix", () => {
    expect(doc.vulnerabilities.map((v) => v.vuln)).not.toContain('CVE-2024-1002');
    expect(doc.vulnerabilities).toHaveLength(SAMPLE_FINDINGS.length - 1);
    const all = anchoreVulnerabilities(reversed, 'all', { vendorOnly: false });
    expect(all.vulnerabilities.find((v) => v.vuln === 'CVE-2024-1002')).toMatchObject({
      package: 'openssl-libs-1:3.0.7-25.el9',
      package_type: 'rpm',
      feed_group: 'rocky:9',
      will_not_fix: true,
    });
  });

  it('selects distribution packages for os and the others for non-os, worst first', () => {
    const os = anchoreVulnerabilities(reversed, 'os', { vendorOnly: false });
    expect(os.vulnerability_type).toBe('os');
    expect(os.vulnerabilities.map((v) => `${v.package_name} ${v.vuln}`)).toEqual([
      'bash CVE-2024-1001',
      'openssl-libs CVE-2024-1002',
      'libssl3 CVE-2024-0727',
      'openssl CVE-2024-0727',
      'python3-requests CVE-2023-32681',
      'musl CVE-2024-1003',
      'bash CVE-2019-18276',
    ]);
    const nonOs = anchoreVulnerabilities(reversed, 'non-os');
    expect(nonOs.vulnerabilities.map((v) => v.package_type)).toEqual(['java', 'python', 'npm']);
  });

  it('has an empty list when nothing was found, and the image id when there is no digest', () => {
    expect(render(CLEAN_REPORT).vulnerabilities).toEqual([]);
    const noDigest = { ...CLEAN_REPORT.sbom, subject: { name: 'dir:/rootfs' } };
    expect(render({ ...CLEAN_REPORT, sbom: noDigest }).imageDigest).toBe(
      CLEAN_REPORT.sbom.metadata?.imageId,
    );
  });

  it('refuses to write a report without data, which its shape could not tell from a clean one', () => {
    expect(() => render(UNAVAILABLE_REPORT)).toThrow(DrydockError);
    expect(() => render(UNAVAILABLE_REPORT)).toThrow(/drydock db update/);
  });
});
