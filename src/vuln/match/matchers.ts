/** Every package matcher, one per package type. Add a new one here. */
import type { PackageType } from '../../model/index.js';
import { apkMatcher } from './apk.js';
import { dpkgMatcher } from './dpkg.js';
import { gemMatcher } from './gem.js';
import { goMatcher } from './go.js';
import { javaMatcher } from './java.js';
import { npmMatcher } from './npm.js';
import type { PackageMatcher } from './package-matcher.js';
import { pythonMatcher } from './python.js';
import { rpmMatcher } from './rpm.js';

const PACKAGE_MATCHERS: readonly PackageMatcher[] = [
  dpkgMatcher,
  apkMatcher,
  rpmMatcher,
  npmMatcher,
  pythonMatcher,
  gemMatcher,
  javaMatcher,
  goMatcher,
];

export function packageMatcher(type: PackageType): PackageMatcher | undefined {
  return PACKAGE_MATCHERS.find((matcher) => matcher.packageType === type);
}
