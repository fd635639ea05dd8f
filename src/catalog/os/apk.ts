/** PLACEHOLDER: replaced by the apk cataloger. */
import type { Cataloger } from '../cataloger.js';

export const apkCataloger: Cataloger = {
  name: 'apk',
  kind: 'os',
  collectors: [],
  catalog: () => [],
};
