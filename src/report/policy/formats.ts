/** Every policy evaluation output format, by its `-o` name. Add a new one here. */
import { jsonFormat } from './json.js';
import { junitFormat } from './junit.js';
import type { PolicyFormat } from './policy-format.js';
import { tableFormat } from './table.js';

export const POLICY_FORMATS: readonly PolicyFormat[] = [tableFormat, jsonFormat, junitFormat];

export function policyFormat(name: string): PolicyFormat | undefined {
  return POLICY_FORMATS.find((format) => format.name === name);
}
