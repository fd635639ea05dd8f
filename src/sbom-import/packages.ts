/**
 * Turns what an SBOM says about one package (name, version, PURL, CPEs, licenses, locations and
 * the properties tools add) into a drydock Package. The PURL decides the package type; drydock's,
 * Syft's and Trivy's own properties fill in what the standards have no field for.
 */
import { PackageURL } from 'packageurl-js';
import { packageId } from '../catalog/cataloger.js';
import {
  DrydockError,
  type Package,
  type PackageLocation,
  type PackageType,
  PACKAGE_TYPES,
} from '../model/index.js';
import { PROPERTY } from '../report/sbom/sbom-format.js';
import type { ReadContext } from './fields.js';

/** One package as the document states it, before drydock's model is applied. */
export interface PackageRecord {
  /** The document's own id for it (bom-ref, SPDXID), to resolve ownership. */
  ref?: string;
  name?: string;
  version?: string;
  purl?: string;
  cpes: string[];
  licenses: string[];
  /** Name → values, in document order (a name may repeat). */
  properties: ReadonlyMap<string, readonly string[]>;
  /** Locations the format itself states (SPDX sourceInfo); properties may add more. */
  locations: PackageLocation[];
  /** The ref of the package that installed this one, when the document says so. */
  ownerRef?: string;
}

const PURL_TYPES: Readonly<Record<string, PackageType>> = {
  deb: 'dpkg',
  apk: 'apk',
  rpm: 'rpm',
  npm: 'npm',
  pypi: 'python',
  gem: 'gem',
  maven: 'java',
  golang: 'go',
};

/** Syft's `syft:package:type` values, for packages without a PURL. */
const SYFT_TYPES: Readonly<Record<string, PackageType>> = {
  deb: 'dpkg',
  apk: 'apk',
  rpm: 'rpm',
  npm: 'npm',
  python: 'python',
  gem: 'gem',
  'java-archive': 'java',
  'jenkins-plugin': 'java',
  'go-module': 'go',
};

interface ParsedPurl {
  type: string;
  version?: string;
  qualifiers: Readonly<Record<string, string>>;
}

/** Collects packages, skipping (and counting, for one warning) the ones drydock has no type for. */
export class PackageCollector {
  private readonly packages = new Map<string, Package>();
  private readonly ownerRefs = new Map<string, string>();
  private readonly idOfRef = new Map<string, string>();
  private readonly skipped = new Map<string, number>();
  private seen = 0;

  constructor(private readonly context: ReadContext) {}

  add(record: PackageRecord): void {
    const { limits, origin } = this.context;
    if (++this.seen > limits.maxPackages) {
      throw new DrydockError(
        'limit-exceeded',
        `${origin}: more than ${limits.maxPackages} packages, more than drydock reads from one SBOM`,
      );
    }
    const purl = parsePurl(record.purl);
    const type = packageType(record, purl);
    if (type === undefined || record.name === undefined) {
      const kind = purl?.type ?? 'without a PURL';
      this.skipped.set(kind, (this.skipped.get(kind) ?? 0) + 1);
      return;
    }
    const pkg = toPackage({ ...record, name: record.name }, type, purl);
    if (record.ref !== undefined) this.idOfRef.set(record.ref, pkg.id);
    // The same package listed twice (a tool's duplicate) is one package, as the cataloger runner does.
    if (this.packages.has(pkg.id)) return;
    this.packages.set(pkg.id, pkg);
    const owner = record.ownerRef ?? first(record.properties, PROPERTY.ownedBy);
    if (owner !== undefined) this.ownerRefs.set(pkg.id, owner);
  }

  /** The packages, with ownership resolved from document refs to package ids. */
  finish(): Package[] {
    for (const [id, ref] of this.ownerRefs) {
      const pkg = this.packages.get(id);
      const owner = this.idOfRef.get(ref);
      if (pkg !== undefined && owner !== undefined && owner !== id) pkg.ownedBy = owner;
    }
    if (this.skipped.size > 0) {
      const kinds = [...this.skipped].map(([kind, n]) => `${kind} (${n})`).join(', ');
      this.context.warnings.push(
        `${this.context.origin}: skipped packages of types drydock does not catalog: ${kinds}`,
      );
    }
    return [...this.packages.values()];
  }
}

function packageType(record: PackageRecord, purl: ParsedPurl | undefined): PackageType | undefined {
  const own = first(record.properties, PROPERTY.packageType);
  if (own !== undefined && (PACKAGE_TYPES as readonly string[]).includes(own))
    return own as PackageType;
  if (purl !== undefined) return PURL_TYPES[purl.type];
  const syft = first(record.properties, 'syft:package:type');
  return syft === undefined ? undefined : SYFT_TYPES[syft];
}

function toPackage(
  record: PackageRecord & { name: string },
  type: PackageType,
  purl: ParsedPurl | undefined,
): Package {
  const locations = [...record.locations, ...propertyLocations(record.properties)];
  const found = {
    type,
    name: record.name,
    version: packageVersion(record, type, purl),
    locations,
  };
  const metadata = prefixed(record.properties, PROPERTY.metadataPrefix);
  const size = Number(first(record.properties, PROPERTY.size));
  const source = sourceOf(record.properties, purl);
  return {
    id: packageId(found),
    ...found,
    architecture: first(record.properties, PROPERTY.architecture) ?? purl?.qualifiers.arch,
    ...(source === undefined ? {} : { source }),
    licenses: record.licenses,
    purl: record.purl ?? '',
    cpes: [
      ...new Set([
        ...record.cpes,
        ...all(record.properties, PROPERTY.cpe),
        ...all(record.properties, 'syft:cpe23'),
      ]),
    ],
    ...(Number.isSafeInteger(size) && size >= 0 ? { size } : {}),
    ...(Object.keys(metadata).length === 0 ? {} : { metadata }),
  };
}

/**
 * The version as drydock keeps it. rpm's is `[epoch:]version-release`, but PURLs (and so Trivy)
 * carry the epoch as a qualifier and some tools drop the release from the version field: for rpm
 * the PURL's version and epoch win.
 */
function packageVersion(
  record: PackageRecord,
  type: PackageType,
  purl: ParsedPurl | undefined,
): string {
  if (type !== 'rpm') return record.version ?? purl?.version ?? '';
  const stated = record.version ?? '';
  const colon = stated.indexOf(':');
  const statedEpoch =
    colon > 0 && /^\d+$/.test(stated.slice(0, colon)) ? stated.slice(0, colon) : undefined;
  const base = purl?.version ?? (statedEpoch === undefined ? stated : stated.slice(colon + 1));
  const epoch = purl?.qualifiers.epoch ?? statedEpoch;
  return epoch === undefined || epoch === '0' ? base : `${epoch}:${base}`;
}

/** drydock's own source properties, Trivy's SrcName/SrcVersion, or the PURL's `upstream`. */
function sourceOf(
  properties: ReadonlyMap<string, readonly string[]>,
  purl: ParsedPurl | undefined,
): Package['source'] {
  const name =
    first(properties, PROPERTY.sourceName) ?? first(properties, 'aquasecurity:trivy:SrcName');
  if (name !== undefined) {
    const version = first(properties, PROPERTY.sourceVersion) ?? trivySourceVersion(properties);
    return version === undefined ? { name } : { name, version };
  }
  const upstream = purl?.qualifiers.upstream;
  if (upstream === undefined) return undefined;
  const at = upstream.indexOf('@');
  return at < 0
    ? { name: upstream }
    : { name: upstream.slice(0, at), version: upstream.slice(at + 1) };
}

function trivySourceVersion(
  properties: ReadonlyMap<string, readonly string[]>,
): string | undefined {
  const version = first(properties, 'aquasecurity:trivy:SrcVersion');
  const release = first(properties, 'aquasecurity:trivy:SrcRelease');
  if (version === undefined) return undefined;
  return release === undefined ? version : `${version}-${release}`;
}

/**
 * Locations from properties: drydock's `drydock:location:N:path|layerDigest|layerIndex`, Syft's
 * `syft:location:N:path|layerID`, Trivy's `FilePath` and `LayerDigest`.
 */
function propertyLocations(properties: ReadonlyMap<string, readonly string[]>): PackageLocation[] {
  const numbered = new Map<number, PackageLocation>();
  for (const [name, values] of properties) {
    const match = /^(drydock|syft):location:(\d{1,6}):(path|layerDigest|layerIndex|layerID)$/.exec(
      name,
    );
    const value = values[0];
    if (match === null || value === undefined) continue;
    const index = Number(match[2]);
    const location = numbered.get(index) ?? { path: '', layerDigest: '', layerIndex: -1 };
    if (match[3] === 'path') location.path = value;
    else if (match[3] === 'layerIndex')
      location.layerIndex = Number.isSafeInteger(Number(value)) ? Number(value) : -1;
    else location.layerDigest = value;
    numbered.set(index, location);
  }
  const locations = [...numbered].sort(([a], [b]) => a - b).map(([, location]) => location);
  const trivyPath = first(properties, 'aquasecurity:trivy:FilePath');
  if (locations.length === 0 && trivyPath !== undefined) {
    const path = trivyPath.startsWith('/') ? trivyPath : `/${trivyPath}`;
    const layerDigest = first(properties, 'aquasecurity:trivy:LayerDigest') ?? '';
    locations.push({ path, layerDigest, layerIndex: -1 });
  }
  return locations.filter((location) => location.path !== '');
}

function parsePurl(text: string | undefined): ParsedPurl | undefined {
  if (text === undefined) return undefined;
  try {
    const purl = PackageURL.fromString(text);
    return {
      type: purl.type,
      version: purl.version ?? undefined,
      qualifiers: purl.qualifiers ?? {},
    };
  } catch {
    return undefined;
  }
}

/** `Object.fromEntries`, not assignment: a property named `__proto__` must stay a plain key. */
function prefixed(
  properties: ReadonlyMap<string, readonly string[]>,
  prefix: string,
): Record<string, string> {
  return Object.fromEntries(
    [...properties].flatMap(([name, values]) => {
      const value = values[0];
      return name.startsWith(prefix) && name.length > prefix.length && value !== undefined
        ? [[name.slice(prefix.length), value]]
        : [];
    }),
  );
}

export function first(
  properties: ReadonlyMap<string, readonly string[]>,
  name: string,
): string | undefined {
  return properties.get(name)?.[0];
}

function all(properties: ReadonlyMap<string, readonly string[]>, name: string): readonly string[] {
  return properties.get(name) ?? [];
}
