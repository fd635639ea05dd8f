/**
 * Version ranges in the PURL `vers` syntax (https://github.com/package-url/vers-spec), as
 * CycloneDX VEX writes them in `affects[].versions[].range`: `vers:npm/1.2.3|>=2.0.0|<5.0.0`.
 * Containment follows the spec's algorithm, ordered by drydock's version scheme for the vers type.
 * A type drydock has no scheme for (`generic`, `intdot` …) cannot be judged.
 */
import { versionScheme } from '../../version/schemes.js';
import type { VersionScheme } from '../../version/scheme.js';

export type Comparator = '=' | '!=' | '<' | '<=' | '>' | '>=';

export interface VersionConstraint {
  comparator: Comparator;
  version: string;
}

export interface VersionRange {
  /** As written, for messages. */
  text: string;
  /** The vers type, lowercase: `npm`, `deb`, `generic`. */
  type: string;
  /** `*`: every version (or none, for the `none` type). */
  star: boolean;
  constraints: VersionConstraint[];
}

/** The drydock version scheme that orders each vers type's versions. */
const SCHEME_OF_TYPE: ReadonlyMap<string, string> = new Map([
  ['deb', 'dpkg'],
  ['rpm', 'rpm'],
  ['apk', 'apk'],
  ['alpine', 'apk'],
  ['npm', 'semver'],
  ['semver', 'semver'],
  ['pypi', 'pep440'],
  ['maven', 'maven'],
  ['gem', 'gem'],
  ['golang', 'go'],
]);

// Two-character comparators first: `<=` must not be read as `<` and a version `=…`.
const COMPARATORS: readonly Comparator[] = ['>=', '<=', '!=', '<', '>', '='];

/** The range written in `text`, or why it is not one. */
export function parseVers(text: string): VersionRange | string {
  const match = /^vers:([A-Za-z][A-Za-z0-9.-]*)\/(.*)$/s.exec(text);
  if (match === null) return 'it does not start with "vers:<type>/"';
  const type = (match[1] ?? '').toLowerCase();
  const body = match[2] ?? '';
  if (/\s/.test(body)) return 'it contains whitespace';
  if (body === '*') return { text, type, star: true, constraints: [] };
  if (body === '' || body.split('|').includes('')) return 'it has an empty constraint';
  const constraints: VersionConstraint[] = [];
  for (const part of body.split('|')) {
    const comparator = COMPARATORS.find((c) => part.startsWith(c)) ?? '=';
    const encoded = part.startsWith(comparator) ? part.slice(comparator.length) : part;
    const version = percentDecoded(encoded);
    if (version === undefined || version === '' || version.includes('*'))
      return `constraint "${part}" has no readable version`;
    constraints.push({ comparator, version });
  }
  return { text, type, star: false, constraints };
}

function percentDecoded(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/**
 * Whether `version` is in `range`; undefined when drydock cannot judge it (a vers type without a
 * scheme here, or a version the scheme cannot read).
 */
export function rangeContains(range: VersionRange, version: string): boolean | undefined {
  if (range.star) return range.type !== 'none';
  const schemeName = SCHEME_OF_TYPE.get(range.type);
  const scheme = schemeName === undefined ? undefined : versionScheme(schemeName);
  if (scheme === undefined) return undefined;
  if (![version, ...range.constraints.map((c) => c.version)].every((v) => scheme.valid(v)))
    return undefined;
  return contains(range.constraints, version, scheme);
}

/** The vers spec's containment check, on constraints sorted by version. */
function contains(
  unsorted: readonly VersionConstraint[],
  version: string,
  scheme: VersionScheme,
): boolean {
  const constraints = [...unsorted].sort((a, b) => scheme.compare(a.version, b.version));
  const equalTo = (c: VersionConstraint) => scheme.compare(version, c.version) === 0;
  if (constraints.some((c) => ['=', '<=', '>='].includes(c.comparator) && equalTo(c))) return true;
  if (constraints.some((c) => c.comparator === '!=' && equalTo(c))) return false;
  const bounds = constraints.filter((c) => c.comparator !== '=' && c.comparator !== '!=');
  const below = (c: VersionConstraint) => scheme.compare(version, c.version) < 0;
  const above = (c: VersionConstraint) => scheme.compare(version, c.version) > 0;
  const isUpper = (c: VersionConstraint) => c.comparator === '<' || c.comparator === '<=';
  const first = bounds[0];
  const last = bounds.at(-1);
  if (first === undefined || last === undefined) return false;
  // Open at either end: below the first upper bound, or above the last lower bound.
  if (isUpper(first) && below(first)) return true;
  if (!isUpper(last) && above(last)) return true;
  // Closed spans: a lower bound followed by an upper bound.
  return bounds.some((current, i) => {
    const next = bounds[i + 1];
    return (
      next !== undefined && !isUpper(current) && isUpper(next) && above(current) && below(next)
    );
  });
}
