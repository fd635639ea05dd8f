/**
 * The apk scheme on hand-picked vectors of apk-tools' own test data (one per rule; all of it runs
 * in test/version-apk.test.ts), the cases apk-tools' C code decides that the data does not
 * cover, and a seeded fuzz test: arbitrary and mutated strings never throw (except
 * invalidVersion), never hang, and the order is antisymmetric and transitive on every sample.
 */
import { describe, expect, it } from 'vitest';
import { DrydockError } from '../model/index.js';
import { mutate, randomText } from '../../test/harness/mutate.js';
import { seededRandom } from '../../test/harness/random.js';
import {
  orderViolations,
  pairViolations,
  scatteredPairs,
} from '../../test/harness/version-properties.js';
import { apkScheme, compareApkPrefix } from './apk.js';

/** From apk-tools test/unit/version.data: [a, b, sign of a compared with b]. */
const ORDERED: readonly (readonly [string, string, number])[] = [
  ['2.34', '0.1.0_alpha', 1],
  ['0.1.0_alpha2', '0.1.0_alpha', 1],
  ['1.1', '1.1_alpha1', 1],
  ['1.2.1', '1.2', 1],
  ['0.8_beta4', '4.8-r1', -1],
  ['2.3.0b-r1', '2.3.0b-r2', -1],
  ['0.12.3', '0.12', 1],
  ['3.1_p16', '3.1_p17', -1],
  ['1.06-r6', '006', -1],
  ['006', '1.0.0', 1],
  ['1.2.2-r1', '1.2.2', 1],
  ['1.0~1234', '1.0~2345', -1],
  ['1.0~1234-r1', '1.0~1234-r0', 1],
  ['0.2.0-r1', '0.2.0-r1', 0],
];

/** From the same file: what apk accepts and rejects. */
const VALID = ['1.2', '0.1_pre2', '0.1_pre2~1234abcd', '0.1_p1_pre2', '0.1_git20240101_pre1'];
const INVALID = ['', '0.1bc', '0.1a1', '0.1_pre2~', '0.1_foobar', '0.1-r', '0.1-r2.1', '.1', 'a'];

describe('apk scheme', () => {
  it.each(ORDERED)('orders %s against %s as %i', (a, b, expected) => {
    expect(apkScheme.compare(a, b)).toBe(expected);
    expect(apkScheme.compare(b, a)).toBe(0 - expected);
  });

  it.each(VALID)('accepts %j', (version) => {
    expect(apkScheme.valid(version)).toBe(true);
  });

  it.each(INVALID)('rejects %j', (version) => {
    expect(apkScheme.valid(version)).toBe(false);
    expect(() => apkScheme.compare(version, '1.0')).toThrow(/not a valid apk version/);
    expect(() => apkScheme.compare('1.0', version)).toThrow(DrydockError);
  });

  it('ranks suffixes alpha < beta < pre < rc < release < cvs < svn < git < hg < p', () => {
    const chain = ['_alpha', '_beta', '_pre', '_rc', '', '_cvs', '_svn', '_git', '_hg', '_p'];
    for (let i = 1; i < chain.length; i++) {
      expect(apkScheme.compare(`1.0${chain[i - 1] ?? ''}`, `1.0${chain[i] ?? ''}`)).toBe(-1);
    }
  });

  it('compares dotted numbers with a leading zero as text, the first number always as a number', () => {
    expect(apkScheme.compare('1.01', '1.1')).toBe(-1);
    expect(apkScheme.compare('1.010', '1.01')).toBe(1);
    expect(apkScheme.compare('1.09', '1.1')).toBe(-1);
    expect(apkScheme.compare('010', '9')).toBe(1);
  });

  it('reads numbers as unsigned 64-bit integers, wrapping like apk_blob_pull_uint', () => {
    // 2^64 + 1 wraps to 1.
    expect(apkScheme.compare('1.18446744073709551617', '1.1')).toBe(0);
    expect(apkScheme.compare('1.18446744073709551615', '1.18446744073709551614')).toBe(1);
    expect(apkScheme.compare('1_p18446744073709551616', '1_p0')).toBe(0);
  });

  it('matches a prefix for the fuzzy operator', () => {
    expect(compareApkPrefix('3.6.9', '3.6')).toBe(0);
    expect(compareApkPrefix('3.6_pre1', '3.6')).toBe(0);
    expect(compareApkPrefix('3.5', '3.6')).toBe(-1);
    expect(compareApkPrefix('3.6', '3.6.1')).toBe(-1);
    expect(() => compareApkPrefix('3.6', '3.x')).toThrow(DrydockError);
  });
});

const REAL_WORLD = [
  '1.2.5-r8',
  '3.3.2-r1',
  '1.36.1-r29',
  '2.4.6_p20240101-r0',
  '0.9.9_git20230501-r2',
  '6.4_p20231125-r0',
  '1.0_rc3-r1',
  '3.0.6~a1b2c3d-r0',
  '9.7_p1-r4',
];

/** Strings near the grammar: the characters apk gives meaning to, and a few others. */
const ALPHABET = '0123456789012.._-~raplhgbezA r';

function sample(random: (n: number) => number): string {
  if (random(3) === 0) return randomText(ALPHABET, 20, random).toString('latin1');
  const real = REAL_WORLD[random(REAL_WORLD.length)] ?? '';
  return mutate(Buffer.from(real), random, random(2) === 0 ? '_p' : '.0').toString('latin1');
}

describe('apk scheme fuzz', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`never fails but with invalidVersion, and orders consistently (seed ${seed})`, () => {
      const random = seededRandom(seed);
      const versions = Array.from({ length: 500 }, () => sample(random));
      const valid = versions.filter((v) => apkScheme.valid(v));
      expect(valid.length, `seed ${seed}: valid samples`).toBeGreaterThan(30);
      const pairs = scatteredPairs(versions);
      expect(pairViolations(apkScheme, pairs).slice(0, 10), `seed ${seed}`).toEqual([]);
      for (const [a, b] of pairs.filter((pair) => pair.every((v) => apkScheme.valid(v)))) {
        const pair = `seed ${seed}: ${JSON.stringify([a, b])}`;
        if (apkScheme.compare(a, b) === 0) expect(compareApkPrefix(a, b), pair).toBe(0);
      }
      expect(orderViolations(apkScheme, valid).slice(0, 10), `seed ${seed}`).toEqual([]);
    });
  }

  it('reads a megabyte-long version in linear time', () => {
    const long = `1${'.1'.repeat(500_000)}`;
    expect(apkScheme.compare(long, `${long}.0`)).toBe(-1);
    expect(apkScheme.valid(`${long}_`)).toBe(false);
  });
});
