/**
 * Alpine's version order, exactly as apk-tools 3 (src/version.c) reads and orders versions of the
 * form `digits{.digits}[letter]{_suffix[digits]}[~hash][-rN]`:
 *
 * - Versions are read as a sequence of tokens, each allowed only after certain others; a string
 *   that is not such a sequence is invalid (apk_version_validate).
 * - Equal token kinds compare pairwise: numbers as unsigned 64-bit integers (apk wraps longer
 *   ones), except that a dotted number with a leading zero on either side compares as text
 *   (`1.01` < `1.1`); a letter by ASCII; suffixes in the order `_alpha _beta _pre _rc` (before
 *   the release) < `_cvs _svn _git _hg _p` (after it); a `~hash` as text.
 * - When one version runs out or the kinds differ, a pre-release suffix is older; otherwise the
 *   token kind that comes later in the grammar is older (`1.0` < `1.0.1` < ... ; `1.0` <
 *   `1.0-r1`).
 *
 * apk itself also orders invalid strings (by text at the first bad token); we refuse them, like
 * every scheme. Tokens are read in place: the hot path allocates only for numbers of more than
 * 15 digits.
 */
import { compareRanges, isDigit } from './compare-util.js';
import { invalidVersion, type VersionScheme } from './scheme.js';

// Token kinds in apk's order: the order matters for what may follow what and for ties.
const INITIAL_DIGIT = 0;
const DIGIT = 1;
const LETTER = 2;
const SUFFIX = 3;
const SUFFIX_NO = 4;
const COMMIT_HASH = 5;
const REVISION_NO = 6;
const END = 7;
const INVALID = 8;

/** Suffixes by rank; those before `RELEASE` mark pre-releases. */
const SUFFIXES = ['alpha', 'beta', 'pre', 'rc', '', 'cvs', 'svn', 'git', 'hg', 'p'];
const RELEASE = SUFFIXES.indexOf('');
/** Up to this many digits a double holds the number exactly. */
const EXACT_DIGITS = 15;
const DIGIT_0 = 0x30;

/** One version being read: the kind and place of its current token. */
interface Cursor {
  s: string;
  at: number;
  token: number;
  from: number;
  to: number;
  number: number | bigint;
  suffix: number;
}

function isLowercase(c: number): boolean {
  return c >= 0x61 && c <= 0x7a;
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66);
}

/** The digits from..to as apk_blob_pull_uint reads them: an unsigned 64-bit integer. */
function numberOf(s: string, from: number, to: number): number | bigint {
  if (to - from > EXACT_DIGITS) return BigInt.asUintN(64, BigInt(s.slice(from, to)));
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + s.charCodeAt(i) - DIGIT_0;
  return n;
}

/** The suffix's rank in SUFFIXES, or -1 for one apk does not know. */
function suffixRank(s: string, from: number, to: number): number {
  if (from === to) return -1;
  for (let rank = 0; rank < SUFFIXES.length; rank++) {
    const name = SUFFIXES[rank] ?? '';
    if (name.length === to - from && s.startsWith(name, from)) return rank;
  }
  return -1;
}

/** Moves past the characters `accept` takes; the token is the run from where it started. */
function span(c: Cursor, accept: (code: number) => boolean): void {
  c.from = c.at;
  while (c.at < c.s.length && accept(c.s.charCodeAt(c.at))) c.at++;
  c.to = c.at;
}

function readNumber(c: Cursor, token: number): void {
  span(c, isDigit);
  c.token = c.from === c.to ? INVALID : token;
  if (c.token !== INVALID) c.number = numberOf(c.s, c.from, c.to);
}

function first(c: Cursor, s: string): void {
  c.s = s;
  c.at = 0;
  readNumber(c, INITIAL_DIGIT);
}

/** apk's token_next: reads the next token, or marks the version END or INVALID. */
function next(c: Cursor): void {
  if (c.at === c.s.length) {
    c.token = END;
    return;
  }
  const code = c.s.charCodeAt(c.at);
  if (isLowercase(code) && c.token <= DIGIT) {
    c.from = c.at;
    c.to = ++c.at;
    c.token = LETTER;
  } else if (code === 0x2e /* . */ && c.token <= DIGIT) {
    c.at++;
    readNumber(c, DIGIT);
  } else if (isDigit(code) && c.token <= DIGIT) {
    readNumber(c, DIGIT);
  } else if (isDigit(code) && c.token === SUFFIX) {
    readNumber(c, SUFFIX_NO);
  } else if (code === 0x5f /* _ */ && c.token <= SUFFIX_NO) {
    c.at++;
    span(c, isLowercase);
    c.suffix = suffixRank(c.s, c.from, c.to);
    c.token = c.suffix < 0 ? INVALID : SUFFIX;
  } else if (code === 0x7e /* ~ */ && c.token < COMMIT_HASH) {
    c.at++;
    span(c, isHexDigit);
    c.token = c.from === c.to ? INVALID : COMMIT_HASH;
  } else if (code === 0x2d /* - */ && c.token < REVISION_NO && c.s.charAt(c.at + 1) === 'r') {
    c.at += 2;
    readNumber(c, REVISION_NO);
  } else {
    c.token = INVALID;
  }
}

/** memcmp of the two tokens' text, then the shorter first: apk_blob_sort. */
function compareText(a: Cursor, b: Cursor): number {
  return compareRanges(a.s, a.from, a.to, b.s, b.from, b.to);
}

function sign(x: number | bigint, y: number | bigint): number {
  if (x < y) return -1;
  return x > y ? 1 : 0;
}

/** apk's token_cmp for two tokens of the same kind. */
function compareTokens(a: Cursor, b: Cursor): number {
  switch (a.token) {
    case DIGIT:
      if (a.s.charCodeAt(a.from) === DIGIT_0 || b.s.charCodeAt(b.from) === DIGIT_0) {
        return compareText(a, b);
      }
      return sign(a.number, b.number);
    case INITIAL_DIGIT:
    case SUFFIX_NO:
    case REVISION_NO:
      return sign(a.number, b.number);
    case LETTER:
      return a.s.charCodeAt(a.from) - b.s.charCodeAt(b.from);
    case SUFFIX:
      return a.suffix - b.suffix;
    default:
      return compareText(a, b);
  }
}

function cursor(): Cursor {
  return { s: '', at: 0, token: END, from: 0, to: 0, number: 0, suffix: 0 };
}

// Reused by every call (all synchronous) so the hot path allocates nothing.
const left = cursor();
const right = cursor();

function isValid(version: string, c: Cursor): boolean {
  first(c, version);
  while (c.token < END) next(c);
  return c.token === END;
}

function checked(version: string): void {
  if (!isValid(version, left)) throw invalidVersion('apk', version);
}

/** apk_version_compare_fuzzy on two valid versions. */
function order(a: string, b: string, prefixMatches: boolean): number {
  const x = left;
  const y = right;
  first(x, a);
  first(y, b);
  while (x.token === y.token && x.token < END) {
    const r = compareTokens(x, y);
    if (r !== 0) return Math.sign(r);
    next(x);
    next(y);
  }
  if (x.token === y.token) return 0;
  if (y.token === END && prefixMatches) return 0;
  if (x.token === SUFFIX && x.suffix < RELEASE) return -1;
  if (y.token === SUFFIX && y.suffix < RELEASE) return 1;
  return x.token > y.token ? -1 : 1;
}

export const apkScheme: VersionScheme = {
  name: 'apk',
  valid(version) {
    return isValid(version, left);
  },
  compare(a, b) {
    checked(a);
    checked(b);
    return order(a, b, false);
  },
};

/**
 * apk's fuzzy order (the `~`, `<~`, `>~` of a dependency such as `musl~1.2`): like compare, but
 * `version` equals `prefix` when prefix's tokens are a leading part of it (`1.2.5` ~ `1.2`).
 */
export function compareApkPrefix(version: string, prefix: string): number {
  checked(version);
  checked(prefix);
  return order(version, prefix, true);
}
