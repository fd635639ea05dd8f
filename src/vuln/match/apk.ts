/** Alpine packages: the secdb and its OSV copy name the `origin` (source) package. */
import { apkScheme } from '../../version/apk.js';
import { lookupName } from '../osv.js';
import { distroGroup } from './distro-groups.js';
import type { PackageMatcher } from './package-matcher.js';

export const apkMatcher: PackageMatcher = {
  packageType: 'apk',
  queries(pkg, distro) {
    const ecosystem = distroGroup(distro);
    if (typeof ecosystem !== 'string') return ecosystem;
    const name = lookupName(ecosystem, pkg.source?.name ?? pkg.name);
    return [{ ecosystem, name, version: pkg.version, scheme: apkScheme }];
  },
};
