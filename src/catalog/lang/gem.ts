/** PLACEHOLDER: replaced by the gem cataloger. */
import type { Cataloger } from '../cataloger.js';

export const gemCataloger: Cataloger = {
  name: 'gem',
  kind: 'language',
  collectors: [],
  catalog: () => [],
};
