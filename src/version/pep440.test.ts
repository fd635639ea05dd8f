import { describe, expect, it } from 'vitest';
import { mutate, randomText } from '../../test/harness/mutate.js';
import { seededRandom } from '../../test/harness/random.js';
import {
  orderViolations,
  pairViolations,
  withItselfAndReference,
} from '../../test/harness/version-properties.js';
import { DrydockError } from '../model/index.js';
import { pep440Scheme } from './pep440.js';

/** PEP 440's "summary of permitted suffixes and relative ordering" (also packaging's tests). */
const PEP_440_ASCENDING = [
  '1.dev0',
  '1.0.dev456',
  '1.0a1',
  '1.0a2.dev456',
  '1.0a12.dev456',
  '1.0a12',
  '1.0b1.dev456',
  '1.0b2',
  '1.0b2.post345.dev456',
  '1.0b2.post345',
  '1.0rc1.dev456',
  '1.0rc1',
  '1.0',
  '1.0+abc.5',
  '1.0+abc.7',
  '1.0+5',
  '1.0.post456.dev34',
  '1.0.post456',
  '1.0.15',
  '1.1.dev1',
  '1!0.1',
];

/** PEP 440's normalisation rules: each pair is the same version spelt two ways. */
const SAME: readonly [string, string][] = [
  ['1.0ALPHA1', '1.0a1'],
  ['1.0_beta_2', '1.0b2'],
  ['1.0-a-1', '1.0a1'],
  ['1.0c1', '1.0rc1'],
  ['1.0pre1', '1.0rc1'],
  ['1.0preview1', '1.0rc1'],
  ['1.0a', '1.0a0'],
  ['1.0-post1', '1.0.post1'],
  ['1.0-1', '1.0.post1'],
  ['1.0.rev1', '1.0.post1'],
  ['1.0r1', '1.0.post1'],
  ['1.0.post', '1.0.post0'],
  ['1.0.dev', '1.0dev0'],
  ['v1.0', '1.0'],
  [' 1.0\n', '1.0'],
  ['1.0.0', '1'],
  ['01.0', '1.0'],
  ['0!1.0', '1.0'],
  ['1.0+ABC', '1.0+abc'],
  ['1.0+1_2', '1.0+1.2'],
  ['1.0+0001', '1.0+1'],
];

const INVALID = [
  'french toast',
  '',
  'v',
  '1!',
  '1.0.',
  '1.0-',
  '1.0a1-',
  '1.0+',
  '1.0+a+',
  '1.0++',
  '1.0+_foobar',
  '1.0+foo&asd',
  '1.0-SNAPSHOT',
  '1.0.Final',
  '1.0~rc1',
  '1.*',
  '1.0 .post1',
];

describe('pep440Scheme', () => {
  it('orders PEP 440’s summary list', () => {
    expect([...PEP_440_ASCENDING].reverse().sort((a, b) => pep440Scheme.compare(a, b))).toEqual(
      PEP_440_ASCENDING,
    );
  });

  it.each(SAME)('reads %j as %j', (a, b) => {
    expect(pep440Scheme.compare(a, b)).toBe(0);
    expect(pep440Scheme.compare(b, a)).toBe(0);
  });

  it.each(INVALID)('refuses %j with invalidVersion, as packaging does', (version) => {
    expect(pep440Scheme.valid(version)).toBe(false);
    expect(() => pep440Scheme.compare(version, '1.0')).toThrow(DrydockError);
    expect(() => pep440Scheme.compare('1.0', version)).toThrow(/not a valid pep440 version/);
  });

  it('compares numbers of any length, as Python ints', () => {
    expect(pep440Scheme.compare('1.18446744073709551616', '1.18446744073709551617')).toBeLessThan(
      0,
    );
    expect(pep440Scheme.compare('1.0+18446744073709551617', '1.0+0018446744073709551617')).toBe(0);
  });

  it('sorts letters before numbers in local parts, and a shorter local part first', () => {
    expect(pep440Scheme.compare('1.0+abc', '1.0+1')).toBeLessThan(0);
    expect(pep440Scheme.compare('1.0+a.1', '1.0+a.1.0')).toBeLessThan(0);
    expect(pep440Scheme.compare('1.0+zzz', '1.0.post1')).toBeLessThan(0);
  });

  it('reads whitespace and letters as Python’s regex does', () => {
    expect(pep440Scheme.valid('1.0\x1c')).toBe(true);
    expect(pep440Scheme.valid('1.0\ufeff')).toBe(false);
    expect(pep440Scheme.compare('1.0+\u212a', '1.0+k')).toBe(0);
    // `ſ` matches `s` but lower() keeps it, so packaging orders it after `post`.
    expect(pep440Scheme.compare('1.0.po\u017ft1', '1.0.post1')).toBeGreaterThan(0);
  });
});

describe('pep440Scheme fuzzed', () => {
  const SEED = 4401;
  const random = seededRandom(SEED);
  const samples = [...PEP_440_ASCENDING, ...SAME.flat()];
  const inputs = Array.from({ length: 3000 }, (_, index) =>
    index % 2 === 0
      ? mutate(Buffer.from(samples[random(samples.length)] ?? ''), random, '.post').toString()
      : randomText('0123456789.-_+!vabcdeprostvwABCP \t', 30, random).toString('latin1'),
  );
  inputs.push(
    `1${'.0'.repeat(100_000)}`,
    `1.0+${'a.'.repeat(400)}a`,
    `1.0${'-'.repeat(500)}`,
    `${' '.repeat(100_000)}1`,
  );

  it(`never throws anything but invalidVersion (seed ${SEED})`, () => {
    const pairs = withItselfAndReference(inputs, '1.0');
    expect(pairViolations(pep440Scheme, pairs).slice(0, 10)).toEqual([]);
  });

  it(`is antisymmetric and transitive on the valid ones (seed ${SEED})`, () => {
    const valid = [...samples, ...inputs.filter((input) => pep440Scheme.valid(input))].slice(
      0,
      400,
    );
    expect(valid.length).toBeGreaterThan(200);
    expect(orderViolations(pep440Scheme, valid).slice(0, 10)).toEqual([]);
  });
});
