import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { editCharacters, mutate } from '../../../test/harness/mutate.js';
import { seededRandom } from '../../../test/harness/random.js';
import { isDrydockError, type DrydockError, type Finding } from '../../model/index.js';
import { applyVex } from './apply-vex.js';
import {
  DEFAULT_VEX_LIMITS,
  parseVex,
  readVexFile,
  type VexDocument,
  type VexLimits,
} from './vex-document.js';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'vex');

async function failure(run: () => Promise<unknown>): Promise<DrydockError> {
  try {
    await run();
  } catch (e) {
    if (isDrydockError(e)) return e;
    throw e;
  }
  throw new Error('expected a DrydockError');
}

describe('readVexFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drydock-vex-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function write(name: string, text: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  }

  it('reads every fixture, detecting its format by content', async () => {
    const names = (await readdir(FIXTURES)).filter((name) => name.endsWith('.json'));
    expect(names.length).toBeGreaterThanOrEqual(12);
    for (const name of names) {
      const document = await readVexFile(join(FIXTURES, name));
      expect(document.format, name).toMatch(
        name.startsWith('openvex') ? /^OpenVEX / : /^CycloneDX /,
      );
      expect(document.statements.length, name).toBeGreaterThan(0);
    }
  });

  it.each([
    ['not JSON', '{"@context": "https://openvex.dev/ns/v0.2.0",', /is not valid JSON \(.+\)/],
    [
      'XML',
      '<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.5"/>',
      /looks like XML/,
    ],
    ['a JSON list', '[]', /is JSON but not an object/],
    ['CSAF', '{"document": {"csaf_version": "2.0", "category": "csaf_vex"}}', /is CSAF/],
    [
      'an in-toto attestation',
      '{"_type": "https://in-toto.io/Statement/v0.1", "predicateType": "https://openvex.dev/ns", "predicate": {}}',
      /extract the OpenVEX document from its predicate/,
    ],
    ['SPDX', '{"spdxVersion": "SPDX-2.3"}', /is an SPDX SBOM, not a VEX document/],
    ['anything else', '{"hello": "world"}', /expected OpenVEX \("@context"/],
  ])('refuses %s with what it is', async (name, text, message) => {
    const path = await write(`${name}.json`, text);
    const error = await failure(() => readVexFile(path));
    expect(error.code).toBe('invalid-argument');
    expect(error.message).toContain(path);
    expect(error.message).toMatch(message);
  });

  it('reads a file starting with a byte order mark', async () => {
    const text = await readFile(join(FIXTURES, 'openvex-spec-minimal.json'), 'utf8');
    const document = await readVexFile(await write('bom.json', `\uFEFF${text}`));
    expect(document.statements).toHaveLength(1);
  });

  it('says when the file is missing or not a file', async () => {
    const missing = await failure(() => readVexFile(join(dir, 'absent.json')));
    expect(missing.code).toBe('not-found');
    expect(missing.message).toMatch(/the VEX file .*absent\.json cannot be read \(ENOENT\)/);
    const directory = await failure(() => readVexFile(dir));
    expect(directory.message).toMatch(/is not a regular file/);
  });

  describe('bounds', () => {
    const limits = (changes: Partial<VexLimits>): VexLimits => ({
      ...DEFAULT_VEX_LIMITS,
      ...changes,
    });
    const openVex = (statements: unknown[]) =>
      JSON.stringify({ '@context': 'https://openvex.dev/ns/v0.2.0', statements });
    const statement = (name: string) => ({
      vulnerability: { name },
      products: [{ '@id': 'pkg:npm/a@1.0.0' }],
      status: 'fixed',
    });

    it('refuses a file over the size limit before reading it', async () => {
      const path = await write('big.json', openVex([statement('CVE-1')]));
      const error = await failure(() => readVexFile(path, limits({ maxBytes: 64 })));
      expect(error.code).toBe('limit-exceeded');
      expect(error.message).toMatch(/the VEX file .* is larger than 64 bytes/);
    });

    it('refuses more statements, list items or longer strings than the limits', () => {
      const three = openVex(['CVE-1', 'CVE-2', 'CVE-3'].map(statement));
      expect(() => parseVex(three, 'many.json', limits({ maxStatements: 2 }))).toThrow(
        /many\.json: statements has 3 entries, more than the 2 drydock reads/,
      );
      const products = openVex([
        { ...statement('CVE-1'), products: [1, 2, 3].map((n) => ({ '@id': `pkg:npm/a@${n}` })) },
      ]);
      expect(() => parseVex(products, 'wide.json', limits({ maxListItems: 2 }))).toThrow(
        /statements\[0\]\.products has 3 entries/,
      );
      const long = openVex([statement(`CVE-${'1'.repeat(100)}`)]);
      expect(() => parseVex(long, 'long.json', limits({ maxStringChars: 50 }))).toThrow(
        /vulnerability\.name is 104 characters long, more than the 50/,
      );
      const cdx = JSON.stringify({
        bomFormat: 'CycloneDX',
        specVersion: '1.6',
        components: [1, 2, 3].map((n) => ({ 'bom-ref': `c${n}` })),
        vulnerabilities: [],
      });
      expect(() => parseVex(cdx, 'parts.json', limits({ maxListItems: 2 }))).toThrow(
        /components has 3 entries/,
      );
    });
  });
});

describe('fuzz: mutated VEX documents never crash or hang the readers', () => {
  let seeds: Buffer[] = [];
  beforeAll(async () => {
    const names = (await readdir(FIXTURES)).filter((name) => name.endsWith('.json'));
    seeds = await Promise.all(names.map((name) => readFile(join(FIXTURES, name))));
  });

  /** Findings the fixtures' statements are about, so mutated documents are also applied. */
  const findings: Finding[] = [
    ['CVE-2023-3446', 'pkg:apk/alpine/libssl3@3.0.8-r3', '3.0.8-r3', 'apk:libssl3'],
    ['CVE-2023-5678', 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2', '3.0.11-1~deb12u2', 'dpkg:x'],
    ['CVE-2024-0727', '', '3.0.11-1~deb12u2', 'dpkg:libssl3@3.0.11-1~deb12u2:/var/lib/dpkg/status'],
    [
      'CVE-2020-25649',
      'pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0',
      '2.10.0',
      'j',
    ],
    ['CVE-2020-25649', '', '3.0.0', 'acme-product'],
    ['CVE-2021-44228', '', '4.2', 'product-ABC'],
  ].map(([id = '', purl = '', version = '', packageId = '']) => ({
    id,
    aliases: [],
    severity: 'High',
    severitySource: 'none',
    cvss: [],
    package: { id: packageId, name: 'x', version, type: 'npm', purl, paths: [] },
    matchedAs: { ecosystem: 'npm', name: 'x', version },
    fix: { state: 'unknown', versions: [] },
    feed: 'test',
    group: 'test',
    urls: [],
    modified: '2024-01-01T00:00:00Z',
  }));

  /** Reading gives a document or a DrydockError; applying what was read never throws. */
  function parsedOrDrydockError(text: string, label: string): void {
    let document: VexDocument;
    try {
      document = parseVex(text, 'fuzz.json');
    } catch (e) {
      expect(isDrydockError(e), `${label}: ${String(e)}`).toBe(true);
      return;
    }
    const { kept, suppressed } = applyVex(findings, [document]);
    expect(kept.length + suppressed.length, label).toBe(findings.length);
  }

  /** The same document with some values below its top swapped for others of any type, or dropped. */
  function mutateValue(value: unknown, random: (n: number) => number, depth = 0): unknown {
    const swaps = [
      undefined,
      null,
      0,
      -1,
      1e308,
      true,
      '',
      'pkg:',
      'vers:npm/<',
      'x'.repeat(300),
      [],
      {},
      [{}],
    ];
    if (depth > 0 && random(12) === 0) return swaps[random(swaps.length)];
    if (Array.isArray(value)) return value.map((item) => mutateValue(item, random, depth + 1));
    if (typeof value === 'object' && value !== null)
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [key, mutateValue(item, random, depth + 1)]),
      );
    return value;
  }

  it('byte mutations of the fixtures: a document or a DrydockError', () => {
    const random = seededRandom(20240502);
    for (let i = 0; i < 600; i++) {
      const seed = seeds[i % seeds.length] ?? Buffer.alloc(0);
      parsedOrDrydockError(mutate(seed, random, '"pkg:').toString('utf8'), `case ${i}`);
    }
  });

  it('structural mutations: a document or a DrydockError', () => {
    const random = seededRandom(7);
    const documents = seeds.map((seed) => JSON.parse(seed.toString('utf8')) as unknown);
    for (let i = 0; i < 600; i++) {
      const text = JSON.stringify(mutateValue(documents[i % documents.length], random));
      parsedOrDrydockError(text, `case ${i}`);
    }
  });

  it('edits of PURLs, ranges, ids and states: a document or a DrydockError', () => {
    const random = seededRandom(99);
    const alphabet = '%:/@?#=&|<>!*.-_"\\ {}[],0aZ~+';
    for (let i = 0; i < 600; i++) {
      const seed = (seeds[i % seeds.length] ?? Buffer.alloc(0)).toString('utf8');
      // Edit near a value that matters, where the parsers' own syntax is.
      const marks = [...seed.matchAll(/pkg:|vers:|urn:cdx:|CVE-|"state"|"status"|timestamp/g)];
      const at = marks[random(marks.length)]?.index ?? 0;
      const edited =
        seed.slice(0, at) +
        editCharacters(seed.slice(at, at + 40), alphabet, random) +
        seed.slice(at + 40);
      parsedOrDrydockError(edited, `case ${i}`);
    }
  });
});
