/**
 * The gem scheme on RubyGems' own vectors (test/rubygems/test_gem_version.rb), the rules its
 * Gem::Version documents, and a seeded fuzz test: arbitrary and mutated strings never throw
 * (except invalidVersion), never hang, and the order is antisymmetric and transitive on every
 * sample. Every expectation was checked with Debian's ruby (RubyGems 3.3).
 */
import { describe, expect, it } from 'vitest';
import { GEM_REAL_WORLD } from '../../test/fixtures/version/real-world.js';
import { mutate, randomText } from '../../test/harness/mutate.js';
import { seededRandom } from '../../test/harness/random.js';
import {
  orderViolations,
  pairViolations,
  withItselfAndReference,
} from '../../test/harness/version-properties.js';
import { gemScheme } from './gem.js';

/** [a, b, Gem::Version.new(a) <=> Gem::Version.new(b)]. */
const SPACESHIP: readonly (readonly [string, string, number])[] = [
  // test_spaceship
  ['1.0', '1.0.0', 0],
  ['1.0', '1.0.a', 1],
  ['1.8.2', '0.0.0', 1],
  ['1.8.2', '1.8.2.a', 1],
  ['1.8.2.b', '1.8.2.a', 1],
  ['1.8.2.a', '1.8.2', -1],
  ['1.8.2.a10', '1.8.2.a9', 1],
  ['', '0', 0],
  ['0.beta.1', '0.0.beta.1', 0],
  ['0.0.beta', '0.0.beta.1', -1],
  ['0.0.beta', '0.beta.1', -1],
  ['5.a', '5.0.0.rc2', -1],
  ['5.x', '5.0.0.rc2', 1],
  ['1.9.3', '1.9.3', 0],
  ['1.9.3', '1.9.2.99', 1],
  ['1.9.3', '1.9.3.1', -1],
  // test_semver
  ['1.0.0-alpha', '1.0.0-alpha.1', -1],
  ['1.0.0-alpha.1', '1.0.0-beta.2', -1],
  ['1.0.0-beta.2', '1.0.0-beta.11', -1],
  ['1.0.0-beta.11', '1.0.0-rc.1', -1],
  ['1.0.0-rc1', '1.0.0', -1],
  ['1.0.0-1', '1', -1],
  // test_equals2, test_hash, test_canonical_segments, test_frozen_version
  ['1.2', '1.3', -1],
  ['1.2.b1', '1.2.b.1', 0],
  ['1.2.pre.1', '1.2.0.pre.1.0', 0],
  ['1.0.0.a.1.0', '1.a.1', 0],
  ['1.2.3-1', '1.2.3.pre.1', 0],
  ['1.freeze.test', '1', -1],
  // test_initialize: surrounding whitespace is ignored
  ['1.0 ', '1.0', 0],
  [' 1.0 ', '1.0', 0],
  ['\n1.0\n', '1.0', 0],
  // Letters compare bytewise, so capitals sort first; numbers of any size compare as numbers.
  ['1.A', '1.a', -1],
  ['1.0.0.0001', '1.0.0.1', 0],
  ['1.123456789012345678901234567890', '1.123456789012345678901234567889', 1],
  // RubyGems 3.3 reads `-` as `.pre.` even before letters (newer RubyGems no longer do).
  ['1.0.0.beta.1', '1.0.0-beta.1', -1],
  ['1.0.0-a', '1.0.0.b', 1],
];

/** test_initialize_invalid and ANCHORED_VERSION_PATTERN's edges. */
const INVALID = [
  'junk',
  '1.0\n2.0',
  '1..2',
  '1.2 3.4',
  '1.0-',
  '-1',
  '.1',
  '1.',
  '1.-1',
  '1-.',
  '1a',
  '2.3422222.222.222222222.22222.ads0as.dasd0.ddd2222.2.qd3e.',
  '1.0\u00a0',
  '1.0+build',
  '1_0',
  '1.0\0',
  'v1.0',
];
const VALID = ['5.1', '1.0\v', '\f1', '   ', '', '1--', '1-a.-', '1.0a', '1.a.B-c-1.d', '007'];

const ALPHABET = '0123456789aAzZ.-- \t\n\v\u00a0+_\0';

describe('gem scheme', () => {
  it.each(SPACESHIP)('%j <=> %j is %i', (a, b, expected) => {
    expect(gemScheme.compare(a, b)).toBe(expected);
    expect(gemScheme.compare(b, a)).toBe(0 - expected);
  });

  it.each(INVALID)('refuses %j', (version) => {
    expect(gemScheme.valid(version)).toBe(false);
    expect(() => gemScheme.compare(version, '1')).toThrow(/not a valid gem version/);
  });

  it.each(VALID)('accepts %j', (version) => {
    expect(gemScheme.valid(version)).toBe(true);
  });

  it('answers the same from its cache as on first reading', () => {
    const versions = Array.from({ length: 5000 }, (_, i) => `1.${i % 4500}.a`);
    const first = versions.map((v) => gemScheme.compare(v, '1.2000.a'));
    expect(versions.map((v) => gemScheme.compare(v, '1.2000.a'))).toEqual(first);
    const long = `1.${'9'.repeat(300)}`;
    expect(gemScheme.compare(long, `1.${'9'.repeat(299)}`)).toBe(1);
    expect(gemScheme.compare(long, long)).toBe(0);
  });

  it('never throws on arbitrary or mutated strings and orders them consistently', () => {
    const seed = 0x67656d31;
    const random = seededRandom(seed);
    const samples: string[] = [];
    for (let n = 0; n < 1500; n++) {
      const real = GEM_REAL_WORLD[random(GEM_REAL_WORLD.length)] ?? '1.0';
      const bytes =
        random(2) === 0
          ? mutate(Buffer.from(real), random, '.-')
          : randomText(ALPHABET, 12, random);
      samples.push(random(100) === 0 ? `${real}.`.repeat(3000) + '1' : bytes.toString('utf8'));
    }
    const valid = samples.filter((version) => gemScheme.valid(version));
    expect(valid.length, `seed ${seed}`).toBeGreaterThan(300);
    const pairs = withItselfAndReference(samples, '1');
    expect(pairViolations(gemScheme, pairs).slice(0, 10), `seed ${seed}`).toEqual([]);
    expect(orderViolations(gemScheme, valid, 40).slice(0, 10), `seed ${seed}`).toEqual([]);
  });
});
