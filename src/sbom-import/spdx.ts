/**
 * SPDX 2.2 and 2.3 JSON into drydock's content. The package the document DESCRIBES when it is a
 * container image (Syft's DocumentRoot, Trivy's ContainerImage) is the subject; the
 * OPERATING_SYSTEM package is the distribution; every other package with a PURL of a type drydock
 * catalogs is a package. A package CONTAINed by another (not the image or OS) is owned by it.
 */
import type { Distro, PackageLocation } from '../model/index.js';
import {
  invalidSbom,
  listOf,
  objectsOf,
  stringOf,
  type JsonObject,
  type ReadContext,
} from './fields.js';
import type { ImportedSbom } from './import-sbom.js';
import { PackageCollector, type PackageRecord } from './packages.js';

const SPEC_VERSIONS = ['SPDX-2.2', 'SPDX-2.3'];
const DOCUMENT_ID = 'SPDXRef-DOCUMENT';
const NO_LICENSE = new Set(['NOASSERTION', 'NONE']);

interface Relationship {
  from: string;
  type: string;
  to: string;
}

export function readSpdx(document: JsonObject, context: ReadContext): ImportedSbom {
  const version = typeof document.spdxVersion === 'string' ? document.spdxVersion : undefined;
  if (version === undefined || !SPEC_VERSIONS.includes(version)) {
    throw invalidSbom(
      context.origin,
      `spdxVersion ${JSON.stringify(document.spdxVersion ?? null)} is not one drydock reads (SPDX-2.2 or SPDX-2.3 JSON)`,
    );
  }
  const packages = objectsOf(document.packages, 'packages', context, context.limits.maxPackages);
  const relationships = relationshipsOf(document, context);
  // SPDX 2.2 tools also list them in documentDescribes, deprecated in 2.3 for the relationship.
  const described = new Set([
    ...relationships
      .filter((r) => r.from === DOCUMENT_ID && r.type === 'DESCRIBES')
      .map((r) => r.to),
    ...listOf(document.documentDescribes, 'documentDescribes', context).flatMap(
      (id) => stringOf(id, context) ?? [],
    ),
  ]);

  const image = packages.find((p) => isImage(p, described));
  const osPackage = packages.find(isOperatingSystem);
  const structural = new Set([DOCUMENT_ID, spdxId(image), spdxId(osPackage)]);
  const ownerOf = new Map(
    relationships
      .filter((r) => r.type === 'CONTAINS' && !structural.has(r.from))
      .map((r) => [r.to, r.from] as const),
  );
  const licenseNames = extractedLicenseNames(document, context);
  const collector = new PackageCollector(context);
  for (const pkg of packages) {
    if (pkg === image || pkg === osPackage) continue;
    collector.add(packageRecord(pkg, context, ownerOf, licenseNames));
  }
  const distro = osPackage === undefined ? undefined : distroOf(osPackage, context);
  return {
    format: version.replace('-', ' '),
    subject: {
      name:
        (image && stringOf(image.name, context)) ??
        stringOf(document.name, context) ??
        context.origin,
      digest: image && stringOf(image.versionInfo, context),
    },
    content: {
      ...(distro === undefined ? {} : { distro }),
      packages: collector.finish(),
      secrets: [],
      retainedFiles: [],
    },
  };
}

function relationshipsOf(document: JsonObject, context: ReadContext): Relationship[] {
  return objectsOf(document.relationships, 'relationships', context).flatMap((r) => {
    const from = stringOf(r.spdxElementId, context);
    const type = stringOf(r.relationshipType, context);
    const to = stringOf(r.relatedSpdxElement, context);
    return from === undefined || type === undefined || to === undefined ? [] : [{ from, type, to }];
  });
}

function spdxId(pkg: JsonObject | undefined): string | undefined {
  return typeof pkg?.SPDXID === 'string' ? pkg.SPDXID : undefined;
}

/** The image: described by the document and a container (by purpose, or by Syft's and Trivy's ids). */
function isImage(pkg: JsonObject, described: ReadonlySet<string>): boolean {
  const id = spdxId(pkg) ?? '';
  if (pkg.primaryPackagePurpose === 'CONTAINER') return true;
  return described.has(id) && /^SPDXRef-(DocumentRoot|ContainerImage)/.test(id);
}

/** SPDX 2.3's enum says OPERATING_SYSTEM; Trivy writes the spec text's OPERATING-SYSTEM. */
function isOperatingSystem(pkg: JsonObject): boolean {
  const purpose = pkg.primaryPackagePurpose;
  return (
    purpose === 'OPERATING_SYSTEM' ||
    purpose === 'OPERATING-SYSTEM' ||
    (spdxId(pkg) ?? '').startsWith('SPDXRef-OperatingSystem')
  );
}

function distroOf(pkg: JsonObject, context: ReadContext): Distro | undefined {
  const id = stringOf(pkg.name, context)?.toLowerCase();
  if (id === undefined) return undefined;
  const versionId = stringOf(pkg.versionInfo, context);
  const prettyName = stringOf(pkg.description, context);
  return {
    id,
    ...(versionId === undefined ? {} : { versionId }),
    idLike: [],
    ...(prettyName === undefined ? {} : { prettyName }),
    source: '',
  };
}

function packageRecord(
  pkg: JsonObject,
  context: ReadContext,
  ownerOf: ReadonlyMap<string, string>,
  licenseNames: ReadonlyMap<string, string>,
): PackageRecord {
  const refs = objectsOf(pkg.externalRefs, 'externalRefs', context);
  const locator = (types: readonly string[]): string[] =>
    refs.flatMap((ref) =>
      types.includes(String(ref.referenceType))
        ? (stringOf(ref.referenceLocator, context) ?? [])
        : [],
    );
  const ref = spdxId(pkg);
  const location = locationOf(stringOf(pkg.sourceInfo, context));
  return {
    ref,
    name: stringOf(pkg.name, context),
    version: stringOf(pkg.versionInfo, context),
    purl: locator(['purl'])[0],
    cpes: locator(['cpe23Type', 'cpe22Type']),
    licenses: licensesOf(pkg, context, licenseNames),
    properties: new Map(),
    locations: location === undefined ? [] : [location],
    ownerRef: ref === undefined ? undefined : ownerOf.get(ref),
  };
}

/**
 * The declared license (else the concluded one). A plain conjunction `A AND B` is a list of
 * licenses, as drydock writes them; LicenseRefs are turned back into the names they stand for.
 */
function licensesOf(
  pkg: JsonObject,
  context: ReadContext,
  licenseNames: ReadonlyMap<string, string>,
): string[] {
  const declared = [
    stringOf(pkg.licenseDeclared, context),
    stringOf(pkg.licenseConcluded, context),
  ].find((text) => text !== undefined && !NO_LICENSE.has(text));
  if (declared === undefined) return [];
  const parts = /[()]|\bOR\b|\bWITH\b/.test(declared) ? [declared] : declared.split(/\s+AND\s+/);
  return parts.map((part) => licenseNames.get(part) ?? part);
}

function extractedLicenseNames(document: JsonObject, context: ReadContext): Map<string, string> {
  const names = new Map<string, string>();
  for (const info of objectsOf(
    document.hasExtractedLicensingInfos,
    'hasExtractedLicensingInfos',
    context,
  )) {
    const id = stringOf(info.licenseId, context);
    const name = stringOf(info.name, context) ?? stringOf(info.extractedText, context);
    if (id !== undefined && name !== undefined) names.set(id, name);
  }
  return names;
}

/** Syft and drydock write `acquired package info from …: /path`; the path is the location. */
function locationOf(sourceInfo: string | undefined): PackageLocation | undefined {
  const path = sourceInfo === undefined ? undefined : /: (\/[^\s,]*)/.exec(sourceInfo)?.[1];
  return path === undefined ? undefined : { path, layerDigest: '', layerIndex: -1 };
}
