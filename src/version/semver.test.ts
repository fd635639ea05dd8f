import { describe, expect, it } from 'vitest';
import { mutate, randomText } from '../../test/harness/mutate.js';
import { seededRandom } from '../../test/harness/random.js';
import {
  orderViolations,
  pairViolations,
  withItselfAndReference,
} from '../../test/harness/version-properties.js';
import { DrydockError } from '../model/index.js';
import { semverScheme } from './semver.js';

/** semver.org §11's precedence example, then what npm's registry holds past it. */
const ASCENDING = [
  '1.0.0-alpha',
  '1.0.0-alpha.1',
  '1.0.0-alpha.beta',
  '1.0.0-beta',
  '1.0.0-beta.2',
  '1.0.0-beta.11',
  '1.0.0-rc.1',
  '1.0.0',
  '1.0.1-0',
  '1.0.1',
  '1.10.0',
  '9007199254740991.0.0',
];

/** What OSV's npm ranges and loose npm manifests hold, each the same version as the second. */
const SAME: readonly [string, string][] = [
  ['v1.2.3', '1.2.3'],
  ['=1.2.3', '1.2.3'],
  [' v 1.2.3 ', '1.2.3'],
  ['01.02.03', '1.2.3'],
  ['1.2.3-beta.01', '1.2.3-beta.1'],
  ['1.2.3foo', '1.2.3-foo'],
  ['1.2.3+build.5', '1.2.3'],
  ['1.2.3-rc.1+build.5', '1.2.3-rc.1+other'],
];

/** node-semver's invalid-versions fixture, and shapes npm refuses even loosely. */
const INVALID = [
  'hello, world',
  'xyz',
  `${'1'.repeat(255)}.0.0`,
  '90071992547409910.0.0',
  '0.0.90071992547409910',
  '0',
  '1.2',
  '1.2.3.4',
  'V1.2.3',
  '1.2.3+',
  '',
];

describe('semverScheme', () => {
  it('orders semver.org’s precedence example', () => {
    expect([...ASCENDING].reverse().sort((a, b) => semverScheme.compare(a, b))).toEqual(ASCENDING);
  });

  it.each(SAME)('reads %j as %j, as npm does (loose; build metadata not ordered)', (a, b) => {
    expect(semverScheme.compare(a, b)).toBe(0);
    expect(semverScheme.compare(b, a)).toBe(0);
  });

  it.each(INVALID)('refuses %j with invalidVersion', (version) => {
    expect(semverScheme.valid(version)).toBe(false);
    expect(() => semverScheme.compare(version, '1.0.0')).toThrow(DrydockError);
    expect(() => semverScheme.compare('1.0.0', version)).toThrow(/not a valid semver version/);
  });
});

describe('semverScheme fuzzed', () => {
  const SEED = 7007;
  const random = seededRandom(SEED);
  const samples = [...ASCENDING, ...SAME.flat()];
  const inputs = Array.from({ length: 3000 }, (_, index) =>
    index % 2 === 0
      ? mutate(Buffer.from(samples[random(samples.length)] ?? ''), random, '-').toString()
      : randomText('0123456789.-+=v abcrZ', 30, random).toString('latin1'),
  );
  inputs.push(
    `1.2.3-${'a.'.repeat(50_000)}a`,
    `${'9'.repeat(100_000)}.0.0`,
    ` ${'='.repeat(200)}1.2.3`,
  );

  it(`never throws anything but invalidVersion (seed ${SEED})`, () => {
    const pairs = withItselfAndReference(inputs, '1.0.0');
    expect(pairViolations(semverScheme, pairs).slice(0, 10)).toEqual([]);
  });

  it(`is antisymmetric and transitive on the valid ones (seed ${SEED})`, () => {
    const valid = [...samples, ...inputs.filter((input) => semverScheme.valid(input))].slice(
      0,
      400,
    );
    expect(valid.length).toBeGreaterThan(200);
    expect(orderViolations(semverScheme, valid).slice(0, 10)).toEqual([]);
  });
});
