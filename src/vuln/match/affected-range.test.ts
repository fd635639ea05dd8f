import { describe, expect, it } from 'vitest';
import type { AffectedPackage, RangeEvent, RangeEventKind } from '../../model/index.js';
import { dpkgScheme } from '../../version/dpkg.js';
import type { VersionScheme } from '../../version/scheme.js';
import { seededRandom } from '../../../test/harness/random.js';
import { affectedVerdict } from './affected-range.js';

/** Versions are integers here, so the expected answer is plain arithmetic. */
const integers: VersionScheme = {
  name: 'integer',
  valid: (v) => /^\d+$/.test(v),
  compare: (a, b) => Number(a) - Number(b),
};

const pkg = (events: RangeEvent[], versions: string[] = []): AffectedPackage => ({
  ecosystem: 'Test',
  name: 'p',
  lookupName: 'p',
  ranges: [{ type: 'ECOSYSTEM', events }],
  versions,
});
const ev = (kind: RangeEventKind, version: string): RangeEvent => ({ kind, version });

describe('affectedVerdict', () => {
  it('reads introduced/fixed spans and names the fix', () => {
    const affected = pkg([
      ev('introduced', '0'),
      ev('fixed', '5'),
      ev('introduced', '8'),
      ev('fixed', '10'),
    ]);
    expect(affectedVerdict('3', affected, integers)).toMatchObject({
      affected: true,
      fixedIn: ['5'],
    });
    expect(affectedVerdict('5', affected, integers).affected).toBe(false);
    expect(affectedVerdict('9', affected, integers)).toMatchObject({
      affected: true,
      fixedIn: ['10'],
    });
    expect(affectedVerdict('10', affected, integers).affected).toBe(false);
  });

  it('includes last_affected itself and says no fix is known', () => {
    const affected = pkg([ev('introduced', '2'), ev('lastAffected', '4')]);
    expect(affectedVerdict('4', affected, integers)).toMatchObject({
      affected: true,
      lastAffected: true,
      fixedIn: [],
    });
    expect(affectedVerdict('5', affected, integers).affected).toBe(false);
    expect(affectedVerdict('1', affected, integers).affected).toBe(false);
  });

  it('treats an unclosed span as affected with no fix, and events in any order', () => {
    expect(affectedVerdict('99', pkg([ev('introduced', '0')]), integers)).toMatchObject({
      affected: true,
      fixedIn: [],
    });
    const shuffled = pkg([
      ev('fixed', '10'),
      ev('introduced', '8'),
      ev('fixed', '5'),
      ev('introduced', '0'),
    ]);
    expect(affectedVerdict('9', shuffled, integers)).toMatchObject({
      affected: true,
      fixedIn: ['10'],
    });
  });

  it('adds the versions list, and compares listed versions with the scheme', () => {
    const listed = pkg([], ['1:1.0-1']);
    listed.ranges = [];
    expect(affectedVerdict('1:1.0-1', listed, dpkgScheme)).toMatchObject({
      affected: true,
      byVersionList: true,
    });
    expect(affectedVerdict('1:1.0-01', listed, dpkgScheme).affected).toBe(true);
    expect(affectedVerdict('1.0-1', listed, dpkgScheme).affected).toBe(false);
  });

  it('skips and reports a range whose versions the scheme cannot read', () => {
    const verdict = affectedVerdict(
      '3',
      pkg([ev('introduced', '0'), ev('fixed', 'abc')]),
      integers,
    );
    expect(verdict.affected).toBe(false);
    expect(verdict.unreadable).toEqual(['introduced 0, fixed abc']);
  });

  it('equals the last-event rule on 20,000 random ranges', () => {
    // Independent formulation: a version is affected when the last event at or below it (for
    // last_affected: strictly below) is an `introduced`; the fix is the first closing event above
    // it when that one is a `fixed`.
    const random = seededRandom(4242);
    const kinds: RangeEventKind[] = ['introduced', 'fixed', 'lastAffected', 'limit'];
    for (let round = 0; round < 20_000; round += 1) {
      const used = new Set<number>();
      const events: RangeEvent[] = [];
      const count = 1 + random(6);
      for (let i = 0; i < count; i += 1) {
        const at = random(20);
        if (used.has(at)) continue;
        used.add(at);
        events.push(ev(kinds[random(kinds.length)] ?? 'introduced', String(at)));
      }
      const v = random(22);
      const below = events
        .filter((e) => (e.kind === 'lastAffected' ? Number(e.version) < v : Number(e.version) <= v))
        .sort((a, b) => Number(a.version) - Number(b.version));
      const last = below.at(-1);
      const expected = last?.kind === 'introduced';
      const above = events
        .filter((e) => !below.includes(e) && e.kind !== 'introduced')
        .sort((a, b) => Number(a.version) - Number(b.version))[0];
      const verdict = affectedVerdict(String(v), pkg(events), integers);
      expect(verdict.affected, JSON.stringify({ v, events })).toBe(expected);
      if (expected) expect(verdict.fixedIn).toEqual(above?.kind === 'fixed' ? [above.version] : []);
    }
  });
});
