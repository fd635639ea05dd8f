/**
 * `-o json`: the check response of Anchore Engine (see anchore-check.ts), printed as
 * `anchore-cli --json` prints it (see anchore-cli-json.ts).
 */
import { anchoreCliJson } from '../anchore-cli-json.js';
import { anchoreCheck } from './anchore-check.js';
import type { PolicyFormat } from './policy-format.js';

export const jsonFormat: PolicyFormat = {
  name: 'json',
  *render(report) {
    yield anchoreCliJson(anchoreCheck(report));
  },
};
