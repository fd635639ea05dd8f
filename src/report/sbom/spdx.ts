/**
 * `-o spdx-json`: an SPDX 2.3 document. The document DESCRIBES the image (a CONTAINER package);
 * the image CONTAINS the operating system, which CONTAINS the OS packages; language packages are
 * CONTAINed by the image, or by the OS package that installed them. Every package carries its
 * PURL and CPEs as external references and its declared license as an SPDX expression, with
 * license names that are not SPDX ids carried as LicenseRefs.
 */
import { createHash, randomUUID } from 'node:crypto';
import { type Distro, type Package, OS_PACKAGE_TYPES } from '../../model/index.js';
import { classifyLicense, licenseRef } from './licenses.js';
import { imagePurl, type SbomFormat, type SbomInput, type ToolInfo } from './sbom-format.js';

const DOCUMENT_ID = 'SPDXRef-DOCUMENT';
const IMAGE_ID = 'SPDXRef-DocumentRoot-Image';
const OS_ID = 'SPDXRef-OperatingSystem';
const NOASSERTION = 'NOASSERTION';

/** The SPDX 2.3 JSON fields drydock writes. */
export interface SpdxDocument {
  spdxVersion: 'SPDX-2.3';
  dataLicense: 'CC0-1.0';
  SPDXID: typeof DOCUMENT_ID;
  name: string;
  documentNamespace: string;
  creationInfo: { created: string; creators: string[] };
  packages: SpdxPackage[];
  relationships: SpdxRelationship[];
  hasExtractedLicensingInfos?: { licenseId: string; extractedText: string; name: string }[];
}

export interface SpdxPackage {
  SPDXID: string;
  name: string;
  versionInfo?: string;
  supplier?: string;
  downloadLocation: string;
  filesAnalyzed: false;
  sourceInfo?: string;
  licenseConcluded?: string;
  licenseDeclared?: string;
  copyrightText?: string;
  description?: string;
  checksums?: { algorithm: 'SHA256'; checksumValue: string }[];
  externalRefs?: { referenceCategory: string; referenceType: string; referenceLocator: string }[];
  primaryPackagePurpose?: 'CONTAINER' | 'OPERATING_SYSTEM' | 'LIBRARY';
}

export interface SpdxRelationship {
  spdxElementId: string;
  relatedSpdxElement: string;
  relationshipType: 'DESCRIBES' | 'CONTAINS';
}

export const spdxFormat: SbomFormat = {
  name: 'spdx-json',
  manyImages: false,
  showsSecrets: false,
  *render(inputs, tool) {
    const input = inputs[0];
    if (input === undefined) return;
    yield `${JSON.stringify(buildSpdx(input, tool), null, 2)}\n`;
  },
};

export function buildSpdx(input: SbomInput, tool: ToolInfo): SpdxDocument {
  const { distro, packages } = input.content;
  const licenseRefs = new Map<string, string>();
  const ids = packageIds(packages);
  const spdxPackages: SpdxPackage[] = [imagePackage(input)];
  const relationships: SpdxRelationship[] = [relation(DOCUMENT_ID, 'DESCRIBES', IMAGE_ID)];
  if (distro !== undefined) {
    spdxPackages.push(osPackage(distro));
    relationships.push(relation(IMAGE_ID, 'CONTAINS', OS_ID));
  }
  for (const pkg of packages) {
    const id = ids.get(pkg.id) ?? '';
    spdxPackages.push(packageEntry(pkg, id, licenseRefs));
    const owner = pkg.ownedBy === undefined ? undefined : ids.get(pkg.ownedBy);
    const parent =
      owner ?? (OS_PACKAGE_TYPES.has(pkg.type) && distro !== undefined ? OS_ID : IMAGE_ID);
    relationships.push(relation(parent, 'CONTAINS', id));
  }
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: DOCUMENT_ID,
    name: input.subject.name,
    // Unique per document, as the spec asks: a new UUID every time, never reused.
    documentNamespace: `urn:uuid:${randomUUID()}`,
    creationInfo: {
      // SPDX wants UTC without fractions of a second: 2024-05-01T12:00:00Z.
      created: `${tool.timestamp.toISOString().slice(0, 19)}Z`,
      creators: [`Tool: ${tool.name}-${tool.version}`],
    },
    packages: spdxPackages,
    relationships,
    ...(licenseRefs.size === 0
      ? {}
      : {
          hasExtractedLicensingInfos: [...licenseRefs].map(([name, licenseId]) => ({
            licenseId,
            extractedText: name,
            name,
          })),
        }),
  };
}

/**
 * `SPDXRef-Package-<type>-<name>-<hash>`: the hash of the package id makes it unique and the same
 * for the same content; the name part keeps it readable. Only `[A-Za-z0-9.-]` is allowed.
 */
function packageIds(packages: readonly Package[]): Map<string, string> {
  const ids = new Map<string, string>();
  for (const pkg of packages) {
    const hash = createHash('sha256').update(pkg.id).digest('hex').slice(0, 16);
    const name = pkg.name.replace(/[^A-Za-z0-9.-]+/g, '-').slice(0, 64);
    ids.set(pkg.id, `SPDXRef-Package-${pkg.type}-${name}-${hash}`);
  }
  return ids;
}

function imagePackage(input: SbomInput): SpdxPackage {
  const digest = input.subject.digest;
  const purl = imagePurl(input);
  const hex = digest?.startsWith('sha256:') ? digest.slice('sha256:'.length) : undefined;
  return {
    SPDXID: IMAGE_ID,
    name: input.subject.name,
    versionInfo: digest,
    supplier: NOASSERTION,
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    ...(hex === undefined ? {} : { checksums: [{ algorithm: 'SHA256', checksumValue: hex }] }),
    ...(purl === undefined ? {} : { externalRefs: [purlRef(purl)] }),
    primaryPackagePurpose: 'CONTAINER',
  };
}

function osPackage(distro: Distro): SpdxPackage {
  return {
    SPDXID: OS_ID,
    name: distro.id,
    versionInfo: distro.versionId,
    supplier: NOASSERTION,
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    description: distro.prettyName,
    primaryPackagePurpose: 'OPERATING_SYSTEM',
  };
}

function packageEntry(pkg: Package, id: string, licenseRefs: Map<string, string>): SpdxPackage {
  const location = pkg.locations[0]?.path;
  return {
    SPDXID: id,
    name: pkg.name,
    versionInfo: pkg.version,
    supplier: NOASSERTION,
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    ...(location === undefined
      ? {}
      : { sourceInfo: `acquired package info from ${pkg.type}: ${location}` }),
    licenseConcluded: NOASSERTION,
    licenseDeclared: declaredLicense(pkg.licenses, licenseRefs),
    copyrightText: NOASSERTION,
    externalRefs: [
      ...pkg.cpes.map((cpe) => ({
        referenceCategory: 'SECURITY',
        referenceType: 'cpe23Type',
        referenceLocator: cpe,
      })),
      ...(pkg.purl === '' ? [] : [purlRef(pkg.purl)]),
    ],
    primaryPackagePurpose: 'LIBRARY',
  };
}

function purlRef(purl: string): {
  referenceCategory: string;
  referenceType: string;
  referenceLocator: string;
} {
  return { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: purl };
}

/** The licenses joined with AND; a name that is no SPDX id becomes a LicenseRef kept in the document. */
function declaredLicense(texts: readonly string[], licenseRefs: Map<string, string>): string {
  const parts = texts
    .filter((text) => text.trim() !== '')
    .map((text) => {
      const kind = classifyLicense(text);
      if (kind.kind === 'id') return kind.id;
      if (kind.kind === 'expression')
        return texts.length === 1 ? kind.expression : `(${kind.expression})`;
      const ref = licenseRefs.get(kind.name) ?? uniqueRef(kind.name, licenseRefs);
      licenseRefs.set(kind.name, ref);
      return ref;
    });
  return parts.length === 0 ? NOASSERTION : [...new Set(parts)].join(' AND ');
}

/** `GPLv3+` and `GPLv3 ` would clean to the same ref: number the later ones. */
function uniqueRef(name: string, licenseRefs: ReadonlyMap<string, string>): string {
  const base = licenseRef(name);
  const taken = new Set(licenseRefs.values());
  let ref = base;
  for (let n = 2; taken.has(ref); n++) ref = `${base}-${n}`;
  return ref;
}

function relation(
  from: string,
  type: SpdxRelationship['relationshipType'],
  to: string,
): SpdxRelationship {
  return { spdxElementId: from, relatedSpdxElement: to, relationshipType: type };
}
