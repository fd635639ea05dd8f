/**
 * Red Hat family packages. Their OSV records list the binary rpms an advisory fixes; some feeds
 * name the source rpm instead, so both are looked up (a record found twice is matched once).
 */
import { rpmScheme } from '../../version/rpm.js';
import { lookupName } from '../osv.js';
import { distroGroup } from './distro-groups.js';
import type { PackageMatcher } from './package-matcher.js';

export const rpmMatcher: PackageMatcher = {
  packageType: 'rpm',
  queries(pkg, distro) {
    const ecosystem = distroGroup(distro);
    if (typeof ecosystem !== 'string') return ecosystem;
    const names = new Set([pkg.name, pkg.source?.name ?? pkg.name]);
    return [...names].map((name) => ({
      ecosystem,
      name: lookupName(ecosystem, name),
      version: pkg.version,
      scheme: rpmScheme,
    }));
  },
};
