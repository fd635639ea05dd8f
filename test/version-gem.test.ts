/**
 * The gem scheme against RubyGems itself: Gem::Version of Debian's ruby (RubyGems 3.3). ONE ruby
 * process reads every pair on stdin (hex-encoded, so any character survives) and prints, per
 * pair, whether `Gem::Version.correct?` accepts each side and `Gem::Version.new(a) <=>
 * Gem::Version.new(b)`. Over 10,000 seeded pairs: every pair of hand-picked tricky versions,
 * random versions from a RubyGems-shaped grammar (prereleases, `-` suffixes, trailing zeros,
 * leading zeros, big numbers, whitespace, `+build` and platform suffixes that RubyGems refuses),
 * mutations of real-world versions, pairs that differ in one part, and arbitrary strings.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { gemScheme } from '../src/version/gem.js';
import { seededRandom } from './harness/random.js';

const SEED = 0x67656d76;

/** Reads `hex(a)\thex(b)` lines; prints `valid(a) valid(b) order` (`x` when one is refused). */
const ORACLE_RUBY = `
STDIN.each_line(chomp: true) do |line|
  a, b = line.split("\\t", -1).map { |hex| [hex].pack("H*").force_encoding(Encoding::UTF_8) }
  valid_a = Gem::Version.correct?(a)
  valid_b = Gem::Version.correct?(b)
  order = valid_a && valid_b ? (Gem::Version.new(a) <=> Gem::Version.new(b)).to_s : "x"
  puts "#{valid_a ? 1 : 0} #{valid_b ? 1 : 0} #{order}"
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

/** Published gem versions to mutate: Rails, Nokogiri, Bundler, RSpec, platform gems. */
const REAL_WORLD = [
  '7.0.4',
  '7.1.0.beta1',
  '6.1.7.3',
  '2.0.0.rc2',
  '1.15.5',
  '3.2.0.pre.rc1',
  '0.9.28',
  '1.0.0-rc.1',
  '2.4.0.alpha',
  '13.0.6',
  '1.14.0-x86_64-linux',
  '5.0.0.beta.3',
  '4.0.0.pre1',
  '1.16.0.rc1',
  '0.0.1',
  '2.7.0.a',
  '3.12.0',
  '1.3.0.dev',
  '8.0.0.alpha.1.20231001',
] as const;

const WORDS = ['a', 'b', 'alpha', 'beta', 'rc', 'pre', 'dev', 'A', 'Beta', 'x', 'z', 'java'];
const MUTATION_CHARS = '0123456789..--aAbzZ \t+_';
/** Code points, so that no surrogate pair is split. */
const ARBITRARY_CHARS = Array.from('0123456789.-.-aAbzZ \t\n\v+_\u00a0\u00e9\u{1f600}');

type Random = (n: number) => number;
type Pair = readonly [string, string];

const pick = <T>(random: Random, items: readonly T[]): T => items[random(items.length)] as T;

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

function mutateVersion(random: Random, version: string): string {
  let text = version;
  for (let edits = 1 + random(3); edits > 0; edits--) {
    const at = random(text.length + 1);
    const char = MUTATION_CHARS.charAt(random(MUTATION_CHARS.length));
    const edit = random(3);
    if (edit === 0) text = text.slice(0, at) + char + text.slice(at);
    else if (edit === 1) text = text.slice(0, at) + text.slice(at + 1);
    else text = text.slice(0, at) + char + text.slice(at + 1);
  }
  return text;
}

/** The same version with one run of digits, letters or separators changed. */
function changeOnePart(random: Random, version: string): string {
  const parts = version.match(/\d+|[a-z]+|[^\da-z]+/gi) ?? [version];
  const at = random(parts.length);
  const part = parts[at] ?? '';
  let changed: string;
  if (/^\d/.test(part)) {
    changed = pick(random, [String(BigInt(part) + 1n), `0${part}`, `${part}0`, '0']);
  } else if (/^[a-z]/i.test(part)) {
    changed = pick(random, [`${part}a`, part.slice(0, -1), part.toUpperCase(), `${part}1`, 'pre']);
  } else {
    changed = pick(random, ['.', '-', '.0.', '-pre.', '.pre.', '']);
  }
  parts[at] = changed;
  return parts.join('');
}

function arbitrary(random: Random): string {
  return Array.from({ length: random(12) }, () => pick(random, ARBITRARY_CHARS)).join('');
}

function generatePairs(seed: number): Pair[] {
  const random = seededRandom(seed);
  const pairs: Pair[] = [];
  for (const a of TRICKY) for (const b of TRICKY) pairs.push([a, b]);
  for (let n = 0; n < 2000; n++) pairs.push([randomVersion(random), randomVersion(random)]);
  for (let n = 0; n < 2500; n++) {
    const version = random(2) === 0 ? randomVersion(random) : pick(random, REAL_WORLD);
    pairs.push([version, changeOnePart(random, version)]);
  }
  for (let n = 0; n < 1500; n++) {
    const real = pick(random, REAL_WORLD);
    pairs.push([mutateVersion(random, real), random(2) === 0 ? real : mutateVersion(random, real)]);
  }
  for (let n = 0; n < 1000; n++) pairs.push([arbitrary(random), arbitrary(random)]);
  return pairs;
}

/** RubyGems' verdict on each pair, one `valid(a) valid(b) order` line per pair. */
function askRubyGems(pairs: readonly Pair[]): string[] {
  const hex = (text: string) => Buffer.from(text, 'utf8').toString('hex');
  const input = pairs.map(([a, b]) => `${hex(a)}\t${hex(b)}\n`).join('');
  const result = spawnSync('ruby', ['-e', ORACLE_RUBY], {
    input,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error !== undefined) {
    throw new Error(`cannot run ruby (install the Debian package "ruby"): ${result.error.message}`);
  }
  expect(result.status, result.stderr).toBe(0);
  const lines = result.stdout.split('\n').filter((line) => line !== '');
  expect(lines).toHaveLength(pairs.length);
  return lines;
}

/** Our verdict in the oracle's words. */
function ours(a: string, b: string): string {
  const validA = gemScheme.valid(a);
  const validB = gemScheme.valid(b);
  const order = validA && validB ? String(Math.sign(gemScheme.compare(a, b))) : 'x';
  return `${validA ? 1 : 0} ${validB ? 1 : 0} ${order}`;
}

describe('gem scheme against Gem::Version', () => {
  it('agrees with RubyGems on over 10,000 pairs', () => {
    const pairs = generatePairs(SEED);
    expect(pairs.length).toBeGreaterThan(10_000);
    const theirs = askRubyGems(pairs);
    const mismatches = pairs.flatMap(([a, b], i) => {
      const mine = ours(a, b);
      const ruby = theirs[i];
      return mine === ruby ? [] : [`${JSON.stringify([a, b])}: ours ${mine}, ruby ${ruby ?? ''}`];
    });
    expect(mismatches.slice(0, 20), `seed ${SEED}: ${mismatches.length} mismatches`).toEqual([]);
    // The pairs are not all trivial: each outcome, and a refusal, occurs many times.
    for (const order of ['-1', '0', '1', 'x']) {
      expect(theirs.filter((line) => line.endsWith(` ${order}`)).length).toBeGreaterThan(500);
    }
  });
});
