import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isDrydockError } from '../../model/index.js';
import { parseVex, readVexFile } from './vex-document.js';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'vex');
const fixture = (name: string) => readVexFile(join(FIXTURES, name));

describe('OpenVEX documents', () => {
  it('reads an image with subcomponents (go-vex test data)', async () => {
    const document = await fixture('openvex-go-vex-v0.2.0.json');
    expect(document.format).toBe('OpenVEX 0.2.0');
    expect(document.id).toBe(
      'https://openvex.dev/docs/public/vex-d4e9020b6d0d26f131d535e055902dd6ccf3e2088bce3079a8cd3588a4b14c78',
    );
    expect(document.source).toBe(join(FIXTURES, 'openvex-go-vex-v0.2.0.json'));
    expect(document.statements.map((s) => [s.vulnerability, s.status])).toEqual([
      ['CVE-2023-1255', 'fixed'],
      ['CVE-2023-2650', 'fixed'],
      ['CVE-2023-2975', 'fixed'],
      ['CVE-2023-3446', 'not_affected'],
      ['CVE-2023-3817', 'not_affected'],
    ]);
    const last = document.statements[4];
    expect(last?.justification).toBe('vulnerable_code_not_present');
    expect(last?.detail).toBe('affected functions were removed before packaging');
    expect(last?.place).toBe('statements[4]');
    // No statement has its own time: the document's is theirs.
    expect(last?.timestamp).toBe(Date.parse('2023-07-17T18:28:47.696004345-06:00'));
    const product = last?.products[0];
    expect(product?.purls.map((p) => [p.type, p.name, p.version])).toEqual([
      ['oci', 'alpine', 'sha256:124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126'],
    ]);
    expect(product?.subcomponents.map((c) => c.purls.map(String))).toEqual([
      ['pkg:apk/alpine/libssl3@3.0.8-r3'],
      ['pkg:apk/alpine/libcrypto3@3.0.8-r3'],
    ]);
  });

  it('reads the v0.0.1 shapes: the vulnerability and the products as strings', async () => {
    const document = await fixture('openvex-go-vex-v0.0.1.json');
    expect(document.format).toBe('OpenVEX 0.0.1');
    const [statement] = document.statements;
    expect(statement?.vulnerability).toBe('CVE-2023-12345');
    expect(statement?.products.flatMap((p) => p.purls.map(String))).toEqual([
      'pkg:apk/wolfi/git@2.39.0-r1?arch=armv7',
      'pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64',
    ]);
  });

  it('reads the spec sample: PURL products with qualifiers', async () => {
    const document = await fixture('openvex-spec-minimal.json');
    const purl = document.statements[0]?.products[0]?.purls[0];
    expect(purl?.qualifiers).toEqual({ arch: 'armv7' });
    expect(document.statements[0]?.status).toBe('fixed');
  });

  it('reads aliases, identifiers.purl and subcomponents of a package product (Trivy)', async () => {
    const document = await fixture('openvex-trivy-excerpt.json');
    expect(document.statements).toHaveLength(3);
    const [first] = document.statements;
    expect(first?.aliases).toEqual(['CVE-2024-26147', 'GHSA-r53h-jv2g-vpx6']);
    // `@id` and `identifiers.purl` are the same PURL: both kept, both match the same packages.
    expect(first?.products[0]?.purls.map(String)).toEqual([
      'pkg:golang/github.com/aquasecurity/trivy',
      'pkg:golang/github.com/aquasecurity/trivy',
    ]);
    expect(first?.products[0]?.subcomponents[0]?.purls[0]?.namespace).toBe('helm.sh/helm');
  });

  it('reads a statement time over its document time, and notes into the detail', async () => {
    const document = await fixture('openvex-image.json');
    const [first, second, third, fourth] = document.statements;
    expect(first?.timestamp).toBe(Date.parse('2024-05-01T09:00:00Z'));
    expect(second?.timestamp).toBe(Date.parse('2024-05-02T10:00:00Z'));
    expect(second?.aliases).toEqual(['DSA-5532-1']);
    expect(third?.detail).toBe("Patched in the image's own build of libssl3.");
    expect(fourth?.detail).toMatch(/^Rebuild on debian:12/);
    // The image's digest is percent-encoded in the PURL, decoded when read.
    expect(fourth?.products[0]?.purls[0]?.version).toBe(
      'sha256:5f3c8a9a0d6c27f1e8e0b7a3c9b1e4d2f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6',
    );
  });

  it('reads a pkg:docker product (Docker Scout)', async () => {
    const document = await fixture('openvex-docker-scout.json');
    const product = document.statements[0]?.products[0];
    expect(product?.purls[0]?.type).toBe('docker');
    expect(product?.subcomponents).toHaveLength(2);
  });
});

describe('invalid OpenVEX documents', () => {
  const base = {
    '@context': 'https://openvex.dev/ns/v0.2.0',
    '@id': 'https://example.com/vex/1',
    author: 'someone',
    timestamp: '2024-01-01T00:00:00Z',
    version: 1,
  };
  const statement = {
    vulnerability: { name: 'CVE-2024-0001' },
    products: [{ '@id': 'pkg:npm/left-pad@1.3.0' }],
    status: 'not_affected',
    justification: 'component_not_present',
  };
  const cases: [string, unknown, RegExp][] = [
    ['no statements', base, /has no "statements" list/],
    ['statements not a list', { ...base, statements: {} }, /statements is an object, not a list/],
    [
      'a statement not an object',
      { ...base, statements: ['x'] },
      /statements\[0\] is "x", not an object/,
    ],
    [
      'no vulnerability',
      { ...base, statements: [{ ...statement, vulnerability: undefined }] },
      /statements\[0\]\.vulnerability is missing/,
    ],
    [
      'a vulnerability without a name',
      { ...base, statements: [{ ...statement, vulnerability: { aliases: ['X'] } }] },
      /statements\[0\]\.vulnerability\.name is missing/,
    ],
    [
      'aliases not strings',
      { ...base, statements: [{ ...statement, vulnerability: { name: 'CVE-1', aliases: [7] } }] },
      /vulnerability\.aliases\[0\] is number 7, not a string/,
    ],
    [
      'an unknown status',
      { ...base, statements: [{ ...statement, status: 'maybe' }] },
      /statements\[0\]\.status "maybe" is not an OpenVEX status/,
    ],
    [
      'no status',
      { ...base, statements: [{ ...statement, status: undefined }] },
      /statements\[0\]\.status is missing/,
    ],
    [
      'no products',
      { ...base, statements: [{ ...statement, products: undefined }] },
      /statements\[0\] names no products/,
    ],
    [
      'a product naming nothing',
      { ...base, statements: [{ ...statement, products: [{ hashes: { md5: 'x' } }] }] },
      /products\[0\] has neither "@id" nor "identifiers"/,
    ],
    [
      'a malformed PURL',
      { ...base, statements: [{ ...statement, products: [{ '@id': 'pkg:npm' }] }] },
      /products\[0\] "pkg:npm" is not a valid PURL/,
    ],
    [
      'a subcomponent of the wrong type',
      {
        ...base,
        statements: [{ ...statement, products: [{ '@id': 'pkg:oci/x', subcomponents: [5] }] }],
      },
      /subcomponents\[0\] is number 5, not an object/,
    ],
    [
      'a timestamp that is no date',
      { ...base, timestamp: 'yesterday', statements: [statement] },
      /timestamp "yesterday" is not an RFC 3339 date-time/,
    ],
    [
      'a justification of the wrong type',
      { ...base, statements: [{ ...statement, justification: ['x'] }] },
      /justification is a list, not a string/,
    ],
  ];

  it.each(cases)('%s is an error naming the file and the place', (_name, document, message) => {
    let error: unknown;
    try {
      parseVex(JSON.stringify(document), 'bad.openvex.json');
    } catch (e) {
      error = e;
    }
    expect(isDrydockError(error)).toBe(true);
    expect(String(error)).toMatch(/bad\.openvex\.json: /);
    expect(String(error)).toMatch(message);
  });

  it('takes an empty statement list (vexctl and Trivy do)', () => {
    expect(parseVex(JSON.stringify({ ...base, statements: [] }), 'empty.json').statements).toEqual(
      [],
    );
  });

  it('names a document without @id by its file', () => {
    const document = parseVex(
      JSON.stringify({ ...base, '@id': undefined, statements: [statement] }),
      'anonymous.json',
    );
    expect(document.id).toBe('anonymous.json');
  });
});
