import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLockfile, type LockfileName } from './npm-lockfiles.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../test/fixtures/npm/lockfiles/${name}`, import.meta.url), 'utf8');

/** What npm, yarn and pnpm locked for test/fixtures/npm/lockfiles/package.json. */
const LOCKED = ['@types/ms@0.7.34', 'debug@2.6.9', 'ms@1.0.0', 'ms@2.0.0', 'ms@2.1.3'];

const ids = (name: LockfileName, text: string): string[] =>
  [...new Set(parseLockfile(name, text).packages.map((p) => `${p.name}@${p.version}`))].sort();

describe('parseLockfile on lockfiles the real tools wrote', () => {
  it.each([
    ['package-lock.json', 'package-lock-v1.json'],
    ['package-lock.json', 'package-lock-v2.json'],
    ['package-lock.json', 'package-lock-v3.json'],
    ['yarn.lock', 'yarn-v1.lock'],
    ['yarn.lock', 'yarn-berry.lock'],
    ['pnpm-lock.yaml', 'pnpm-lock-v5.4.yaml'],
    ['pnpm-lock.yaml', 'pnpm-lock-v6.yaml'],
    ['pnpm-lock.yaml', 'pnpm-lock-v9.yaml'],
  ] as const)('%s from %s: the five packages, alias resolved, root left out', (name, file) => {
    const parsed = parseLockfile(name, fixture(file));
    expect(parsed.problem).toBeUndefined();
    expect(ids(name, fixture(file))).toEqual(LOCKED);
  });

  it('keeps integrity and resolved URLs', () => {
    const [types] = parseLockfile('yarn.lock', fixture('yarn-v1.lock')).packages;
    expect(types?.integrity).toMatch(/^sha512-/);
    expect(types?.resolved).toMatch(/ms-0\.7\.34\.tgz/);
    const berry = parseLockfile('yarn.lock', fixture('yarn-berry.lock')).packages;
    expect(berry.find((p) => p.version === '1.0.0')?.resolved).toBe('ms@npm:1.0.0');
  });

  it('npm-shrinkwrap.json reads like package-lock.json', () => {
    expect(ids('npm-shrinkwrap.json', fixture('package-lock-v3.json'))).toEqual(LOCKED);
  });
});

describe('parseLockfile on edge cases', () => {
  it('reports syntax errors instead of throwing', () => {
    const broken = parseLockfile('package-lock.json', '{"packages": ');
    expect(broken.packages).toEqual([]);
    expect(broken.problem).toBeDefined();
    expect(parseLockfile('pnpm-lock.yaml', 'a: [').problem).toBeDefined();
    expect(parseLockfile('package-lock.json', '[1]').problem).toBe('not a JSON object');
  });

  it('skips links, workspace roots and entries without a version; takes licenses', () => {
    const lock = JSON.stringify({
      lockfileVersion: 3,
      packages: {
        '': { name: 'app', version: '1.0.0' },
        'node_modules/ws-a': { resolved: 'packages/a', link: true },
        'packages/a': { name: 'ws-a', version: '0.1.0', license: 'ISC' },
        'node_modules/no-version': {},
        'node_modules/dual': { version: '1.0.0', license: ['MIT', 'Apache-2.0'] },
      },
    });
    const packages = parseLockfile('package-lock.json', lock).packages;
    expect(packages.map((p) => [p.name, p.version, p.license])).toEqual([
      ['ws-a', '0.1.0', 'ISC'],
      ['dual', '1.0.0', 'MIT OR Apache-2.0'],
    ]);
  });

  it('bounds the nesting of v1 dependencies without recursion', () => {
    // Written as text: JSON.stringify itself recurses.
    const depth = 3000;
    const nested =
      Array.from({ length: depth }, (_, i) => `{"p${i}":{"version":"1.0.0","dependencies":`).join(
        '',
      ) +
      '{}' +
      '}}'.repeat(depth);
    const parsed = parseLockfile(
      'package-lock.json',
      `{"lockfileVersion":1,"dependencies":${nested}}`,
    );
    expect(parsed.packages).toHaveLength(256);
    expect(parsed.problem).toMatch(/nested deeper/);
  });
});
