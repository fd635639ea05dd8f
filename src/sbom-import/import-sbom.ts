/**
 * `drydock sbom --from FILE`: reads a CycloneDX (JSON) or SPDX 2.2/2.3 (JSON) SBOM made by another
 * tool (Syft, Trivy, drydock) into drydock's content model, so it can be printed in any format.
 * The file is untrusted: its size, list lengths, nesting and string lengths are bounded, and every
 * problem is one error naming the file and what is wrong with it.
 */
import { readFileBounded } from '../util/read-bounded.js';
import { type ImageContent } from '../model/index.js';
import type { SbomInput, SbomSubject } from '../report/sbom/sbom-format.js';
import { readCycloneDx } from './cyclonedx.js';
import {
  DEFAULT_IMPORT_LIMITS,
  invalidSbom,
  objectOf,
  type ImportLimits,
  type ReadContext,
} from './fields.js';
import { readSpdx } from './spdx.js';

export interface ImportedSbom {
  /** `CycloneDX 1.6`, `SPDX 2.3`. */
  format: string;
  subject: SbomSubject;
  content: ImageContent;
}

export interface ImportResult {
  input: SbomInput;
  format: string;
  /** Things the user should know that did not stop the import (packages of other ecosystems). */
  warnings: string[];
}

export async function importSbomFile(
  file: string,
  limits: ImportLimits = DEFAULT_IMPORT_LIMITS,
): Promise<ImportResult> {
  return parseSbom(await readFileBounded(file, limits.maxBytes, 'SBOM'), file, limits);
}

/** Parses the text of an SBOM; `origin` names it in errors. */
export function parseSbom(
  text: string,
  origin: string,
  limits: ImportLimits = DEFAULT_IMPORT_LIMITS,
): ImportResult {
  const context: ReadContext = { origin, limits, warnings: [] };
  const document = objectOf(parseJson(text, origin));
  if (document === undefined) {
    throw invalidSbom(origin, 'is JSON but not an object; expected a CycloneDX or SPDX document');
  }
  let imported: ImportedSbom;
  if (document.bomFormat === 'CycloneDX') imported = readCycloneDx(document, context);
  else if ('spdxVersion' in document) imported = readSpdx(document, context);
  else if ('@context' in document) {
    throw invalidSbom(origin, 'looks like SPDX 3 (JSON-LD); drydock reads SPDX 2.2 and 2.3 JSON');
  } else {
    throw invalidSbom(
      origin,
      'is neither CycloneDX (no "bomFormat": "CycloneDX") nor SPDX (no "spdxVersion")',
    );
  }
  return {
    input: { subject: imported.subject, files: [], content: imported.content },
    format: imported.format,
    warnings: context.warnings,
  };
}

function parseJson(text: string, origin: string): unknown {
  const body = text.replace(/^\uFEFF/, '');
  const start = body.trimStart().slice(0, 64);
  if (start.startsWith('<')) {
    throw invalidSbom(origin, 'looks like XML; drydock reads CycloneDX and SPDX as JSON');
  }
  if (/^SPDXVersion:/i.test(start)) {
    throw invalidSbom(origin, 'is SPDX tag-value; drydock reads SPDX as JSON');
  }
  try {
    return JSON.parse(body) as unknown;
  } catch (e) {
    throw invalidSbom(origin, `is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}
