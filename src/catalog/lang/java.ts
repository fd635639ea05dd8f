/** PLACEHOLDER: replaced by the java cataloger. */
import type { Cataloger } from '../cataloger.js';

export const javaCataloger: Cataloger = {
  name: 'java',
  kind: 'language',
  collectors: [],
  catalog: () => [],
};
