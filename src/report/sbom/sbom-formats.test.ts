import { describe, expect, it } from 'vitest';
import { SAMPLE_ANALYSIS } from '../../../test/fixtures/sbom/sample-analysis.js';
import { cyclonedx16Validator, spdx23Validator } from '../../../test/fixtures/sbom/schemas.js';
import type { ImageAnalysis } from '../../model/index.js';
import { SBOM_FORMATS, sbomFormat } from './formats.js';
import { sbomInputFromAnalysis, type SbomFormat, type ToolInfo } from './sbom-format.js';
import type { SpdxDocument } from './spdx.js';

const TOOL: ToolInfo = {
  name: 'drydock',
  version: '0.1.0',
  timestamp: new Date('2024-05-01T12:34:56.789Z'),
};
const INPUT = sbomInputFromAnalysis(SAMPLE_ANALYSIS);
const EMPTY: ImageAnalysis = { ...SAMPLE_ANALYSIS, files: [], content: undefined };

function render(name: string, analyses: readonly ImageAnalysis[] = [SAMPLE_ANALYSIS]): string {
  const format = sbomFormat(name) as SbomFormat;
  return [...format.render(analyses.map(sbomInputFromAnalysis), TOOL)].join('');
}

interface CdxComponent {
  'bom-ref': string;
  type: string;
  name: string;
  version?: string;
  purl?: string;
  cpe?: string;
  licenses?: ({ license: { id?: string; name?: string } } | { expression: string })[];
  hashes?: { alg: string; content: string }[];
  properties?: { name: string; value: string }[];
}
interface CdxBom {
  specVersion: string;
  serialNumber: string;
  metadata: { component: CdxComponent; timestamp: string };
  components: CdxComponent[];
  dependencies: { ref: string; dependsOn?: string[] }[];
}

describe('SBOM_FORMATS', () => {
  it('lists each format once, by the name -o takes', () => {
    const names = SBOM_FORMATS.map((f) => f.name);
    expect(names).toEqual(['table', 'json', 'cyclonedx-json', 'spdx-json']);
    expect(sbomFormat('xml')).toBeUndefined();
  });
});

describe('cyclonedx-json', () => {
  const validate = cyclonedx16Validator();
  const bom = JSON.parse(render('cyclonedx-json')) as CdxBom;
  const component = (name: string): CdxComponent | undefined =>
    bom.components.find((c) => c.name === name);
  const property = (c: CdxComponent | undefined, name: string): string[] =>
    (c?.properties ?? []).filter((p) => p.name === name).map((p) => p.value);

  it('is valid CycloneDX 1.6', () => {
    expect(validate(bom), JSON.stringify(validate.errors, null, 2)).toBe(true);
    expect(bom.specVersion).toBe('1.6');
    // The validator is not vacuous: a component of no known type fails it.
    expect(validate({ ...bom, components: [{ type: 'nonsense', name: 'x' }] })).toBe(false);
    expect(bom.serialNumber).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(bom.metadata.timestamp).toBe('2024-05-01T12:34:56.789Z');
  });

  it('stays valid with no packages, no distro and no digest', () => {
    const bare: ImageAnalysis = {
      ...EMPTY,
      metadata: { ...EMPTY.metadata, manifestDigest: undefined, repository: undefined },
    };
    const empty = JSON.parse(render('cyclonedx-json', [bare])) as unknown;
    expect(validate(empty), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  it('describes the image as the container metadata component, with its PURL', () => {
    expect(bom.metadata.component).toMatchObject({
      type: 'container',
      name: 'registry.example:5000/team/app:1.0',
      version: SAMPLE_ANALYSIS.metadata.manifestDigest,
      purl: `pkg:oci/app@sha256:${'3'.repeat(64)}?arch=amd64&repository_url=registry.example%3A5000%2Fteam%2Fapp&tag=1.0`,
    });
  });

  it('lists the distribution as an operating-system component', () => {
    const os = bom.components.find((c) => c.type === 'operating-system');
    expect(os).toMatchObject({ name: 'debian', version: '12' });
    expect(property(os, 'drydock:distro:versionCodename')).toEqual(['bookworm']);
  });

  it('gives every package its PURL, first CPE (others as properties), licenses and locations', () => {
    expect(bom.components.filter((c) => c.type === 'library')).toHaveLength(
      SAMPLE_ANALYSIS.content?.packages.length ?? -1,
    );
    const bash = component('bash');
    expect(bash).toMatchObject({
      version: '5.2.15-2+b2',
      purl: 'pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12',
      cpe: 'cpe:2.3:a:gnu:bash:5.2.15-2\\+b2:*:*:*:*:*:*:*',
      licenses: [
        { license: { id: 'GPL-3.0-or-later' } },
        { license: { name: 'GPLv3+ with exceptions' } },
      ],
    });
    expect(property(bash, 'drydock:package:cpe')).toEqual([
      'cpe:2.3:a:bash:bash:5.2.15-2\\+b2:*:*:*:*:*:*:*',
    ]);
    expect(property(bash, 'drydock:location:0:path')).toEqual(['/var/lib/dpkg/status']);
    expect(property(bash, 'drydock:location:0:layerDigest')).toEqual([`sha256:${'1'.repeat(64)}`]);
    expect(property(bash, 'drydock:package:size')).toEqual(['7000000']);
    expect(property(bash, 'drydock:metadata:maintainer')).toEqual([
      'Matthias Klose <doko@debian.org>',
    ]);
    expect(component('left-pad')?.licenses).toEqual([{ expression: 'WTFPL OR MIT' }]);
  });

  it("gives a jar the cataloger's SHA-1 and the SHA-256 of its archive", () => {
    expect(component('commons-lang3')?.hashes).toEqual([
      { alg: 'SHA-1', content: 'c6842c86792ff03b9f1d1fe2aab8dc23aa6c6f0e' },
      { alg: 'SHA-256', content: 'a'.repeat(64) },
    ]);
    expect(component('bash')?.hashes).toBeUndefined();
  });

  it('says what contains what: image → OS → OS packages, installer → what it installed', () => {
    const dependsOn = (ref: string): string[] =>
      bom.dependencies.find((d) => d.ref === ref)?.dependsOn ?? [];
    const requests =
      'python:requests@2.28.1:/usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO';
    expect(dependsOn('image')).toEqual(
      expect.arrayContaining([
        'os:debian@12',
        'npm:left-pad@1.3.0:/app/node_modules/left-pad/package.json',
      ]),
    );
    expect(dependsOn('image')).not.toContain(requests);
    expect(dependsOn('os:debian@12')).toContain('dpkg:bash@5.2.15-2+b2:/var/lib/dpkg/status');
    expect(dependsOn('dpkg:python3-requests@2.28.1+dfsg-1:/var/lib/dpkg/status')).toEqual([
      requests,
    ]);
  });
});

describe('spdx-json', () => {
  const validate = spdx23Validator();
  const doc = JSON.parse(render('spdx-json')) as SpdxDocument;
  const byName = (name: string) => doc.packages.find((p) => p.name === name);

  it('is valid SPDX 2.3 with valid, unique SPDX ids that every relationship resolves', () => {
    expect(validate(doc), JSON.stringify(validate.errors, null, 2)).toBe(true);
    expect(validate({ ...doc, packages: [{ SPDXID: 'SPDXRef-x', name: 'x' }] })).toBe(false);
    const ids = doc.packages.map((p) => p.SPDXID);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^SPDXRef-[A-Za-z0-9.-]+$/);
    const known = new Set([...ids, 'SPDXRef-DOCUMENT']);
    for (const r of doc.relationships) {
      expect(known.has(r.spdxElementId) && known.has(r.relatedSpdxElement), JSON.stringify(r)).toBe(
        true,
      );
    }
    expect(doc.creationInfo).toEqual({
      created: '2024-05-01T12:34:56Z',
      creators: ['Tool: drydock-0.1.0'],
    });
  });

  it('stays valid with no packages', () => {
    expect(
      validate(JSON.parse(render('spdx-json', [EMPTY]))),
      JSON.stringify(validate.errors),
    ).toBe(true);
  });

  it('keeps SPDX ids stable for the same content and the namespace unique per document', () => {
    const again = JSON.parse(render('spdx-json')) as SpdxDocument;
    expect(again.packages.map((p) => p.SPDXID)).toEqual(doc.packages.map((p) => p.SPDXID));
    expect(again.documentNamespace).not.toBe(doc.documentNamespace);
    expect(doc.documentNamespace).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
  });

  it('describes the image and relates OS, packages and owners by CONTAINS', () => {
    const image = doc.packages.find((p) => p.primaryPackagePurpose === 'CONTAINER');
    const os = doc.packages.find((p) => p.primaryPackagePurpose === 'OPERATING_SYSTEM');
    const has = (from: string | undefined, type: string, to: string | undefined) =>
      doc.relationships.some(
        (r) =>
          r.spdxElementId === from && r.relationshipType === type && r.relatedSpdxElement === to,
      );
    expect(has('SPDXRef-DOCUMENT', 'DESCRIBES', image?.SPDXID)).toBe(true);
    expect(has(image?.SPDXID, 'CONTAINS', os?.SPDXID)).toBe(true);
    expect(has(os?.SPDXID, 'CONTAINS', byName('bash')?.SPDXID)).toBe(true);
    expect(has(image?.SPDXID, 'CONTAINS', byName('left-pad')?.SPDXID)).toBe(true);
    expect(has(byName('python3-requests')?.SPDXID, 'CONTAINS', byName('requests')?.SPDXID)).toBe(
      true,
    );
  });

  it('carries PURL and CPEs as external references and licenses as SPDX expressions', () => {
    const bash = byName('bash');
    expect(bash?.externalRefs).toEqual([
      {
        referenceCategory: 'SECURITY',
        referenceType: 'cpe23Type',
        referenceLocator: 'cpe:2.3:a:gnu:bash:5.2.15-2\\+b2:*:*:*:*:*:*:*',
      },
      {
        referenceCategory: 'SECURITY',
        referenceType: 'cpe23Type',
        referenceLocator: 'cpe:2.3:a:bash:bash:5.2.15-2\\+b2:*:*:*:*:*:*:*',
      },
      {
        referenceCategory: 'PACKAGE-MANAGER',
        referenceType: 'purl',
        referenceLocator: 'pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12',
      },
    ]);
    expect(bash?.licenseDeclared).toBe(
      'GPL-3.0-or-later AND LicenseRef-GPLv3-plus-with-exceptions',
    );
    expect(byName('left-pad')?.licenseDeclared).toBe('WTFPL OR MIT');
    expect(byName('go')?.licenseDeclared ?? byName('golang.org/x/net')?.licenseDeclared).toBe(
      'NOASSERTION',
    );
    expect(doc.hasExtractedLicensingInfos).toEqual(
      expect.arrayContaining([
        {
          licenseId: 'LicenseRef-GPLv3-plus-with-exceptions',
          extractedText: 'GPLv3+ with exceptions',
          name: 'GPLv3+ with exceptions',
        },
      ]),
    );
  });
});

describe('json', () => {
  it('holds metadata, distro, packages, files, secrets and retained files', () => {
    const doc = JSON.parse(render('json')) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual([
      'source',
      'metadata',
      'distro',
      'packages',
      'files',
      'secrets',
      'retainedFiles',
    ]);
    expect(doc).toMatchObject({
      source: {
        name: SAMPLE_ANALYSIS.metadata.source,
        digest: SAMPLE_ANALYSIS.metadata.manifestDigest,
      },
      metadata: SAMPLE_ANALYSIS.metadata,
      distro: SAMPLE_ANALYSIS.content?.distro,
      packages: SAMPLE_ANALYSIS.content?.packages,
      files: SAMPLE_ANALYSIS.files,
      secrets: SAMPLE_ANALYSIS.content?.secrets,
      retainedFiles: SAMPLE_ANALYSIS.content?.retainedFiles,
    });
  });

  it('is an array for several images and has empty lists when nothing was catalogued', () => {
    const docs = JSON.parse(render('json', [SAMPLE_ANALYSIS, EMPTY])) as Record<string, unknown>[];
    expect(docs).toHaveLength(2);
    expect(docs[1]).toMatchObject({ distro: null, packages: [], files: [], secrets: [] });
  });
});

describe('table', () => {
  it('lists NAME VERSION TYPE sorted by name', () => {
    const lines = render('table').trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+VERSION\s+TYPE$/);
    expect(lines).toHaveLength(1 + (SAMPLE_ANALYSIS.content?.packages.length ?? 0));
    expect(lines[1]).toMatch(/^@types\/node\s+20\.11\.5\s+npm$/);
    expect(lines.find((l) => l.startsWith('openssl-libs'))).toMatch(
      /^openssl-libs\s+1:3\.0\.7-25\.el9\s+rpm$/,
    );
  });

  it('heads each image when there are several', () => {
    const text = render('table', [SAMPLE_ANALYSIS, EMPTY]);
    expect(
      text.match(/^# registry\.example:5000\/team\/app:1\.0 \(linux\/amd64\)$/gm),
    ).toHaveLength(2);
  });

  it('escapes control characters in package names', () => {
    const evil = sbomInputFromAnalysis({
      ...SAMPLE_ANALYSIS,
      content: {
        packages: [
          { ...(SAMPLE_ANALYSIS.content?.packages[0] ?? ({} as never)), name: 'x\u001b[2Jy' },
        ],
        secrets: [],
        retainedFiles: [],
      },
    });
    const text = [...(sbomFormat('table') as SbomFormat).render([evil], TOOL)].join('');
    expect(text).not.toContain('\u001b');
    expect(text).toContain('x\\u001b[2Jy');
  });
});

describe('formats that describe one image', () => {
  it('say so', () => {
    expect(SBOM_FORMATS.filter((f) => !f.manyImages).map((f) => f.name)).toEqual([
      'cyclonedx-json',
      'spdx-json',
    ]);
    expect(INPUT.subject.platform).toBe('linux/amd64');
  });
});
