/**
 * The rpm scheme against rpm itself: rpm 4.18's Lua `rpm.vercmp` (Debian package `rpm`), which
 * parses both sides as `[epoch:]version[-release]` (rpmverParse) and compares them with
 * rpmverCmp — the order rpm gives dependency EVRs. ONE `rpm --eval` process reads every pair
 * on stdin (hex-encoded, so any character survives) and prints, per pair, whether rpm accepts
 * each side and the comparison. Over 10,000 seeded pairs: every pair of hand-picked tricky
 * EVRs, random EVRs from an rpm-shaped grammar (epochs, `~`, `^`, dist tags, leading zeros,
 * long numbers), mutations of real-world EVRs, pairs that differ in one part, and arbitrary
 * strings. Strings holding a NUL are left out: rpm's C strings would cut them short, and our
 * scheme refuses them (see rpm.ts).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { rpmScheme } from '../src/version/rpm.js';
import { seededRandom } from './harness/random.js';

const SEED = 0x72706d76;

/** Reads `hex(a)\thex(b)` lines; prints `valid(a) valid(b) order` (`x` when rpm refuses). */
const ORACLE_LUA = `%{lua:
local function unhex(h) return (h:gsub("..", function(x) return string.char(tonumber(x, 16)) end)) end
local function valid(v) return (pcall(rpm.vercmp, v, "1")) and "1" or "0" end
for line in io.stdin:lines() do
  local a, b = line:match("^(%x*)\\t(%x*)$")
  a, b = unhex(a), unhex(b)
  local ok, order = pcall(rpm.vercmp, a, b)
  io.write(valid(a), " ", valid(b), " ", ok and tostring(order) or "x", "\\n")
end}`;

/** EVRs that each exercise one rule: epochs, tilde, caret, releases, separators, zeros. */
const TRICKY = [
  '1.0',
  '1.0-1',
  '1.0-',
  '1.0-0',
  '0:1.0',
  '1:1.0',
  '01:1.0',
  ':1.0',
  '1:',
  '1:-1',
  '-',
  '-1',
  '1.0~rc1',
  '1.0~rc1-1',
  '1.0~',
  '1.0~~',
  '1.0^',
  '1.0^git1',
  '1.0^git1~pre',
  '1.0~rc1^git1',
  '1.0.1',
  '1.01',
  '1.001',
  '1.0a',
  '1.0.a',
  '1.a',
  '1a',
  'a',
  'A',
  'Z',
  'z',
  '1.0_1',
  '1_0',
  '1.0+1',
  '1+0',
  '1.0-1.el9',
  '1.0-1.el9_2',
  '1.0-1.fc38',
  '1.0-2.el9',
  '1.0-1.el10',
  '2:1.0-1',
  '10:0.1',
  '9:9.9',
  '0',
  '00',
  '0.0',
  '000000000000000000000',
  '1.0-1-1',
  '1.0-1.1',
  '1.0.1-1',
  '99999999999999999999',
  '100000000000000000000',
  '1.1.α',
  '1.1.β',
  '1b.fc17',
  '1.fc17',
  '1g.fc17',
  '5.5p1',
  '5.5p10',
  '6.0.rc1',
  'xyz.4',
  '~',
  '^',
  '~1',
  '^1',
  '1:1:1',
  'a:1',
  '1.0 1',
  '1.0\t1',
  ' ',
  '',
  '1-~',
  '1-^',
  '1.0-~rc',
  '1.0-^git',
] as const;

/** Published EVRs to mutate: Fedora, RHEL, CentOS Stream, SUSE, modules, snapshots. */
const REAL_WORLD = [
  '1:3.0.7-16.el9_2',
  '2.34-60.el9',
  '5.14.0-284.11.1.el9_2',
  '1.0.2k-26.el7_9',
  '2:8.2.2637-20.el9_1',
  '1.5.2~rc1-3.fc39',
  '6.4.0^20230601git1a2b3c-1',
  '7.76.1-26.el9_3.2',
  '4.18.0-372.9.1.el8',
  '1.1.1w-150600.5.3.1',
  '12:4.4.1-1.module+el8.7.0+1234+abcd1234',
  '0.9.8-1.fc38',
  '3.6.8-51.el8_8.2',
  '1:1.2.3~beta2^post1-0.4.rc1.fc40',
  '20230801-2.el9',
] as const;

const WORDS = ['a', 'b', 'rc', 'beta', 'git', 'p', 'pre', 'post', 'el', 'fc', 'Z', 'svn'];
const SEPARATORS = ['.', '.', '.', '_', '+', ''];
const MUTATION_CHARS = '0123456789.-:~^_+aAzZé';
/** Code points, so that no surrogate pair is split. */
const ARBITRARY_CHARS = Array.from('0123456789.-:~^_+ aAzZbr\u00e9\u03b1\u{1f600}');

type Random = (n: number) => number;
type Pair = readonly [string, string];

const pick = <T>(random: Random, items: readonly T[]): T => items[random(items.length)] as T;

/** Mostly small numbers; sometimes leading zeros or digit runs longer than 64 bits. */
function randomNumber(random: Random): string {
  const kind = random(10);
  if (kind === 0) return '0'.repeat(1 + random(3)) + String(random(12));
  if (kind === 1) return String(1 + random(9)) + '0123456789'.repeat(2).slice(random(10));
  return String(random(kind < 5 ? 3 : 20));
}

function randomSegment(random: Random): string {
  const kind = random(6);
  if (kind === 0) return pick(random, WORDS);
  if (kind === 1) return randomNumber(random) + pick(random, WORDS);
  if (kind === 2) return pick(random, WORDS) + randomNumber(random);
  return randomNumber(random);
}

/** Segments joined by separators, with an optional `~` pre-release or `^` snapshot part. */
function randomPart(random: Random, maxSegments: number): string {
  let part = randomSegment(random);
  for (let n = random(maxSegments); n > 0; n--) {
    part += pick(random, SEPARATORS) + randomSegment(random);
  }
  const suffix = random(8);
  if (suffix === 0) part += `~${randomSegment(random)}`;
  if (suffix === 1) part += `^${randomSegment(random)}`;
  if (suffix === 2) part += `~${randomSegment(random)}^${randomSegment(random)}`;
  return part;
}

/** `[epoch:]version[-release]` the way rpm packages spell them, now and then oddly. */
function randomEvr(random: Random): string {
  const epoch = random(4) === 0 ? `${pick(random, ['', '0', '1', '2', '01', '10'])}:` : '';
  const release = random(4) === 0 ? '' : `-${randomPart(random, 3)}`;
  return epoch + randomPart(random, 4) + release;
}

function mutateEvr(random: Random, evr: string): string {
  let text = evr;
  for (let edits = 1 + random(3); edits > 0; edits--) {
    const at = random(text.length + 1);
    const char = MUTATION_CHARS.charAt(random(MUTATION_CHARS.length));
    const edit = random(3);
    if (edit === 0) text = text.slice(0, at) + char + text.slice(at);
    else if (edit === 1) text = text.slice(0, at) + text.slice(at + 1);
    else text = text.slice(0, at) + char + text.slice(at + 1);
  }
  return text;
}

/** The same EVR with one run of digits, letters or other characters changed. */
function changeOnePart(random: Random, evr: string): string {
  const parts = evr.match(/\d+|[a-z]+|[^\da-z]+/gi) ?? [evr];
  const at = random(parts.length);
  const part = parts[at] ?? '';
  let changed: string;
  if (/^\d/.test(part)) {
    changed = pick(random, [String(BigInt(part) + 1n), `0${part}`, `${part}0`]);
  } else if (/^[a-z]/i.test(part)) {
    changed = pick(random, [`${part}a`, part.slice(0, -1), part.toUpperCase(), `${part}1`]);
  } else {
    changed = pick(random, ['.', '-', '~', '^', '_', ':', '', `${part}${part}`]);
  }
  parts[at] = changed;
  return parts.join('');
}

function arbitrary(random: Random): string {
  return Array.from({ length: random(16) }, () => pick(random, ARBITRARY_CHARS)).join('');
}

function generatePairs(seed: number): Pair[] {
  const random = seededRandom(seed);
  const pairs: Pair[] = [];
  for (const a of TRICKY) for (const b of TRICKY) pairs.push([a, b]);
  for (let n = 0; n < 2500; n++) pairs.push([randomEvr(random), randomEvr(random)]);
  for (let n = 0; n < 2500; n++) {
    const evr = random(2) === 0 ? randomEvr(random) : pick(random, REAL_WORLD);
    pairs.push([evr, changeOnePart(random, evr)]);
  }
  for (let n = 0; n < 2000; n++) {
    const real = pick(random, REAL_WORLD);
    pairs.push([mutateEvr(random, real), random(2) === 0 ? real : mutateEvr(random, real)]);
  }
  for (let n = 0; n < 1000; n++) pairs.push([arbitrary(random), arbitrary(random)]);
  return pairs.filter(([a, b]) => !a.includes('\0') && !b.includes('\0'));
}

/** rpm's verdict on each pair, one `valid(a) valid(b) order` line per pair. */
function askRpm(pairs: readonly Pair[]): string[] {
  const hex = (text: string) => Buffer.from(text, 'utf8').toString('hex');
  const input = pairs.map(([a, b]) => `${hex(a)}\t${hex(b)}\n`).join('');
  const result = spawnSync('rpm', ['--eval', ORACLE_LUA], {
    input,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error !== undefined) {
    throw new Error(`cannot run rpm (install the Debian package "rpm"): ${result.error.message}`);
  }
  expect(result.status, result.stderr).toBe(0);
  const lines = result.stdout.split('\n').filter((line) => /^[01] [01] /.test(line));
  expect(lines).toHaveLength(pairs.length);
  return lines;
}

/** Our verdict in the oracle's words. */
function ours(a: string, b: string): string {
  const validA = rpmScheme.valid(a);
  const validB = rpmScheme.valid(b);
  const order = validA && validB ? String(Math.sign(rpmScheme.compare(a, b))) : 'x';
  return `${validA ? 1 : 0} ${validB ? 1 : 0} ${order}`;
}

describe('rpm scheme against rpm.vercmp', () => {
  it('agrees with rpm 4.18 on over 10,000 pairs', () => {
    const pairs = generatePairs(SEED);
    expect(pairs.length).toBeGreaterThan(10_000);
    const theirs = askRpm(pairs);
    const mismatches = pairs.flatMap(([a, b], i) => {
      const mine = ours(a, b);
      const rpm = theirs[i];
      return mine === rpm ? [] : [`${JSON.stringify([a, b])}: ours ${mine}, rpm ${rpm ?? ''}`];
    });
    expect(mismatches.slice(0, 20), `seed ${SEED}: ${mismatches.length} mismatches`).toEqual([]);
    // The pairs are not all trivial: each outcome, and a refusal, occurs many times.
    for (const order of ['-1', '0', '1']) {
      expect(theirs.filter((line) => line.endsWith(` ${order}`)).length).toBeGreaterThan(500);
    }
    expect(theirs.some((line) => line.startsWith('0'))).toBe(true);
  });
});
