/** PLACEHOLDER: replaced by the go cataloger. */
import type { Cataloger } from '../cataloger.js';

export const goCataloger: Cataloger = {
  name: 'go',
  kind: 'language',
  collectors: [],
  catalog: () => [],
};
