/** npm packages: by their full (scoped) name; OSV's SEMVER ranges read as npm reads versions. */
import { semverScheme } from '../../version/semver.js';
import type { PackageMatcher } from './package-matcher.js';

export const npmMatcher: PackageMatcher = {
  packageType: 'npm',
  queries: (pkg) => [
    { ecosystem: 'npm', name: pkg.name, version: pkg.version, scheme: semverScheme },
  ],
};
