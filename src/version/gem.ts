/**
 * RubyGems' version order, exactly as `Gem::Version#<=>` in RubyGems 3.3 (Debian's ruby):
 *
 * - Valid per Gem::Version::ANCHORED_VERSION_PATTERN: optional ASCII whitespace around
 *   `digits(.alnum+)*(-xalnum+(.xalnum+)*)?`, where xalnum also allows `-`; blank means `0`.
 * - Every `-` means `.pre.`; segments are the runs of digits (numbers) or letters (strings).
 * - Canonical segments: trailing zero segments are dropped both from the leading numeric part
 *   and from the part that starts at the first string segment (`1.0.a.0` = `1.a`).
 * - Compared one by one, a missing segment being 0: a string sorts before any number (a letter
 *   makes a prerelease), numbers as numbers, strings bytewise.
 *
 * Newer RubyGems (after 3.3) turn `-beta` into `.beta` instead of `.pre.beta`; we follow the
 * oracle our tests run, Debian's RubyGems.
 *
 * Validation is a hand-written scanner (no regex backtracking); parsed versions are cached.
 */
import { compareText, isAsciiLetter, isDigit, memoize, parsedScheme } from './compare-util.js';
import type { VersionScheme } from './scheme.js';

/** Canonical segments: numbers without leading zeros (`0` for zero), or runs of letters. */
type Segments = readonly string[];

const DIGIT_0 = 0x30;
const DOT = 0x2e;
const HYPHEN = 0x2d;

function isAlphanumeric(c: number): boolean {
  return isDigit(c) || isAsciiLetter(c);
}

function isAlphanumericOrHyphen(c: number): boolean {
  return isAlphanumeric(c) || c === HYPHEN;
}

/** Ruby's `\s`: ASCII whitespace only (not NBSP or other Unicode spaces). */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** The end of a run of at least one `accepted` character from `from`, or -1 for none. */
function runEnd(s: string, from: number, to: number, accepted: (c: number) => boolean): number {
  let i = from;
  while (i < to && accepted(s.charCodeAt(i))) i++;
  return i === from ? -1 : i;
}

/** Dot-separated runs of `accepted` from `from`, each after a `.`; where they stop, or -1. */
function dottedRunsEnd(s: string, from: number, to: number, accepted: (c: number) => boolean) {
  let i = from;
  while (i < to && s.charCodeAt(i) === DOT) {
    i = runEnd(s, i + 1, to, accepted);
    if (i < 0) return -1;
  }
  return i;
}

/** Whether s[from, to) is VERSION_PATTERN: `digits(.alnum+)*(-xalnum+(.xalnum+)*)?`. */
function matchesVersionPattern(s: string, from: number, to: number): boolean {
  let i = runEnd(s, from, to, isDigit);
  if (i >= 0) i = dottedRunsEnd(s, i, to, isAlphanumeric);
  if (i >= 0 && i < to && s.charCodeAt(i) === HYPHEN) {
    i = runEnd(s, i + 1, to, isAlphanumericOrHyphen);
    if (i >= 0) i = dottedRunsEnd(s, i, to, isAlphanumericOrHyphen);
  }
  return i === to;
}

/** A digit run as a canonical number string: `007` is `7`, `000` is `0`. */
function numberSegment(s: string, from: number, to: number): string {
  let i = from;
  while (i < to - 1 && s.charCodeAt(i) === DIGIT_0) i++;
  return s.slice(i, to);
}

/** The segments of a valid version's trimmed text, each `-` standing for `.pre.`. */
function splitSegments(s: string, from: number, to: number): string[] {
  const segments: string[] = [];
  let i = from;
  while (i < to) {
    const c = s.charCodeAt(i);
    if (c === HYPHEN) {
      segments.push('pre');
      i++;
    } else if (isDigit(c)) {
      const end = runEnd(s, i, to, isDigit);
      segments.push(numberSegment(s, i, end));
      i = end;
    } else if (isAsciiLetter(c)) {
      const end = runEnd(s, i, to, isAsciiLetter);
      segments.push(s.slice(i, end));
      i = end;
    } else {
      i++;
    }
  }
  return segments;
}

function isNumberSegment(segment: string): boolean {
  return isDigit(segment.charCodeAt(0));
}

/** Drops trailing zeros from the numeric part and from the part from the first string on. */
function canonical(segments: string[]): Segments {
  const firstString = segments.findIndex((segment) => !isNumberSegment(segment));
  const numericEnd = firstString < 0 ? segments.length : firstString;
  while (segments.length > numericEnd && segments[segments.length - 1] === '0') segments.pop();
  let zerosFrom = numericEnd;
  while (zerosFrom > 0 && segments[zerosFrom - 1] === '0') zerosFrom--;
  segments.splice(zerosFrom, numericEnd - zerosFrom);
  return segments;
}

/** The canonical segments of `version`, or undefined if RubyGems rejects it. */
function parse(version: string): Segments | undefined {
  let from = 0;
  let to = version.length;
  while (from < to && isSpace(version.charCodeAt(from))) from++;
  while (to > from && isSpace(version.charCodeAt(to - 1))) to--;
  if (from === to) return []; // blank is version 0
  return matchesVersionPattern(version, from, to)
    ? canonical(splitSegments(version, from, to))
    : undefined;
}

/** Matching compares the same few versions over and over; long ones are not worth keeping. */
const CACHED_LENGTH = 128;
const parseShort = memoize(parse);
const cachedParse = (version: string): Segments | undefined =>
  version.length > CACHED_LENGTH ? parse(version) : parseShort(version);

function compareSegment(a: string, b: string): number {
  const aNumber = isNumberSegment(a);
  if (aNumber !== isNumberSegment(b)) return aNumber ? 1 : -1;
  if (aNumber && a.length !== b.length) return Math.sign(a.length - b.length);
  return compareText(a, b);
}

function compareSegments(a: Segments, b: Segments): number {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const order = compareSegment(a[i] ?? '0', b[i] ?? '0');
    if (order !== 0) return order;
  }
  return 0;
}

export const gemScheme: VersionScheme = parsedScheme(
  'gem',
  cachedParse,
  compareSegments,
  'does not match Gem::Version::ANCHORED_VERSION_PATTERN',
);
