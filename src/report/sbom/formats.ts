/** Every SBOM output format, by its `-o` name. Add a new one here. */
import { cyclonedxFormat } from './cyclonedx.js';
import { jsonFormat } from './json.js';
import type { SbomFormat } from './sbom-format.js';
import { spdxFormat } from './spdx.js';
import { tableFormat } from './table.js';

export const SBOM_FORMATS: readonly SbomFormat[] = [
  tableFormat,
  jsonFormat,
  cyclonedxFormat,
  spdxFormat,
];

export function sbomFormat(name: string): SbomFormat | undefined {
  return SBOM_FORMATS.find((format) => format.name === name);
}
