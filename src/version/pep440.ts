/**
 * Python versions (PEP 440), read and ordered as `packaging.version.Version` (packaging 23) does:
 * case-insensitive, surrounding whitespace and a `v` ignored, `alpha`/`beta`/`c`/`pre`/`preview`
 * spelled `a`/`b`/`rc`, `rev`/`r`/`-N` spelled `post`, `-`/`_`/`.` separators optional, trailing
 * zero release numbers ignored, `1.0.dev0 < 1.0a0 < 1.0 < 1.0+local < 1.0.post0`.
 *
 * A scanner, not packaging's regex: it follows that regex's first match (each optional part is
 * taken when it fits, keywords longest first, which is the only choice that can succeed), keeps
 * numbers as decimal strings (Python's ints have no limit) and treats as letters what Python's
 * IGNORECASE does (ASCII either case, plus `İ`/`ı` for i, `ſ` for s, `K` for k).
 */
import { compareNumerals, compareText, isDigit, memoize, parsedScheme } from './compare-util.js';
import type { VersionScheme } from './scheme.js';

const SCHEME = 'pep440';
/** Far beyond any real version; Python itself refuses numbers past 4300 digits. */
const MAX_LENGTH = 1024;

/** A pre-, post- or dev-release part: its normalised letter and its number. */
interface Marker {
  readonly letter: string;
  readonly number: string;
}

/** One part of a local version: a number, or lower-cased letters and digits. */
interface LocalPart {
  readonly numeral: boolean;
  readonly text: string;
}

interface Pep440Version {
  readonly epoch: string;
  /** Decimal numerals without leading zeros, trailing zeros dropped (they do not count). */
  readonly release: readonly string[];
  readonly pre: Marker | undefined;
  readonly post: Marker | undefined;
  readonly dev: Marker | undefined;
  readonly local: readonly LocalPart[] | undefined;
}

const PRE_KEYWORDS = ['preview', 'alpha', 'beta', 'pre', 'rc', 'a', 'b', 'c'];
const POST_KEYWORDS = ['post', 'rev', 'r'];
const DEV_KEYWORDS = ['dev'];
const SPELLINGS = new Map([
  ['alpha', 'a'],
  ['beta', 'b'],
  ['c', 'rc'],
  ['pre', 'rc'],
  ['preview', 'rc'],
  ['rev', 'post'],
  ['r', 'post'],
]);

/** Python's `\s` (str patterns): not quite JavaScript's (\x1c-\x1f and \x85 yes, \ufeff no). */
const isPythonSpace = (code: number): boolean =>
  (code >= 0x09 && code <= 0x0d) ||
  (code >= 0x1c && code <= 0x20) ||
  code === 0x85 ||
  code === 0xa0 ||
  code === 0x1680 ||
  (code >= 0x2000 && code <= 0x200a) ||
  code === 0x2028 ||
  code === 0x2029 ||
  code === 0x202f ||
  code === 0x205f ||
  code === 0x3000;

const NUMERAL = /^[0-9]+$/;
const isSeparator = (code: number): boolean => code === 0x2d || code === 0x5f || code === 0x2e;

/** The non-ASCII characters Python's IGNORECASE matches to an ASCII letter. */
const FOLDED_LETTERS = new Map([
  [0x130, 0x69],
  [0x131, 0x69],
  [0x17f, 0x73],
  [0x212a, 0x6b],
]);

/** The lower-case ASCII letter `code` matches case-insensitively, or undefined. */
function foldedLetter(code: number): number | undefined {
  if (code >= 0x61 && code <= 0x7a) return code;
  if (code >= 0x41 && code <= 0x5a) return code + 0x20;
  return FOLDED_LETTERS.get(code);
}

/** Leading zeros dropped, as Python's int() does. */
function canonicalNumeral(digits: string): string {
  let start = 0;
  while (start < digits.length - 1 && digits.charCodeAt(start) === 0x30) start += 1;
  return digits.slice(start);
}

/** Reads one version left to right; each method consumes its part only when it fits. */
class Scanner {
  private at: number;

  constructor(
    private readonly text: string,
    start: number,
    private readonly end: number,
  ) {
    this.at = start;
  }

  get done(): boolean {
    return this.at === this.end;
  }

  private code(offset = 0): number {
    const at = this.at + offset;
    return at < this.end ? this.text.charCodeAt(at) : -1;
  }

  /** Consumes `char` (an ASCII code) if it is next. */
  skip(char: number): boolean {
    if (this.code() !== char) return false;
    this.at += 1;
    return true;
  }

  skipSeparator(): boolean {
    if (!isSeparator(this.code())) return false;
    this.at += 1;
    return true;
  }

  /** Consumes a run of digits and returns it, or undefined when none is next. */
  digits(): string | undefined {
    const start = this.at;
    while (isDigit(this.code())) this.at += 1;
    return this.at === start ? undefined : this.text.slice(start, this.at);
  }

  /** Consumes the first of `keywords` next (case-insensitively) and returns Python's lower(). */
  keyword(keywords: readonly string[]): string | undefined {
    const found = keywords.find((keyword) => this.matches(keyword));
    if (found === undefined) return undefined;
    const matched = this.text.slice(this.at, this.at + found.length);
    this.at += found.length;
    return matched.toLowerCase();
  }

  private matches(keyword: string): boolean {
    for (let index = 0; index < keyword.length; index += 1) {
      if (foldedLetter(this.code(index)) !== keyword.charCodeAt(index)) return false;
    }
    return true;
  }

  /** Consumes a run of letters and digits (as Python's `[a-z0-9]` with IGNORECASE reads them). */
  alphanumerics(): string | undefined {
    const start = this.at;
    while (isDigit(this.code()) || foldedLetter(this.code()) !== undefined) this.at += 1;
    return this.at === start ? undefined : this.text.slice(start, this.at);
  }

  /**
   * `[-_.]?` keyword `[-_.]?` digits?: a pre-, post- or dev-release part, or undefined (and
   * nothing consumed) when the keyword is not there.
   */
  marker(keywords: readonly string[]): Marker | undefined {
    const start = this.at;
    this.skipSeparator();
    const letter = this.keyword(keywords);
    if (letter === undefined) {
      this.at = start;
      return undefined;
    }
    this.skipSeparator();
    return {
      letter: SPELLINGS.get(letter) ?? letter,
      number: canonicalNumeral(this.digits() ?? '0'),
    };
  }

  /** `-N`, the implicit post-release, or undefined (and nothing consumed). */
  implicitPost(): Marker | undefined {
    if (this.code() !== 0x2d || !isDigit(this.code(1))) return undefined;
    this.at += 1;
    return { letter: 'post', number: canonicalNumeral(this.digits() ?? '0') };
  }

  /** `.N` continuing the release, or undefined (and nothing consumed). */
  dottedNumber(): string | undefined {
    if (this.code() !== 0x2e || !isDigit(this.code(1))) return undefined;
    this.at += 1;
    return this.digits();
  }

  /**
   * `+` then letter-and-digit parts joined by separators, or undefined (and nothing consumed)
   * when that is not next.
   */
  local(): LocalPart[] | undefined {
    const start = this.at;
    if (!this.skip(0x2b)) return undefined;
    const parts: LocalPart[] = [];
    do {
      const part = this.alphanumerics();
      if (part === undefined) {
        this.at = start;
        return undefined;
      }
      const numeral = NUMERAL.test(part);
      parts.push({ numeral, text: numeral ? canonicalNumeral(part) : part.toLowerCase() });
    } while (this.skipSeparator());
    return parts;
  }
}

/** The release numbers as they compare: without leading zeros or trailing zero numbers. */
function releaseKey(numbers: string[]): string[] {
  const canonical = numbers.map(canonicalNumeral);
  while (canonical.at(-1) === '0') canonical.pop();
  return canonical;
}

/** `version` read as packaging's Version reads it, or undefined when that raises InvalidVersion. */
function parsePep440(version: string): Pep440Version | undefined {
  if (version.length > MAX_LENGTH) return undefined;
  let start = 0;
  let end = version.length;
  while (start < end && isPythonSpace(version.charCodeAt(start))) start += 1;
  while (end > start && isPythonSpace(version.charCodeAt(end - 1))) end -= 1;
  const scanner = new Scanner(version, start, end);
  scanner.keyword(['v']);
  let first = scanner.digits();
  let epoch = '0';
  if (first !== undefined && scanner.skip(0x21)) {
    epoch = canonicalNumeral(first);
    first = scanner.digits();
  }
  if (first === undefined) return undefined;
  const release = [first];
  for (let next = scanner.dottedNumber(); next !== undefined; next = scanner.dottedNumber()) {
    release.push(next);
  }
  const pre = scanner.marker(PRE_KEYWORDS);
  const post = scanner.implicitPost() ?? scanner.marker(POST_KEYWORDS);
  const dev = scanner.marker(DEV_KEYWORDS);
  const local = scanner.local();
  if (!scanner.done) return undefined;
  return { epoch, release: releaseKey(release), pre, post, dev, local };
}

const compareMarkers = (a: Marker, b: Marker): number =>
  compareText(a.letter, b.letter) || compareNumerals(a.number, b.number);

const compareLocalParts = (a: LocalPart, b: LocalPart): number => {
  if (a.numeral !== b.numeral) return a.numeral ? 1 : -1;
  return a.numeral ? compareNumerals(a.text, b.text) : compareText(a.text, b.text);
};

/** Element by element; a list that is a prefix of the other sorts first. */
function compareLists<T>(
  a: readonly T[],
  b: readonly T[],
  compare: (a: T, b: T) => number,
): number {
  const shared = Math.min(a.length, b.length);
  for (let index = 0; index < shared; index += 1) {
    const order = compare(a[index] as T, b[index] as T);
    if (order !== 0) return order;
  }
  return a.length - b.length;
}

/**
 * Two optional parts; an absent one sorts where its `absent` rank says: -1 before any present
 * one, 1 after any.
 */
function compareOptional<T>(
  a: T | undefined,
  b: T | undefined,
  absent: readonly [number, number],
  compare: (a: T, b: T) => number,
): number {
  const rankA = a === undefined ? absent[0] : 0;
  const rankB = b === undefined ? absent[1] : 0;
  if (rankA !== rankB) return rankA - rankB;
  return a === undefined || b === undefined ? 0 : compare(a, b);
}

/** A missing pre-release sorts after any, except for a dev-only version (1.0.dev0 < 1.0a0). */
const absentPreRank = (version: Pep440Version): number =>
  version.post === undefined && version.dev !== undefined ? -1 : 1;

const BEFORE: readonly [number, number] = [-1, -1];
const AFTER: readonly [number, number] = [1, 1];

function comparePep440(a: Pep440Version, b: Pep440Version): number {
  return (
    compareNumerals(a.epoch, b.epoch) ||
    compareLists(a.release, b.release, compareNumerals) ||
    compareOptional(a.pre, b.pre, [absentPreRank(a), absentPreRank(b)], compareMarkers) ||
    compareOptional(a.post, b.post, BEFORE, compareMarkers) ||
    compareOptional(a.dev, b.dev, AFTER, compareMarkers) ||
    compareOptional(a.local, b.local, BEFORE, (x, y) => compareLists(x, y, compareLocalParts))
  );
}

export const pep440Scheme: VersionScheme = parsedScheme(
  SCHEME,
  memoize(parsePep440),
  comparePep440,
);
