/**
 * The semver scheme against npm itself: the `semver` copy bundled inside the installed npm (the
 * one npm's manifest picker sorts with, `{ loose: true }`), run in a separate node process that
 * reads JSON pairs on stdin and prints validity and order for each. That checks our wrapper (the
 * loose reading, the cache, invalid handling) and our own dependency's version against npm's.
 * 10,000+ seeded pairs: versions from an npm-shaped grammar (`v`/`=` prefixes, spaces, leading
 * zeros, prereleases with and without `-`, `+build`, numbers past 2^53), pairs that differ in
 * one part, and mutations of real npm versions; plus node-semver's own comparison fixtures.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { semverScheme } from '../src/version/semver.js';
import { seededRandom } from './harness/random.js';
import {
  EVERY_ANSWER,
  expectAgreement,
  expectEveryKind,
  grammarPairs,
  jsonLines,
  ourAnswer,
  pick,
  askOracle,
  oracleSeed,
  type Random,
} from './harness/version-oracle.js';

const SEED = oracleSeed(7);

const ORACLE = String.raw`
const semver = require(process.argv[1]);
const npm = { loose: true };
const lines = require('node:fs').readFileSync(0, 'utf8').split('\n').filter(Boolean);
const answer = ([a, b]) => {
  const validA = semver.valid(a, npm) !== null;
  const validB = semver.valid(b, npm) !== null;
  const order = validA && validB ? String(semver.compare(a, b, npm)) : 'invalid';
  return validA + ' ' + validB + ' ' + order;
};
process.stdout.write(lines.map((line) => answer(JSON.parse(line))).join('\n') + '\n');
`;

/** The semver package inside the npm on this machine. */
function findNpmSemver(): string {
  try {
    const root = execFileSync('npm', ['root', '-g']).toString().trim();
    const bundled = join(root, 'npm/node_modules/semver');
    if (existsSync(bundled)) return bundled;
  } catch {
    // Reported below.
  }
  throw new Error('the semver oracle needs npm (the Debian package npm, or Node.js with npm)');
}

let npmSemver: string | undefined;

/** npm's verdict on each pair, one `validA validB order` line per pair. */
function askNpm(pairs: readonly (readonly [string, string])[]): string[] {
  const args = ['-e', ORACLE, (npmSemver ??= findNpmSemver())];
  return askOracle(process.execPath, args, jsonLines(pairs), 'npm');
}

/** A decimal number: mostly small, sometimes with a leading zero or around 2^53. */
function number(random: Random): string {
  switch (random(10)) {
    case 0:
      return `0${random(10)}`;
    case 1:
      return pick(random, ['9007199254740991', '9007199254740992', '99999999999999999999']);
    default:
      return String(random(4) === 0 ? random(100) : random(3));
  }
}

const IDENTIFIERS = ['alpha', 'beta', 'rc', 'SNAPSHOT', 'Final', 'r2', 'R2', 'x-y', '-', 'next'];

function identifiers(random: Random): string {
  const parts = Array.from({ length: 1 + random(3) }, () =>
    random(2) === 0 ? number(random) : pick(random, IDENTIFIERS),
  );
  return random(20) === 0 ? `${parts.join('.')}.` : parts.join('.');
}

/** Each part of an npm version, with its own punctuation, so one part can change alone. */
const PARTS: readonly ((random: Random) => string)[] = [
  (random) => pick(random, ['', '', '', '', 'v', 'V', '=', ' ', 'v ', ' =v', '\t', '\ufeff', '==']),
  number,
  (random) => (random(15) === 0 ? '' : `.${number(random)}`),
  (random) => (random(15) === 0 ? '' : `.${number(random)}`),
  (random) => {
    switch (random(6)) {
      case 0:
        return identifiers(random);
      case 1:
      case 2:
        return `-${identifiers(random)}`;
      default:
        return '';
    }
  },
  (random) => pick(random, ['', '', '', '+build', `+${identifiers(random)}`, '+', '+001']),
  (random) => pick(random, ['', '', '', '', ' ', '\n', ' x']),
];

const REAL_VERSIONS = [
  '1.2.3',
  '4.17.21',
  '0.0.0-development',
  '7.0.0-beta.44',
  '1.0.0-rc.1',
  '2.0.0-alpha.0',
  '3.0.0-next.5',
  '0.1.0+build.5',
  'v18.20.2',
  '1.0.0-0',
  '10.2.0-canary.20230811',
  '5.0.0-beta.1+exp.sha.5114f85',
];

/** node-semver's test/fixtures/comparisons.js: the first is greater than the second. */
const NODE_SEMVER_GREATER: readonly [string, string][] = [
  ['0.0.0', '0.0.0-foo'],
  ['0.0.1', '0.0.0'],
  ['1.0.0', '0.9.9'],
  ['0.10.0', '0.9.0'],
  ['0.99.0', '0.10.0'],
  ['2.0.0', '1.2.3'],
  ['v0.0.0', '0.0.0-foo'],
  ['v0.0.1', '0.0.0'],
  ['v1.0.0', '0.9.9'],
  ['v0.10.0', '0.9.0'],
  ['v0.99.0', '0.10.0'],
  ['v2.0.0', '1.2.3'],
  ['0.0.0', 'v0.0.0-foo'],
  ['0.0.1', 'v0.0.0'],
  ['1.0.0', 'v0.9.9'],
  ['0.10.0', 'v0.9.0'],
  ['0.99.0', 'v0.10.0'],
  ['2.0.0', 'v1.2.3'],
  ['1.2.3', '1.2.3-asdf'],
  ['1.2.3', '1.2.3-4'],
  ['1.2.3', '1.2.3-4-foo'],
  ['1.2.3-5-foo', '1.2.3-5'],
  ['1.2.3-5', '1.2.3-4'],
  ['1.2.3-5-foo', '1.2.3-5-Foo'],
  ['3.0.0', '2.7.2+asdf'],
  ['1.2.3-a.10', '1.2.3-a.5'],
  ['1.2.3-a.b', '1.2.3-a.5'],
  ['1.2.3-a.b', '1.2.3-a'],
  ['1.2.3-a.b.c.10.d.5', '1.2.3-a.b.c.5.d.100'],
  ['1.2.3-r2', '1.2.3-r100'],
  ['1.2.3-r100', '1.2.3-R2'],
];

/** node-semver's test/fixtures/equality.js and compare-loose.js: equal in loose mode. */
const NODE_SEMVER_EQUAL: readonly [string, string][] = [
  ['1.2.3', 'v1.2.3'],
  ['1.2.3', '=1.2.3'],
  ['1.2.3', 'v 1.2.3'],
  ['1.2.3', '= 1.2.3'],
  ['1.2.3', ' v1.2.3'],
  ['1.2.3', ' =1.2.3'],
  ['1.2.3', ' v 1.2.3'],
  ['1.2.3', ' = 1.2.3'],
  ['1.2.3-0', 'v1.2.3-0'],
  ['1.2.3-beta', ' = 1.2.3-beta'],
  ['1.2.3-beta+build', ' = 1.2.3-beta+otherbuild'],
  ['1.2.3+build', ' = 1.2.3+otherbuild'],
  ['  v1.2.3+build', '1.2.3+otherbuild'],
  ['01.02.03', '1.2.3'],
  ['1.2.3-beta.01', '1.2.3-beta.1'],
  ['1.2.3foo', '1.2.3-foo'],
];

const SPLICES = ['-', '.', '+', '0'];

describe('npm versions against npm’s own semver', () => {
  it('agrees on validity and order of 10,000 generated pairs', () => {
    const pairs = grammarPairs(seededRandom(SEED), 10_000, PARTS, REAL_VERSIONS, SPLICES);
    const answers = askNpm(pairs);
    expectAgreement(pairs, answers, (a, b) => ourAnswer(semverScheme, a, b), 'npm', SEED);
    // The grammar must reach both sides of every answer.
    expectEveryKind(answers, EVERY_ANSWER);
  });

  it('orders node-semver’s comparison fixtures as npm does, both ways round', () => {
    const pairs = [...NODE_SEMVER_GREATER, ...NODE_SEMVER_EQUAL].flatMap(
      ([a, b]): [string, string][] => [
        [a, b],
        [b, a],
      ],
    );
    const oracle = askNpm(pairs);
    expect(pairs.map(([a, b]) => ourAnswer(semverScheme, a, b))).toEqual(oracle);
    expect(NODE_SEMVER_GREATER.map(([a, b]) => semverScheme.compare(a, b) > 0)).not.toContain(
      false,
    );
    expect(NODE_SEMVER_EQUAL.map(([a, b]) => semverScheme.compare(a, b))).toEqual(
      NODE_SEMVER_EQUAL.map(() => 0),
    );
  });
});
