/**
 * Debian's version order for `[epoch:]upstream[-revision]` (deb-version(5)), exactly as dpkg
 * 1.21's C library reads and orders them:
 *
 * - Reading follows parseversion: blanks (space, tab) around the version are ignored; the epoch
 *   is everything before the FIRST `:` and must be what strtol reads as a number in 0..INT_MAX
 *   (so `+1:` and `-0:` pass); the revision is everything after the LAST `-` and must not be
 *   empty; the upstream version must start with a digit and hold only letters, digits and
 *   `.+-~:`, the revision only letters, digits and `.+~`. dpkg merely warns about the last two
 *   rules; a version it warns about is invalid here, as `dpkg --validate-version` says.
 * - Ordering follows verrevcmp: alternate non-digit and digit runs; in non-digit runs `~` sorts
 *   before everything (even the end), the end before letters, letters (by ASCII) before all
 *   other characters; digit runs compare as numbers of any length.
 *
 * Everything works on index ranges of the input: no allocation, linear time, no limit needed.
 */
import { isAsciiLetter, isDigit } from './compare-util.js';
import { invalidVersion, type VersionScheme } from './scheme.js';

const DIGIT_0 = 0x30;
const TILDE = 0x7e;
const HYPHEN = '-';
const COLON = ':';
const INT_MAX = 2_147_483_647;

/** Where the parts of one version lie in its string. */
interface Parts {
  epoch: number;
  upstreamFrom: number;
  upstreamTo: number;
  revisionFrom: number;
  revisionTo: number;
}

/** c_isblank: what parseversion trims. */
function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** isspace in the C locale: what strtol skips before the epoch. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function allowedIn(s: string, from: number, to: number, punctuation: string): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c) && !isAsciiLetter(c) && !punctuation.includes(s.charAt(i))) return false;
  }
  return true;
}

/** The epoch before `colon` as strtol and parseversion read it, or why it is not one. */
function parseEpoch(s: string, from: number, colon: number): number | string {
  let i = from;
  while (i < colon && isSpace(s.charCodeAt(i))) i++;
  const negative = s.charAt(i) === HYPHEN;
  if (negative || s.charAt(i) === '+') i++;
  const digitsFrom = i;
  while (i < colon && isDigit(s.charCodeAt(i))) i++;
  if (i === digitsFrom) return 'epoch in version is empty';
  if (i !== colon) return 'epoch in version is not number';
  let significant = digitsFrom;
  while (significant < colon && s.charCodeAt(significant) === DIGIT_0) significant++;
  // Ten digits can exceed INT_MAX but still fit a double exactly; more are too big anyway.
  const epoch = colon - significant > 10 ? Infinity : Number(s.slice(significant, colon));
  if (negative && epoch !== 0) return 'epoch in version is negative';
  if (epoch > INT_MAX) return 'epoch in version is too big';
  return epoch;
}

/** Fills `into` with where the parts of `s` lie; returns why dpkg rejects `s`, if it does. */
function parse(s: string, into: Parts): string | undefined {
  let start = 0;
  while (start < s.length && isBlank(s.charCodeAt(start))) start++;
  if (start === s.length) return 'version string is empty';
  let end = start;
  while (end < s.length && !isBlank(s.charCodeAt(end))) end++;
  for (let i = end; i < s.length; i++) {
    if (!isBlank(s.charCodeAt(i))) return 'version string has embedded spaces';
  }
  const colon = s.indexOf(COLON, start);
  into.epoch = 0;
  into.upstreamFrom = start;
  if (colon >= 0) {
    const epoch = parseEpoch(s, start, colon);
    if (typeof epoch === 'string') return epoch;
    if (colon + 1 === s.length) return 'nothing after colon in version number';
    into.epoch = epoch;
    into.upstreamFrom = colon + 1;
  }
  const hyphen = end > into.upstreamFrom ? s.lastIndexOf(HYPHEN, end - 1) : -1;
  if (hyphen >= into.upstreamFrom) {
    if (hyphen + 1 === end) return 'revision number is empty';
    into.upstreamTo = hyphen;
    into.revisionFrom = hyphen + 1;
  } else {
    into.upstreamTo = end;
    into.revisionFrom = end;
  }
  into.revisionTo = end;
  return checkCharacters(s, into);
}

function checkCharacters(s: string, parts: Parts): string | undefined {
  if (parts.upstreamFrom === parts.upstreamTo) return 'version number is empty';
  if (!isDigit(s.charCodeAt(parts.upstreamFrom))) {
    return 'version number does not start with digit';
  }
  if (!allowedIn(s, parts.upstreamFrom, parts.upstreamTo, '.-+~:')) {
    return 'invalid character in version number';
  }
  if (!allowedIn(s, parts.revisionFrom, parts.revisionTo, '.+~')) {
    return 'invalid character in revision number';
  }
  return undefined;
}

/** verrevcmp's weight of a non-digit position; `NaN` (past the end) weighs like a digit. */
function weight(c: number): number {
  if (Number.isNaN(c) || isDigit(c)) return 0;
  if (isAsciiLetter(c)) return c;
  if (c === TILDE) return -1;
  return c + 256;
}

/** The character code at `k`, or `NaN` at or past `to` (reading on would enter the next part). */
function codeAt(s: string, k: number, to: number): number {
  return k < to ? s.charCodeAt(k) : NaN;
}

/** verrevcmp on two ranges. */
function verrevcmp(a: string, aFrom: number, aTo: number, b: string, bFrom: number, bTo: number) {
  let i = aFrom;
  let j = bFrom;
  while (i < aTo || j < bTo) {
    while ((i < aTo && !isDigit(codeAt(a, i, aTo))) || (j < bTo && !isDigit(codeAt(b, j, bTo)))) {
      const diff = weight(codeAt(a, i, aTo)) - weight(codeAt(b, j, bTo));
      if (diff !== 0) return Math.sign(diff);
      i++;
      j++;
    }
    while (codeAt(a, i, aTo) === DIGIT_0) i++;
    while (codeAt(b, j, bTo) === DIGIT_0) j++;
    let firstDiff = 0;
    while (isDigit(codeAt(a, i, aTo)) && isDigit(codeAt(b, j, bTo))) {
      if (firstDiff === 0) firstDiff = codeAt(a, i, aTo) - codeAt(b, j, bTo);
      i++;
      j++;
    }
    if (isDigit(codeAt(a, i, aTo))) return 1;
    if (isDigit(codeAt(b, j, bTo))) return -1;
    if (firstDiff !== 0) return Math.sign(firstDiff);
  }
  return 0;
}

function emptyParts(): Parts {
  return { epoch: 0, upstreamFrom: 0, upstreamTo: 0, revisionFrom: 0, revisionTo: 0 };
}

// Reused by every call (all synchronous) so the hot path allocates nothing.
const left = emptyParts();
const right = emptyParts();

function parseOrThrow(version: string, into: Parts): Parts {
  const why = parse(version, into);
  if (why !== undefined) throw invalidVersion('dpkg', version, why);
  return into;
}

export const dpkgScheme: VersionScheme = {
  name: 'dpkg',
  valid(version) {
    return parse(version, left) === undefined;
  },
  compare(a, b) {
    const x = parseOrThrow(a, left);
    const y = parseOrThrow(b, right);
    if (x.epoch !== y.epoch) return x.epoch < y.epoch ? -1 : 1;
    return (
      verrevcmp(a, x.upstreamFrom, x.upstreamTo, b, y.upstreamFrom, y.upstreamTo) ||
      verrevcmp(a, x.revisionFrom, x.revisionTo, b, y.revisionFrom, y.revisionTo)
    );
  },
};
