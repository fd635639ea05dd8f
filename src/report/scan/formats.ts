/** Every scan output format, by its `-o` name. Add a new one here. */
import { anchoreJsonFormat } from './anchore-json.js';
import { cyclonedxFormat } from './cyclonedx.js';
import { gitlabFormat } from './gitlab.js';
import { jsonFormat } from './json.js';
import { sarifFormat } from './sarif.js';
import type { ScanFormat } from './scan-format.js';
import { tableFormat } from './table.js';

export const SCAN_FORMATS: readonly ScanFormat[] = [
  tableFormat,
  jsonFormat,
  sarifFormat,
  cyclonedxFormat,
  anchoreJsonFormat,
  gitlabFormat,
];

export function scanFormat(name: string): ScanFormat | undefined {
  return SCAN_FORMATS.find((format) => format.name === name);
}
