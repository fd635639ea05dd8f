/**
 * npm versions, read and ordered by the `semver` package exactly as npm does: loose mode (npm's
 * manifest picker sorts with `{ loose: true }` and package.json normalisation reads loosely), so
 * a `v` or `=` prefix, surrounding spaces, leading zeros and `1.2.3beta` are accepted; build
 * metadata does not take part in the order; a prerelease sorts before its release.
 */
import semver from 'semver';
import { memoize, parsedScheme } from './compare-util.js';
import type { VersionScheme } from './scheme.js';

const SCHEME = 'semver';
const NPM_OPTIONS = { loose: true } as const;

const parseNpmVersion = memoize((version: string): semver.SemVer | undefined => {
  // semver throws TypeError for a string it cannot read, longer than 256 or with a number past
  // Number.MAX_SAFE_INTEGER.
  try {
    return new semver.SemVer(version, NPM_OPTIONS);
  } catch {
    return undefined;
  }
});

export const semverScheme: VersionScheme = parsedScheme(SCHEME, parseNpmVersion, (a, b) =>
  a.compare(b),
);
