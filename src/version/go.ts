/**
 * Go module versions, ordered as golang.org/x/mod/semver orders them: semantic versions with a
 * mandatory `v`, `vMAJOR` and `vMAJOR.MINOR` as shorthands for `.0`, build metadata (such as
 * `+incompatible`) ignored, and pseudo-versions (`v0.0.0-20191109021931-daa7c04131f5`) ordered
 * by their prerelease part, whose timestamp comes first.
 */
import {
  compareNumerals,
  compareText,
  isAsciiLetter,
  isDigit,
  memoize,
  parsedScheme,
} from './compare-util.js';
import type { VersionScheme } from './scheme.js';

const SCHEME = 'go';
/** Longer than any real module version; bounds the work one untrusted string can cause. */
const MAX_LENGTH = 1024;

interface GoVersion {
  readonly major: string;
  readonly minor: string;
  readonly patch: string;
  /** The identifiers after `-`, dot-separated, without the `-`; empty for a release. */
  readonly prerelease: string;
}

const isIdentifierChar = (code: number): boolean =>
  isDigit(code) || isAsciiLetter(code) || code === 0x2d;

/** The end of the number starting at `start`, or -1 when there is none or it has a leading zero. */
function numberEnd(text: string, start: number): number {
  let end = start;
  while (end < text.length && isDigit(text.charCodeAt(end))) end += 1;
  if (end === start || (end - start > 1 && text.charCodeAt(start) === 0x30)) return -1;
  return end;
}

/**
 * Whether text[start, end) is dot-separated identifiers, none empty, all of [0-9A-Za-z-], and
 * (with `strictNumbers`) no number with a leading zero.
 */
function validIdentifiers(
  text: string,
  start: number,
  end: number,
  strictNumbers: boolean,
): boolean {
  let identifierStart = start;
  for (let at = start; at <= end; at += 1) {
    const code = at < end ? text.charCodeAt(at) : 0x2e;
    if (code === 0x2e) {
      if (at === identifierStart) return false;
      if (strictNumbers && hasLeadingZero(text, identifierStart, at)) return false;
      identifierStart = at + 1;
    } else if (!isIdentifierChar(code)) {
      return false;
    }
  }
  return true;
}

function hasLeadingZero(text: string, start: number, end: number): boolean {
  if (end - start < 2 || text.charCodeAt(start) !== 0x30) return false;
  for (let at = start + 1; at < end; at += 1) if (!isDigit(text.charCodeAt(at))) return false;
  return true;
}

/** `version` read as x/mod/semver's parse reads it, or undefined when it is not valid. */
function parseGoVersion(version: string): GoVersion | undefined {
  if (version.length > MAX_LENGTH || version.charCodeAt(0) !== 0x76) return undefined;
  const numbers: string[] = [];
  let at = 1;
  for (;;) {
    const end = numberEnd(version, at);
    if (end < 0) return undefined;
    numbers.push(version.slice(at, end));
    at = end;
    if (numbers.length === 3 || version.charCodeAt(at) !== 0x2e) break;
    at += 1;
  }
  const [major = '0', minor = '0', patch = '0'] = numbers;
  if (at === version.length) return { major, minor, patch, prerelease: '' };
  // Shorthands (v1, v1.2) take neither a prerelease nor build metadata.
  if (numbers.length < 3) return undefined;
  if (version.charCodeAt(at) !== 0x2d && version.charCodeAt(at) !== 0x2b) return undefined;
  const plus = version.indexOf('+', at);
  const prereleaseEnd = plus < 0 ? version.length : plus;
  const hasPrerelease = version.charCodeAt(at) === 0x2d;
  if (hasPrerelease && !validIdentifiers(version, at + 1, prereleaseEnd, true)) return undefined;
  if (plus >= 0 && !validIdentifiers(version, plus + 1, version.length, false)) return undefined;
  const prerelease = hasPrerelease ? version.slice(at + 1, prereleaseEnd) : '';
  return { major, minor, patch, prerelease };
}

const isNumeral = (identifier: string): boolean => {
  for (let at = 0; at < identifier.length; at += 1) {
    if (!isDigit(identifier.charCodeAt(at))) return false;
  }
  return true;
};

/** Semantic-versioning precedence of two prerelease identifiers. */
function compareIdentifiers(a: string, b: string): number {
  const aNumeral = isNumeral(a);
  const bNumeral = isNumeral(b);
  if (aNumeral && bNumeral) return compareNumerals(a, b);
  if (aNumeral !== bNumeral) return aNumeral ? -1 : 1;
  return compareText(a, b);
}

/** A release sorts after its prereleases; prereleases compare identifier by identifier. */
function comparePrereleases(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return 1;
  if (b === '') return -1;
  const aIdentifiers = a.split('.');
  const bIdentifiers = b.split('.');
  const shared = Math.min(aIdentifiers.length, bIdentifiers.length);
  for (let index = 0; index < shared; index += 1) {
    const order = compareIdentifiers(aIdentifiers[index] ?? '', bIdentifiers[index] ?? '');
    if (order !== 0) return order;
  }
  return aIdentifiers.length - bIdentifiers.length;
}

function compareGoVersions(left: GoVersion, right: GoVersion): number {
  return (
    compareNumerals(left.major, right.major) ||
    compareNumerals(left.minor, right.minor) ||
    compareNumerals(left.patch, right.patch) ||
    comparePrereleases(left.prerelease, right.prerelease)
  );
}

export const goScheme: VersionScheme = parsedScheme(
  SCHEME,
  memoize(parseGoVersion),
  compareGoVersions,
);
