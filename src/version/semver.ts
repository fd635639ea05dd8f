/**
 * npm versions, read and ordered by the `semver` package exactly as npm does: loose mode (npm's
 * manifest picker sorts with `{ loose: true }` and package.json normalisation reads loosely), so
 * a `v` or `=` prefix, surrounding spaces, leading zeros and `1.2.3beta` are accepted; build
 * metadata does not take part in the order; a prerelease sorts before its release.
 */
import semver from 'semver';
import { invalidVersion, type VersionScheme } from './scheme.js';

const SCHEME = 'semver';
const NPM_OPTIONS = { loose: true } as const;

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

const parseNpmVersion = memoize((version: string): semver.SemVer | undefined => {
  // semver throws TypeError for a string it cannot read, longer than 256 or with a number past
  // Number.MAX_SAFE_INTEGER.
  try {
    return new semver.SemVer(version, NPM_OPTIONS);
  } catch {
    return undefined;
  }
});

function parseOrThrow(version: string): semver.SemVer {
  const parsed = parseNpmVersion(version);
  if (parsed === undefined) throw invalidVersion(SCHEME, version);
  return parsed;
}

export const semverScheme: VersionScheme = {
  name: SCHEME,
  valid: (version) => parseNpmVersion(version) !== undefined,
  compare: (a, b) => parseOrThrow(a).compare(parseOrThrow(b)),
};
