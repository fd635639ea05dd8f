/**
 * RPM's version order for whole `[epoch:]version[-release]` strings, exactly as rpm 4.18's Lua
 * `rpm.vercmp` (rpmverParse + rpmverCmp) orders them:
 *
 * - The epoch is the run of digits before the first `:` when the string starts with one (`:1.0`
 *   has epoch 0); a missing epoch is 0. The release is whatever follows the LAST `-`.
 * - Epochs compare as numbers, versions with rpmvercmp; then releases: when only one side has a
 *   release, that side is newer (`1.0-1` > `1.0`), and `1.0-` (an empty release) > `1.0`.
 *
 * rpmdev-vercmp splits at the FIRST `-` after the epoch and takes anything before a `:` as the
 * epoch; we follow rpm's own parser, which is what rpm uses for dependency EVRs. The two only
 * differ for strings rpmbuild cannot produce (a `-` inside a version or release).
 *
 * Everything works on index ranges of the input: no allocation, linear time, no limit needed.
 */
import { compareRanges, isAsciiLetter, isDigit } from './compare-util.js';
import { invalidVersion, type VersionScheme } from './scheme.js';

const DIGIT_0 = 0x30;
const COLON = 0x3a;
const TILDE = 0x7e;
const CARET = 0x5e;
const HYPHEN = '-';

/** Letters are ASCII only, like rpm's risalpha: other characters (UTF-8 bytes in rpm) separate. */
function isSeparator(c: number): boolean {
  return !isDigit(c) && !isAsciiLetter(c) && c !== TILDE && c !== CARET;
}

function digitsEnd(s: string, from: number, to: number): number {
  let i = from;
  while (i < to && isDigit(s.charCodeAt(i))) i++;
  return i;
}

function lettersEnd(s: string, from: number, to: number): number {
  let i = from;
  while (i < to && isAsciiLetter(s.charCodeAt(i))) i++;
  return i;
}

/** Two digit runs of any length as numbers: leading zeros dropped, longer wins, then strcmp. */
function compareNumbers(
  a: string,
  aFrom: number,
  aTo: number,
  b: string,
  bFrom: number,
  bTo: number,
) {
  let i = aFrom;
  let j = bFrom;
  while (i < aTo && a.charCodeAt(i) === DIGIT_0) i++;
  while (j < bTo && b.charCodeAt(j) === DIGIT_0) j++;
  const lengths = aTo - i - (bTo - j);
  return lengths !== 0 ? Math.sign(lengths) : compareRanges(a, i, aTo, b, j, bTo);
}

/**
 * rpmvercmp on two ranges: alternate digit and letter segments, anything else separates them;
 * `~` sorts before everything (even the end), `^` after the end but before anything else, a
 * digit segment beats a letter segment, and whichever side has segments left wins.
 */
function rpmvercmp(a: string, aFrom: number, aTo: number, b: string, bFrom: number, bTo: number) {
  let i = aFrom;
  let j = bFrom;
  while (i < aTo || j < bTo) {
    while (i < aTo && isSeparator(a.charCodeAt(i))) i++;
    while (j < bTo && isSeparator(b.charCodeAt(j))) j++;
    const ca = i < aTo ? a.charCodeAt(i) : -1;
    const cb = j < bTo ? b.charCodeAt(j) : -1;
    if (ca === TILDE || cb === TILDE) {
      if (ca !== TILDE) return 1;
      if (cb !== TILDE) return -1;
      i++;
      j++;
      continue;
    }
    if (ca === CARET || cb === CARET) {
      if (ca === -1) return -1;
      if (cb === -1) return 1;
      if (ca !== CARET) return 1;
      if (cb !== CARET) return -1;
      i++;
      j++;
      continue;
    }
    if (ca === -1 || cb === -1) break;
    // The segment's kind is set by `a`; if `b` has the other kind there, `b` has an empty one.
    const numeric = isDigit(ca);
    const aEnd = numeric ? digitsEnd(a, i, aTo) : lettersEnd(a, i, aTo);
    const bEnd = numeric ? digitsEnd(b, j, bTo) : lettersEnd(b, j, bTo);
    if (bEnd === j) return numeric ? 1 : -1;
    const order = numeric
      ? compareNumbers(a, i, aEnd, b, j, bEnd)
      : compareRanges(a, i, aEnd, b, j, bEnd);
    if (order !== 0) return order;
    i = aEnd;
    j = bEnd;
  }
  if (i >= aTo && j >= bTo) return 0;
  return i >= aTo ? -1 : 1;
}

/** Where the version starts: after `digits:` when the string starts with that, else 0. */
function versionStart(evr: string): number {
  const epochEnd = digitsEnd(evr, 0, evr.length);
  return evr.charCodeAt(epochEnd) === COLON ? epochEnd + 1 : 0;
}

/** Epochs as numbers; a missing or empty epoch is 0 (an empty range compares as 0). */
function compareEpochs(a: string, aVersionStart: number, b: string, bVersionStart: number) {
  return compareNumbers(a, 0, Math.max(aVersionStart - 1, 0), b, 0, Math.max(bVersionStart - 1, 0));
}

function compareEvr(a: string, b: string): number {
  const aStart = versionStart(a);
  const bStart = versionStart(b);
  const epochs = compareEpochs(a, aStart, b, bStart);
  if (epochs !== 0) return epochs;
  // The epoch is digits only, so the last `-` is never inside it.
  const aDash = a.lastIndexOf(HYPHEN);
  const bDash = b.lastIndexOf(HYPHEN);
  const aVersionEnd = aDash < 0 ? a.length : aDash;
  const bVersionEnd = bDash < 0 ? b.length : bDash;
  const versions = rpmvercmp(a, aStart, aVersionEnd, b, bStart, bVersionEnd);
  if (versions !== 0) return versions;
  // A release beats none (`1.0-1` > `1.0`), even an empty one (`1.0-` > `1.0`).
  if (aDash < 0 || bDash < 0) return Number(aDash >= 0) - Number(bDash >= 0);
  return rpmvercmp(a, aDash + 1, a.length, b, bDash + 1, b.length);
}

/**
 * rpm refuses an empty EVR; a NUL would end rpm's C string early, so no rpm header or
 * advisory can carry one and we refuse it rather than silently read a different version.
 */
function isValid(version: string): boolean {
  return version !== '' && !version.includes('\0');
}

export const rpmScheme: VersionScheme = {
  name: 'rpm',
  valid: isValid,
  compare(a, b) {
    if (!isValid(a)) throw invalidVersion('rpm', a, 'empty or holds a NUL');
    if (!isValid(b)) throw invalidVersion('rpm', b, 'empty or holds a NUL');
    return compareEvr(a, b);
  },
};
