/**
 * `-o cyclonedx-json`: CycloneDX 1.6 through @cyclonedx/cyclonedx-library. The image is the
 * metadata component (type container), the distribution an `operating-system` component, each
 * package a `library` with its PURL, first CPE, licenses and, for archives the package is, the
 * archive's SHA-256. Locations, layers and the facts CycloneDX has no field for are properties.
 * The dependency graph says what contains what: image → OS → OS packages, image → language
 * packages, and an OS package → the language packages it installed.
 */
import { randomUUID } from 'node:crypto';
import type * as CycloneDX from '@cyclonedx/cyclonedx-library';
import { type Distro, type FileEntry, type Package, OS_PACKAGE_TYPES } from '../../model/index.js';
import { cyclonedxLibrary } from './cyclonedx-library.js';
import { classifyLicense } from './licenses.js';
import {
  imagePurl,
  PROPERTY,
  type SbomFormat,
  type SbomInput,
  type ToolInfo,
} from './sbom-format.js';

const IMAGE_REF = 'image';

export const cyclonedxFormat: SbomFormat = {
  name: 'cyclonedx-json',
  manyImages: false,
  showsSecrets: false,
  *render(inputs, tool) {
    const input = inputs[0];
    if (input === undefined) return;
    yield serializeBom(buildBom(input, tool));
  },
};

/** The document as CycloneDX 1.6 JSON, its lists in the order they were built. */
export function serializeBom(bom: CycloneDX.Models.Bom): string {
  const { Serialize, Spec } = cyclonedxLibrary();
  const serializer = new Serialize.JsonSerializer(
    new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6),
  );
  return `${serializer.serialize(bom, { sortLists: false, space: 2 })}\n`;
}

export function buildBom(input: SbomInput, tool: ToolInfo): CycloneDX.Models.Bom {
  const { Enums, Models } = cyclonedxLibrary();
  const image = imageComponent(input);
  const bom = new Models.Bom({
    serialNumber: `urn:uuid:${randomUUID()}`,
    metadata: new Models.Metadata({
      timestamp: tool.timestamp,
      tools: new Models.Tools({
        components: new Models.ComponentRepository([
          new Models.Component(Enums.ComponentType.Application, tool.name, {
            version: tool.version,
          }),
        ]),
      }),
      component: image,
    }),
  });
  const { distro, packages } = input.content;
  const os = distro === undefined ? undefined : osComponent(distro);
  if (os !== undefined) {
    bom.components.add(os);
    image.dependencies.add(os.bomRef);
  }
  const archives = new Map(input.files.map((file) => [file.path, file]));
  const byId = new Map<string, CycloneDX.Models.Component>();
  for (const pkg of packages) {
    const component = packageComponent(pkg, archives);
    byId.set(pkg.id, component);
    bom.components.add(component);
  }
  for (const pkg of packages) {
    const ref = byId.get(pkg.id)?.bomRef;
    if (ref === undefined) continue;
    const owner = pkg.ownedBy === undefined ? undefined : byId.get(pkg.ownedBy);
    const parent = owner ?? (OS_PACKAGE_TYPES.has(pkg.type) && os !== undefined ? os : image);
    parent.dependencies.add(ref);
  }
  return bom;
}

function imageComponent(input: SbomInput): CycloneDX.Models.Component {
  const { Enums, Models } = cyclonedxLibrary();
  const { subject, metadata } = input;
  const component = new Models.Component(Enums.ComponentType.Container, subject.name, {
    bomRef: IMAGE_REF,
    version: subject.digest,
    purl: imagePurl(input),
  });
  addProperties(component, [
    [PROPERTY.platform, subject.platform],
    [PROPERTY.imageId, metadata?.imageId],
  ]);
  return component;
}

function osComponent(distro: Distro): CycloneDX.Models.Component {
  const { Enums, Models } = cyclonedxLibrary();
  const component = new Models.Component(Enums.ComponentType.OperatingSystem, distro.id, {
    bomRef: `os:${distro.id}@${distro.versionId ?? ''}`,
    version: distro.versionId,
    description: distro.prettyName,
  });
  addProperties(component, [
    [`${PROPERTY.distroPrefix}id`, distro.id],
    [`${PROPERTY.distroPrefix}versionId`, distro.versionId],
    [`${PROPERTY.distroPrefix}versionCodename`, distro.versionCodename],
    [`${PROPERTY.distroPrefix}prettyName`, distro.prettyName],
    [`${PROPERTY.distroPrefix}source`, distro.source],
    ...distro.idLike.map((like, i): [string, string] => [
      `${PROPERTY.distroPrefix}idLike:${i}`,
      like,
    ]),
  ]);
  return component;
}

function packageComponent(
  pkg: Package,
  files: ReadonlyMap<string, FileEntry>,
): CycloneDX.Models.Component {
  const { Enums, Models, Types } = cyclonedxLibrary();
  const cpe = pkg.cpes.find((c) => Types.isCPE(c));
  const component = new Models.Component(Enums.ComponentType.Library, pkg.name, {
    bomRef: pkg.id,
    version: pkg.version,
    purl: pkg.purl === '' ? undefined : pkg.purl,
    cpe,
    licenses: new Models.LicenseRepository(licenses(pkg.licenses)),
  });
  for (const [algorithm, digest] of archiveDigests(pkg, files))
    component.hashes.set(algorithm, digest);
  addProperties(component, [
    [PROPERTY.packageType, pkg.type],
    [PROPERTY.architecture, pkg.architecture],
    [PROPERTY.sourceName, pkg.source?.name],
    [PROPERTY.sourceVersion, pkg.source?.version],
    [PROPERTY.size, pkg.size],
    [PROPERTY.ownedBy, pkg.ownedBy],
    ...pkg.cpes
      .filter((other) => other !== cpe)
      .map((other): [string, string] => [PROPERTY.cpe, other]),
    ...pkg.locations.flatMap((location, i): [string, string | number][] => [
      [`${PROPERTY.locationPrefix}${i}:path`, location.path],
      [`${PROPERTY.locationPrefix}${i}:layerDigest`, location.layerDigest],
      [`${PROPERTY.locationPrefix}${i}:layerIndex`, location.layerIndex],
    ]),
    ...Object.entries(pkg.metadata ?? {}).map(
      ([key, value]): [string, string | number | undefined] => [
        `${PROPERTY.metadataPrefix}${key}`,
        value,
      ],
    ),
  ]);
  return component;
}

/**
 * A jar is the package: its digests identify it (Maven Central is searchable by SHA-1). The
 * cataloger records the SHA-1 of every archive, nested ones too; the inventory has the SHA-256 of
 * top-level ones.
 */
function archiveDigests(
  pkg: Package,
  files: ReadonlyMap<string, FileEntry>,
): [CycloneDX.Enums.HashAlgorithm, string][] {
  const { Enums } = cyclonedxLibrary();
  if (pkg.type !== 'java') return [];
  const digests: [CycloneDX.Enums.HashAlgorithm, string][] = [];
  const sha1 = pkg.metadata?.sha1;
  if (typeof sha1 === 'string' && /^[0-9a-f]{40}$/.test(sha1))
    digests.push([Enums.HashAlgorithm['SHA-1'], sha1]);
  const path = pkg.locations[0]?.path;
  const sha256 = path === undefined ? undefined : files.get(path)?.sha256;
  if (sha256 !== undefined) digests.push([Enums.HashAlgorithm['SHA-256'], sha256]);
  return digests;
}

/**
 * CycloneDX allows either license entries or one expression: a lone compound expression stays an
 * expression, anything else becomes SPDX ids and names.
 */
function licenses(texts: readonly string[]): CycloneDX.Models.License[] {
  const { Models } = cyclonedxLibrary();
  const kinds = texts.filter((text) => text.trim() !== '').map(classifyLicense);
  const only = kinds.length === 1 ? kinds[0] : undefined;
  if (only?.kind === 'expression') return [new Models.LicenseExpression(only.expression)];
  return kinds.map((kind) => {
    if (kind.kind === 'id') return new Models.SpdxLicense(kind.id);
    return new Models.NamedLicense(kind.kind === 'name' ? kind.name : kind.expression);
  });
}

function addProperties(
  component: CycloneDX.Models.Component,
  entries: readonly (readonly [string, string | number | undefined])[],
): void {
  const { Models } = cyclonedxLibrary();
  for (const [name, value] of entries) {
    if (value !== undefined && value !== '')
      component.properties.add(new Models.Property(name, String(value)));
  }
}
