/**
 * VEX documents as drydock reads them: each format (OpenVEX, CycloneDX VEX) is one file exporting
 * a `VexFormat`, listed in `VEX_FORMATS`, that turns its document into `ParsedVexStatement`s. The
 * file is untrusted: its size and list lengths are bounded, and a document that is not valid is
 * one error naming the file and what is wrong where.
 */
import { readFileBounded } from '../../util/read-bounded.js';
import type { PackageURL } from 'packageurl-js';
import { type VexStatement } from '../../model/index.js';
import { printable } from '../../util/text.js';
import { cyclonedxVexFormat } from './cyclonedx-vex.js';
import { openVexFormat } from './openvex.js';
import type { VersionRange } from './vers.js';
import { invalidVex, isObject, type JsonObject, type VexContext } from './vex-fields.js';

export type VexStatus = VexStatement['status'];

/** What a product or subcomponent is known by; drydock matches by PURL or bom-ref, never CPE. */
export interface VexComponent {
  /** Parsed, so normalised per type (case, PyPI separators) by packageurl-js. */
  purls: PackageURL[];
  /** CycloneDX bom-refs; drydock's own CycloneDX uses a package's `id` as its bom-ref. */
  bomRefs: string[];
}

export interface VexProduct extends VexComponent {
  /** OpenVEX: where in the product the vulnerability is. */
  subcomponents: VexComponent[];
  /** CycloneDX `affects[].versions`: the versions it is about; empty for every version. */
  versions: VexVersion[];
}

export type VexVersion = { version: string } | { range: VersionRange };

export interface ParsedVexStatement {
  /** The vulnerability id as the statement names it (`CVE-2023-1234`, `GHSA-…`). */
  vulnerability: string;
  /** Other ids the statement gives the same vulnerability. */
  aliases: string[];
  products: VexProduct[];
  status: VexStatus;
  justification?: string;
  /** What the author says: impact or action statement, notes, detail. */
  detail?: string;
  /** Its place in the document, for a report to cite: `statements[3]`, `vulnerabilities[0]`. */
  place: string;
  /** When it was made (epoch ms), its own time or its document's, when either says. */
  timestamp?: number;
}

export interface VexDocument {
  /** The document's own id (OpenVEX `@id`, CycloneDX `serialNumber`), else its file. */
  id: string;
  /** The file it was read from. */
  source: string;
  /** `OpenVEX 0.2.0`, `CycloneDX 1.6`. */
  format: string;
  statements: ParsedVexStatement[];
}

export interface VexLimits {
  /** Largest VEX file read. */
  maxBytes: number;
  /** Most statements (OpenVEX) or vulnerabilities (CycloneDX) in one document. */
  maxStatements: number;
  /** Most entries in any other list (products, subcomponents, aliases, components …). */
  maxListItems: number;
  /** Longest string taken (ids, PURLs, impact statements). */
  maxStringChars: number;
}

export const DEFAULT_VEX_LIMITS: VexLimits = {
  maxBytes: 32 * 1024 * 1024,
  maxStatements: 200_000,
  maxListItems: 100_000,
  maxStringChars: 64 * 1024,
};

/** What a format reads out of its document; the reader adds the source. */
export type ReadVex = Omit<VexDocument, 'source' | 'id'> & { id?: string };

export interface VexFormat {
  /** `OpenVEX`, `CycloneDX VEX`. */
  readonly name: string;
  /** Whether the document says it is of this format (OpenVEX `@context`, CycloneDX `bomFormat`). */
  claims(document: JsonObject): boolean;
  read(document: JsonObject, context: VexContext): ReadVex;
}

export const VEX_FORMATS: readonly VexFormat[] = [openVexFormat, cyclonedxVexFormat];

/**
 * Reads a VEX file (format detected by content), bounded; DrydockError naming the file and the
 * problem when it is not valid.
 */
export async function readVexFile(
  path: string,
  limits: VexLimits = DEFAULT_VEX_LIMITS,
): Promise<VexDocument> {
  return parseVex(await readFileBounded(path, limits.maxBytes, 'the VEX file'), path, limits);
}

/** Parses the text of a VEX document; `origin` names it in errors. */
export function parseVex(
  text: string,
  origin: string,
  limits: VexLimits = DEFAULT_VEX_LIMITS,
): VexDocument {
  const context: VexContext = { origin, limits };
  const document = parseJson(text, context);
  const format = VEX_FORMATS.find((candidate) => candidate.claims(document));
  if (format === undefined) throw invalidVex(context, unknownFormat(document));
  const read = format.read(document, context);
  return { ...read, id: read.id ?? origin, source: origin };
}

function parseJson(text: string, context: VexContext): JsonObject {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trimStart().startsWith('<'))
    throw invalidVex(context, 'looks like XML; drydock reads OpenVEX and CycloneDX VEX as JSON');
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (e) {
    throw invalidVex(
      context,
      `is not valid JSON (${printable(e instanceof Error ? e.message : String(e), 200)}); expected an OpenVEX or CycloneDX VEX document`,
    );
  }
  if (!isObject(value))
    throw invalidVex(
      context,
      'is JSON but not an object; expected an OpenVEX or CycloneDX VEX document',
    );
  return value;
}

/** What the document looks like instead, so the user knows what to do with it. */
function unknownFormat(document: JsonObject): string {
  if (isObject(document.document) && 'csaf_version' in document.document)
    return 'is CSAF; drydock reads OpenVEX and CycloneDX VEX, not CSAF';
  if ('predicateType' in document || 'payloadType' in document)
    return 'is an attestation (in-toto or DSSE); extract the OpenVEX document from its predicate and pass that';
  if ('spdxVersion' in document) return 'is an SPDX SBOM, not a VEX document';
  return 'is not a VEX document drydock reads: expected OpenVEX ("@context": "https://openvex.dev/ns/…") or CycloneDX ("bomFormat": "CycloneDX")';
}
