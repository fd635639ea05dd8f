/**
 * The gem scheme against RubyGems itself: Gem::Version of Debian's ruby (RubyGems 3.3). ONE ruby
 * process reads every pair on stdin (hex-encoded, so any character survives) and prints, per
 * pair, whether `Gem::Version.correct?` accepts each side and `Gem::Version.new(a) <=>
 * Gem::Version.new(b)`. Over 10,000 seeded pairs: every pair of hand-picked tricky versions,
 * random versions from a RubyGems-shaped grammar (prereleases, `-` suffixes, trailing zeros,
 * leading zeros, big numbers, whitespace, `+build` and platform suffixes that RubyGems refuses),
 * mutations of real-world versions, pairs that differ in one part, and arbitrary strings.
 */
import { describe, expect, it } from 'vitest';
import { GEM_REAL_WORLD } from './fixtures/version/real-world.js';
import { gemScheme } from '../src/version/gem.js';
import { editCharacters } from './harness/mutate.js';
import { seededRandom } from './harness/random.js';
import {
  askOracle,
  changeOneRun,
  mixedPairs,
  expectAgreement,
  expectEveryKind,
  hexLines,
  oracleSeed,
  ourAnswer,
  pick,
  type Pair,
  type Random,
} from './harness/version-oracle.js';

const SEED = oracleSeed(0x67656d76);

/** Reads `hex(a)\thex(b)` lines; prints `valid(a) valid(b) order` (`invalid` when one is refused). */
const ORACLE_RUBY = `
STDIN.each_line(chomp: true) do |line|
  a, b = line.split("\\t", -1).map { |hex| [hex].pack("H*").force_encoding(Encoding::UTF_8) }
  valid_a = Gem::Version.correct?(a)
  valid_b = Gem::Version.correct?(b)
  order = valid_a && valid_b ? (Gem::Version.new(a) <=> Gem::Version.new(b)).to_s : "invalid"
  puts "#{valid_a ? true : false} #{valid_b ? true : false} #{order}"
end
`;

/** Versions that each exercise one rule: zeros, prereleases, `-`, case, whitespace, validity. */
const TRICKY = [
  '0',
  '',
  ' ',
  '0.0',
  '00',
  '1',
  '1.0',
  '1.0.0',
  '1.00',
  '01',
  '1.01',
  '1.1',
  '1.0.1',
  '1.a',
  '1.A',
  '1.0.a',
  '1.0.0.a',
  '1.a.0',
  '1.a.0.1',
  '1.0.a.1.0',
  '1.a1',
  '1.0a',
  '1.0a1',
  '1.0.0a',
  '1.0.b',
  '1.0.pre',
  '1.0.pre.1',
  '1.0-1',
  '1.0-pre',
  '1.0-a',
  '1.0-rc.1',
  '1.0-rc1',
  '1.0.rc1',
  '1.0.0.rc.1',
  '1.0-1.0',
  '1-1',
  '1--1',
  '1.0-x-y',
  '1.0.beta',
  '1.0-beta',
  '1.0.0.beta.1',
  '1.0.0-beta.1',
  '1.0.z',
  '1.0.Z',
  '1.0.zz',
  '1.0.pre.pre',
  '2',
  '2.0.0.0',
  '10',
  '9',
  '1.10',
  '1.9',
  '123456789012345678901234567890',
  '123456789012345678901234567891',
  ' 1.0',
  '1.0 ',
  '\t1.0\n',
  '1.0\v',
  'junk',
  '1..0',
  '1.',
  '.1',
  '-1',
  '1-',
  '1.0+build',
  '1.0_1',
  '1.14.0-x86_64-linux',
  '1.0.0-java',
  'v1.0',
  '1a',
  '1.0 1',
  '1.0\u00a0',
] as const;

const WORDS = ['a', 'b', 'alpha', 'beta', 'rc', 'pre', 'dev', 'A', 'Beta', 'x', 'z', 'java'];
const MUTATION_CHARS = '0123456789..--aAbzZ \t+_';
/** Code points, so that no surrogate pair is split. */
const ARBITRARY_CHARS = Array.from('0123456789.-.-aAbzZ \t\n\v+_\u00a0\u00e9\u{1f600}');

/** Mostly small numbers; sometimes zeros, leading zeros or more digits than 64 bits hold. */
function randomNumber(random: Random): string {
  const kind = random(10);
  if (kind === 0) return '0'.repeat(1 + random(3));
  if (kind === 1) return `0${random(10)}`;
  if (kind === 2) return String(1 + random(9)) + '0123456789'.repeat(2).slice(random(10));
  return String(random(kind < 6 ? 3 : 20));
}

/** A dot segment: a number, a word, or the two run together. */
function randomSegment(random: Random): string {
  const kind = random(6);
  if (kind === 0) return pick(random, WORDS);
  if (kind === 1) return pick(random, WORDS) + randomNumber(random);
  if (kind === 2) return randomNumber(random) + pick(random, WORDS);
  return randomNumber(random);
}

/** `digits(.segment)*(-segment(.segment)*)?`, now and then with whitespace or a bad suffix. */
function randomVersion(random: Random): string {
  let version = randomNumber(random);
  for (let n = random(5); n > 0; n--) version += `.${randomSegment(random)}`;
  if (random(4) === 0) {
    version += `-${randomSegment(random)}`;
    for (let n = random(3); n > 0; n--) version += pick(random, ['.', '-']) + randomSegment(random);
  }
  const extra = random(20);
  if (extra === 0) version = ` ${version}\n`;
  if (extra === 1) version += pick(random, ['+build.1', '-x86_64-linux', '.', '-', ' 1']);
  return version;
}

/** The same version with one run of digits, letters or separators changed. */
const changeOnePart = (random: Random, version: string): string =>
  changeOneRun(random, version, {
    digits: (r, run) => pick(r, [String(BigInt(run) + 1n), `0${run}`, `${run}0`, '0']),
    letters: (r, run) =>
      pick(r, [`${run}a`, run.slice(0, -1), run.toUpperCase(), `${run}1`, 'pre']),
    other: (r) => pick(r, ['.', '-', '.0.', '-pre.', '.pre.', '']),
  });

const mutateVersion = (random: Random, version: string): string =>
  editCharacters(version, MUTATION_CHARS, random);

function arbitrary(random: Random): string {
  return Array.from({ length: random(12) }, () => pick(random, ARBITRARY_CHARS)).join('');
}

function generatePairs(seed: number): Pair[] {
  const pairs = mixedPairs(seededRandom(seed), {
    tricky: TRICKY,
    fresh: randomVersion,
    real: GEM_REAL_WORLD,
    changeOnePart,
    mutate: mutateVersion,
    arbitrary,
    counts: { fresh: 2000, changed: 2500, mutated: 1500, arbitrary: 1000 },
  });
  return pairs;
}

describe('gem scheme against Gem::Version', () => {
  it('agrees with RubyGems on over 10,000 pairs', () => {
    const pairs = generatePairs(SEED);
    expect(pairs.length).toBeGreaterThan(10_000);
    const theirs = askOracle('ruby', ['-e', ORACLE_RUBY], hexLines(pairs), 'ruby');
    expectAgreement(pairs, theirs, (a, b) => ourAnswer(gemScheme, a, b), 'ruby', SEED);
    // The pairs are not all trivial: each outcome, and a refusal, occurs many times.
    expectEveryKind(theirs, ['-1', '0', '1', 'invalid'], 501, (line) => line.split(' ')[2] ?? '');
  });
});
