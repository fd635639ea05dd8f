/** PLACEHOLDER: replaced by the npm cataloger. */
import type { Cataloger } from '../cataloger.js';

export const npmCataloger: Cataloger = {
  name: 'npm',
  kind: 'language',
  collectors: [],
  catalog: () => [],
};
