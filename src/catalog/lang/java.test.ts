import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { imageTree } from '../../../test/harness/catalog.js';
import { seededRandom } from '../../../test/harness/random.js';
import {
  DEFAULT_JAVA_LIMITS,
  isJavaArchive,
  javaArchiveCollector,
  javaCataloger,
  nameFromFileName,
  parseManifest,
  parsePomXml,
  parseProperties,
  readJavaArchive,
} from './java.js';

// Archives made by Python's zipfile (test/fixtures/java/make_jars.py); the bomb entries inflate
// to 1 MiB each here, and the limits below are scaled down to match.
const dir = mkdtempSync(join(tmpdir(), 'drydock-jars-'));
execFileSync('python3', [
  join(import.meta.dirname, '../../../test/fixtures/java/make_jars.py'),
  dir,
  '1',
]);
const jar = (name: string): Buffer => readFileSync(join(dir, name));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const summary = (name: string, limits = DEFAULT_JAVA_LIMITS) => {
  const value = readJavaArchive(jar(name), name, limits);
  return {
    packages: value.packages.map((p) => [
      p.nesting.join(':'),
      p.groupId,
      p.name,
      p.version,
      p.source,
    ]),
    warnings: value.warnings,
  };
};

describe('readJavaArchive', () => {
  it('follows nested archives down to the depth limit and says where it stopped', () => {
    const { packages, warnings } = summary('deep.jar');
    expect(packages.map((p) => p[2])).toEqual(
      Array.from({ length: 9 }, (_, level) => `level${level}`),
    );
    expect(packages[2]).toEqual([
      'lib/level1.jar:lib/level2.jar',
      'test.deep',
      'level2',
      '1.2',
      'pom.properties',
    ]);
    expect(warnings).toEqual([
      `${Array.from({ length: 9 }, (_, i) => `lib/level${i + 1}.jar`).join(':')}: nested deeper than 8 archives; not read`,
    ]);
  });

  it('stops inflating once a file has used its budget (nested zip bomb)', () => {
    const limits = { ...DEFAULT_JAVA_LIMITS, maxInflatedBytes: 3.5 * 1024 * 1024 };
    const { warnings } = summary('bomb.jar', limits);
    // Three nested jars (1 MiB each, zip overhead aside) fit; the other seven are refused.
    expect(warnings.filter((w) => /a zip bomb\?/.test(w))).toHaveLength(7);
  });

  it('lists every bundled library of a shaded jar, and the jar itself from its manifest', () => {
    expect(summary('fat.jar').packages).toEqual([
      ['', undefined, 'fat', '3.0', 'manifest'],
      ['', 'com.example', 'lib-one', '1.1', 'pom.properties'],
      ['', 'org.example.two', 'lib-two', '2.2', 'pom.properties'],
    ]);
  });

  it('falls back to pom.xml, inheriting the parent groupId and version', () => {
    expect(summary('pomxml-1.0.jar').packages).toEqual([
      ['', 'org.parent', 'pomxml', '7.0', 'pom.xml'],
    ]);
  });

  it('names a manifest-only jar from its file name, with the manifest versions', () => {
    const [found] = readJavaArchive(jar('demo-tool-2.5.1.jar'), 'demo-tool-2.5.1.jar').packages;
    expect(found).toMatchObject({
      name: 'demo-tool',
      version: '2.5.1',
      source: 'manifest',
      implementationVersion: '2.5.1-impl',
      specificationVersion: '2.5',
      implementationVendor: 'Demo Corp', // Anchore's java shape reports it as the origin
    });
    expect(found?.sha1).toMatch(/^[0-9a-f]{40}$/);
  });

  it('lists an empty groupId as none: the PURL takes the name as its namespace', async () => {
    const path = join(dir, 'empty-group.jar');
    execFileSync('python3', [
      '-c',
      'import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], "w") as z: z.writestr("META-INF/maven/x/tool/pom.properties", "groupId=\\nartifactId=tool\\nversion=1.0\\n")',
      path,
    ]);
    const tree = await imageTree(
      [[{ path: 'app/empty-group.jar', content: readFileSync(path) }]],
      [javaArchiveCollector],
    );
    const found = javaCataloger.catalog({ tree, warn: () => undefined });
    expect(found.map((p) => p.purl)).toEqual(['pkg:maven/tool/tool@1.0']);
  });

  it('turns a file that is no zip into a warning', () => {
    expect(readJavaArchive(Buffer.from('not a jar'), 'x.jar')).toEqual({
      packages: [],
      warnings: ['no end of central directory record: not a zip archive'],
    });
  });
});

describe('parsers', () => {
  it('joins manifest continuation lines and stops at the main section', () => {
    const manifest = parseManifest(
      'Manifest-Version: 1.0\r\nBundle-SymbolicName: org.apa\r\n che.commons\r\nImplementation-Version: 3.1\r\n\r\nName: a/b\r\nImplementation-Version: 9\r\n',
    );
    expect(manifest.get('Bundle-SymbolicName')).toBe('org.apache.commons');
    expect(manifest.get('Implementation-Version')).toBe('3.1');
  });

  it('reads Java properties syntax', () => {
    const properties = parseProperties(
      '# comment\n! also\nversion = 1.0\\\n    -beta\ngroupId:org.x\nartifactId  my\\u0041rt\nkey\\=with\\ space=v\n',
    );
    expect(Object.fromEntries(properties)).toEqual({
      version: '1.0-beta',
      groupId: 'org.x',
      artifactId: 'myArt',
      'key=with space': 'v',
    });
  });

  it('reads the project coordinates of a pom.xml, not those of dependencies or comments', () => {
    const pom = parsePomXml(
      '<project><groupId>g</groupId><!-- <version>0</version> --><artifactId>a&amp;b</artifactId><version><![CDATA[1.2]]></version><dependencies><dependency><version>9</version></dependency></dependencies></project>',
    );
    expect(Object.fromEntries(pom)).toEqual({ groupId: 'g', artifactId: 'a&b', version: '1.2' });
  });

  it('splits names from versions in file names as Syft does', () => {
    expect(nameFromFileName('commons-lang3-3.12.0.jar')).toEqual({
      name: 'commons-lang3',
      version: '3.12.0',
    });
    expect(nameFromFileName('guava-31.1-jre.jar')).toEqual({ name: 'guava', version: '31.1-jre' });
    expect(nameFromFileName('gettext.jar')).toEqual({ name: 'gettext' });
    expect(isJavaArchive('/opt/app/plugin.HPI')).toBe(true);
    expect(isJavaArchive('/opt/app/notes.txt')).toBe(false);
  });
});

describe('java parser fuzz', () => {
  const seeds = Array.from({ length: 150 }, (_, i) => i + 1);
  const alphabet = [
    '=',
    ':',
    ' ',
    '\\',
    '\n',
    '\r',
    '\t',
    '<',
    '>',
    '/',
    '!',
    '-',
    '?',
    '[',
    ']',
    'a',
    'project',
    'version',
    'u00',
    '#',
  ];

  it.each(seeds)('text parsers, seed %i: no throw, bounded output', (seed) => {
    const random = seededRandom(seed);
    const text = Array.from({ length: random(2000) }, () => alphabet[random(alphabet.length)]).join(
      '',
    );
    for (const parse of [parseManifest, parseProperties, parsePomXml]) {
      const result = parse(text);
      expect(result.size).toBeLessThanOrEqual(text.length + 1);
    }
  });

  it('stays linear on long runs of what the parsers scan for', () => {
    // Each would be quadratic for a backtracking parser; here the test would never finish.
    for (const unit of ['\\', '<!--', '<a', '<![CDATA[', 'a:', ' ']) {
      const text = unit.repeat(200_000);
      parseManifest(text);
      parseProperties(text);
      parsePomXml(text);
    }
    // Text split by comments inside one element: its pieces are joined once, not per piece.
    parsePomXml(`<project><version>${'1<!---->'.repeat(200_000)}</version></project>`);
  });

  it.each(seeds)('mutated nested jar, seed %i: packages and warnings, no throw', (seed) => {
    const random = seededRandom(seed);
    const data = Buffer.from(jar(random(2) === 0 ? 'deep.jar' : 'fat.jar'));
    for (let i = random(12) + 1; i > 0; i--) data[random(data.length)] = random(256);
    const value = readJavaArchive(data, 'mutated.jar');
    expect(value.warnings.length).toBeLessThanOrEqual(20);
    expect(value.packages.length).toBeLessThanOrEqual(11);
  });
});
