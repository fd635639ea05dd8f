/**
 * Go modules, by module path. OSV writes Go versions without the `v` that module versions carry
 * (`1.2.3` for `v1.2.3`), so both sides are read with the `v` put back.
 */
import { goScheme } from '../../version/go.js';
import type { VersionScheme } from '../../version/scheme.js';
import type { PackageMatcher } from './package-matcher.js';

const withV = (version: string): string => (version.startsWith('v') ? version : `v${version}`);

const osvGoScheme: VersionScheme = {
  name: goScheme.name,
  valid: (version) => goScheme.valid(withV(version)),
  compare: (a, b) => goScheme.compare(withV(a), withV(b)),
};

export const goMatcher: PackageMatcher = {
  packageType: 'go',
  queries(pkg) {
    if (pkg.version === '(devel)' || pkg.version === '')
      return { unchecked: 'built from a working tree: "(devel)" is no released version' };
    return [{ ecosystem: 'Go', name: pkg.name, version: pkg.version, scheme: osvGoScheme }];
  },
};
