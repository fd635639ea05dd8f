import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_ANALYSIS } from '../../test/fixtures/sbom/sample-analysis.js';
import { seededRandom } from '../../test/harness/random.js';
import { isDrydockError, type Package } from '../model/index.js';
import { sbomFormat } from '../report/sbom/formats.js';
import {
  sbomInputFromAnalysis,
  type SbomFormat,
  type SbomInput,
} from '../report/sbom/sbom-format.js';
import { DEFAULT_IMPORT_LIMITS } from './fields.js';
import { importSbomFile, parseSbom } from './import-sbom.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'sbom-import');
const TOOL = { name: 'drydock', version: '0.1.0', timestamp: new Date('2024-05-01T00:00:00Z') };

function render(
  formatName: string,
  input: SbomInput = sbomInputFromAnalysis(SAMPLE_ANALYSIS),
): string {
  return [...(sbomFormat(formatName) as SbomFormat).render([input], TOOL)].join('');
}

/** What "the same package set" means: identity, type, version, PURL and where it was found. */
function identity(pkg: Package): string {
  return `${pkg.type} ${pkg.name} ${pkg.version} ${pkg.purl} ${pkg.locations[0]?.path ?? ''}`;
}

async function fixture(name: string) {
  return parseSbom(await readFile(join(FIXTURES, name), 'utf8'), name);
}

function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    if (isDrydockError(e)) return e.message;
    throw e;
  }
  throw new Error('expected an error');
}

describe('round trip: drydock CycloneDX and SPDX back through --from', () => {
  const original = SAMPLE_ANALYSIS.content?.packages ?? [];

  it('CycloneDX keeps every package, its ids, ownership, locations, distro and metadata', () => {
    const { input, format, warnings } = parseSbom(render('cyclonedx-json'), 'bom.json');
    expect(format).toBe('CycloneDX 1.6');
    expect(warnings).toEqual([]);
    expect(input.content.packages.map(identity).sort()).toEqual(original.map(identity).sort());
    // The same ids, so ownership and every other reference survive.
    expect(input.content.packages.map((p) => p.id).sort()).toEqual(
      original.map((p) => p.id).sort(),
    );
    const requests = input.content.packages.find((p) => p.name === 'requests');
    expect(requests?.ownedBy).toBe('dpkg:python3-requests@2.28.1+dfsg-1:/var/lib/dpkg/status');
    const bash = input.content.packages.find((p) => p.name === 'bash');
    expect(bash).toMatchObject({
      architecture: 'amd64',
      size: 7_000_000,
      source: { name: 'bash' },
      licenses: ['GPL-3.0-or-later', 'GPLv3+ with exceptions'],
      cpes: original.find((p) => p.name === 'bash')?.cpes,
      locations: original.find((p) => p.name === 'bash')?.locations,
      metadata: { maintainer: 'Matthias Klose <doko@debian.org>' },
    });
    expect(input.content.distro).toEqual(SAMPLE_ANALYSIS.content?.distro);
    expect(input.subject).toEqual({
      name: SAMPLE_ANALYSIS.metadata.source,
      digest: SAMPLE_ANALYSIS.metadata.manifestDigest,
      platform: 'linux/amd64',
    });
  });

  it('SPDX keeps every package, its licenses and ownership', () => {
    const { input, format } = parseSbom(render('spdx-json'), 'doc.spdx.json');
    expect(format).toBe('SPDX 2.3');
    const key = (p: Package) => `${p.type} ${p.name} ${p.version} ${p.purl}`;
    expect(input.content.packages.map(key).sort()).toEqual(original.map(key).sort());
    const byName = (name: string) => input.content.packages.find((p) => p.name === name);
    expect(byName('bash')?.licenses).toEqual(['GPL-3.0-or-later', 'GPLv3+ with exceptions']);
    expect(byName('left-pad')?.licenses).toEqual(['WTFPL OR MIT']);
    expect(byName('bash')?.locations[0]?.path).toBe('/var/lib/dpkg/status');
    expect(byName('requests')?.ownedBy).toBe(byName('python3-requests')?.id);
    expect(input.content.distro).toMatchObject({ id: 'debian', versionId: '12' });
    expect(input.subject.name).toBe(SAMPLE_ANALYSIS.metadata.source);
  });

  it('an imported SBOM renders again in every format', () => {
    const { input } = parseSbom(render('cyclonedx-json'), 'bom.json');
    for (const name of ['table', 'json', 'cyclonedx-json', 'spdx-json'])
      expect(render(name, input)).not.toBe('');
    const again = parseSbom(render('cyclonedx-json', input), 'again.json').input;
    expect(again.content.packages.map(identity).sort()).toEqual(
      input.content.packages.map(identity).sort(),
    );
  });
});

describe('SBOMs made by other tools', () => {
  it('Syft CycloneDX: packages by PURL, Syft locations and extra CPEs, distro from properties', async () => {
    const { input, warnings } = await fixture('syft-cyclonedx.json');
    expect(input.content.packages.map((p) => `${p.type} ${p.name} ${p.version}`)).toEqual([
      'dpkg libc6 2.36-9+deb12u4',
      'npm express 4.18.2',
    ]);
    expect(input.content.packages[0]).toMatchObject({
      architecture: 'amd64',
      source: { name: 'glibc' },
      licenses: ['GPL-2.0-only', 'LGPL-2.1'],
      cpes: [
        'cpe:2.3:a:libc6:libc6:2.36-9\\+deb12u4:*:*:*:*:*:*:*',
        'cpe:2.3:a:libc6:libc:2.36-9\\+deb12u4:*:*:*:*:*:*:*',
      ],
      locations: [
        {
          path: '/var/lib/dpkg/status',
          layerDigest: 'sha256:5d4427064ecc46e3c2add169e9b5eafc7ed2be7861081ec925938ab628ac0e25',
          layerIndex: -1,
        },
      ],
    });
    expect(input.content.distro).toEqual({
      id: 'debian',
      versionId: '12',
      versionCodename: 'bookworm',
      idLike: [],
      prettyName: 'Debian GNU/Linux 12 (bookworm)',
      source: '',
    });
    expect(input.subject).toMatchObject({ name: 'nginx:1.25' });
    expect(warnings).toEqual([
      'syft-cyclonedx.json: skipped packages of types drydock does not catalog: cargo (1)',
    ]);
  });

  it('Syft SPDX: the DocumentRoot image is the subject, LicenseRefs become names again', async () => {
    const { input } = await fixture('syft-spdx.json');
    expect(input.subject).toEqual({
      name: 'alpine:3.19',
      digest: 'sha256:c5b1261d6d3e43071626931fc004f70149baeba2c8ec672bd4f27761f8e1ad6b',
    });
    expect(input.content.packages).toHaveLength(2);
    expect(input.content.packages[1]).toMatchObject({
      type: 'apk',
      name: 'ssl_client',
      version: '1.36.1-r15',
      source: { name: 'busybox' },
      licenses: ['Busybox exception', 'GPL-2.0-only'],
      locations: [{ path: '/lib/apk/db/installed', layerDigest: '', layerIndex: -1 }],
    });
    expect(input.content.packages.some((p) => p.ownedBy !== undefined)).toBe(false);
  });

  it('Trivy CycloneDX: nested OS packages, the rpm epoch from the PURL, Trivy file paths', async () => {
    const { input, warnings } = await fixture('trivy-cyclonedx.json');
    expect(warnings).toEqual([]);
    expect(input.content.distro).toMatchObject({ id: 'rocky', versionId: '9.3' });
    const [openssl, urllib3] = input.content.packages;
    expect(openssl).toMatchObject({
      type: 'rpm',
      name: 'openssl-libs',
      version: '1:3.0.7-25.el9_3',
      architecture: 'x86_64',
      source: { name: 'openssl', version: '3.0.7-25.el9_3' },
      licenses: ['ASL 2.0'],
    });
    expect(urllib3).toMatchObject({
      type: 'python',
      version: '1.26.5',
      locations: [
        {
          path: '/usr/lib/python3.9/site-packages/urllib3-1.26.5-py3.9.egg-info/PKG-INFO',
          layerDigest: 'sha256:dddd',
          layerIndex: -1,
        },
      ],
    });
  });

  it('Trivy SPDX 2.2: ContainerImage subject, OPERATING-SYSTEM distro, no location from sourceInfo', async () => {
    const { input, format } = await fixture('trivy-spdx.json');
    expect(format).toBe('SPDX 2.2');
    expect(input.subject.name).toBe('ubuntu:22.04');
    expect(input.content.distro).toMatchObject({ id: 'ubuntu', versionId: '22.04' });
    expect(input.content.packages).toHaveLength(1);
    expect(input.content.packages[0]).toMatchObject({
      type: 'dpkg',
      name: 'libssl3',
      licenses: [],
      locations: [],
    });
  });
});

describe('malformed SBOMs', () => {
  it.each([
    ['{"bomFormat": "CycloneDX", ', /^x\.json: is not valid JSON \(/],
    ['[1, 2]', /^x\.json: is JSON but not an object/],
    ['{"name": "x"}', /^x\.json: is neither CycloneDX .* nor SPDX/],
    [
      '{"bomFormat": "CycloneDX", "specVersion": "1.1"}',
      /^x\.json: CycloneDX specVersion "1.1" is not one drydock reads/,
    ],
    ['{"bomFormat": "CycloneDX"}', /^x\.json: CycloneDX specVersion null is not one drydock reads/],
    [
      '{"spdxVersion": "SPDX-2.1"}',
      /^x\.json: spdxVersion "SPDX-2.1" is not one drydock reads \(SPDX-2\.2 or SPDX-2\.3/,
    ],
    [
      '{"@context": "https://spdx.org/rdf/3.0.0/spdx-context.jsonld"}',
      /^x\.json: looks like SPDX 3/,
    ],
    [
      '<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.6"/>',
      /^x\.json: looks like XML/,
    ],
    ['SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n', /^x\.json: is SPDX tag-value/],
  ])('%s is refused with a message naming the file', (text, message) => {
    expect(errorOf(() => parseSbom(text, 'x.json'))).toMatch(message);
  });

  it('too many components, or components nested too deep, are refused', () => {
    const limits = { ...DEFAULT_IMPORT_LIMITS, maxPackages: 2, maxNesting: 3 };
    const component = (i: number) => ({
      type: 'library',
      name: `p${i}`,
      version: '1',
      purl: `pkg:npm/p${i}@1`,
    });
    const many = {
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      components: [0, 1, 2].map(component),
    };
    expect(errorOf(() => parseSbom(JSON.stringify(many), 'x.json', limits))).toMatch(
      /^x\.json: components has 3 entries/,
    );
    let nested: Record<string, unknown> = component(0);
    for (let i = 0; i < 5; i++)
      nested = { type: 'application', name: `n${i}`, components: [nested] };
    const deep = { bomFormat: 'CycloneDX', specVersion: '1.6', components: [nested] };
    expect(
      errorOf(() => parseSbom(JSON.stringify(deep), 'x.json', { ...limits, maxPackages: 100 })),
    ).toMatch(/nested more than 3 deep/);
  });

  it('ignores fields of the wrong type and strings past the length limit', () => {
    const doc = {
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      components: [
        { type: 'library', name: 7, purl: 'pkg:npm/a@1' },
        {
          type: 'library',
          name: 'b',
          version: 'x'.repeat(10_000),
          purl: 'pkg:npm/b@2',
          licenses: 'MIT',
          properties: {},
        },
        'not an object',
        null,
      ],
    };
    const { input, warnings } = parseSbom(JSON.stringify(doc), 'x.json');
    expect(input.content.packages.map((p) => `${p.name}@${p.version}`)).toEqual(['b@2']);
    expect(warnings).toEqual([
      'x.json: skipped packages of types drydock does not catalog: npm (1)',
    ]);
  });

  it('keeps a property named __proto__ as a plain metadata key', () => {
    const doc = {
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      components: [
        {
          type: 'library',
          name: 'a',
          version: '1',
          purl: 'pkg:npm/a@1',
          properties: [{ name: 'drydock:metadata:__proto__', value: 'polluted' }],
        },
      ],
    };
    const pkg = parseSbom(JSON.stringify(doc), 'x.json').input.content.packages[0];
    expect(Object.getPrototypeOf(pkg?.metadata)).toBe(Object.prototype);
    expect(Object.keys(pkg?.metadata ?? {})).toEqual(['__proto__']);
  });
});

describe('importSbomFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drydock-import-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a file, with a UTF-8 byte order mark', async () => {
    const file = join(dir, 'bom.json');
    await writeFile(file, `\uFEFF${render('cyclonedx-json')}`);
    const { input } = await importSbomFile(file);
    expect(input.content.packages).toHaveLength(SAMPLE_ANALYSIS.content?.packages.length ?? -1);
  });

  it('refuses a file over the size limit, a directory and a missing file, naming each', async () => {
    const file = join(dir, 'big.json');
    await writeFile(file, ' '.repeat(2048));
    await expect(
      importSbomFile(file, { ...DEFAULT_IMPORT_LIMITS, maxBytes: 1024 }),
    ).rejects.toThrow(`SBOM ${file} is larger than 1024 bytes`);
    await expect(importSbomFile(dir)).rejects.toThrow(`SBOM ${dir} is not a regular file`);
    await expect(importSbomFile(join(dir, 'nope.json'))).rejects.toThrow(
      `${join(dir, 'nope.json')} cannot be read (ENOENT)`,
    );
  });
});

describe('fuzz: mutated SBOMs never crash or hang the importers', () => {
  const seeds = [render('cyclonedx-json'), render('spdx-json')];
  const fragments = [
    '{',
    '}',
    '[',
    ']',
    '"',
    ',',
    ':',
    'null',
    '0',
    '-1',
    '"pkg:npm/x@1"',
    '"CycloneDX"',
    '"SPDX-2.3"',
    '"components"',
    '"packages"',
    '[[[[[[',
    '"\\u0000"',
  ];

  function mutate(text: string, random: (n: number) => number): string {
    let out = text;
    const edits = 1 + random(8);
    for (let i = 0; i < edits; i++) {
      const at = random(out.length + 1);
      const kind = random(3);
      if (kind === 0) out = out.slice(0, at) + out.slice(at + 1 + random(40));
      else if (kind === 1)
        out = out.slice(0, at) + (fragments[random(fragments.length)] ?? '') + out.slice(at);
      else out = out.slice(0, at) + String.fromCharCode(random(128)) + out.slice(at + 1);
    }
    return out;
  }

  /** Structural mutations keep the JSON valid, so the readers themselves (not JSON.parse) are exercised. */
  function mutateValue(value: unknown, random: (n: number) => number, depth = 0): unknown {
    const replacements: unknown[] = [
      null,
      0,
      -1,
      'x',
      '',
      [],
      {},
      true,
      'pkg:rpm/a/b@1?epoch=x',
      [null],
      { name: {} },
    ];
    if (random(12) === 0) return replacements[random(replacements.length)];
    if (Array.isArray(value)) return value.map((item) => mutateValue(item, random, depth + 1));
    if (typeof value === 'object' && value !== null && depth < 12) {
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, mutateValue(v, random, depth + 1)]),
      );
    }
    return value;
  }

  it('byte-level mutations: a result or a DrydockError, nothing else', () => {
    const random = seededRandom(20240501);
    for (let i = 0; i < 400; i++) {
      const text = mutate(seeds[i % seeds.length] ?? '', random);
      try {
        parseSbom(text, 'fuzz.json');
      } catch (e) {
        expect(isDrydockError(e), `case ${i}: ${String(e)}`).toBe(true);
      }
    }
  });

  it('structural mutations: a result or a DrydockError, nothing else', () => {
    const random = seededRandom(7);
    const documents = seeds.map((seed) => JSON.parse(seed) as unknown);
    for (let i = 0; i < 250; i++) {
      const text = JSON.stringify(mutateValue(documents[i % documents.length], random));
      try {
        const { input } = parseSbom(text, 'fuzz.json');
        // Whatever came in, what comes out can be written again.
        render(i % 2 === 0 ? 'cyclonedx-json' : 'spdx-json', input);
      } catch (e) {
        expect(isDrydockError(e), `case ${i}: ${String(e)}`).toBe(true);
      }
    }
  });
});
