/** PLACEHOLDER: replaced by the dpkg cataloger. */
import type { Cataloger } from '../cataloger.js';

export const dpkgCataloger: Cataloger = {
  name: 'dpkg',
  kind: 'os',
  collectors: [],
  catalog: () => [],
};
