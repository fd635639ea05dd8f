/** Ruby gems, by their case-sensitive name in RubyGems. */
import { gemScheme } from '../../version/gem.js';
import type { PackageMatcher } from './package-matcher.js';

export const gemMatcher: PackageMatcher = {
  packageType: 'gem',
  queries: (pkg) => [
    { ecosystem: 'RubyGems', name: pkg.name, version: pkg.version, scheme: gemScheme },
  ],
};
