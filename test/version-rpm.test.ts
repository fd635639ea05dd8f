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
import { describe, expect, it } from 'vitest';
import { RPM_REAL_WORLD } from './fixtures/version/real-world.js';
import { rpmScheme } from '../src/version/rpm.js';
import { editCharacters } from './harness/mutate.js';
import { seededRandom } from './harness/random.js';
import {
  askOracle,
  changeOneRun,
  mixedPairs,
  expectAgreement,
  expectEveryKind,
  hexLines,
  oracleSeed,
  ourAnswer,
  pick,
  type Pair,
  type Random,
} from './harness/version-oracle.js';

const SEED = oracleSeed(0x72706d76);

/** Reads `hex(a)\thex(b)` lines; prints `valid(a) valid(b) order` (`invalid` when rpm refuses). */
const ORACLE_LUA = `%{lua:
local function unhex(h) return (h:gsub("..", function(x) return string.char(tonumber(x, 16)) end)) end
local function valid(v) return tostring((pcall(rpm.vercmp, v, "1"))) end
for line in io.stdin:lines() do
  local a, b = line:match("^(%x*)\\t(%x*)$")
  a, b = unhex(a), unhex(b)
  local ok, order = pcall(rpm.vercmp, a, b)
  io.write(valid(a), " ", valid(b), " ", ok and tostring(order) or "invalid", "\\n")
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

const WORDS = ['a', 'b', 'rc', 'beta', 'git', 'p', 'pre', 'post', 'el', 'fc', 'Z', 'svn'];
const SEPARATORS = ['.', '.', '.', '_', '+', ''];
const MUTATION_CHARS = '0123456789.-:~^_+aAzZé';
/** Code points, so that no surrogate pair is split. */
const ARBITRARY_CHARS = Array.from('0123456789.-:~^_+ aAzZbr\u00e9\u03b1\u{1f600}');

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

const mutateEvr = (random: Random, evr: string): string =>
  editCharacters(evr, MUTATION_CHARS, random);

/** The same EVR with one run of digits, letters or other characters changed. */
const changeOnePart = (random: Random, evr: string): string =>
  changeOneRun(random, evr, {
    digits: (r, run) => pick(r, [String(BigInt(run) + 1n), `0${run}`, `${run}0`]),
    letters: (r, run) => pick(r, [`${run}a`, run.slice(0, -1), run.toUpperCase(), `${run}1`]),
    other: (r, run) => pick(r, ['.', '-', '~', '^', '_', ':', '', `${run}${run}`]),
  });

function arbitrary(random: Random): string {
  return Array.from({ length: random(16) }, () => pick(random, ARBITRARY_CHARS)).join('');
}

function generatePairs(seed: number): Pair[] {
  const pairs = mixedPairs(seededRandom(seed), {
    tricky: TRICKY,
    fresh: randomEvr,
    real: RPM_REAL_WORLD,
    changeOnePart,
    mutate: mutateEvr,
    arbitrary,
    counts: { fresh: 2500, changed: 2500, mutated: 2000, arbitrary: 1000 },
  });
  return pairs.filter(([a, b]) => !a.includes('\0') && !b.includes('\0'));
}

describe('rpm scheme against rpm.vercmp', () => {
  it('agrees with rpm 4.18 on over 10,000 pairs', () => {
    const pairs = generatePairs(SEED);
    expect(pairs.length).toBeGreaterThan(10_000);
    // rpm --eval prints a line of its own after the script's.
    const answerLine = (line: string): boolean => /^(true|false) (true|false) /.test(line);
    const theirs = askOracle('rpm', ['--eval', ORACLE_LUA], hexLines(pairs), 'rpm', answerLine);
    expectAgreement(pairs, theirs, (a, b) => ourAnswer(rpmScheme, a, b), 'rpm', SEED);
    // The pairs are not all trivial: each outcome occurs many times, and rpm refuses some.
    expectEveryKind(theirs, ['-1', '0', '1'], 501, (line) => line.split(' ')[2] ?? '');
    expectEveryKind(theirs, ['false'], 1, (line) => line.split(' ')[0] ?? '');
  });
});
