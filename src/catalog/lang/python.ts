/** PLACEHOLDER: replaced by the python cataloger. */
import type { Cataloger } from '../cataloger.js';

export const pythonCataloger: Cataloger = {
  name: 'python',
  kind: 'language',
  collectors: [],
  catalog: () => [],
};
