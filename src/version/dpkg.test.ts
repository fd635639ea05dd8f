/**
 * The dpkg scheme on dpkg 1.21's own vectors (the ordering table of scripts/t/Dpkg_Version.t and
 * the parseversion cases of lib/dpkg/t/t-version.c), and a seeded fuzz test: arbitrary and
 * mutated strings never throw (except invalidVersion), never hang, and the order is
 * antisymmetric and transitive on every sample. test/version-dpkg.test.ts checks the same
 * scheme against dpkg itself.
 */
import { describe, expect, it } from 'vitest';
import { DPKG_REAL_WORLD } from '../../test/fixtures/version/real-world.js';
import { DrydockError } from '../model/index.js';
import { mutate, randomText } from '../../test/harness/mutate.js';
import { seededRandom } from '../../test/harness/random.js';
import {
  orderViolations,
  pairViolations,
  scatteredPairs,
} from '../../test/harness/version-properties.js';
import { dpkgScheme } from './dpkg.js';

/** scripts/t/Dpkg_Version.t: [a, b, sign of a compared with b]. */
const DPKG_VERSION_T: readonly (readonly [string, string, number])[] = [
  ['1.0-1', '2.0-2', -1],
  ['2.2~rc-4', '2.2-1', -1],
  ['2.2-1', '2.2~rc-4', 1],
  ['1.0000-1', '1.0-1', 0],
  ['1', '0:1', 0],
  ['0', '0:0-0', 0],
  ['2:2.5', '1:7.5', 1],
  ['1:0foo', '0foo', 1],
  ['0:0foo', '0foo', 0],
  ['0foo-0', '0foo', 0],
  ['0foo', '0fo', 1],
  ['0foo-0', '0foo+', -1],
  ['0foo~1', '0foo', -1],
  ['0foo~foo+Bar', '0foo~foo+bar', -1],
  ['0foo~~', '0foo~', -1],
  ['1~', '1', -1],
  ['12345+that-really-is-some-ver-0', '12345+that-really-is-some-ver-10', -1],
  ['0foo-0', '0foo-01', -1],
  ['0foo.bar', '0foobar', 1],
  ['0foo.bar', '0foo1bar', 1],
  ['0foo1bar-1', '0foobar-1', -1],
  ['0foo2.0', '0foo2', 1],
  ['0foo2.0.0', '0foo2.10.0', -1],
  ['0foo2.1', '0foo2.10', -1],
  ['1.09', '1.9', 0],
  ['1.0.8+nmu1', '1.0.8', 1],
  ['3.11', '3.10+nmu1', 1],
  ['0.9j-20080306-4', '0.9i-20070324-2', 1],
  ['1.2.0~b7-1', '1.2.0~b6-1', 1],
  ['1.011-1', '1.06-2', 1],
  ['4.6.99+svn6582-1', '4.6.99+svn6496-1', 1],
  ['2:2.3.2-2+lenny2', '2:2.3.2-2', 1],
  ['1:3.8.1-1', '3.8.GA-1', 1],
  ['1.0.1+gpl-1', '1.0.1-2', 1],
  ['1a', '1000a', -1],
];

/** lib/dpkg/t/t-version.c: versions parseversion accepts, with what they equal. */
const PARSES_AS: readonly (readonly [string, string])[] = [
  ['0:0-0-0', '0-0-0'],
  ['0:0:0-0', '0:0:0-0'],
  ['0:09azAZ.-+~:-0', '0:09azAZ.-+~:-0'],
  ['0:0-azAZ09.+~', '0-azAZ09.+~'],
  ['  \t0:0-1', '0-1'],
  ['0:0-1\t  ', '0-1'],
  ['\t  0:0-1  \t', '0-1'],
];

/** lib/dpkg/t/t-version.c: versions parseversion rejects (with an error or a warning). */
const REJECTED = [
  '',
  '  ',
  '0:',
  ':1.0',
  '1.0-',
  '0:0 0-1',
  '-1:0-1',
  '999999999999999999999999:0-1',
  'a:0-0',
  'A:0-0',
  '-0',
  '0:-0',
  '0:abc3-0',
  '0:0a\u00e9-0',
  '0:0-0:0',
];

describe('dpkg scheme', () => {
  it.each(DPKG_VERSION_T)('orders %s against %s as %i', (a, b, expected) => {
    expect(Math.sign(dpkgScheme.compare(a, b))).toBe(expected);
    expect(Math.sign(dpkgScheme.compare(b, a))).toBe(0 - expected);
  });

  it.each(PARSES_AS)('reads %j as %s', (version, same) => {
    expect(dpkgScheme.valid(version)).toBe(true);
    expect(dpkgScheme.compare(version, same)).toBe(0);
  });

  it.each(REJECTED)('rejects %j', (version) => {
    expect(dpkgScheme.valid(version)).toBe(false);
    expect(() => dpkgScheme.compare(version, '1.0')).toThrow(/not a valid dpkg version/);
    expect(() => dpkgScheme.compare('1.0', version)).toThrow(DrydockError);
  });

  it('reads the epoch the way strtol does, bounded by INT_MAX', () => {
    expect(dpkgScheme.compare('+1:1.0', '1:1.0')).toBe(0);
    expect(dpkgScheme.compare('-0:2', '2')).toBe(0);
    expect(dpkgScheme.compare('\n1:1.0', '1:1.0')).toBe(0);
    expect(dpkgScheme.compare('2147483647:0', '2147483646:9')).toBe(1);
    expect(dpkgScheme.valid('2147483648:0')).toBe(false);
    expect(dpkgScheme.valid('00000000000002147483647:0')).toBe(true);
  });

  it('compares digit runs of any length exactly', () => {
    const big = '123456789012345678901234567890';
    expect(dpkgScheme.compare(`${big}0`, `${big}1`)).toBe(-1);
    expect(dpkgScheme.compare(`000${big}`, big)).toBe(0);
  });
});

/** Strings near the grammar: the characters dpkg gives meaning to, blanks, and a few others. */
const ALPHABET = '0123456789012345abzAZ.+-~:: \t\n_é';

function sample(random: (n: number) => number): string {
  if (random(3) === 0) return randomText(ALPHABET, 24, random).toString('latin1');
  const real = DPKG_REAL_WORLD[random(DPKG_REAL_WORLD.length)] ?? '';
  return mutate(Buffer.from(real), random, '~').toString('latin1');
}

describe('dpkg scheme fuzz', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`never fails but with invalidVersion, and orders consistently (seed ${seed})`, () => {
      const random = seededRandom(seed);
      const versions = Array.from({ length: 400 }, () => sample(random));
      const pairs = scatteredPairs(versions);
      expect(pairViolations(dpkgScheme, pairs).slice(0, 10), `seed ${seed}`).toEqual([]);
      expect(orderViolations(dpkgScheme, versions).slice(0, 10), `seed ${seed}`).toEqual([]);
    });
  }

  it('reads a megabyte-long version in linear time', () => {
    const long = `1:${'1.a~+'.repeat(200_000)}-1`;
    expect(dpkgScheme.compare(long, `${long}0`)).toBe(-1);
  });
});
