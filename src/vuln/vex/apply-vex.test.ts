import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../model/index.js';
import { applyVex, type VexImage } from './apply-vex.js';
import { parseVex, readVexFile, type VexDocument } from './vex-document.js';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'vex');
const fixture = (name: string) => readVexFile(join(FIXTURES, name));

const IMAGE_DIGEST = 'sha256:5f3c8a9a0d6c27f1e8e0b7a3c9b1e4d2f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6';
const LIBSSL = {
  id: 'dpkg:libssl3@3.0.11-1~deb12u2:/var/lib/dpkg/status',
  name: 'libssl3',
  version: '3.0.11-1~deb12u2',
  type: 'dpkg',
  purl: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl&distro=debian-12',
  paths: ['/var/lib/dpkg/status'],
};
const LIBC = {
  id: 'dpkg:libc6@2.36-9+deb12u1:/var/lib/dpkg/status',
  name: 'libc6',
  version: '2.36-9+deb12u1',
  type: 'dpkg',
  purl: 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u1?arch=amd64&upstream=glibc&distro=debian-12',
  paths: ['/var/lib/dpkg/status'],
};
const EXPRESS = {
  id: 'npm:express@4.17.1:/app/node_modules/express/package.json',
  name: 'express',
  version: '4.17.1',
  type: 'npm',
  purl: 'pkg:npm/express@4.17.1',
  paths: ['/app/node_modules/express/package.json'],
};

function finding(id: string, pkg: Finding['package'], aliases: string[] = []): Finding {
  return {
    id,
    aliases,
    severity: 'High',
    severitySource: 'cvss',
    cvss: [],
    package: pkg,
    matchedAs: { ecosystem: 'Debian:12', name: pkg.name, version: pkg.version },
    fix: { state: 'unknown', versions: [] },
    feed: 'Debian',
    group: 'Debian:12',
    urls: [],
    modified: '2024-05-01T00:00:00Z',
  };
}

/** An OpenVEX document of `statements` (each with a name, a product and a status at least). */
function openVex(
  statements: object[],
  timestamp?: string,
  id = 'https://example.com/vex',
): VexDocument {
  return parseVex(
    JSON.stringify({
      '@context': 'https://openvex.dev/ns/v0.2.0',
      '@id': id,
      author: 'tests',
      timestamp,
      version: 1,
      statements,
    }),
    `${id}.json`,
  );
}

function statement(name: string, productId: string, status: string, more: object = {}): object {
  return { vulnerability: { name }, products: [{ '@id': productId }], status, ...more };
}

describe('applyVex: which statements apply', () => {
  it('matches the vulnerability by id or alias, either side, case-insensitively', () => {
    const byAlias = finding('CVE-2023-5678', LIBSSL, ['DEBIAN-CVE-2023-5678']);
    const byStatementAlias = finding('DSA-5532-1', LIBSSL);
    const unrelated = finding('CVE-2023-9999', LIBSSL);
    const document = openVex([
      {
        vulnerability: { name: 'debian-cve-2023-5678' },
        products: [{ '@id': 'pkg:deb/debian/libssl3' }],
        status: 'not_affected',
      },
      {
        vulnerability: { name: 'CVE-2024-1', aliases: ['dsa-5532-1'] },
        products: [{ '@id': 'pkg:deb/debian/libssl3' }],
        status: 'fixed',
      },
    ]);
    const { kept, suppressed } = applyVex([byAlias, byStatementAlias, unrelated], [document]);
    expect(suppressed.map((f) => [f.id, f.vex?.status])).toEqual([
      ['CVE-2023-5678', 'not_affected'],
      ['DSA-5532-1', 'fixed'],
    ]);
    expect(kept).toEqual([unrelated]);
    // A finding no statement is about is passed through as it came.
    expect(kept[0]).toBe(unrelated);
  });

  it('matches a PURL without a version to every version, with one to that version only', () => {
    const findings = [finding('CVE-1', LIBSSL), finding('CVE-2', LIBSSL)];
    const document = openVex([
      statement('CVE-1', 'pkg:deb/debian/libssl3', 'not_affected'),
      statement('CVE-2', 'pkg:deb/debian/libssl3@3.0.11-1~deb12u1', 'not_affected'),
    ]);
    const { kept, suppressed } = applyVex(findings, [document]);
    expect(suppressed.map((f) => f.id)).toEqual(['CVE-1']);
    expect(kept.map((f) => [f.id, f.vex])).toEqual([['CVE-2', undefined]]);
  });

  it('compares qualifiers and subpath only when the statement gives them', () => {
    const findings = ['CVE-1', 'CVE-2', 'CVE-3', 'CVE-4'].map((id) => finding(id, LIBSSL));
    const document = openVex([
      statement('CVE-1', 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64', 'not_affected'),
      statement('CVE-2', 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=arm64', 'not_affected'),
      statement('CVE-3', 'pkg:deb/debian/libssl3?distro=debian-11', 'not_affected'),
      statement('CVE-4', 'pkg:deb/debian/libssl3#usr/lib', 'not_affected'),
    ]);
    const { suppressed } = applyVex(findings, [document]);
    expect(suppressed.map((f) => f.id)).toEqual(['CVE-1']);
  });

  it('normalises names as the PURL type says: case for deb, not for golang', () => {
    const goPackage = {
      ...EXPRESS,
      id: 'go:github.com/Foo/Bar@v1.0.0:/bin/app',
      type: 'go',
      purl: 'pkg:golang/github.com/Foo/Bar@v1.0.0',
    };
    const findings = [
      finding('CVE-1', LIBSSL),
      finding('CVE-2', goPackage),
      finding('CVE-3', goPackage),
    ];
    const document = openVex([
      statement('CVE-1', 'pkg:DEB/Debian/LibSSL3', 'not_affected'),
      statement('CVE-2', 'pkg:golang/github.com/foo/bar', 'not_affected'),
      statement('CVE-3', 'pkg:golang/github.com/Foo/Bar', 'not_affected'),
    ]);
    expect(applyVex(findings, [document]).suppressed.map((f) => f.id)).toEqual(['CVE-1', 'CVE-3']);
  });

  it('applies an image product with subcomponents to those packages only', async () => {
    const findings = [finding('CVE-2023-5678', LIBSSL), finding('CVE-2023-5678', LIBC)];
    const { kept, suppressed } = applyVex(findings, [await fixture('openvex-image.json')]);
    expect(suppressed.map((f) => f.package.name)).toEqual(['libssl3']);
    expect(kept.map((f) => [f.package.name, f.vex])).toEqual([['libc6', undefined]]);
  });

  it('applies an image product without subcomponents to every package in it', async () => {
    const findings = [finding('CVE-2023-4911', LIBC), finding('CVE-2023-4911', EXPRESS)];
    const { kept } = applyVex(findings, [await fixture('openvex-image.json')]);
    expect(kept.map((f) => [f.package.name, f.vex?.status])).toEqual([
      ['libc6', 'affected'],
      ['express', 'affected'],
    ]);
  });

  it('applies an image product only to that image when the image is known', async () => {
    const findings = [finding('CVE-2023-4911', LIBC)];
    const documents = [await fixture('openvex-image.json')];
    const thisImage: VexImage = { name: 'app', digests: [IMAGE_DIGEST.toUpperCase()] };
    const otherImage: VexImage = { name: 'app', digests: ['sha256:' + 'e'.repeat(64)] };
    expect(applyVex(findings, documents, thisImage).kept[0]?.vex?.status).toBe('affected');
    expect(applyVex(findings, documents, otherImage).kept[0]?.vex).toBeUndefined();
  });

  it('matches an image by tag and name when its PURL gives a tag (Docker Scout)', async () => {
    const findings = [finding('CVE-2022-24999', EXPRESS)];
    const documents = [await fixture('openvex-docker-scout.json')];
    const image = (tag: string, name = 'scout-demo-service'): VexImage => ({
      name,
      tag,
      digests: [IMAGE_DIGEST],
    });
    expect(applyVex(findings, documents).suppressed).toHaveLength(1);
    expect(applyVex(findings, documents, image('v1')).suppressed).toHaveLength(1);
    expect(applyVex(findings, documents, image('v2')).suppressed).toHaveLength(0);
    expect(applyVex(findings, documents, image('v1', 'other')).suppressed).toHaveLength(0);
  });

  it('does not apply a package product with subcomponents: which copy it means is unknown', async () => {
    const goModule = (name: string, version: string) => ({
      ...EXPRESS,
      id: `go:${name}@${version}:/usr/local/bin/trivy`,
      name,
      version,
      type: 'go',
      purl: `pkg:golang/${name}@${version}`,
    });
    const findings = [
      finding('GO-2023-2102', goModule('golang.org/x/net', 'v0.17.0'), ['CVE-2023-39325']),
      // Neither to the subcomponent nor to the product itself: the statement is about the
      // subcomponent inside the product.
      finding('GO-2024-3105', goModule('stdlib', 'v1.22.0')),
      finding('GO-2024-3105', goModule('github.com/aquasecurity/trivy', 'v0.54.0')),
    ];
    const { kept } = applyVex(findings, [await fixture('openvex-trivy-excerpt.json')]);
    expect(kept.map((f) => f.vex)).toEqual([undefined, undefined, undefined]);
  });

  it('applies CycloneDX statements by drydock bom-ref, by PURL and narrowed by versions', async () => {
    const document = await fixture('cyclonedx-drydock-bomlink.json');
    const findings = [
      finding('CVE-2023-5678', LIBSSL),
      finding('CVE-2024-0727', LIBSSL),
      finding('GHSA-rv95-896h-c2vc', EXPRESS),
      // The same vulnerability in a libssl3 out of the listed range.
      finding('CVE-2024-0727', {
        ...LIBSSL,
        id: 'dpkg:libssl3@3.0.13-1~deb12u1:/var/lib/dpkg/status',
        version: '3.0.13-1~deb12u1',
      }),
    ];
    const { kept, suppressed } = applyVex(findings, [document]);
    expect(suppressed.map((f) => [f.id, f.vex?.status, f.vex?.statement])).toEqual([
      ['CVE-2023-5678', 'not_affected', 'vulnerabilities[0]'],
      ['CVE-2024-0727', 'fixed', 'vulnerabilities[2]'],
    ]);
    expect(kept.map((f) => [f.id, f.vex?.status])).toEqual([
      ['GHSA-rv95-896h-c2vc', 'under_investigation'],
      ['CVE-2024-0727', undefined],
    ]);
  });

  it('narrows by real CycloneDX ranges, and does not apply ranges it cannot judge', async () => {
    const product = { ...EXPRESS, id: 'acme-product', name: 'Acme Product', purl: '' };
    const at = (version: string) => finding('CVE-2020-25649', { ...product, version });
    const case5 = [await fixture('cyclonedx-use-case-5.json')];
    const statusAt = (version: string, documents: VexDocument[]) =>
      applyVex([at(version)], documents);
    expect(statusAt('3.0.0', case5).kept[0]?.vex?.status).toBe('affected');
    expect(statusAt('7.1.0', case5).suppressed[0]?.vex?.status).toBe('not_affected');
    const case8 = [await fixture('cyclonedx-use-case-8.json')];
    expect(statusAt('3.1.0', case8).suppressed).toHaveLength(1);
    expect(statusAt('5.9.0', case8).suppressed).toHaveLength(1);
    expect(statusAt('5.0.0', case8).kept[0]?.vex).toBeUndefined();
    // CISA case 7 writes `vers:generic`, which drydock has no ordering for.
    const case7 = [await fixture('cyclonedx-cisa-case-7.json')];
    const abc = (version: string) =>
      finding('CVE-2021-44228', { ...product, id: 'product-ABC', version });
    expect(applyVex([abc('4.2')], case7).suppressed[0]?.vex?.status).toBe('not_affected');
    expect(applyVex([abc('3.0')], case7).kept[0]?.vex).toBeUndefined();
    expect(applyVex([abc('2.6')], case7).kept[0]?.vex?.status).toBe('affected');
  });
});

describe('applyVex: which statement wins', () => {
  it('takes the later timestamp, whatever the order', async () => {
    // In openvex-image.json the not_affected statement inherits the newer document time.
    const { suppressed } = applyVex(
      [finding('CVE-2023-5678', LIBSSL)],
      [await fixture('openvex-image.json')],
    );
    expect(suppressed[0]?.vex).toEqual({
      status: 'not_affected',
      justification: 'vulnerable_code_not_in_execute_path',
      detail: 'The application never calls DH_generate_key or DH_check_pub_key.',
      document: 'https://openvex.dev/docs/public/vex-drydock-fixture-debian-bookworm',
      statement: 'statements[1]',
    });
    const newer = openVex(
      [
        statement('CVE-2023-5678', 'pkg:deb/debian/libssl3', 'affected', {
          timestamp: '2024-06-01T00:00:00Z',
        }),
      ],
      undefined,
      'https://example.com/newer',
    );
    const older = openVex(
      [statement('CVE-2023-5678', 'pkg:deb/debian/libssl3', 'fixed')],
      '2024-01-01T00:00:00Z',
      'https://example.com/older',
    );
    const { kept } = applyVex([finding('CVE-2023-5678', LIBSSL)], [newer, older]);
    expect(kept[0]?.vex?.document).toBe('https://example.com/newer');
  });

  it('takes the later statement, then the later document, when times do not decide', () => {
    const first = openVex([
      statement('CVE-1', 'pkg:deb/debian/libssl3', 'affected'),
      statement('CVE-1', 'pkg:deb/debian/libssl3', 'not_affected'),
    ]);
    const second = openVex([statement('CVE-1', 'pkg:deb/debian/libssl3', 'under_investigation')]);
    const pick = (documents: VexDocument[]) => applyVex([finding('CVE-1', LIBSSL)], documents);
    expect(pick([first]).suppressed[0]?.vex?.statement).toBe('statements[1]');
    expect(pick([first, second]).kept[0]?.vex?.status).toBe('under_investigation');
    expect(pick([second, first]).suppressed[0]?.vex?.status).toBe('not_affected');
  });

  it('keeps affected and under investigation findings with the statement attached', () => {
    const document = openVex([
      statement('CVE-1', 'pkg:deb/debian/libssl3', 'affected', {
        action_statement: 'Upgrade libssl3.',
      }),
    ]);
    const original = finding('CVE-1', LIBSSL);
    const { kept, suppressed } = applyVex([original], [document]);
    expect(suppressed).toEqual([]);
    expect(kept).toEqual([
      {
        ...original,
        vex: {
          status: 'affected',
          detail: 'Upgrade libssl3.',
          document: 'https://example.com/vex',
          statement: 'statements[0]',
        },
      },
    ]);
    // The input is not changed.
    expect(original.vex).toBeUndefined();
  });
});
