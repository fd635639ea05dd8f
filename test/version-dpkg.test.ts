/**
 * The dpkg scheme against dpkg itself.
 *
 * - Order: 12,000 seeded pairs (Debian-shaped random versions, versions that differ by one
 *   component, mutated real-world versions) go through one Perl process using Dpkg::Version
 *   (libdpkg-perl), dpkg's own Perl implementation of the order.
 * - That Perl oracle is checked against the real C one, `dpkg --compare-versions`, on a sample
 *   of the same pairs plus pairs Perl would read differently (digit runs beyond 64 bits, `+1:`
 *   epochs, blanks around the version): one bash loop, a few hundred dpkg runs.
 * - Validity: arbitrary and mutated strings against `dpkg --validate-version` (parseversion).
 *
 * The oracles are Debian packages installed by scripts/install-deps.sh; a missing one fails.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DPKG_REAL_WORLD } from './fixtures/version/real-world.js';
import { dpkgScheme } from '../src/version/dpkg.js';
import { mutate, randomText } from './harness/mutate.js';
import { seededRandom } from './harness/random.js';
import {
  askOracle,
  disagreements,
  oracleSeed,
  pick,
  type Pair,
  type Random,
} from './harness/version-oracle.js';

const SEED = oracleSeed(20_240_611);
const PAIRS = 12_000;
const DPKG_SAMPLE = 160;
const VALIDITY_SAMPLE = 240;

const DIGITS = ['0', '1', '2', '9', '10', '01', '007', '20230101', '99999999999999', '1', '2'];
const WORDS = ['a', 'b', 'z', 'A', 'Z', 'rc', 'dfsg', 'git', 'Final', 'ubuntu', 'deb', 'nmu', 'u'];
const UPSTREAM_SEPARATORS = ['.', '.', '.', '+', '~', '~', '-', ':', ''];
const REVISION_SEPARATORS = ['.', '.', '+', '~', ''];

/** Alternating separator and digit/letter tokens, as most Debian versions are. */
function tokens(random: Random, separators: readonly string[], count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    out.push(
      pick(random, separators),
      random(3) === 0 ? pick(random, WORDS) : pick(random, DIGITS),
    );
  }
  return out;
}

/** [epoch, upstream tokens..., revision tokens...] with `-` as its own token. */
function randomVersion(random: Random): string[] {
  const epoch = random(4) === 0 ? [`${pick(random, ['0', '1', '2', '10', '01'])}:`] : [];
  const upstream = [pick(random, DIGITS), ...tokens(random, UPSTREAM_SEPARATORS, random(5))];
  const revision =
    random(3) === 0
      ? []
      : [
          '-',
          pick(random, [...DIGITS, ...WORDS]),
          ...tokens(random, REVISION_SEPARATORS, random(3)),
        ];
  return [...epoch, ...upstream, ...revision];
}

/** The same version with one token replaced, dropped or followed by a `~`/`+` part. */
function oneComponentApart(random: Random, version: readonly string[]): string[] {
  const out = [...version];
  const at = random(out.length);
  switch (random(4)) {
    case 0:
      out[at] = pick(random, DIGITS);
      break;
    case 1:
      out[at] = pick(random, WORDS);
      break;
    case 2:
      out.splice(at, 1);
      break;
    default:
      out.splice(at + 1, 0, pick(random, ['~', '+', '.', '~~']), pick(random, DIGITS));
  }
  return out;
}

/** Valid for dpkg and read the same way by Dpkg::Version (no blanks, sign or 17+ digit runs). */
function plain(version: string): boolean {
  return (
    dpkgScheme.valid(version) &&
    /^[0-9A-Za-z.+~:-]+$/.test(version) &&
    !/\d{17}/.test(version) &&
    !/^[^:]*[+-][^:]*:/.test(version)
  );
}

function generatePairs(random: Random, count: number): Pair[] {
  const pairs: Pair[] = [];
  while (pairs.length < count) {
    const base = randomVersion(random);
    let pair: Pair;
    switch (random(3)) {
      case 0:
        pair = [base.join(''), randomVersion(random).join('')];
        break;
      case 1:
        pair = [base.join(''), oneComponentApart(random, base).join('')];
        break;
      default: {
        const real = pick(random, DPKG_REAL_WORLD);
        pair = [
          real,
          mutate(Buffer.from(real), random, pick(random, ['~', '.', '+', '-', '0'])).toString(
            'latin1',
          ),
        ];
      }
    }
    if (plain(pair[0]) && plain(pair[1])) pairs.push(random(2) === 0 ? pair : [pair[1], pair[0]]);
  }
  return pairs;
}

/** Pairs Dpkg::Version reads differently from dpkg's C code, for dpkg itself only. */
const EXOTIC_PAIRS: readonly Pair[] = [
  ['123456789012345678901234567890', '123456789012345678901234567891'],
  ['1.18446744073709551616', '1.18446744073709551617'],
  ['0000000000000000000000001', '1'],
  ['+1:1.0', '1:1.0'],
  ['-0:2.0', '2.0'],
  ['\n3:1.0', '2:9'],
  [' 1.0\t', '1.0'],
  ['\t2147483647:0', '2147483646:9'],
  ['1:1:1', '1:1'],
  ['1.0--1', '1.0-1'],
];

/** Dpkg::Version's `<=>` on every pair, in one Perl process. */
function perlOrder(pairs: readonly Pair[]): number[] {
  const script =
    'use Dpkg::Version; while (my $l = <STDIN>) { chomp $l; my ($a, $b) = split /\\t/, $l, 2;' +
    ' print((Dpkg::Version->new($a) <=> Dpkg::Version->new($b)), "\\n"); }';
  const input = pairs.map(([a, b]) => `${a}\t${b}\n`).join('');
  return askOracle('perl', ['-e', script], input, 'libdpkg-perl').map(Number);
}

/** `dpkg --compare-versions` on each pair: one bash loop, NUL-separated so blanks survive. */
function dpkgOrder(pairs: readonly Pair[]): number[] {
  const loop =
    "while IFS= read -r -d '' a && IFS= read -r -d '' b; do" +
    ' if dpkg --compare-versions -- "$a" lt "$b" 2>/dev/null; then echo -1;' +
    ' elif dpkg --compare-versions -- "$a" eq "$b" 2>/dev/null; then echo 0; else echo 1; fi; done';
  const input = pairs.map(([a, b]) => `${a}\0${b}\0`).join('');
  return askOracle('bash', ['-c', loop], input, 'dpkg').map(Number);
}

/** `dpkg --validate-version` on each string. */
function dpkgValid(versions: readonly string[]): boolean[] {
  const loop =
    'while IFS= read -r -d \'\' v; do dpkg --validate-version -- "$v" 2>/dev/null && echo 1 || echo 0; done';
  const input = versions.map((v) => `${v}\0`).join('');
  return askOracle('bash', ['-c', loop], input, 'dpkg').map((line) => line === '1');
}

function ours(pair: Pair): number {
  return Math.sign(dpkgScheme.compare(pair[0], pair[1]));
}

describe('dpkg scheme against dpkg', () => {
  const random = seededRandom(SEED);
  const pairs = generatePairs(random, PAIRS);
  let perl: number[] = [];

  beforeAll(() => {
    perl = perlOrder(pairs);
  });

  it(`orders ${PAIRS} generated pairs as Dpkg::Version does (seed ${SEED})`, () => {
    expect(perl).toHaveLength(pairs.length);
    expect(new Set(perl).size, 'the pairs cover less, equal and greater').toBe(3);
    expect(disagreements(pairs, perl, ours, 'Dpkg::Version'), `seed ${SEED}`).toEqual([]);
  });

  it(`Dpkg::Version and we agree with dpkg --compare-versions on a sample (seed ${SEED})`, () => {
    const picked = Array.from({ length: DPKG_SAMPLE }, (_, i) => (i * 7919) % pairs.length);
    const sample = picked.map((at) => pairs[at] as Pair);
    const dpkg = dpkgOrder([...sample, ...EXOTIC_PAIRS]);
    expect(
      disagreements(sample, dpkg, (_, i) => perl[picked[i] ?? 0], 'dpkg'),
      'Perl oracle',
    ).toEqual([]);
    expect(disagreements([...sample, ...EXOTIC_PAIRS], dpkg, ours, 'dpkg'), `seed ${SEED}`).toEqual(
      [],
    );
  });

  it(`accepts exactly what dpkg --validate-version accepts (seed ${SEED})`, () => {
    const candidates = Array.from({ length: VALIDITY_SAMPLE }, (_, i) => {
      if (i % 3 === 0)
        return randomText('0123456789aZ.+-~:: \t\n_\u00e9', 12, random).toString('latin1');
      const base = i % 3 === 1 ? randomVersion(random).join('') : pick(random, DPKG_REAL_WORLD);
      return mutate(Buffer.from(base), random, pick(random, [':', '-', ' ', '~', '+'])).toString(
        'latin1',
      );
    });
    // A command line cannot hold NUL.
    const versions = candidates.map((v) => v.replaceAll('\0', ''));
    const dpkg = dpkgValid(versions);
    expect(new Set(dpkg).size, 'the sample holds valid and invalid versions').toBe(2);
    expect(
      disagreements(versions, dpkg, (v) => dpkgScheme.valid(v), 'dpkg'),
      `seed ${SEED}`,
    ).toEqual([]);
  });
});
