import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mutate, randomText } from '../../test/harness/mutate.js';
import { seededRandom } from '../../test/harness/random.js';
import { lookupName, OsvRecordError, parseOsvRecord } from './osv.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'osv');
const fixture = (name: string): Buffer => readFileSync(join(FIXTURES, name));
const record = (fields: object): string =>
  JSON.stringify({ id: 'X-1', modified: '2024-01-01T00:00:00Z', ...fields });

describe('parseOsvRecord', () => {
  it('reads a Debian advisory: source package, ranges, versions, related CVEs', () => {
    const vuln = parseOsvRecord(fixture('DSA-5678-1.json'));
    expect(vuln).toMatchObject({
      id: 'DSA-5678-1',
      modified: '2024-05-07T05:23:19.000Z',
      related: ['CVE-2024-2961', 'CVE-2024-33599'],
      affected: [
        {
          ecosystem: 'Debian:12',
          name: 'glibc',
          lookupName: 'glibc',
          ranges: [
            {
              type: 'ECOSYSTEM',
              events: [
                { kind: 'introduced', version: '0' },
                { kind: 'fixed', version: '2.36-9+deb12u7' },
              ],
            },
          ],
        },
      ],
    });
    expect(vuln.affected[0]?.versions).toHaveLength(4);
  });

  it('keeps the per-package Debian urgency', () => {
    const vuln = parseOsvRecord(fixture('DEBIAN-CVE-2023-4911.json'));
    expect(vuln.affected.map((a) => [a.ecosystem, a.ecosystemSpecific])).toEqual([
      ['Debian:12', { urgency: 'not yet assigned' }],
      ['Debian:13', { urgency: 'not yet assigned' }],
    ]);
  });

  it('drops GIT ranges and keeps SEMVER ones, the feed severity and CVSS v3', () => {
    const vuln = parseOsvRecord(fixture('GHSA-c2qf-rxjj-qqgw.json'));
    expect(vuln.affected.flatMap((a) => a.ranges.map((r) => r.type))).toEqual([
      'SEMVER',
      'SEMVER',
      'SEMVER',
    ]);
    expect(vuln.feedSeverity).toBe('HIGH');
    expect(vuln.severity).toEqual([
      { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' },
    ]);
    expect(vuln.aliases).toEqual(['CVE-2022-25883']);
  });

  it('keeps CVSS v4 vectors, aliases and withdrawn marks', () => {
    const v4 = parseOsvRecord(fixture('GHSA-cvss-v4-example.json'));
    expect(v4.severity.map((s) => s.type)).toEqual(['CVSS_V3', 'CVSS_V4']);
    expect(v4.severity[1]?.score).toMatch(/^CVSS:4\.0\//);
    const withdrawn = parseOsvRecord(fixture('GHSA-withdrawn-example.json'));
    expect(withdrawn.withdrawn).toBe('2023-01-27T22:00:00.000Z');
    expect(withdrawn.affected[0]?.lookupName).toBe('org.apache.commons:commons-text');
  });

  it('normalises names for lookup per ecosystem', () => {
    expect(parseOsvRecord(fixture('PYSEC-2023-74.json')).affected[0]?.lookupName).toBe('requests');
    expect(lookupName('PyPI', 'Zope.Interface__x')).toBe('zope-interface-x');
    expect(lookupName('Alpine:v3.19', 'OpenSSL')).toBe('openssl');
    expect(lookupName('npm', '@Scope/Pkg')).toBe('@Scope/Pkg');
    expect(lookupName('Maven', 'org.example : lib')).toBe('org.example:lib');
  });

  it.each([
    ['not JSON', '{', /not JSON/],
    ['no id', JSON.stringify({ modified: '2024-01-01T00:00:00Z' }), /id is missing/],
    ['no modified', JSON.stringify({ id: 'X' }), /modified is missing/],
    ['a bad time', record({ modified: 'yesterday' }), /RFC 3339/],
    ['an impossible date', record({ modified: '2024-13-45T00:00:00Z' }), /not a valid time/],
    [
      'an unknown range type',
      record({
        affected: [
          {
            package: { ecosystem: 'npm', name: 'a' },
            ranges: [{ type: 'X', events: [{ introduced: '0' }] }],
          },
        ],
      }),
      /unknown range type/,
    ],
    [
      'an event with two keys',
      record({
        affected: [
          {
            package: { ecosystem: 'npm', name: 'a' },
            ranges: [{ type: 'SEMVER', events: [{ introduced: '0', fixed: '1' }] }],
          },
        ],
      }),
      /exactly one/,
    ],
    [
      'a package without a name',
      record({ affected: [{ package: { ecosystem: 'npm' } }] }),
      /name is missing/,
    ],
    ['aliases not a list', record({ aliases: 'CVE-1' }), /not a list/],
  ])('refuses a record with %s', (_what, text, message) => {
    expect(() => parseOsvRecord(text)).toThrow(message);
  });

  it('bounds the record size, list lengths and nesting', () => {
    expect(() =>
      parseOsvRecord(record({ summary: 'x'.repeat(100) }), { maxRecordBytes: 50 }),
    ).toThrow(/over the limit/);
    const versions = Array.from({ length: 11 }, (_, i) => String(i));
    expect(() =>
      parseOsvRecord(
        record({ affected: [{ package: { ecosystem: 'npm', name: 'a' }, versions }] }),
        { maxVersionsPerPackage: 10 },
      ),
    ).toThrow(/over the limit of 10/);
    let deep: unknown = {};
    for (let i = 0; i < 40; i++) deep = { a: deep };
    expect(() =>
      parseOsvRecord(
        record({
          affected: [{ package: { ecosystem: 'npm', name: 'a' }, ecosystem_specific: deep }],
        }),
      ),
    ).toThrow(/nested deeper/);
  });

  it('never throws anything but OsvRecordError on mutated or random input (seeded)', () => {
    const samples = readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.json'))
      .map(fixture);
    for (let seed = 1; seed <= 3000; seed++) {
      const random = seededRandom(seed);
      const sample = samples[random(samples.length)] ?? Buffer.alloc(0);
      const input =
        random(5) === 0
          ? randomText('{}[]":,0123456789abcdefintroducedfixed ', 400, random)
          : mutate(sample, random, '"affected":[{');
      try {
        parseOsvRecord(input);
      } catch (error) {
        if (!(error instanceof OsvRecordError)) throw new Error(`seed ${seed}: ${String(error)}`);
      }
    }
  });
});
