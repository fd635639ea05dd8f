/**
 * The rpm scheme on rpm's own vectors (tests/rpmvercmp.at of rpm 4.18, including the "oddities"
 * it documents), EVR vectors checked against rpm 4.18's `rpm.vercmp`, and a seeded fuzz test:
 * arbitrary and mutated strings never throw (except invalidVersion), never hang, and the order
 * is antisymmetric and transitive on every sample.
 */
import { describe, expect, it } from 'vitest';
import { RPM_REAL_WORLD } from '../../test/fixtures/version/real-world.js';
import { mutate, randomText } from '../../test/harness/mutate.js';
import { seededRandom } from '../../test/harness/random.js';
import {
  orderViolations,
  pairViolations,
  withItselfAndReference,
} from '../../test/harness/version-properties.js';
import { rpmScheme } from './rpm.js';

/** rpm's tests/rpmvercmp.at: [a, b, rpmvercmp(a, b)]. */
const RPMVERCMP_AT: readonly (readonly [string, string, number])[] = [
  ['1.0', '1.0', 0],
  ['1.0', '2.0', -1],
  ['2.0', '1.0', 1],
  ['2.0.1', '2.0.1', 0],
  ['2.0', '2.0.1', -1],
  ['2.0.1', '2.0', 1],
  ['2.0.1a', '2.0.1a', 0],
  ['2.0.1a', '2.0.1', 1],
  ['2.0.1', '2.0.1a', -1],
  ['5.5p1', '5.5p1', 0],
  ['5.5p1', '5.5p2', -1],
  ['5.5p2', '5.5p1', 1],
  ['5.5p10', '5.5p10', 0],
  ['5.5p1', '5.5p10', -1],
  ['5.5p10', '5.5p1', 1],
  ['10xyz', '10.1xyz', -1],
  ['10.1xyz', '10xyz', 1],
  ['xyz10', 'xyz10', 0],
  ['xyz10', 'xyz10.1', -1],
  ['xyz10.1', 'xyz10', 1],
  ['xyz.4', 'xyz.4', 0],
  ['xyz.4', '8', -1],
  ['8', 'xyz.4', 1],
  ['xyz.4', '2', -1],
  ['2', 'xyz.4', 1],
  ['5.5p2', '5.6p1', -1],
  ['5.6p1', '5.5p2', 1],
  ['5.6p1', '6.5p1', -1],
  ['6.5p1', '5.6p1', 1],
  ['6.0.rc1', '6.0', 1],
  ['6.0', '6.0.rc1', -1],
  ['10b2', '10a1', 1],
  ['10a2', '10b2', -1],
  ['1.0aa', '1.0aa', 0],
  ['1.0a', '1.0aa', -1],
  ['1.0aa', '1.0a', 1],
  ['10.0001', '10.0001', 0],
  ['10.0001', '10.1', 0],
  ['10.1', '10.0001', 0],
  ['10.0001', '10.0039', -1],
  ['10.0039', '10.0001', 1],
  ['4.999.9', '5.0', -1],
  ['5.0', '4.999.9', 1],
  ['20101121', '20101121', 0],
  ['20101121', '20101122', -1],
  ['20101122', '20101121', 1],
  ['2_0', '2_0', 0],
  ['2.0', '2_0', 0],
  ['2_0', '2.0', 0],
  ['a', 'a', 0],
  ['a+', 'a+', 0],
  ['a+', 'a_', 0],
  ['a_', 'a+', 0],
  ['+a', '+a', 0],
  ['+a', '_a', 0],
  ['_a', '+a', 0],
  ['+_', '+_', 0],
  ['_+', '+_', 0],
  ['_+', '_+', 0],
  ['+', '_', 0],
  ['_', '+', 0],
  ['1.0~rc1', '1.0~rc1', 0],
  ['1.0~rc1', '1.0', -1],
  ['1.0', '1.0~rc1', 1],
  ['1.0~rc1', '1.0~rc2', -1],
  ['1.0~rc2', '1.0~rc1', 1],
  ['1.0~rc1~git123', '1.0~rc1~git123', 0],
  ['1.0~rc1~git123', '1.0~rc1', -1],
  ['1.0~rc1', '1.0~rc1~git123', 1],
  ['1.0^', '1.0^', 0],
  ['1.0^', '1.0', 1],
  ['1.0', '1.0^', -1],
  ['1.0^git1', '1.0^git1', 0],
  ['1.0^git1', '1.0', 1],
  ['1.0', '1.0^git1', -1],
  ['1.0^git1', '1.0^git2', -1],
  ['1.0^git2', '1.0^git1', 1],
  ['1.0^git1', '1.01', -1],
  ['1.01', '1.0^git1', 1],
  ['1.0^20160101', '1.0^20160101', 0],
  ['1.0^20160101', '1.0.1', -1],
  ['1.0.1', '1.0^20160101', 1],
  ['1.0^20160101^git1', '1.0^20160101^git1', 0],
  ['1.0^20160102', '1.0^20160101^git1', 1],
  ['1.0^20160101^git1', '1.0^20160102', -1],
  ['1.0~rc1^git1', '1.0~rc1^git1', 0],
  ['1.0~rc1^git1', '1.0~rc1', 1],
  ['1.0~rc1', '1.0~rc1^git1', -1],
  ['1.0^git1~pre', '1.0^git1~pre', 0],
  ['1.0^git1', '1.0^git1~pre', 1],
  ['1.0^git1~pre', '1.0^git1', -1],
  ['1b.fc17', '1b.fc17', 0],
  ['1b.fc17', '1.fc17', -1],
  ['1.fc17', '1b.fc17', 1],
  ['1g.fc17', '1g.fc17', 0],
  ['1g.fc17', '1.fc17', 1],
  ['1.fc17', '1g.fc17', -1],
  ['1.1.α', '1.1.α', 0],
  ['1.1.α', '1.1.β', 0],
  ['1.1.β', '1.1.α', 0],
  ['1.1.αα', '1.1.α', 0],
  ['1.1.α', '1.1.ββ', 0],
  ['1.1.ββ', '1.1.αα', 0],
];

/** Whole EVRs: [a, b, rpm.vercmp(a, b)] as rpm 4.18 prints them. */
const EVR_VECTORS: readonly (readonly [string, string, number])[] = [
  ['1:1.0', '2.0', 1],
  ['1:1.0-1', '1.0-1', 1],
  ['0:1.0', '1.0', 0],
  ['00:1.0', '1.0', 0],
  [':1.0', '1.0', 0],
  ['10:0', '2:1', 1],
  ['1.0-1', '1.0', 1],
  ['1.0', '1.0-1', -1],
  ['1.0-', '1.0', 1],
  ['1.0-', '1.0-', 0],
  ['1.0-2', '1.0.1', -1],
  ['1.0-2-3', '1.0-2.3', 1],
  ['1.0-2-3', '1.0.2-3', 0],
  ['a:1.0', '1.0', -1],
  ['1:2:3', '1:2.3', 0],
  ['1.0-1.el9', '1.0-1.el9_2', -1],
  ['1.0-1.el9_2', '1.0-1.el9_2.1', -1],
  ['2.5.0-1.fc38', '2.5.0~rc1-1.fc38', 1],
  ['1:2.5-1', '2:1.0-1', -1],
  ['99999999999999999999:1', '100000000000000000000:0', -1],
  ['1.0^git1-1', '1.0-1', 1],
  ['3.0.7-16.el9', '3.0.7-18.el9_2', -1],
  ['1.2.3-4', '1.2.3-04', 0],
  ['-', '1.0', -1],
  ['1.0-1', '1.0_1', -1],
];

const ALPHABET = '0123456789aAzZ.-:~^_+ \u00e9\u03b1\0';

describe('rpm scheme', () => {
  it.each(RPMVERCMP_AT)('rpmvercmp(%s, %s) = %i as in rpm’s test suite', (a, b, expected) => {
    expect(rpmScheme.compare(a, b)).toBe(expected);
  });

  it.each(EVR_VECTORS)('rpm.vercmp(%s, %s) = %i', (a, b, expected) => {
    expect(rpmScheme.compare(a, b)).toBe(expected);
    expect(rpmScheme.compare(b, a)).toBe(0 - expected);
  });

  it('refuses only the empty string and strings holding a NUL', () => {
    expect(rpmScheme.valid('1.0-1')).toBe(true);
    expect(rpmScheme.valid('-')).toBe(true);
    expect(rpmScheme.valid(' ')).toBe(true);
    expect(rpmScheme.valid('')).toBe(false);
    expect(rpmScheme.valid('1.0\0-2')).toBe(false);
    expect(() => rpmScheme.compare('', '1')).toThrow(/not a valid rpm version/);
    expect(() => rpmScheme.compare('1', '1\0')).toThrow(/not a valid rpm version/);
  });

  it('compares digit runs of any length without overflow', () => {
    const huge = '9'.repeat(5000);
    expect(rpmScheme.compare(`${huge}0`, huge)).toBe(1);
    expect(rpmScheme.compare(`${'0'.repeat(100)}${huge}`, huge)).toBe(0);
  });

  it('never throws on arbitrary or mutated strings and orders them consistently', () => {
    const seed = 0x72706d31;
    const random = seededRandom(seed);
    const samples: string[] = [];
    for (let n = 0; n < 600; n++) {
      const real = RPM_REAL_WORLD[random(RPM_REAL_WORLD.length)] ?? '1.0';
      const bytes =
        random(2) === 0
          ? mutate(Buffer.from(real), random, '~^-:')
          : randomText(ALPHABET, 24, random);
      samples.push(random(50) === 0 ? real.repeat(2000) : bytes.toString('utf8'));
    }
    const valid = samples.filter((version) => rpmScheme.valid(version));
    expect(valid.length, `seed ${seed}`).toBeGreaterThan(400);
    const pairs = withItselfAndReference(samples, '1');
    expect(pairViolations(rpmScheme, pairs).slice(0, 10), `seed ${seed}`).toEqual([]);
    expect(orderViolations(rpmScheme, valid, 40).slice(0, 10), `seed ${seed}`).toEqual([]);
  });
});
