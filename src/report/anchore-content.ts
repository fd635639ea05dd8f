/**
 * The JSON Anchore Engine answers for `GET /v1/images/{digest}/content/{type}`
 * (ContentPackageResponse, ContentJAVAPackageResponse, ContentFilesResponse), built the way the
 * engine fills them from its analysis: OS packages keyed by name with origin, size and source
 * package; language packages with their location and "Unknown" where a field is empty; files with
 * a five-digit octal mode and `slink`/`dev` types. Shared by `drydock content` and the engine API.
 */
import { PackageURL } from 'packageurl-js';
import type {
  FileEntry,
  ImageAnalysis,
  ImageContent,
  Package,
  PackageType,
} from '../model/index.js';
import { jsonArray } from './json-lines.js';
import { EMPTY_CONTENT } from './sbom/sbom-format.js';
import { columns } from './table.js';

/** The content types drydock serves, in Anchore's order (`malware` needs a scanner drydock lacks). */
export const ANCHORE_CONTENT_TYPES = [
  'os',
  'files',
  'npm',
  'gem',
  'python',
  'java',
  'binary',
  'go',
] as const;
export type AnchoreContentType = (typeof ANCHORE_CONTENT_TYPES)[number];

export function isAnchoreContentType(value: string): value is AnchoreContentType {
  return (ANCHORE_CONTENT_TYPES as readonly string[]).includes(value);
}

/** What the content builders read: the files and the catalogued content of one image. */
export interface AnchoreContentInput {
  imageDigest: string;
  files: readonly FileEntry[];
  content: ImageContent;
}

/** An analysed image's content, keyed by its manifest digest (else its image ID), as the engine keys it. */
export function anchoreContentInput(
  analysis: Pick<ImageAnalysis, 'metadata' | 'files' | 'content'>,
): AnchoreContentInput {
  const { metadata } = analysis;
  return {
    imageDigest: metadata.manifestDigest ?? metadata.imageId ?? '',
    files: analysis.files,
    content: analysis.content ?? EMPTY_CONTENT,
  };
}

export interface AnchorePackageEntry {
  package: string;
  version: string;
  type: string;
  origin: string;
  license: string;
  licenses: string[];
  cpes: string[];
  location?: string;
  size?: string;
  sourcepkg?: string;
}

export interface AnchoreJavaEntry {
  package: string;
  version: string;
  type: string;
  location: string;
  'specification-version': string;
  'implementation-version': string;
  'maven-version': string;
  origin: string;
  cpes: string[];
  metadata: { 'pom.properties': string };
}

export interface AnchoreFileEntry {
  filename: string;
  gid: number;
  linkdest: string | null;
  mode: string;
  sha256: string | null;
  size: number;
  type: string;
  uid: number;
}

export type AnchoreContentEntry = AnchorePackageEntry | AnchoreJavaEntry | AnchoreFileEntry;

export interface AnchoreContentResponse {
  imageDigest: string;
  content_type: AnchoreContentType;
  content: AnchoreContentEntry[];
}

export function anchoreContent(
  input: AnchoreContentInput,
  type: AnchoreContentType,
): AnchoreContentResponse {
  return {
    imageDigest: input.imageDigest,
    content_type: type,
    content: [...contentEntries(input, type)],
  };
}

/** The entries one at a time: a file listing can have a million. */
export function* contentEntries(
  input: AnchoreContentInput,
  type: AnchoreContentType,
): Generator<AnchoreContentEntry> {
  if (type === 'files') {
    for (const file of input.files) yield fileEntry(file);
  } else if (type === 'java') {
    for (const pkg of packagesOf(input, type)) yield javaEntry(pkg);
  } else {
    for (const pkg of packagesOf(input, type)) yield PACKAGE_BUILDERS[type](pkg);
  }
}

function* packagesOf(input: AnchoreContentInput, type: AnchoreContentType): Generator<Package> {
  for (const pkg of input.content.packages) if (CONTENT_TYPE_OF[pkg.type] === type) yield pkg;
}

/** How many entries each type has, for the listing of available types. */
export function contentCounts(input: AnchoreContentInput): Record<AnchoreContentType, number> {
  const counts = Object.fromEntries(ANCHORE_CONTENT_TYPES.map((t) => [t, 0])) as Record<
    AnchoreContentType,
    number
  >;
  counts.files = input.files.length;
  for (const pkg of input.content.packages) counts[CONTENT_TYPE_OF[pkg.type]]++;
  return counts;
}

const CONTENT_TYPE_OF: Record<PackageType, Exclude<AnchoreContentType, 'files'>> = {
  dpkg: 'os',
  apk: 'os',
  rpm: 'os',
  npm: 'npm',
  gem: 'gem',
  python: 'python',
  java: 'java',
  go: 'go',
};

const PACKAGE_BUILDERS: Record<
  Exclude<AnchoreContentType, 'files' | 'java'>,
  (pkg: Package) => AnchorePackageEntry
> = {
  os: osEntry,
  npm: (pkg) => languageEntry(pkg, 'NPM', pkg.locations[0]?.path ?? ''),
  gem: (pkg) => languageEntry(pkg, 'GEM', pkg.locations[0]?.path ?? ''),
  python: (pkg) =>
    languageEntry(
      pkg,
      'PYTHON',
      text(pkg.metadata?.sitePackages) ?? sitePackagesRoot(pkg.locations[0]?.path ?? ''),
    ),
  go: goEntry,
  // drydock has no binary cataloger: no package is ever of this type.
  binary: goEntry,
};

/** Anchore's names for the OS package types, as its analyzer wrote them. */
const OS_TYPE_NAME: Partial<Record<PackageType, string>> = {
  dpkg: 'dpkg',
  apk: 'APKG',
  rpm: 'rpm',
};

function osEntry(pkg: Package): AnchorePackageEntry {
  const license =
    pkg.licenses.length > 0 ? pkg.licenses.join(' ') : pkg.type === 'dpkg' ? 'Unknown' : 'N/A';
  return {
    package: pkg.name,
    version: pkg.version,
    size: pkg.size === undefined ? 'N/A' : String(pkg.size),
    type: OS_TYPE_NAME[pkg.type] ?? pkg.type,
    origin: osOrigin(pkg),
    license,
    licenses: license.split(' '),
    cpes: pkg.cpes,
    sourcepkg: sourcePackage(pkg),
  };
}

/** dpkg: the maintainer, marked as such; apk: the maintainer; rpm: the vendor, or "(none)". */
function osOrigin(pkg: Package): string {
  if (pkg.type === 'rpm') return text(pkg.metadata?.vendor) ?? '(none)';
  const maintainer = text(pkg.metadata?.maintainer);
  if (maintainer === undefined) return 'N/A';
  return pkg.type === 'dpkg' ? `${maintainer} (maintainer)` : maintainer;
}

/** rpm names its source rpm file; dpkg and apk name the source package. */
function sourcePackage(pkg: Package): string {
  if (pkg.type === 'rpm') {
    const sourceRpm = text(pkg.metadata?.sourceRpm);
    if (sourceRpm !== undefined) return sourceRpm;
    if (pkg.source?.version !== undefined)
      return `${pkg.source.name}-${pkg.source.version}.src.rpm`;
  }
  return pkg.source?.name ?? 'N/A';
}

function languageEntry(pkg: Package, type: string, location: string): AnchorePackageEntry {
  const license = pkg.licenses.join(' ') || 'Unknown';
  return {
    package: pkg.name,
    type,
    location,
    version: pkg.version,
    origin: author(pkg) ?? 'Unknown',
    license,
    licenses: pkg.licenses.length > 0 ? [...pkg.licenses] : ['Unknown'],
    cpes: pkg.cpes,
  };
}

/** npm and Python catalogers record `author` (Python's may carry the email); gems `authors`. */
function author(pkg: Package): string | undefined {
  const name = text(pkg.metadata?.author) ?? text(pkg.metadata?.authors);
  const email = text(pkg.metadata?.authorEmail);
  if (name === undefined) return email;
  return email === undefined ? name : `${name} <${email}>`;
}

/** Anchore lists a Python package at its site-packages directory, not at its METADATA file. */
function sitePackagesRoot(path: string): string {
  const parts = path.split('/');
  const manifestDir = parts.findLastIndex((part) => /\.(dist|egg)-info$/.test(part));
  return manifestDir > 0 ? parts.slice(0, manifestDir).join('/') || '/' : path;
}

function javaEntry(pkg: Package): AnchoreJavaEntry {
  const location = pkg.locations[0]?.path ?? '';
  const coordinates = mavenCoordinates(pkg.purl);
  const groupId = text(pkg.metadata?.groupId) ?? coordinates?.groupId;
  const artifactId = text(pkg.metadata?.artifactId) ?? coordinates?.artifactId;
  // Anchore's maven-version is the pom.properties version; without a pom there is none.
  const mavenVersion = text(pkg.metadata?.mavenVersion) ?? 'N/A';
  return {
    package: pkg.name,
    type: `JAVA-${archiveExtension(location).toUpperCase()}`,
    location,
    'specification-version': text(pkg.metadata?.specificationVersion) ?? 'N/A',
    'implementation-version': text(pkg.metadata?.implementationVersion) ?? 'N/A',
    'maven-version': mavenVersion,
    origin:
      groupId ??
      text(pkg.metadata?.specificationVendor) ??
      text(pkg.metadata?.implementationVendor) ??
      'N/A',
    cpes: pkg.cpes,
    metadata: {
      'pom.properties': `\ngroupId=${groupId ?? 'None'}\nartifactId=${artifactId ?? 'None'}\nversion=${mavenVersion === 'N/A' ? 'None' : mavenVersion}\n`,
    },
    version: pkg.version || 'N/A',
  };
}

function mavenCoordinates(purl: string): { groupId?: string; artifactId: string } | undefined {
  try {
    const parsed = PackageURL.fromString(purl);
    if (parsed.type !== 'maven') return undefined;
    return { groupId: parsed.namespace ?? undefined, artifactId: parsed.name };
  } catch {
    return undefined;
  }
}

/** `jar` for `/app/lib/x.jar` and for a jar nested in a war (`/app/a.war:WEB-INF/lib/x.jar`). */
function archiveExtension(location: string): string {
  const inner = location.split(/[:!]/).findLast((part) => part.includes('.')) ?? location;
  const dot = inner.lastIndexOf('.');
  return dot < 0 ? 'jar' : inner.slice(dot + 1);
}

function goEntry(pkg: Package): AnchorePackageEntry {
  const license = pkg.licenses.join(' ') || 'N/A';
  return {
    package: pkg.name,
    type: pkg.type.toUpperCase(),
    location: pkg.locations[0]?.path ?? 'Unknown',
    version: pkg.version || 'Unknown',
    origin: 'N/A',
    license,
    licenses: license.split(' '),
    cpes: pkg.cpes,
  };
}

const FILE_TYPE_NAME: Record<FileEntry['type'], string> = {
  file: 'file',
  hardlink: 'file',
  dir: 'dir',
  symlink: 'slink',
  char: 'dev',
  block: 'dev',
  fifo: 'dev',
};

function fileEntry(file: FileEntry): AnchoreFileEntry {
  const symlink = file.type === 'symlink';
  return {
    filename: file.path,
    gid: file.gid,
    linkdest: symlink ? (file.linkTarget ?? '') : null,
    mode: (file.mode & 0o7777).toString(8).padStart(5, '0'),
    sha256: file.sha256 ?? null,
    // Anchore gives a symlink the length of its target as its size, as `ls -l` does.
    size: symlink ? Buffer.byteLength(file.linkTarget ?? '') : file.size,
    type: FILE_TYPE_NAME[file.type],
    uid: file.uid,
  };
}

function text(value: string | number | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  return String(value);
}

/**
 * The table anchore-cli prints for `image content IMAGE TYPE`: Package/Version/Licenses for os,
 * Filename/Size (largest first) for files, Package/Specification-/Implementation-Version/Location
 * for java, Package/Version/Location for the others; sorted by package.
 */
export function anchoreContentTable(input: AnchoreContentInput, type: AnchoreContentType): string {
  if (type === 'files') {
    const files = input.files.map(fileEntry).sort((a, b) => b.size - a.size);
    return columns(
      ['Filename', 'Size'],
      files.map((f) => [f.filename, String(f.size)]),
    );
  }
  if (type === 'java') {
    const jars = [...packagesOf(input, type)].map(javaEntry).sort(byPackage);
    return columns(
      ['Package', 'Specification-Version', 'Implementation-Version', 'Location'],
      jars.map((p) => [
        p.package,
        p['specification-version'],
        p['implementation-version'],
        p.location,
      ]),
    );
  }
  const packages = [...packagesOf(input, type)].map(PACKAGE_BUILDERS[type]).sort(byPackage);
  return type === 'os'
    ? columns(
        ['Package', 'Version', 'Licenses'],
        packages.map((p) => [p.package, p.version, p.licenses.join(' ')]),
      )
    : columns(
        ['Package', 'Version', 'Location'],
        packages.map((p) => [p.package, p.version, p.location ?? '']),
      );
}

function byPackage(a: { package: string }, b: { package: string }): number {
  return a.package.localeCompare(b.package);
}

/**
 * The response as JSON, one entry per line; several images (`--platform all`) give an array of
 * responses.
 */
export function* anchoreContentJson(
  inputs: readonly AnchoreContentInput[],
  type: AnchoreContentType,
  asArray: boolean,
): Generator<string> {
  if (asArray) yield '[\n';
  for (const [i, input] of inputs.entries()) {
    if (i > 0) yield ',\n';
    const head = JSON.stringify({ imageDigest: input.imageDigest, content_type: type });
    yield `${head.slice(0, -1)},"content":`;
    yield* jsonArray(contentEntries(input, type), '');
    yield '}';
  }
  yield asArray ? '\n]\n' : '\n';
}
