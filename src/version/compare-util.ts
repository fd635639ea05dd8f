/**
 * What more than one version scheme needs: ASCII character classes, orders of text, digit runs
 * and index ranges, a bounded parse cache, and a scheme built from a parser and an order.
 */
import { invalidVersion, type VersionScheme } from './scheme.js';

export function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** ASCII only: what every ecosystem's own tool calls a letter. */
export function isAsciiLetter(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

/** By UTF-16 code unit (bytewise for ASCII): -1, 0 or 1. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Compares two decimal numerals without leading zeros, of any length. */
export function compareNumerals(a: string, b: string): number {
  if (a.length !== b.length) return Math.sign(a.length - b.length);
  return compareText(a, b);
}

/** memcmp of a[aFrom, aTo) and b[bFrom, bTo), then the shorter first: -1, 0 or 1. */
export function compareRanges(
  a: string,
  aFrom: number,
  aTo: number,
  b: string,
  bFrom: number,
  bTo: number,
): number {
  const common = Math.min(aTo - aFrom, bTo - bFrom);
  for (let k = 0; k < common; k++) {
    const diff = a.charCodeAt(aFrom + k) - b.charCodeAt(bFrom + k);
    if (diff !== 0) return Math.sign(diff);
  }
  return Math.sign(aTo - aFrom - (bTo - bFrom));
}

/**
 * `parse` remembering up to `size` recent answers (undefined ones too): matching compares the
 * same few versions against many ranges. Clearing when full keeps it bounded and allocation-free.
 */
export function memoize<T>(parse: (version: string) => T, size = 4096): (version: string) => T {
  const known = new Map<string, T>();
  return (version) => {
    if (known.has(version)) return known.get(version) as T;
    const parsed = parse(version);
    if (known.size >= size) known.clear();
    known.set(version, parsed);
    return parsed;
  };
}

/**
 * The scheme `name` whose versions are what `parse` reads (undefined: not a version, refused
 * with invalidVersion and `why`) and whose order is `compare` of the parsed forms. `parse`
 * should be memoized: valid and compare both call it.
 */
export function parsedScheme<T>(
  name: string,
  parse: (version: string) => T | undefined,
  compare: (a: T, b: T) => number,
  why?: string,
): VersionScheme {
  const parseOrThrow = (version: string): T => {
    const parsed = parse(version);
    if (parsed === undefined) throw invalidVersion(name, version, why);
    return parsed;
  };
  return {
    name,
    valid: (version) => parse(version) !== undefined,
    compare: (a, b) => compare(parseOrThrow(a), parseOrThrow(b)),
  };
}
