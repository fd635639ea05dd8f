/**
 * Maven versions, ordered as maven-artifact 3.8.7's ComparableVersion orders them (Debian's
 * libmaven3-core-java, the oracle of test/version-maven.test.ts).
 *
 * A version is lower-cased and split into items at `.` and `-` and wherever digits meet
 * non-digits. Every `-`, and every digit/non-digit transition, opens a sublist nested in the
 * current list, so `1.0-rc-1` is `[1, 0, [rc, [1]]]`. Items compare number > sublist >
 * qualifier; numbers by value; qualifiers alpha < beta < milestone < rc = cr < snapshot <
 * "" = ga = final = release < sp < any unknown qualifier (unknown ones lexically); a single
 * `a`, `b` or `m` followed by a digit means alpha, beta, milestone. Each list then drops its
 * trailing null items (0, the release qualifier, an empty sublist) from the end, skipping over
 * its sublist, so `1.0.0` = `1` and `1.0-1` = `1-1`.
 *
 * Quirks kept on purpose because Maven has them: a number's kind (int, long, big) is chosen by
 * its length after leading zeros are stripped, but an all-zero run is not stripped, and numbers
 * of different kinds compare by kind alone, so `00000000000.1` > `5.1`.
 * And the order is not transitive where a qualifier meets a sublist at the same place:
 * `1` < `1-sp` < `1-0.alpha` < `1`.
 *
 * What `valid` accepts is narrower than Maven (which takes any string): 1 to 256 printable ASCII
 * characters, no whitespace. Empty or whitespace-bearing versions come from broken metadata;
 * non-ASCII ones would need Java's own Unicode digit and case tables, which differ from Node's,
 * and do not occur in published Maven versions. The length bound also bounds the nesting depth
 * that comparison recurses through.
 */
import { compareNumerals, compareText, isDigit, memoize, parsedScheme } from './compare-util.js';
import type { VersionScheme } from './scheme.js';

const MAX_VERSION_LENGTH = 256;

/** Known qualifiers in ascending order; a qualifier's rank is its index here. */
const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const ALIASES: ReadonlyMap<string, string> = new Map([
  ['ga', ''],
  ['final', ''],
  ['release', ''],
  ['cr', 'rc'],
]);
/** One-letter qualifiers that stand for a known one when a digit follows: `1a1` = `1-alpha-1`. */
const SHORTHANDS: ReadonlyMap<string, string> = new Map([
  ['a', 'alpha'],
  ['b', 'beta'],
  ['m', 'milestone'],
]);
const RELEASE_RANK = QUALIFIERS.indexOf('');
const UNKNOWN_RANK = QUALIFIERS.length;

/** Digits a number may have to be an int, then a long, in ComparableVersion; longer is big. */
const INT_DIGITS = 9;
const LONG_DIGITS = 18;

interface NumberItem {
  readonly kind: 'number';
  /** 0 int, 1 long, 2 big: Maven compares numbers of different kinds by kind alone. */
  readonly width: number;
  /** The value's digits without leading zeros; empty for zero. */
  readonly digits: string;
}

interface QualifierItem {
  readonly kind: 'qualifier';
  readonly rank: number;
  /** After aliases; only tells unknown qualifiers apart. */
  readonly text: string;
}

type ListItem = readonly Item[];
type Item = NumberItem | QualifierItem | ListItem;

const ZERO: NumberItem = { kind: 'number', width: 0, digits: '' };

const DOT = 0x2e;
const HYPHEN = 0x2d;
const DIGIT_0 = 0x30;

function numberItem(text: string): NumberItem {
  let first = 0;
  while (first < text.length && text.charCodeAt(first) === DIGIT_0) first++;
  const digits = text.slice(first);
  // Maven strips leading zeros before choosing the kind, except from an all-zero run.
  const length = digits === '' ? text.length : digits.length;
  const width = length <= INT_DIGITS ? 0 : length <= LONG_DIGITS ? 1 : 2;
  return { kind: 'number', width, digits };
}

function qualifierItem(text: string, followedByDigit: boolean): QualifierItem {
  const expanded = followedByDigit ? (SHORTHANDS.get(text) ?? text) : text;
  const canonical = ALIASES.get(expanded) ?? expanded;
  const known = QUALIFIERS.indexOf(canonical);
  return { kind: 'qualifier', rank: known === -1 ? UNKNOWN_RANK : known, text: canonical };
}

function isNull(item: Item): boolean {
  if (isList(item)) return item.length === 0;
  return item.kind === 'number' ? item.digits === '' : item.rank === RELEASE_RANK;
}

function isList(item: Item): item is ListItem {
  return Array.isArray(item);
}

/** Drops trailing null items, looking past the sublist (always last) to the items before it. */
function normalize(list: Item[]): void {
  for (let i = list.length - 1; i >= 0; i--) {
    const item = list[i] as Item;
    if (isNull(item)) list.splice(i, 1);
    else if (!isList(item)) return;
  }
}

/** Splits a lower-cased, validated version into ComparableVersion's nested item lists. */
function parseItems(version: string): ListItem {
  const root: Item[] = [];
  const lists = [root];
  let current = root;
  const openSublist = (): void => {
    const sublist: Item[] = [];
    current.push(sublist);
    lists.push(sublist);
    current = sublist;
  };
  const token = (start: number, end: number, digits: boolean): Item =>
    digits
      ? numberItem(version.slice(start, end))
      : qualifierItem(version.slice(start, end), false);

  let start = 0;
  let inDigits = false;
  for (let i = 0; i < version.length; i++) {
    const code = version.charCodeAt(i);
    if (code === DOT || code === HYPHEN) {
      current.push(i === start ? ZERO : token(start, i, inDigits));
      start = i + 1;
      if (code === HYPHEN) openSublist();
    } else if (isDigit(code)) {
      if (!inDigits && i > start) {
        // A qualifier followed by digits gets a sublist of its own, so `.X1` sorts as `-X1`.
        if (current.length > 0) openSublist();
        current.push(qualifierItem(version.slice(start, i), true));
        start = i;
        openSublist();
      }
      inDigits = true;
    } else {
      if (inDigits && i > start) {
        current.push(numberItem(version.slice(start, i)));
        start = i;
        openSublist();
      }
      inDigits = false;
    }
  }
  if (start < version.length) {
    if (!inDigits && current.length > 0) openSublist();
    current.push(token(start, version.length, inDigits));
  }
  // Innermost first: a sublist emptied by normalising is itself a null item of its parent.
  for (let i = lists.length - 1; i >= 0; i--) normalize(lists[i] as Item[]);
  return root;
}

/** Cross-kind order: any number > any sublist > any qualifier. */
function kindOrder(item: Item): number {
  if (isList(item)) return 1;
  return item.kind === 'number' ? 2 : 0;
}

function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

function compareNumbers(a: NumberItem, b: NumberItem): number {
  if (a.width !== b.width) return sign(a.width - b.width);
  return compareNumerals(a.digits, b.digits);
}

function compareQualifiers(a: QualifierItem, b: QualifierItem): number {
  return a.rank !== b.rank ? sign(a.rank - b.rank) : compareText(a.text, b.text);
}

/** How an item compares with nothing in its place: `1.1 > 1`, `1-rc < 1`, `1-sp > 1`. */
function compareWithAbsent(item: Item): number {
  if (isList(item)) {
    for (const inner of item) {
      const result = compareWithAbsent(inner);
      if (result !== 0) return result;
    }
    return 0;
  }
  if (item.kind === 'number') return item.digits === '' ? 0 : 1;
  return sign(item.rank - RELEASE_RANK);
}

function compareItems(a: Item, b: Item): number {
  const kinds = kindOrder(a) - kindOrder(b);
  if (kinds !== 0) return sign(kinds);
  if (isList(a)) return compareLists(a, b as ListItem);
  if (a.kind === 'number') return compareNumbers(a, b as NumberItem);
  return compareQualifiers(a, b as QualifierItem);
}

function compareLists(a: ListItem, b: ListItem): number {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const left = a[i];
    const right = b[i];
    let result: number;
    if (left === undefined) result = right === undefined ? 0 : 0 - compareWithAbsent(right);
    else result = right === undefined ? compareWithAbsent(left) : compareItems(left, right);
    if (result !== 0) return result;
  }
  return 0;
}

function isValid(version: string): boolean {
  if (version.length === 0 || version.length > MAX_VERSION_LENGTH) return false;
  for (let i = 0; i < version.length; i++) {
    const code = version.charCodeAt(i);
    // Printable ASCII: no space, no control characters, nothing outside ASCII.
    if (code <= 0x20 || code >= 0x7f) return false;
  }
  return true;
}

/** Versions repeat a lot when matching; only valid ones are kept, so the cache stays small. */
const cachedItems = memoize((version: string) => parseItems(version.toLowerCase()));

export const mavenScheme: VersionScheme = parsedScheme(
  'maven',
  (version) => (isValid(version) ? cachedItems(version) : undefined),
  compareLists,
  `expected 1 to ${MAX_VERSION_LENGTH} printable ASCII characters`,
);
