/**
 * CycloneDX VEX (JSON, 1.4 and later): a BOM whose `vulnerabilities[]` carry an `analysis.state`.
 * Each such vulnerability is one statement about the components its `affects[].ref` names: a
 * bom-ref of this BOM (whose component may give a PURL), a BOM-Link into another BOM
 * (`urn:cdx:<serial>/<version>#<bom-ref>`, such as drydock's own SBOM), or a PURL.
 * `references[].id` are the vulnerability's other ids. Vulnerabilities without an analysis are
 * scanner findings, not statements, and are passed over.
 */
import type { PackageURL } from 'packageurl-js';
import { parseVers } from './vers.js';
import type {
  ParsedVexStatement,
  ReadVex,
  VexFormat,
  VexProduct,
  VexStatus,
  VexVersion,
} from './vex-document.js';
import {
  invalidVex,
  limit,
  optionalList,
  optionalString,
  optionalTimestamp,
  parsePurl,
  requireObject,
  requirePurl,
  requireString,
  shown,
  type JsonObject,
  type VexContext,
} from './vex-fields.js';

/** CycloneDX analysis states as VEX statuses. */
const STATUS_OF_STATE: ReadonlyMap<unknown, VexStatus> = new Map([
  ['not_affected', 'not_affected'],
  ['false_positive', 'not_affected'],
  ['resolved', 'fixed'],
  ['resolved_with_pedigree', 'fixed'],
  ['exploitable', 'affected'],
  ['in_triage', 'under_investigation'],
]);

/** Spec versions before vulnerabilities existed (they came in 1.4). */
const PRE_VEX_VERSIONS = ['1.0', '1.1', '1.2', '1.3'];

/** Components nest inside components; deeper than this is refused. */
const MAX_COMPONENT_DEPTH = 32;

const BOM_LINK = /^urn:cdx:[^/]+\/\d+#(.+)$/s;

export const cyclonedxVexFormat: VexFormat = {
  name: 'CycloneDX VEX',
  claims: (document) => document.bomFormat === 'CycloneDX',
  read: readCycloneDxVex,
};

function readCycloneDxVex(document: JsonObject, context: VexContext): ReadVex {
  const specVersion = requireString(document.specVersion, 'specVersion', context);
  if (PRE_VEX_VERSIONS.includes(specVersion))
    throw invalidVex(
      context,
      `is CycloneDX ${specVersion}, which has no vulnerabilities; VEX needs 1.4 or later`,
    );
  if (document.vulnerabilities === undefined)
    throw invalidVex(context, 'has no "vulnerabilities": it is an SBOM, not a VEX document');
  const metadata =
    document.metadata === undefined
      ? undefined
      : requireObject(document.metadata, 'metadata', context);
  const bom: Bom = {
    purls: componentPurls(document, metadata, context),
    time: optionalTimestamp(metadata?.timestamp, 'metadata.timestamp', context),
  };
  const vulnerabilities = optionalList(
    document.vulnerabilities,
    'vulnerabilities',
    context,
    context.limits.maxStatements,
  );
  const statements = vulnerabilities.flatMap((item, i) =>
    readVulnerability(item, `vulnerabilities[${i}]`, bom, context),
  );
  if (vulnerabilities.length > 0 && statements.length === 0)
    throw invalidVex(
      context,
      'has vulnerabilities but none with an "analysis.state": it is a scan report, not a VEX document',
    );
  return {
    id: optionalString(document.serialNumber, 'serialNumber', context),
    format: `CycloneDX ${specVersion}`,
    statements,
  };
}

interface Bom {
  /** The PURL of each component that has one, by bom-ref. */
  purls: ReadonlyMap<string, PackageURL>;
  time?: number;
}

function readVulnerability(
  item: unknown,
  where: string,
  bom: Bom,
  context: VexContext,
): ParsedVexStatement[] {
  const vulnerability = requireObject(item, where, context);
  if (vulnerability.analysis === undefined) return [];
  const analysis = requireObject(vulnerability.analysis, `${where}.analysis`, context);
  if (analysis.state === undefined) return [];
  const status = STATUS_OF_STATE.get(analysis.state);
  if (status === undefined)
    throw invalidVex(
      context,
      `${where}.analysis.state ${shown(analysis.state)} is not a CycloneDX analysis state (${[...STATUS_OF_STATE.keys()].join(', ')})`,
    );
  const affects = optionalList(vulnerability.affects, `${where}.affects`, context);
  if (affects.length === 0)
    throw invalidVex(context, `${where} has an analysis but no "affects": it names no component`);
  const time =
    optionalTimestamp(analysis.lastUpdated, `${where}.analysis.lastUpdated`, context) ??
    optionalTimestamp(analysis.firstIssued, `${where}.analysis.firstIssued`, context) ??
    bom.time;
  const detail = optionalString(analysis.detail, `${where}.analysis.detail`, context)?.trim();
  return [
    {
      vulnerability: requireString(vulnerability.id, `${where}.id`, context),
      aliases: optionalList(vulnerability.references, `${where}.references`, context).map(
        (reference, i) =>
          requireString(
            requireObject(reference, `${where}.references[${i}]`, context).id,
            `${where}.references[${i}].id`,
            context,
          ),
      ),
      products: affects.map((affected, i) =>
        readAffected(affected, `${where}.affects[${i}]`, bom, context),
      ),
      status,
      justification: optionalString(
        analysis.justification,
        `${where}.analysis.justification`,
        context,
      ),
      detail: detail === '' ? undefined : detail,
      place: where,
      timestamp: time,
    },
  ];
}

function readAffected(item: unknown, where: string, bom: Bom, context: VexContext): VexProduct {
  const affected = requireObject(item, where, context);
  const ref = requireString(affected.ref, `${where}.ref`, context);
  const bomRef = bomRefOf(ref, `${where}.ref`, context);
  const purls = [bom.purls.get(bomRef), bomRef.startsWith('pkg:') ? parsePurl(bomRef) : undefined];
  return {
    purls: purls.filter((purl): purl is PackageURL => purl !== undefined),
    bomRefs: [bomRef],
    subcomponents: [],
    versions: optionalList(affected.versions, `${where}.versions`, context).map((version, i) =>
      readVersion(version, `${where}.versions[${i}]`, context),
    ),
  };
}

/** A BOM-Link names a bom-ref in another BOM: the part after `#`, percent-decoded. */
function bomRefOf(ref: string, where: string, context: VexContext): string {
  const link = BOM_LINK.exec(ref)?.[1];
  if (link === undefined) return ref;
  try {
    return decodeURIComponent(link);
  } catch {
    throw invalidVex(context, `${where} ${shown(ref)} is a BOM-Link with a malformed bom-ref`);
  }
}

function readVersion(item: unknown, where: string, context: VexContext): VexVersion {
  const entry = requireObject(item, where, context);
  const version = optionalString(entry.version, `${where}.version`, context);
  if (version !== undefined) return { version };
  const text = requireString(entry.range, `${where}.range`, context);
  const range = parseVers(text);
  if (typeof range === 'string')
    throw invalidVex(context, `${where}.range ${shown(text)} is not a vers range: ${range}`);
  return { range };
}

/** Every component's PURL by bom-ref: `metadata.component` and `components`, nested ones too. */
function componentPurls(
  document: JsonObject,
  metadata: JsonObject | undefined,
  context: VexContext,
): Map<string, PackageURL> {
  const purls = new Map<string, PackageURL>();
  let count = 0;
  const visit = (item: unknown, where: string, depth: number): void => {
    if (depth > MAX_COMPONENT_DEPTH)
      throw limit(context, `${where} is nested ${depth} components deep`, MAX_COMPONENT_DEPTH);
    count += 1;
    if (count > context.limits.maxListItems)
      throw limit(context, `its components number ${count}`, context.limits.maxListItems);
    const component = requireObject(item, where, context);
    const ref = optionalString(component['bom-ref'], `${where}.bom-ref`, context);
    const purl = optionalString(component.purl, `${where}.purl`, context);
    if (purl !== undefined) {
      const parsed = requirePurl(purl, `${where}.purl`, context);
      if (ref !== undefined) purls.set(ref, parsed);
    }
    optionalList(component.components, `${where}.components`, context).forEach((child, i) => {
      visit(child, `${where}.components[${i}]`, depth + 1);
    });
  };
  if (metadata?.component !== undefined) visit(metadata.component, 'metadata.component', 0);
  optionalList(document.components, 'components', context).forEach((component, i) => {
    visit(component, `components[${i}]`, 0);
  });
  return purls;
}
