/**
 * Debian and Ubuntu packages. Their feeds name the source package (`glibc` for `libc6`) and give
 * source versions, so a binary is judged on its source name and, when dpkg records one that
 * differs (`Source: gcc-defaults (1.203)` for `cpp 4:12.2.0-3`), its source version.
 */
import { dpkgScheme } from '../../version/dpkg.js';
import { distroGroup } from './distro-groups.js';
import type { PackageMatcher } from './package-matcher.js';
import { lookupName } from '../osv.js';

export const dpkgMatcher: PackageMatcher = {
  packageType: 'dpkg',
  queries(pkg, distro) {
    const ecosystem = distroGroup(distro);
    if (typeof ecosystem !== 'string') return ecosystem;
    return [
      {
        ecosystem,
        name: lookupName(ecosystem, pkg.source?.name ?? pkg.name),
        version: pkg.source?.version ?? pkg.version,
        scheme: dpkgScheme,
      },
    ];
  },
};
