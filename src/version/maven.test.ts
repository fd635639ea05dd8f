/**
 * The maven scheme on hand-picked vectors, most from maven-artifact 3.8.7's own
 * ComparableVersionTest (orders, equalities, MNG-5568, MNG-6572, MNG-6964, MNG-7644), plus a
 * seeded fuzz test. test/version-maven.test.ts checks generated pairs against Maven itself.
 */
import { describe, expect, it } from 'vitest';
import { DrydockError } from '../model/index.js';
import { seededRandom } from '../../test/harness/random.js';
import {
  orderViolations,
  pairViolations,
  withItselfAndReference,
} from '../../test/harness/version-properties.js';
import { mavenScheme } from './maven.js';

const compare = (a: string, b: string): number => mavenScheme.compare(a, b);
const valid = (version: string): boolean => mavenScheme.valid(version);

function expectAscending(versions: readonly string[]): void {
  for (let i = 0; i < versions.length; i++) {
    for (let j = i + 1; j < versions.length; j++) {
      const [low, high] = [versions[i] ?? '', versions[j] ?? ''];
      expect(compare(low, high), `${low} < ${high}`).toBeLessThan(0);
      expect(compare(high, low), `${high} > ${low}`).toBeGreaterThan(0);
    }
  }
}

function expectEqual(a: string, b: string): void {
  expect(compare(a, b), `${a} = ${b}`).toBe(0);
  expect(compare(b, a), `${b} = ${a}`).toBe(0);
}

describe('maven scheme: ComparableVersionTest vectors', () => {
  it('orders qualifiers', () => {
    expectAscending([
      '1-alpha2snapshot',
      '1-alpha2',
      '1-alpha-123',
      '1-beta-2',
      '1-beta123',
      '1-m2',
      '1-m11',
      '1-rc',
      '1-cr2',
      '1-rc123',
      '1-SNAPSHOT',
      '1',
      '1-sp',
      '1-sp2',
      '1-sp123',
      '1-abc',
      '1-def',
      '1-pom-1',
      '1-1-snapshot',
      '1-1',
      '1-2',
      '1-123',
    ]);
  });

  it('orders numbers', () => {
    expectAscending([
      '2.0',
      '2.0.a',
      '2-1',
      '2.0.2',
      '2.0.123',
      '2.1.0',
      '2.1-a',
      '2.1b',
      '2.1-c',
      '2.1-1',
      '2.1.0.1',
      '2.2',
      '2.123',
      '11.a2',
      '11.a11',
      '11.b2',
      '11.b11',
      '11.m2',
      '11.m11',
      '11',
      '11.a',
      '11b',
      '11c',
      '11m',
    ]);
  });

  it.each([
    ['1', '1.0'],
    ['1', '1.0.0'],
    ['1.0', '1.0.0'],
    ['1', '1-0'],
    ['1', '1.0-0'],
    ['1.0', '1.0-0'],
    ['1a', '1-a'],
    ['1a', '1.0-a'],
    ['1a', '1.0.0-a'],
    ['1.0a', '1-a'],
    ['1.0.0a', '1-a'],
    ['1x', '1.0.0-x'],
    ['1ga', '1'],
    ['1release', '1'],
    ['1final', '1'],
    ['1cr', '1rc'],
    ['1a1', '1-alpha-1'],
    ['1b2', '1-beta-2'],
    ['1m3', '1-milestone-3'],
    ['1X', '1x'],
    ['1GA', '1'],
    ['1RELeaSE', '1'],
    ['1FinaL', '1'],
    ['1cR', '1rC'],
    ['1m3', '1MileStone3'],
    ['1-abcdefghijklmnopqrstuvwxyz', '1-ABCDEFGHIJKLMNOPQRSTUVWXYZ'],
  ])('%s = %s', (a, b) => {
    expectEqual(a, b);
  });

  it.each([
    ['1', '2'],
    ['1.5', '2'],
    ['1', '2.5'],
    ['1.0', '1.1'],
    ['1.0.0', '1.1'],
    ['1.0.1', '1.1'],
    ['1.1', '1.2.0'],
    ['1.0-alpha-1', '1.0'],
    ['1.0-alpha-1', '1.0-alpha-2'],
    ['1.0-alpha-1', '1.0-beta-1'],
    ['1.0-beta-1', '1.0-SNAPSHOT'],
    ['1.0-SNAPSHOT', '1.0'],
    ['1.0-alpha-1-SNAPSHOT', '1.0-alpha-1'],
    ['1.0', '1.0-1'],
    ['1.0-1', '1.0-2'],
    ['1.0.0', '1.0-1'],
    ['2.0-1', '2.0.1'],
    ['2.0.1-klm', '2.0.1-lmn'],
    ['2.0.1', '2.0.1-xyz'],
    ['2.0.1', '2.0.1-123'],
    ['2.0.1-xyz', '2.0.1-123'],
    // MNG-5568: transitive with an odd letter in the middle.
    ['6.1.0rc3', '6.1.0'],
    ['6.1.0rc3', '6.1H.5-beta'],
    ['6.1.0', '6.1H.5-beta'],
    // MNG-6964: a sublist starting with 0 still compares all its items with nothing.
    ['1-0.alpha', '1'],
    ['1-0.beta', '1'],
    ['1-0.alpha', '1-0.beta'],
  ])('%s < %s', (low, high) => {
    expectAscending([low, high]);
  });

  it('orders int, long and big numbers (MNG-6572)', () => {
    expectAscending([
      '20190126.230843',
      '1234567890.12345',
      '123456789012345.1H.5-beta',
      '12345678901234567890.1H.5-beta',
    ]);
  });

  it('ignores leading zeros of up to 19 digits (MNG-6572)', () => {
    for (let length = 1; length <= 19; length++) {
      expectEqual('0'.repeat(length - 1) + '1', '1');
      expectEqual('0'.repeat(length), '0');
    }
  });

  it.each(['abc', 'alpha', 'a', 'beta', 'b', 'def', 'milestone', 'm', 'RC'])(
    'sorts .%s like -%s (MNG-7644)',
    (x) => {
      expectAscending([`1.0.0.${x}1`, `1.0.0-${x}2`]);
      expectEqual(`2-${x}`, `2.0.${x}`);
      expectEqual(`2-${x}`, `2.0.0.${x}`);
    },
  );
});

describe('maven scheme: common Maven Central shapes', () => {
  it.each([
    ['1.0-SNAPSHOT', '1.0-snapshot'],
    ['1.0.Final', '1.0'],
    ['5.3.20.RELEASE', '5.3.20'],
    ['1.0-RC1', '1.0-rc-1'],
    ['1.0.RC1', '1.0-RC1'],
    ['1.0-CR1', '1.0-rc1'],
    ['1.0.0', '1'],
    ['01.002', '1.2'],
    ['1.0-1', '1-1'],
    ['1-', '1'],
    ['1..', '1'],
  ])('%s = %s', (a, b) => {
    expectEqual(a, b);
  });

  it('orders a release train', () => {
    expectAscending([
      '1.0-alpha1',
      '1.0-beta1',
      '1.0-M1',
      '1.0-RC1',
      '1.0-SNAPSHOT',
      '1.0',
      '1.0-sp1',
      '1.0-jre',
      '1.0-1',
      '1.0.1',
      '1.1',
    ]);
  });

  it('puts unknown qualifiers after known ones, lexically', () => {
    expectAscending(['1-sp', '1-android', '1-jre', '1-redhat']);
  });

  it('puts a dash sublist below a dot number: 1-1 < 1.1', () => {
    expectAscending(['1-1', '1.1']);
  });

  it('compares numbers beyond 64 bits by value', () => {
    expectAscending(['9223372036854775807', '9223372036854775808', '123456789012345678901234567']);
  });

  it('keeps Maven ordering all-zero runs of 10+ digits above small numbers', () => {
    expectAscending(['5.1', '00000000000.1']);
    expectAscending(['5.1', '0000000000.9', '0000000000000000000.1']);
  });
});

describe('maven scheme: valid', () => {
  it.each(['1', '1.0-SNAPSHOT', 'Hoxton.SR12', '-', '1_0+b~!', 'x'.repeat(256)])(
    'accepts %s',
    (version) => {
      expect(valid(version)).toBe(true);
    },
  );

  it.each(['', '1.0 beta', '1.0\t', '1\n', 'x'.repeat(257), '1.0-é', '1.\u0661'])(
    'rejects %j',
    (version) => {
      expect(valid(version)).toBe(false);
      expect(() => compare(version, '1')).toThrow(DrydockError);
      expect(() => compare('1', version)).toThrow(/not a valid maven version/);
    },
  );
});

describe('maven scheme: fuzz', () => {
  const SEED = 0x4d564e46;
  const ALPHABET = '0123456789..--abcmprsAMRSZ_+~';
  const QUALIFIERS = ['alpha', 'a', 'b', 'M', 'rc', 'CR', 'SNAPSHOT', 'ga', 'Final', 'sp', 'jre'];

  /** Arbitrary UTF-16 text half the time, Maven-like characters otherwise. */
  function randomText(random: (n: number) => number): string {
    const length = random(random(8) === 0 ? 400 : 30);
    const arbitrary = random(2) === 0;
    let text = '';
    for (let i = 0; i < length; i++) {
      text += arbitrary
        ? String.fromCharCode(random(4) === 0 ? random(0x10000) : random(0x80))
        : ALPHABET.charAt(random(ALPHABET.length));
    }
    return text;
  }

  /** `N(.N)*` then at most one `-Q`, `-QN` or `-Q-N`: the shape in which Maven's order is total. */
  function releaseShaped(random: (n: number) => number): string {
    let version = String(1 + random(3));
    for (let parts = random(4); parts > 0; parts--) version += `.${random(3)}`;
    if (random(3) === 0) return version;
    const qualifier = QUALIFIERS[random(QUALIFIERS.length)] ?? '';
    const number = random(3) === 0 ? '' : `${pick(random, ['', '-'])}${1 + random(3)}`;
    return `${version}-${qualifier}${number}`;
  }

  const pick = (random: (n: number) => number, items: readonly string[]): string =>
    items[random(items.length)] ?? '';

  it('never throws anything but invalidVersion, and compare is antisymmetric', () => {
    const random = seededRandom(SEED);
    const texts = Array.from({ length: 4000 }, () => randomText(random));
    const versions = ['1-'.repeat(128), '1a'.repeat(128), '0'.repeat(256), ...texts.filter(valid)];
    expect(versions.length, `seed ${SEED}`).toBeGreaterThan(500);
    const sample = versions.slice(0, 400);
    const everyPair = sample.flatMap((a, i) =>
      sample.slice(i).map((b): [string, string] => [a, b]),
    );
    const pairs = [...withItselfAndReference(texts, '1'), ...everyPair];
    expect(pairViolations(mavenScheme, pairs).slice(0, 10), `seed ${SEED}`).toEqual([]);
  });

  // Maven's own order is not transitive once a qualifier meets a sublist at the same place
  // (checked against Maven 3.8.7 in test/version-maven.test.ts); we keep its answers.
  it("keeps Maven's cycle 1 < 1-sp < 1-0.alpha < 1", () => {
    expectAscending(['1', '1-sp']);
    expectAscending(['1-sp', '1-0.alpha']);
    expectAscending(['1-0.alpha', '1']);
  });

  it('is transitive on release-shaped versions', () => {
    const random = seededRandom(SEED + 1);
    const sample = Array.from({ length: 400 }, () => releaseShaped(random));
    expect(orderViolations(mavenScheme, sample).slice(0, 10), `seed ${SEED + 1}`).toEqual([]);
  });
});
