/**
 * The npm, Python and gem catalogers against the real tools, on real installed trees of this
 * machine put into image layers: `npm ls` for node_modules trees and lockfiles, Debian's
 * /usr/bin/python3 importlib.metadata for dist-packages, ruby's Gem::Specification for the
 * default and bundled gems. Then every parser of these formats is fuzzed.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { Cataloger, FoundPackage } from '../src/catalog/cataloger.js';
import { gemCataloger, parseGemfileLock, parseGemspec } from '../src/catalog/lang/gem.js';
import { parseLockfile, type LockfileName } from '../src/catalog/lang/npm-lockfiles.js';
import { npmCataloger, parsePackageJson } from '../src/catalog/lang/npm.js';
import {
  eggCollector,
  parseInstalledFiles,
  parseMetadata,
  parseRecord,
  pythonCataloger,
} from '../src/catalog/lang/python.js';
import { DEFAULT_LIMITS } from '../src/model/index.js';
import { analyzeLayer } from '../src/source/layers/analyze-layer.js';
import { squashLayers } from '../src/source/squash.js';
import { mutate, randomText } from './harness/mutate.js';
import { seededRandom } from './harness/random.js';
import { tarBuffer, type TarEntry } from './harness/tar-writer.js';

const REPO = new URL('..', import.meta.url).pathname;
const FIXTURES = join(REPO, 'test/fixtures');
const work = mkdtempSync(join(tmpdir(), 'drydock-lang-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** Runs one cataloger over an image made of these layers, through the real layer pipeline. */
async function catalog(
  cataloger: Cataloger,
  layers: TarEntry[][],
): Promise<{ packages: FoundPackage[]; warnings: string[] }> {
  const analyses = await Promise.all(
    layers.map(async (entries, index) => ({
      index,
      analysis: await analyzeLayer(
        Readable.from([tarBuffer(entries)]),
        {
          index,
          digest: `sha256:${String(index).padStart(64, '0')}`,
          mediaType: 'application/vnd.oci.image.layer.v1.tar',
        },
        {
          limits: DEFAULT_LIMITS,
          collectors: cataloger.collectors,
          budget: { remainingBytes: DEFAULT_LIMITS.maxImageBytes },
        },
      ),
    })),
  );
  const tree = squashLayers(analyses, DEFAULT_LIMITS);
  const warnings: string[] = [];
  const packages = cataloger.catalog({ tree, warn: (m) => warnings.push(m) });
  return { packages, warnings };
}

/** Regular files below `root` whose relative path `keep` accepts, as layer entries under `into`. */
function hostFiles(root: string, into: string, keep: (relative: string) => boolean): TarEntry[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((relative) => keep(relative) && lstatSync(join(root, relative)).isFile())
    .map((relative) => ({
      path: posix.join(into, relative),
      content: readFileSync(join(root, relative)),
    }));
}

const ids = (packages: readonly { name: string; version: string }[]): string[] =>
  [...new Set(packages.map((p) => `${p.name}@${p.version}`))].sort();

// ---- npm ----

interface NpmLsNode {
  name?: string;
  version?: string;
  path?: string;
  missing?: boolean;
  dependencies?: Record<string, NpmLsNode>;
}

function npmLs(cwd: string, ...flags: string[]): NpmLsNode {
  const out = execFileSync('npm', ['ls', '--all', '--json', '--long', ...flags], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 ** 2,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return JSON.parse(out) as NpmLsNode;
}

/** Every node of an `npm ls` tree, the root included. */
function npmLsNodes(root: NpmLsNode): NpmLsNode[] {
  const nodes: NpmLsNode[] = [root];
  for (let i = 0; i < nodes.length; i++)
    for (const child of Object.values(nodes[i]?.dependencies ?? {}))
      if (child.missing !== true && child.version !== undefined) nodes.push(child);
  return nodes;
}

describe('npm cataloger against npm ls', () => {
  it('finds every package of a real node_modules tree at its path, nested duplicates included', async () => {
    // Every package.json of the tree, also those deeper inside packages (which are not roots).
    const layer = [
      ...hostFiles(join(REPO, 'node_modules'), 'app/node_modules', (p) =>
        p.endsWith('package.json'),
      ),
      { path: 'app/package.json', content: readFileSync(join(REPO, 'package.json')) },
    ];
    const { packages } = await catalog(npmCataloger, [layer]);
    const ours = packages
      .map((p) => `${posix.dirname(p.locations[0]?.path ?? '')} ${p.name}@${p.version}`)
      .sort();
    const expected = [
      ...new Set(
        npmLsNodes(npmLs(REPO)).map(
          (n) =>
            `${(n.path ?? '').replace(REPO.replace(/\/$/, ''), '/app')} ${n.name ?? ''}@${n.version ?? ''}`,
        ),
      ),
    ].sort();
    expect(ours).toEqual(expected);
    expect(ours.length).toBeGreaterThan(200);
    const names = packages.map((p) => p.name);
    expect(names.filter((n) => n.startsWith('@')).length).toBeGreaterThan(10);
    const root = packages.find((p) => p.locations[0]?.path === '/app/package.json');
    expect(root?.metadata?.private).toBe('false');
    const scoped = packages.find((p) => p.name === '@eslint/js');
    expect(scoped?.purl).toBe(`pkg:npm/%40eslint/js@${scoped?.version ?? ''}`);
    expect(scoped?.licenses).toEqual(['MIT']);
  });

  it('reads the repository lockfile (v3) like npm ls --package-lock-only when no tree is installed', async () => {
    const layer = ['package.json', 'package-lock.json'].map((name) => ({
      path: `app/${name}`,
      content: readFileSync(join(REPO, name)),
    }));
    const { packages, warnings } = await catalog(npmCataloger, [layer]);
    expect(warnings).toEqual([]);
    expect(ids(packages)).toEqual(npmLsIds(npmLs(REPO, '--package-lock-only')));
    expect(packages.every((p) => p.locations[0]?.path.startsWith('/app/'))).toBe(true);
  });

  const fixtureLock = (file: string): Buffer => readFileSync(join(FIXTURES, 'npm/lockfiles', file));

  it.each(['package-lock-v1.json', 'package-lock-v2.json', 'package-lock-v3.json'])(
    '%s: the packages npm ls --package-lock-only lists, and the app once',
    async (file) => {
      const expected = npmLsOfFixtureLock(file);
      const { packages } = await catalog(npmCataloger, [
        [
          { path: 'srv/package.json', content: fixtureLock('package.json') },
          { path: 'srv/package-lock.json', content: fixtureLock(file) },
        ],
      ]);
      expect(ids(packages)).toEqual(expected);
      expect(expected).toContain('ms@1.0.0'); // the alias, by its real name
      expect(packages.filter((p) => p.name === 'lock-fixture-app')).toHaveLength(1);
    },
  );

  it.each([
    ['yarn.lock', 'yarn-v1.lock'],
    ['yarn.lock', 'yarn-berry.lock'],
    ['pnpm-lock.yaml', 'pnpm-lock-v5.4.yaml'],
    ['pnpm-lock.yaml', 'pnpm-lock-v9.yaml'],
  ])('%s (%s) locks what npm locked for the same package.json', async (name, file) => {
    const expected = npmLsOfFixtureLock('package-lock-v3.json');
    const { packages } = await catalog(npmCataloger, [
      [
        { path: 'srv/package.json', content: fixtureLock('package.json') },
        { path: `srv/${name}`, content: fixtureLock(file) },
      ],
    ]);
    expect(ids(packages)).toEqual(expected);
    expect(packages.find((p) => p.name === '@types/ms')?.purl).toBe('pkg:npm/%40types/ms@0.7.34');
  });

  it('prefers the installed tree over a lockfile beside it, and one lockfile per directory', async () => {
    const installed = await catalog(npmCataloger, [
      [
        { path: 'srv/package.json', content: fixtureLock('package.json') },
        { path: 'srv/package-lock.json', content: fixtureLock('package-lock-v3.json') },
        { path: 'srv/yarn.lock', content: fixtureLock('yarn-v1.lock') },
        { path: 'srv/node_modules/ms/package.json', content: '{"name":"ms","version":"2.1.3"}' },
      ],
    ]);
    expect(ids(installed.packages)).toEqual(['lock-fixture-app@1.0.0', 'ms@2.1.3']);
    const locked = await catalog(npmCataloger, [
      [
        { path: 'srv/package-lock.json', content: fixtureLock('package-lock-v3.json') },
        { path: 'srv/yarn.lock', content: fixtureLock('yarn-v1.lock') },
      ],
    ]);
    expect(locked.packages.map((p) => p.locations[0]?.path)).toEqual(
      Array(5).fill('/srv/package-lock.json'),
    );
  });

  it('lists Debian and global modules, but not a package.json outside any app', async () => {
    const { packages } = await catalog(npmCataloger, [
      [
        {
          path: 'usr/share/nodejs/acorn/package.json',
          content: '{"name":"acorn","version":"8.8.1"}',
        },
        {
          path: 'usr/lib/node_modules/npm/package.json',
          content: '{"name":"npm","version":"9.2.0"}',
        },
        { path: 'opt/tool/package.json', content: '{"name":"tool","version":"1.0.0"}' },
      ],
    ]);
    expect(ids(packages)).toEqual(['acorn@8.8.1', 'npm@9.2.0']);
  });

  it('a later layer deleting node_modules brings the lockfile back into use', async () => {
    const { packages } = await catalog(npmCataloger, [
      [
        { path: 'srv/package-lock.json', content: fixtureLock('package-lock-v3.json') },
        { path: 'srv/node_modules/ms/package.json', content: '{"name":"ms","version":"2.1.3"}' },
      ],
      [{ path: 'srv/.wh.node_modules', content: '' }],
    ]);
    expect(ids(packages)).toHaveLength(5);
  });
});

/** The name@version of every package of an `npm ls` tree, the app at its root included. */
function npmLsIds(root: NpmLsNode): string[] {
  return ids(npmLsNodes(root).map((n) => ({ name: n.name ?? '', version: n.version ?? '' })));
}

/** `npm ls --package-lock-only` (offline) of the fixture app with one of its npm lockfiles. */
function npmLsOfFixtureLock(file: string): string[] {
  const dir = mkdtempSync(join(work, 'lock-'));
  copyFileSync(join(FIXTURES, 'npm/lockfiles/package.json'), join(dir, 'package.json'));
  copyFileSync(join(FIXTURES, 'npm/lockfiles', file), join(dir, 'package-lock.json'));
  return npmLsIds(npmLs(dir, '--package-lock-only', '--offline'));
}

// ---- Python ----

const DIST_PACKAGES = '/usr/lib/python3/dist-packages';

describe('python cataloger against importlib.metadata (Debian python3)', () => {
  it('finds the distributions of Debian dist-packages with their names, versions and paths', async () => {
    const script = [
      'import importlib.metadata as m, json, sys',
      `print(json.dumps([[str(d._path), d.metadata["Name"], d.version] for d in m.distributions(path=[sys.argv[1]])]))`,
    ].join('\n');
    const out = execFileSync('/usr/bin/python3', ['-c', script, DIST_PACKAGES], {
      encoding: 'utf8',
    });
    const expected = (JSON.parse(out) as [string, string, string][])
      .map(([path, name, version]) => `${path} ${name}@${version}`)
      .sort();
    const layer = hostFiles(DIST_PACKAGES, DIST_PACKAGES.slice(1), (p) =>
      /\.(dist|egg)-info(\/|$)/.test(p),
    );
    const { packages } = await catalog(pythonCataloger, [layer]);
    const ours = packages
      .map((p) => {
        const path = p.locations[0]?.path ?? '';
        const holder = path.endsWith('.egg-info') ? path : posix.dirname(path);
        return `${holder} ${p.name}@${p.version}`;
      })
      .sort();
    expect(ours).toEqual(expected);
    expect(expected).toContain(`${DIST_PACKAGES}/requests-2.28.1.egg-info requests@2.28.1`);
    const charset = packages.find((p) => p.name === 'charset-normalizer');
    expect(charset?.purl).toBe('pkg:pypi/charset-normalizer@3.0.1');
    expect(charset?.metadata?.sitePackages).toBe(DIST_PACKAGES);
  });

  it.each(['PyYAML-6.0.dist-info', 'pip-23.0.1.dist-info'])(
    '%s: RECORD files and digests as importlib reads them',
    async (distInfo) => {
      const script = [
        'import importlib.metadata as m, base64, json, os, sys',
        'd = m.PathDistribution(m.pathlib.Path(sys.argv[1]))',
        'hexed = lambda h: base64.urlsafe_b64decode(h.value + "=" * (-len(h.value) % 4)).hex()',
        'print(json.dumps(sorted([os.path.normpath(str(f.locate())), f.hash and hexed(f.hash)] for f in d.files)))',
      ].join('\n');
      const out = execFileSync('/usr/bin/python3', ['-c', script, join(DIST_PACKAGES, distInfo)], {
        encoding: 'utf8',
      });
      const expected = JSON.parse(out) as [string, string | null][];
      const layer = hostFiles(DIST_PACKAGES, DIST_PACKAGES.slice(1), (p) =>
        p.startsWith(`${distInfo}/`),
      );
      const { packages } = await catalog(pythonCataloger, [layer]);
      const files = (packages[0]?.files ?? [])
        .map((f) => [f.path, f.digest?.value ?? null])
        .sort((x, y) => String(x[0]).localeCompare(String(y[0])));
      expect(files).toEqual(expected.sort((x, y) => x[0].localeCompare(y[0])));
      expect(expected.filter(([, digest]) => digest !== null).length).toBeGreaterThan(10);
      expect(packages[0]?.locations.map((l) => l.path)).toEqual([
        `${DIST_PACKAGES}/${distInfo}/METADATA`,
        `${DIST_PACKAGES}/${distInfo}/RECORD`,
      ]);
    },
  );

  it('reads a zipped egg that setuptools built', async () => {
    const dir = mkdtempSync(join(work, 'egg-'));
    const setup = `from setuptools import setup\nsetup(name="Egg_Demo", version="0.3.1", license="BSD-3-Clause", py_modules=[])\n`;
    execFileSync('/usr/bin/python3', ['-c', setup, '-q', 'bdist_egg'], {
      cwd: dir,
      stdio: 'ignore',
    });
    const egg = readdirSync(join(dir, 'dist')).find((f) => f.endsWith('.egg')) ?? '';
    const { packages } = await catalog(pythonCataloger, [
      [
        {
          path: `usr/lib/python3/site-packages/${egg}`,
          content: readFileSync(join(dir, 'dist', egg)),
        },
      ],
    ]);
    expect(packages.map((p) => [p.name, p.version, p.purl, p.licenses])).toEqual([
      ['Egg-Demo', '0.3.1', 'pkg:pypi/egg-demo@0.3.1', ['BSD-3-Clause']],
    ]);
  });
});

// ---- gems ----

describe('gem cataloger against ruby Gem::Specification', () => {
  it('finds the default, bundled and Debian-integrated gems ruby knows', async () => {
    const out = execFileSync(
      'ruby',
      [
        '-e',
        'Gem::Specification.each { |s| puts [s.loaded_from, s.name, s.version].join(" ") }; puts "--"; puts Gem.path',
      ],
      { encoding: 'utf8' },
    );
    const [listing = '', paths = ''] = out.split('--\n');
    const rubyGems = listing
      .trim()
      .split('\n')
      .map((line) => line.split(' ') as [string, string, string]);
    const layer = paths
      .trim()
      .split('\n')
      .flatMap((dir) => {
        const specs = join(dir, 'specifications');
        return lstatSafe(specs)
          ? hostFiles(specs, specs.slice(1), (p) => p.endsWith('.gemspec'))
          : [];
      });
    const { packages } = await catalog(gemCataloger, [layer]);
    // RubyGems shows one of two specifications of the same gem (rake in two directories).
    expect(ids(packages)).toEqual(ids(rubyGems.map(([, name, version]) => ({ name, version }))));
    for (const [path, name, version] of rubyGems)
      expect(packages.find((p) => p.locations[0]?.path === path)).toMatchObject({ name, version });
    expect(rubyGems.length).toBeGreaterThan(50);
    const bundler = packages.find((p) => p.name === 'bundler');
    expect(bundler?.purl).toBe(`pkg:gem/bundler@${bundler?.version ?? ''}`);
    expect(bundler?.licenses).toEqual(['MIT']);
  });

  it('lists the gems of a Gemfile.lock', async () => {
    const { packages } = await catalog(gemCataloger, [
      [{ path: 'app/Gemfile.lock', content: readFileSync(join(FIXTURES, 'gem/Gemfile.lock')) }],
    ]);
    expect(ids(packages)).toEqual([
      'actionpack@7.1.3',
      'my_app@0.1.0',
      'nokogiri@1.16.0',
      'racc@1.7.3',
      'rack@3.1.0.dev',
      'rails@7.1.3',
    ]);
    expect(packages.find((p) => p.name === 'rails')?.purl).toBe('pkg:gem/rails@7.1.3');
  });
});

function lstatSafe(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

// ---- which files the collectors take ----

describe('collectors open only their files', () => {
  const collectors = [npmCataloger, pythonCataloger, gemCataloger].flatMap((c) => c.collectors);
  const takers = (path: string): string[] =>
    collectors
      .filter((c) => c.open({ path, size: 10, mode: 0o644 }) !== undefined)
      .map((c) => c.name);

  it.each([
    ['/app/node_modules/@s/p/package.json', ['npm-package-json']],
    ['/app/package.json', ['npm-package-json']],
    ['/app/node_modules/p/lib/package.json', []],
    ['/app/package-lock.json', ['npm-lockfile']],
    ['/app/node_modules/.package-lock.json', []],
    ['/app/node_modules/p/yarn.lock', []],
    ['/app/pnpm-lock.yaml', ['npm-lockfile']],
    ['/site/six-1.16.0.dist-info/METADATA', ['python-metadata']],
    ['/site/six-1.16.0.dist-info/RECORD', ['python-file-list']],
    ['/site/six.egg-info', ['python-metadata']],
    ['/site/six.egg-info/PKG-INFO', ['python-metadata']],
    ['/site/six.egg-info/installed-files.txt', ['python-file-list']],
    ['/site/six-1.16.0-py3.egg', ['python-egg']],
    ['/site/six-1.16.0-py3.egg/EGG-INFO/PKG-INFO', ['python-metadata']],
    ['/gems/specifications/rake-13.0.6.gemspec', ['gem-specification']],
    ['/gems/specifications/default/json-2.6.1.gemspec', ['gem-specification']],
    ['/src/rake/rake.gemspec', []],
    ['/app/Gemfile.lock', ['gem-lockfile']],
    ['/usr/bin/python3', []],
  ])('%s → %j', (path, expected) => {
    expect(takers(path)).toEqual(expected);
  });
});

// ---- fuzzing ----

interface Named {
  name: string;
  version: string;
}

const wellFormed = (p: Named): boolean =>
  typeof p.name === 'string' && p.name !== '' && typeof p.version === 'string' && p.version !== '';

const asList = (found: Named | undefined): Named[] => (found ? [found] : []);

interface FuzzCase {
  sample: string;
  /** Syntax spliced into the sample, and the alphabet of random inputs. */
  syntax: string;
  parse: (text: string) => readonly Named[];
}

const JSON_SYNTAX = '{}[]":,\\ \n0123456789truefalsnul@/';
const YAML_SYNTAX = '{}[]:-\'"&*!|>#,? \n/@()abc019';
const LINE_SYNTAX = ' \n\t:"=,()-.#@abcz019';
const RUBY_SYNTAX = ' \n"\'\\%qQwW[]{}()<>.=,:#s_nameversion019Gem';

const lockCase = (name: LockfileName, file: string, syntax: string): FuzzCase => ({
  sample: `npm/lockfiles/${file}`,
  syntax,
  parse: (t) => parseLockfile(name, t).packages,
});

const FUZZ_CASES: FuzzCase[] = [
  {
    sample: 'npm/lockfiles/package.json',
    syntax: JSON_SYNTAX,
    parse: (t) => asList(parsePackageJson(t)),
  },
  lockCase('package-lock.json', 'package-lock-v1.json', JSON_SYNTAX),
  lockCase('package-lock.json', 'package-lock-v3.json', JSON_SYNTAX),
  lockCase('yarn.lock', 'yarn-v1.lock', LINE_SYNTAX),
  lockCase('yarn.lock', 'yarn-berry.lock', LINE_SYNTAX),
  lockCase('pnpm-lock.yaml', 'pnpm-lock-v5.4.yaml', YAML_SYNTAX),
  lockCase('pnpm-lock.yaml', 'pnpm-lock-v9.yaml', YAML_SYNTAX),
  {
    sample: 'python/license-expression.METADATA',
    syntax: LINE_SYNTAX,
    parse: (t) => asList(parseMetadata(t)),
  },
  {
    sample: 'python/requests.PKG-INFO',
    syntax: LINE_SYNTAX,
    parse: (t) => asList(parseMetadata(t)),
  },
  {
    sample: 'python/PyYAML.RECORD',
    syntax: LINE_SYNTAX,
    parse: (t) =>
      [...parseRecord(t, '/site'), ...parseInstalledFiles(t, '/site/x.egg-info')].map((f) => ({
        name: f.path,
        version: f.digest === undefined ? 'none' : f.digest.value,
      })),
  },
  { sample: 'gem/handwritten.gemspec', syntax: RUBY_SYNTAX, parse: (t) => asList(parseGemspec(t)) },
  {
    sample: 'gem/bundler-2.3.7.gemspec',
    syntax: RUBY_SYNTAX,
    parse: (t) => asList(parseGemspec(t)),
  },
  { sample: 'gem/Gemfile.lock', syntax: LINE_SYNTAX, parse: parseGemfileLock },
];

describe('fuzzing the parsers (seeded)', () => {
  it.each(FUZZ_CASES)(
    '$sample: mutated and random input never throws and yields well-formed packages',
    ({ sample, syntax, parse }) => {
      const seed = readFileSync(join(FIXTURES, sample));
      const random = seededRandom(0x5eed ^ seed.length);
      for (let i = 0; i < 400; i++) {
        const input =
          i % 10 === 9
            ? randomText(syntax, 4096, random)
            : mutate(seed, random, syntax.charAt(random(syntax.length)));
        expect(parse(input.toString()).every(wellFormed)).toBe(true);
      }
    },
  );

  it('the egg collector survives mutated zips', () => {
    const dir = mkdtempSync(join(work, 'fuzz-egg-'));
    const setup = 'from setuptools import setup\nsetup(name="fz", version="1", py_modules=[])';
    execFileSync('/usr/bin/python3', ['-c', setup, '-q', 'bdist_egg'], {
      cwd: dir,
      stdio: 'ignore',
    });
    const egg = readdirSync(join(dir, 'dist')).find((f) => f.endsWith('.egg')) ?? '';
    const seed = readFileSync(join(dir, 'dist', egg));
    const random = seededRandom(7);
    let read = 0;
    for (let i = 0; i < 300; i++) {
      const data = mutate(seed, random);
      const sink = eggCollector.open({ path: '/x.egg', size: data.length, mode: 0o644 });
      sink?.write(data);
      const kept = sink?.end() as Named | undefined;
      if (kept !== undefined) {
        read += 1;
        expect(wellFormed(kept)).toBe(true);
      }
    }
    expect(read).toBeGreaterThan(0); // some mutations leave the PKG-INFO readable
  });
});
