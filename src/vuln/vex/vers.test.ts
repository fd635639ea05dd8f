import { describe, expect, it } from 'vitest';
import { parseVers, rangeContains, type VersionRange } from './vers.js';

function range(text: string): VersionRange {
  const parsed = parseVers(text);
  if (typeof parsed === 'string') throw new Error(`${text}: ${parsed}`);
  return parsed;
}

describe('parseVers', () => {
  it('reads comparators, bare versions and percent-encoded versions', () => {
    expect(range('vers:npm/1.2.3|>=2.0.0|<5.0.0|!=3.1.0').constraints).toEqual([
      { comparator: '=', version: '1.2.3' },
      { comparator: '>=', version: '2.0.0' },
      { comparator: '<', version: '5.0.0' },
      { comparator: '!=', version: '3.1.0' },
    ]);
    expect(range('vers:deb/<1%3A2.0-1').constraints).toEqual([
      { comparator: '<', version: '1:2.0-1' },
    ]);
    expect(range('vers:NPM/*').type).toBe('npm');
    expect(range('vers:all/*').star).toBe(true);
  });

  it.each([
    ['npm/1.0.0', /does not start with "vers:<type>\/"/],
    ['vers:/1.0.0', /does not start/],
    ['vers:npm/', /empty constraint/],
    ['vers:npm/|1.0.0', /empty constraint/],
    ['vers:npm/1.0.0|', /empty constraint/],
    ['vers:npm/>=', /constraint ">=" has no readable version/],
    ['vers:npm/1.0.0 | 2.0.0', /whitespace/],
    ['vers:npm/%E0%A4%A', /has no readable version/],
  ])('%s is not a range', (text, why) => {
    expect(parseVers(text)).toMatch(why);
  });
});

describe('rangeContains', () => {
  it.each([
    // The spec's examples.
    ['vers:npm/1.2.3|>=2.0.0|<5.0.0', '1.2.3', true],
    ['vers:npm/1.2.3|>=2.0.0|<5.0.0', '1.2.4', false],
    ['vers:npm/1.2.3|>=2.0.0|<5.0.0', '4.9.9', true],
    ['vers:npm/1.2.3|>=2.0.0|<5.0.0', '5.0.0', false],
    ['vers:gem/>=2.2.0|!=2.2.1|<2.3.0', '2.2.1', false],
    ['vers:gem/>=2.2.0|!=2.2.1|<2.3.0', '2.2.2', true],
    ['vers:pypi/0.0.0|0.0.1|0.0.2|0.0.3|1.0|2.0pre1', '2.0rc0', false],
    ['vers:pypi/0.0.0|0.0.1|0.0.2|0.0.3|1.0|2.0pre1', '2.0a0', false],
    ['vers:pypi/0.0.0|0.0.1|0.0.2|0.0.3|1.0|2.0pre1', '1.0.0', true],
    [
      'vers:maven/>=1.0.0-beta1|<=1.7.5|>=7.0.0-M1|<=7.0.7|>=7.1.0|<=7.1.2|>=8.0.0-M1|<=8.0.1',
      '7.0.8',
      false,
    ],
    [
      'vers:maven/>=1.0.0-beta1|<=1.7.5|>=7.0.0-M1|<=7.0.7|>=7.1.0|<=7.1.2|>=8.0.0-M1|<=8.0.1',
      '7.1.1',
      true,
    ],
    // One bound: open on the other side.
    ['vers:semver/<2.6.7', '1.0.0', true],
    ['vers:semver/<2.6.7', '2.6.7', false],
    ['vers:semver/>2.6.7', '2.6.8', true],
    ['vers:semver/<=2.6.7', '2.6.7', true],
    // Written out of order (CycloneDX use case 5): sorted first.
    ['vers:semver/<7.0.0|>=1.5.0', '3.0.0', true],
    ['vers:semver/<7.0.0|>=1.5.0', '1.0.0', false],
    ['vers:semver/<1.5.0|>=7.0.0', '1.0.0', true],
    ['vers:semver/<1.5.0|>=7.0.0', '8.0.0', true],
    ['vers:semver/<1.5.0|>=7.0.0', '3.0.0', false],
    // Each ecosystem orders by its own rules.
    ['vers:deb/>=3.0.0|<3.0.13-1~deb12u1', '3.0.11-1~deb12u2', true],
    ['vers:deb/>=3.0.0|<3.0.13-1~deb12u1', '3.0.13-1', false],
    ['vers:deb/<2.0', '1:1.0', false],
    ['vers:rpm/<1.0-2', '1.0-1', true],
    ['vers:apk/<3.0.8-r4', '3.0.8-r3', true],
    ['vers:pypi/<2.0', '2.0rc1', true],
    ['vers:npm/*', 'anything', true],
    ['vers:all/*', 'anything', true],
    ['vers:none/*', 'anything', false],
  ])('%s contains %s: %s', (text, version, expected) => {
    expect(rangeContains(range(text), version)).toBe(expected);
  });

  it('cannot judge a type drydock has no scheme for, nor a version its scheme cannot read', () => {
    expect(rangeContains(range('vers:generic/>=2.9|<=4.1'), '3.0')).toBeUndefined();
    expect(rangeContains(range('vers:npm/<2.0.0'), 'not a version')).toBeUndefined();
    expect(rangeContains(range('vers:npm/<two'), '1.0.0')).toBeUndefined();
  });
});
