/** Every version scheme, by name. Add a new one here. */
import { apkScheme } from './apk.js';
import { dpkgScheme } from './dpkg.js';
import { gemScheme } from './gem.js';
import { goScheme } from './go.js';
import { mavenScheme } from './maven.js';
import { pep440Scheme } from './pep440.js';
import { rpmScheme } from './rpm.js';
import type { VersionScheme } from './scheme.js';
import { semverScheme } from './semver.js';

export const VERSION_SCHEMES: readonly VersionScheme[] = [
  dpkgScheme,
  rpmScheme,
  apkScheme,
  semverScheme,
  pep440Scheme,
  mavenScheme,
  gemScheme,
  goScheme,
];

export function versionScheme(name: string): VersionScheme | undefined {
  return VERSION_SCHEMES.find((scheme) => scheme.name === name);
}
