import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isDrydockError } from '../../model/index.js';
import { parseVex, readVexFile, type VexVersion } from './vex-document.js';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'vex');
const fixture = (name: string) => readVexFile(join(FIXTURES, name));

const rangeText = (version: VexVersion) =>
  'range' in version ? version.range.text : version.version;

describe('CycloneDX VEX documents', () => {
  it('reads a BOM-Link ref into another BOM: its bom-ref, which is a PURL here', async () => {
    const document = await fixture('cyclonedx-bom-examples-vex.json');
    expect(document.format).toBe('CycloneDX 1.4');
    // No serialNumber: the file names the document.
    expect(document.id).toBe(join(FIXTURES, 'cyclonedx-bom-examples-vex.json'));
    const [statement] = document.statements;
    expect(statement?.vulnerability).toBe('CVE-2020-25649');
    expect(statement?.aliases).toEqual(['SNYK-JAVA-COMFASTERXMLJACKSONCORE-1048302']);
    expect(statement?.status).toBe('not_affected');
    expect(statement?.justification).toBe('code_not_reachable');
    expect(statement?.detail).toMatch(/^Automated dataflow analysis/);
    expect(statement?.place).toBe('vulnerabilities[0]');
    const product = statement?.products[0];
    expect(product?.bomRefs).toEqual([
      'pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar',
    ]);
    expect(product?.purls.map(String)).toEqual([
      'pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar',
    ]);
  });

  it('reads a ref to the metadata component, timed by the BOM (CISA case 1)', async () => {
    const document = await fixture('cyclonedx-cisa-case-1-not_affected.json');
    const [statement] = document.statements;
    expect(statement?.products[0]?.bomRefs).toEqual(['product-ABC']);
    expect(statement?.products[0]?.purls).toEqual([]);
    expect(statement?.timestamp).toBe(Date.parse('2022-03-03T00:00:00Z'));
  });

  it('maps every analysis state and reads versions and vers ranges (CISA case 7)', async () => {
    const document = await fixture('cyclonedx-cisa-case-7.json');
    expect(document.statements.map((s) => s.status)).toEqual([
      'affected',
      'not_affected',
      'not_affected',
      'fixed',
    ]);
    const exploitable = document.statements[0];
    expect(exploitable?.products.map((p) => p.bomRefs[0])).toEqual(['product-ABC', 'product-JKL']);
    expect(exploitable?.products[0]?.versions.map(rangeText)).toEqual([
      '2.4',
      '2.6',
      'vers:generic/>=2.9|<=4.1',
    ]);
    const range = exploitable?.products[1]?.versions[0];
    expect(range !== undefined && 'range' in range ? range.range.constraints : []).toEqual([
      { comparator: '>=', version: '4.5' },
      { comparator: '<=', version: '5.0' },
    ]);
  });

  it('reads references as aliases and a component PURL by bom-ref (spec test data)', async () => {
    const document = await fixture('cyclonedx-spec-valid-vulnerability-1.5.json');
    const [statement] = document.statements;
    expect(statement?.vulnerability).toBe('SNYK-JAVA-COMFASTERXMLJACKSONCORE-32111');
    expect(statement?.aliases).toEqual(['CVE-2018-7489']);
    expect(statement?.timestamp).toBe(Date.parse('2022-02-01T00:00:00.000Z'));
    expect(statement?.products[0]?.purls.map(String)).toContain(
      'pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.4',
    );
  });

  it('reads BOM-Links into drydock SBOMs, PURL refs and vers:deb ranges', async () => {
    const document = await fixture('cyclonedx-drydock-bomlink.json');
    expect(document.id).toBe('urn:uuid:8c2f4b1e-5d7a-4e3b-9f60-1a2b3c4d5e6f');
    expect(document.statements.map((s) => [s.vulnerability, s.status])).toEqual([
      ['CVE-2023-5678', 'not_affected'],
      ['CVE-2024-29041', 'under_investigation'],
      ['CVE-2024-0727', 'fixed'],
    ]);
    expect(document.statements[0]?.products[0]?.bomRefs).toEqual([
      'dpkg:libssl3@3.0.11-1~deb12u2:/var/lib/dpkg/status',
    ]);
    expect(document.statements[1]?.aliases).toEqual(['GHSA-rv95-896h-c2vc']);
    expect(document.statements[2]?.timestamp).toBe(Date.parse('2024-04-30T12:00:00Z'));
  });

  it('passes over vulnerabilities without an analysis', () => {
    const document = parseVex(
      JSON.stringify({
        bomFormat: 'CycloneDX',
        specVersion: '1.6',
        vulnerabilities: [
          { id: 'CVE-1', affects: [{ ref: 'a' }] },
          { id: 'CVE-2', analysis: { state: 'false_positive' }, affects: [{ ref: 'a' }] },
        ],
      }),
      'mixed.json',
    );
    expect(document.statements.map((s) => [s.vulnerability, s.status, s.place])).toEqual([
      ['CVE-2', 'not_affected', 'vulnerabilities[1]'],
    ]);
  });
});

describe('invalid CycloneDX VEX documents', () => {
  const vulnerability = {
    id: 'CVE-2024-0001',
    analysis: { state: 'not_affected', justification: 'code_not_present' },
    affects: [{ ref: 'pkg:npm/left-pad@1.3.0' }],
  };
  const bom = { bomFormat: 'CycloneDX', specVersion: '1.5', vulnerabilities: [vulnerability] };
  const withVulnerability = (changes: Record<string, unknown>) => ({
    ...bom,
    vulnerabilities: [{ ...vulnerability, ...changes }],
  });
  const cases: [string, unknown, RegExp][] = [
    ['no specVersion', { ...bom, specVersion: undefined }, /specVersion is missing/],
    [
      'a spec before VEX',
      { ...bom, specVersion: '1.3' },
      /is CycloneDX 1\.3, which has no vulnerabilities/,
    ],
    ['an SBOM', { ...bom, vulnerabilities: undefined }, /it is an SBOM, not a VEX document/],
    [
      'a scan report',
      withVulnerability({ analysis: undefined }),
      /none with an "analysis.state": it is a scan report/,
    ],
    [
      'an unknown state',
      withVulnerability({ analysis: { state: 'fine' } }),
      /vulnerabilities\[0\]\.analysis\.state "fine" is not a CycloneDX analysis state/,
    ],
    [
      'a state of the wrong type',
      withVulnerability({ analysis: { state: 3 } }),
      /analysis\.state number 3 is not a CycloneDX analysis state/,
    ],
    [
      'no affects',
      withVulnerability({ affects: [] }),
      /vulnerabilities\[0\] has an analysis but no "affects"/,
    ],
    ['no id', withVulnerability({ id: undefined }), /vulnerabilities\[0\]\.id is missing/],
    [
      'an affects without a ref',
      withVulnerability({ affects: [{ versions: [] }] }),
      /affects\[0\]\.ref is missing/,
    ],
    [
      'a version entry with neither version nor range',
      withVulnerability({ affects: [{ ref: 'a', versions: [{ status: 'affected' }] }] }),
      /affects\[0\]\.versions\[0\]\.range is missing/,
    ],
    [
      'a malformed vers range',
      withVulnerability({ affects: [{ ref: 'a', versions: [{ range: 'vers:npm/>=1||<2' }] }] }),
      /range "vers:npm\/>=1\|\|<2" is not a vers range: it has an empty constraint/,
    ],
    [
      'a BOM-Link with a broken escape',
      withVulnerability({ affects: [{ ref: 'urn:cdx:abc/1#pkg%ZZ' }] }),
      /is a BOM-Link with a malformed bom-ref/,
    ],
    [
      'a component with a malformed PURL',
      { ...bom, components: [{ 'bom-ref': 'a', purl: 'pkg:' }] },
      /components\[0\]\.purl "pkg:" is not a valid PURL/,
    ],
    [
      'a reference without an id',
      withVulnerability({ references: [{ source: { name: 'NVD' } }] }),
      /references\[0\]\.id is missing/,
    ],
    [
      'an analysis time that is no date',
      withVulnerability({ analysis: { state: 'resolved', lastUpdated: '2024-13-45' } }),
      /analysis\.lastUpdated "2024-13-45" is not an RFC 3339 date-time/,
    ],
  ];

  it.each(cases)('%s is an error naming the file and the place', (_name, document, message) => {
    let error: unknown;
    try {
      parseVex(JSON.stringify(document), 'bad.cdx.json');
    } catch (e) {
      error = e;
    }
    expect(isDrydockError(error)).toBe(true);
    expect(String(error)).toMatch(/bad\.cdx\.json: /);
    expect(String(error)).toMatch(message);
  });

  it('refuses components nested past the depth limit', () => {
    let component: Record<string, unknown> = { 'bom-ref': 'leaf', name: 'leaf' };
    for (let i = 0; i < 40; i++) component = { name: `level-${i}`, components: [component] };
    expect(() =>
      parseVex(JSON.stringify({ ...bom, components: [component] }), 'deep.json'),
    ).toThrow(/nested 33 components deep, more than the 32/);
  });
});
