/** Python packages: PyPI names compared as PEP 503 normalises them (`PyYAML` = `pyyaml`). */
import { pep440Scheme } from '../../version/pep440.js';
import { lookupName } from '../osv.js';
import type { PackageMatcher } from './package-matcher.js';

export const pythonMatcher: PackageMatcher = {
  packageType: 'python',
  queries: (pkg) => [
    {
      ecosystem: 'PyPI',
      name: lookupName('PyPI', pkg.name),
      version: pkg.version,
      scheme: pep440Scheme,
    },
  ],
};
