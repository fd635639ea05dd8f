/** PLACEHOLDER: replaced by the rpm cataloger. */
import type { Cataloger } from '../cataloger.js';

export const rpmCataloger: Cataloger = {
  name: 'rpm',
  kind: 'os',
  collectors: [],
  catalog: () => [],
};
