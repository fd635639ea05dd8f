import { describe, expect, it } from 'vitest';
import { mutate, randomText } from '../../test/harness/mutate.js';
import { seededRandom } from '../../test/harness/random.js';
import {
  orderViolations,
  pairViolations,
  withItselfAndReference,
} from '../../test/harness/version-properties.js';
import { DrydockError } from '../model/index.js';
import { goScheme } from './go.js';

/**
 * x/mod/semver's own test table (semver_test.go): each version with its canonical form, in
 * ascending order; the same canonical form means equal, no canonical form means invalid.
 */
const X_MOD_TABLE: readonly [string, string][] = [
  ['bad', ''],
  ['v1-alpha.beta.gamma', ''],
  ['v1-pre', ''],
  ['v1+meta', ''],
  ['v1-pre+meta', ''],
  ['v1.2-pre', ''],
  ['v1.2+meta', ''],
  ['v1.2-pre+meta', ''],
  ['v1.0.0-alpha', 'v1.0.0-alpha'],
  ['v1.0.0-alpha.1', 'v1.0.0-alpha.1'],
  ['v1.0.0-alpha.beta', 'v1.0.0-alpha.beta'],
  ['v1.0.0-beta', 'v1.0.0-beta'],
  ['v1.0.0-beta.2', 'v1.0.0-beta.2'],
  ['v1.0.0-beta.11', 'v1.0.0-beta.11'],
  ['v1.0.0-rc.1', 'v1.0.0-rc.1'],
  ['v1', 'v1.0.0'],
  ['v1.0', 'v1.0.0'],
  ['v1.0.0', 'v1.0.0'],
  ['v1.2', 'v1.2.0'],
  ['v1.2.0', 'v1.2.0'],
  ['v1.2.3-456', 'v1.2.3-456'],
  ['v1.2.3-456.789', 'v1.2.3-456.789'],
  ['v1.2.3-456-789', 'v1.2.3-456-789'],
  ['v1.2.3-456a', 'v1.2.3-456a'],
  ['v1.2.3-pre', 'v1.2.3-pre'],
  ['v1.2.3-pre+meta', 'v1.2.3-pre'],
  ['v1.2.3-pre.1', 'v1.2.3-pre.1'],
  ['v1.2.3-zzz', 'v1.2.3-zzz'],
  ['v1.2.3', 'v1.2.3'],
  ['v1.2.3+meta', 'v1.2.3'],
  ['v1.2.3+meta-pre', 'v1.2.3'],
  ['v1.2.3+meta-pre.sha.256a', 'v1.2.3'],
];

const VALID = X_MOD_TABLE.filter(([, canonical]) => canonical !== '');

describe('goScheme', () => {
  it('reads what x/mod/semver reads', () => {
    for (const [version, canonical] of X_MOD_TABLE) {
      expect(goScheme.valid(version), version).toBe(canonical !== '');
    }
  });

  it('orders x/mod/semver’s table as its tests do', () => {
    VALID.forEach(([a, canonicalA], i) => {
      VALID.forEach(([b, canonicalB], j) => {
        const expected = canonicalA === canonicalB ? 0 : Math.sign(i - j);
        expect(Math.sign(goScheme.compare(a, b)), `${a} vs ${b}`).toBe(expected);
      });
    });
    expect(goScheme.compare('v1.19', 'v1.2')).toBeGreaterThan(0);
  });

  it('orders pseudo-versions by their timestamp, before the release they precede', () => {
    const ascending = [
      'v0.0.0-20191109021931-daa7c04131f5',
      'v0.0.0-20220314234659-1baeb1ce4c0b',
      'v0.1.0',
      'v1.2.3-pre.0.20220314234659-1baeb1ce4c0b',
      'v1.2.3',
      'v1.2.4-0.20191109021931-daa7c04131f5',
      'v1.2.4-0.20220314234659-1baeb1ce4c0b',
      'v1.2.4',
      'v2.0.0-20180101000000-000000000000',
      'v2.0.0+incompatible',
      'v18446744073709551616.0.0',
    ];
    expect([...ascending].reverse().sort((a, b) => goScheme.compare(a, b))).toEqual(ascending);
  });

  it('ignores +incompatible, as Go does', () => {
    expect(goScheme.compare('v2.0.0+incompatible', 'v2.0.0')).toBe(0);
  });

  it.each([
    '',
    '1.2.3',
    'V1.2.3',
    'v01.2.3',
    'v1.2.3-01',
    'v1.2.3-',
    'v1.2.3+',
    'v1.2.3-a..b',
    'v1.2.3.4',
  ])('refuses %j with invalidVersion', (version) => {
    expect(goScheme.valid(version)).toBe(false);
    expect(() => goScheme.compare(version, 'v1.0.0')).toThrow(DrydockError);
    expect(() => goScheme.compare('v1.0.0', version)).toThrow(/not a valid go version/);
  });

  it('accepts leading zeros in build metadata only', () => {
    expect(goScheme.valid('v1.2.3+01')).toBe(true);
  });
});

describe('goScheme fuzzed', () => {
  const SEED = 4242;
  const random = seededRandom(SEED);
  const samples = [
    ...VALID.map(([version]) => version),
    'v0.0.0-20191109021931-daa7c04131f5',
    'v2.0.0+incompatible',
  ];
  const inputs = Array.from({ length: 3000 }, (_, index) =>
    index % 2 === 0
      ? mutate(Buffer.from(samples[random(samples.length)] ?? ''), random, '.').toString()
      : randomText('v0123456789.-+abzAZ\u00e9', 40, random).toString('latin1'),
  );
  inputs.push(
    `v1.2.3-${'a.'.repeat(50_000)}a`,
    `v${'9'.repeat(100_000)}`,
    'v1.2.3-' + '-'.repeat(100_000),
  );

  it(`never throws anything but invalidVersion (seed ${SEED})`, () => {
    const pairs = withItselfAndReference(inputs, 'v1.0.0');
    expect(pairViolations(goScheme, pairs).slice(0, 10)).toEqual([]);
  });

  it(`is antisymmetric and transitive on the valid ones (seed ${SEED})`, () => {
    const valid = [...samples, ...inputs.filter((input) => goScheme.valid(input))].slice(0, 400);
    expect(valid.length).toBeGreaterThan(100);
    expect(orderViolations(goScheme, valid).slice(0, 10)).toEqual([]);
  });
});
