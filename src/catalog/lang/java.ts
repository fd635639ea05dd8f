/**
 * Java packages from archives (`.jar .war .ear .jpi .hpi .par .sar .nar`), archives nested inside
 * them included. An archive yields one package per `META-INF/maven/**\/pom.properties` (a fat jar
 * holds many), else one per `pom.xml` there, else, when it has a manifest, one named from the file
 * name (`commons-lang3-3.12.0.jar`) or the manifest, as Syft does. Archives are parsed while their
 * layer streams and only the package list is kept; nesting depth and the bytes inflated from one
 * file are bounded, and a refused or broken archive is a warning, not a failure.
 */
import { createHash } from 'node:crypto';
import type { CatalogContext, Cataloger, FoundPackage } from '../cataloger.js';
import { locationOf } from '../cataloger.js';
import { bytesCollector, collectedValues } from '../collectors.js';
import { cpes, purl } from '../identifiers.js';
import { ZipError } from '../../util/zip.js';
import { listZipEntries, readZipEntry, type ZipEntry } from './zip.js';
import { BoundedMessages } from '../../util/bounded-messages.js';

export interface JavaArchiveLimits {
  /** Archives inside archives followed this deep (the file itself is depth 0). */
  maxDepth: number;
  /** Bytes inflated from one file, nested archives and their entries together. */
  maxInflatedBytes: number;
  /** Most bytes of one manifest, pom.properties or pom.xml. */
  maxTextBytes: number;
  /** Packages kept from one file. */
  maxPackages: number;
}

export const DEFAULT_JAVA_LIMITS: JavaArchiveLimits = {
  maxDepth: 8,
  maxInflatedBytes: 512 * 1024 ** 2,
  maxTextBytes: 1024 ** 2,
  maxPackages: 10_000,
};

/** Archives larger than this are not read (their bytes are held while the layer streams). */
export const MAX_JAVA_ARCHIVE_BYTES = 256 * 1024 ** 2;
const MAX_WARNINGS = 20;
const ARCHIVE_EXTENSIONS = ['.jar', '.war', '.ear', '.jpi', '.hpi', '.par', '.sar', '.nar'];
const MANIFEST_PATH = 'META-INF/MANIFEST.MF';
const POM_PROPERTIES = /^META-INF\/maven\/.+\/pom\.properties$/;
const POM_XML = /^META-INF\/maven\/.+\/pom\.xml$/;

/** One package found in an archive. */
export interface JavaArchivePackage {
  /** Entry names leading from the collected file to the archive holding the package. */
  nesting: string[];
  name: string;
  version: string;
  groupId?: string;
  /** Of the archive holding the package: the file itself or the nested entry's bytes. */
  sha1: string;
  /** Where name and version came from. */
  source: 'pom.properties' | 'pom.xml' | 'manifest';
  specificationVersion?: string;
  implementationVersion?: string;
  specificationVendor?: string;
  implementationVendor?: string;
  /** The version maven files record (absent for a manifest-only package). */
  mavenVersion?: string;
}

/** What the collector keeps of one archive file. */
export interface JavaArchiveValue {
  packages: JavaArchivePackage[];
  warnings: string[];
}

export function isJavaArchive(path: string): boolean {
  const lower = path.toLowerCase();
  return ARCHIVE_EXTENSIONS.some((extension) => lower.endsWith(extension));
}

/** Reads every package of an archive and of the archives nested in it. */
export function readJavaArchive(
  data: Buffer,
  fileName: string,
  limits: JavaArchiveLimits = DEFAULT_JAVA_LIMITS,
): JavaArchiveValue {
  const walk = new ArchiveWalk(limits);
  walk.visit(data, fileName, []);
  return { packages: walk.packages, warnings: walk.warnings() };
}

class ArchiveWalk {
  readonly packages: JavaArchivePackage[] = [];
  private readonly warningList = new BoundedMessages(MAX_WARNINGS);
  private inflated = 0;

  constructor(private readonly limits: JavaArchiveLimits) {}

  warnings(): string[] {
    return this.warningList.list('warnings');
  }

  visit(data: Buffer, fileName: string, nesting: string[]): void {
    try {
      const entries = listZipEntries(data);
      const sha1 = createHash('sha1').update(data).digest('hex');
      for (const found of this.packagesOf(data, entries, fileName))
        this.keep({ ...found, nesting, sha1 });
      for (const entry of entries.filter((e) => isJavaArchive(e.name) && !e.name.endsWith('/')))
        this.visitNested(data, entry, [...nesting, entry.name]);
    } catch (error) {
      if (!(error instanceof ZipError)) throw error;
      this.warn(nesting, error.message);
    }
  }

  private visitNested(data: Buffer, entry: ZipEntry, nesting: string[]): void {
    if (nesting.length > this.limits.maxDepth) {
      this.warn(nesting, `nested deeper than ${this.limits.maxDepth} archives; not read`);
      return;
    }
    try {
      const inner = this.inflate(data, entry);
      this.visit(inner, baseName(entry.name), nesting);
    } catch (error) {
      if (!(error instanceof ZipError)) throw error;
      this.warn(nesting, error.message);
    }
  }

  /** Entry bytes, counted against the file's inflation budget (a zip bomb runs it out). */
  private inflate(data: Buffer, entry: ZipEntry, maxBytes = Infinity): Buffer {
    const remaining = this.limits.maxInflatedBytes - this.inflated;
    if (entry.uncompressedSize > remaining)
      throw new ZipError(
        `${entry.name}: inflating it would pass ${this.limits.maxInflatedBytes} bytes for this file (a zip bomb?); not read`,
      );
    const content = readZipEntry(data, entry, Math.min(remaining, maxBytes));
    this.inflated += content.length;
    return content;
  }

  /**
   * The maven packages, and the archive's own package from its manifest and file name unless a
   * maven package already is it (a shaded jar's pom.properties describe what it bundles).
   */
  private packagesOf(
    data: Buffer,
    entries: readonly ZipEntry[],
    fileName: string,
  ): FoundInArchive[] {
    const text = (entry: ZipEntry): string =>
      this.inflate(data, entry, this.limits.maxTextBytes).toString('utf8');
    const manifestEntry = entries.find((e) => e.name.toUpperCase() === MANIFEST_PATH);
    const manifest = manifestEntry === undefined ? undefined : parseManifest(text(manifestEntry));
    const fromMaven = mavenPackages(entries, text);
    const own = fromMaven.find((p) => describesFile(p, fileName));
    if (manifest === undefined) return fromMaven;
    if (own !== undefined) {
      Object.assign(own, manifestVersions(manifest));
      return fromMaven;
    }
    const fromManifest = manifestPackage(manifest, nameFromFileName(fileName));
    return fromManifest.name === '' ? fromMaven : [fromManifest, ...fromMaven];
  }

  private keep(found: JavaArchivePackage): void {
    if (this.packages.length < this.limits.maxPackages) this.packages.push(found);
    else
      this.warn(
        found.nesting,
        `more than ${this.limits.maxPackages} packages; the rest are not listed`,
      );
  }

  private warn(nesting: readonly string[], message: string): void {
    this.warningList.add(nesting.length === 0 ? message : `${nesting.join(':')}: ${message}`);
  }
}

type FoundInArchive = Omit<JavaArchivePackage, 'nesting' | 'sha1'>;

/** One package per pom.properties; per pom.xml only when there is no pom.properties. */
function mavenPackages(
  entries: readonly ZipEntry[],
  text: (entry: ZipEntry) => string,
): FoundInArchive[] {
  const properties = entries.filter((e) => POM_PROPERTIES.test(e.name));
  if (properties.length > 0)
    return properties.flatMap((e) => mavenPackage(parseProperties(text(e)), 'pom.properties'));
  return entries
    .filter((e) => POM_XML.test(e.name))
    .flatMap((e) => mavenPackage(parsePomXml(text(e)), 'pom.xml'));
}

function mavenPackage(
  coordinates: Map<string, string>,
  source: 'pom.properties' | 'pom.xml',
): FoundInArchive[] {
  const name = coordinates.get('artifactId') ?? '';
  const version = coordinates.get('version') ?? '';
  if (name === '') return [];
  // `groupId=` names no group: the PURL then falls back to the name, as for a missing one.
  const written = coordinates.get('groupId');
  const groupId = written === '' ? undefined : written;
  return [{ name, version, groupId, source, mavenVersion: version }];
}

function manifestPackage(manifest: Map<string, string>, fromFile: FileNameParts): FoundInArchive {
  const name =
    fromFile.name ??
    manifest.get('Implementation-Title') ??
    manifest.get('Bundle-SymbolicName')?.split(';')[0] ??
    manifest.get('Bundle-Name') ??
    '';
  const version =
    fromFile.version ??
    manifest.get('Implementation-Version') ??
    manifest.get('Specification-Version') ??
    manifest.get('Bundle-Version') ??
    '';
  return { name: name.trim(), version, source: 'manifest', ...manifestVersions(manifest) };
}

/** The manifest's specification and implementation facts, which Anchore's java shape lists. */
function manifestVersions(
  manifest: Map<string, string>,
): Pick<
  FoundInArchive,
  'specificationVersion' | 'implementationVersion' | 'specificationVendor' | 'implementationVendor'
> {
  return {
    specificationVersion: manifest.get('Specification-Version'),
    implementationVersion: manifest.get('Implementation-Version'),
    specificationVendor: manifest.get('Specification-Vendor'),
    implementationVendor: manifest.get('Implementation-Vendor'),
  };
}

/** `commons-lang3-3.12.0.jar`, `commons-lang3.jar` and `error_prone_annotations.jar` alike. */
function describesFile(found: FoundInArchive, fileName: string): boolean {
  const normal = (name: string): string => name.toLowerCase().replace(/[_.]/g, '-');
  return normal(fileName).startsWith(normal(found.name));
}

interface FileNameParts {
  name?: string;
  version?: string;
}

/** `commons-lang3-3.12.0.jar` → commons-lang3, 3.12.0: the version starts at the first `-digit`. */
export function nameFromFileName(fileName: string): FileNameParts {
  const stem = fileName.replace(/\.[^.]*$/, '');
  const match = /^(.+?)-(\d[^/]*)$/.exec(stem);
  if (match === null) return stem === '' ? {} : { name: stem };
  return { name: match[1], version: match[2] };
}

/**
 * The main section of a manifest: `Name: value` lines, a line starting with one space continuing
 * the one before; the first blank line ends the section.
 */
export function parseManifest(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') {
      if (fields.size > 0) break;
      continue;
    }
    if (line.startsWith(' ') && last !== undefined) {
      fields.set(last, (fields.get(last) ?? '') + line.slice(1));
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim();
    fields.set(last, line.slice(colon + 1).trim());
  }
  return fields;
}

/**
 * A Java properties file: `key=value`, `key: value` or `key value`; `#` and `!` comments; a
 * trailing backslash continues the line; backslash escapes (`\t`, `\n`, `\uXXXX`) are decoded.
 */
export function parseProperties(text: string): Map<string, string> {
  const properties = new Map<string, string>();
  for (const line of logicalLines(text)) {
    const trimmed = line.trimStart();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('!')) continue;
    const separator = /^((?:[^\\=:\s]|\\.)*)\s*[=:\s]\s*/.exec(trimmed);
    const key = separator?.[1] ?? trimmed;
    const value = separator === null ? '' : trimmed.slice(separator[0].length);
    properties.set(unescapeProperty(key), unescapeProperty(value).trimEnd());
  }
  return properties;
}

/** Joins lines ending in an odd number of backslashes with the next (its indent dropped). */
function logicalLines(text: string): string[] {
  const lines: string[] = [];
  let pending: string | undefined;
  for (const raw of text.split(/\r\n|\r|\n/)) {
    const line = pending === undefined ? raw : raw.trimStart();
    const continued = trailingBackslashes(line) % 2 === 1;
    pending = (pending ?? '') + (continued ? line.slice(0, -1) : line);
    if (continued) continue;
    lines.push(pending);
    pending = undefined;
  }
  if (pending !== undefined) lines.push(pending);
  return lines;
}

function trailingBackslashes(line: string): number {
  let count = 0;
  while (line[line.length - 1 - count] === '\\') count++;
  return count;
}

const PROPERTY_ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f' };

function unescapeProperty(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, escaped: string) =>
    escaped.length === 5
      ? String.fromCharCode(parseInt(escaped.slice(1), 16))
      : (PROPERTY_ESCAPES[escaped] ?? escaped),
  );
}

/**
 * groupId, artifactId and version of a pom.xml's project, the parent's groupId and version
 * standing in for missing ones (Maven inherits them).
 */
export function parsePomXml(text: string): Map<string, string> {
  // Text pieces of the elements read, joined once at the end: joining (and trimming) as each
  // piece arrives would be quadratic in a pom.xml of many comment-separated pieces.
  const pieces = new Map<string, string[]>(POM_COORDINATE_PATHS.map((path) => [path, []]));
  const stack: string[] = [];
  for (const token of xmlTokens(text)) {
    if (token.kind === 'open') stack.push(localName(token.name));
    else if (token.kind === 'close') stack.pop();
    else if (stack.length <= 3) pieces.get(stack.join('/'))?.push(token.text);
  }
  const values = new Map<string, string>();
  for (const [path, parts] of pieces) {
    const value = parts.join('').trim();
    if (value !== '') values.set(path, value);
  }
  const inherited = (field: string): string | undefined =>
    values.get(`project/${field}`) ?? values.get(`project/parent/${field}`);
  const coordinates = {
    groupId: inherited('groupId'),
    artifactId: values.get('project/artifactId'),
    version: inherited('version'),
  };
  const result = new Map<string, string>();
  for (const [field, value] of Object.entries(coordinates))
    if (value !== undefined) result.set(field, value);
  return result;
}

/** The elements parsePomXml reads; the parent's stand in for a missing groupId or version. */
const POM_COORDINATE_PATHS = [
  'project/groupId',
  'project/artifactId',
  'project/version',
  'project/parent/groupId',
  'project/parent/version',
];

type XmlToken =
  { kind: 'open'; name: string } | { kind: 'close'; name: string } | { kind: 'text'; text: string };

/**
 * Tags and text of an XML document, comments and declarations skipped. Enough for a pom.xml;
 * each step searches forward only, so hostile input stays linear.
 */
function* xmlTokens(text: string): Generator<XmlToken> {
  let at = 0;
  while (at < text.length) {
    const open = text.indexOf('<', at);
    if (open !== at)
      yield { kind: 'text', text: decodeXmlText(text.slice(at, open < 0 ? undefined : open)) };
    if (open < 0) return;
    const special = XML_SKIPPED.find(([start]) => text.startsWith(start, open));
    const end = text.indexOf(special?.[1] ?? '>', open);
    if (end < 0) return;
    at = end + (special?.[1].length ?? 1);
    if (special?.[0] === '<![CDATA[') yield { kind: 'text', text: text.slice(open + 9, end) };
    if (special !== undefined) continue;
    const tag = text.slice(open + 1, end);
    const name = /^\/?([^\s/>]*)/.exec(tag)?.[1] ?? '';
    if (tag.startsWith('/')) yield { kind: 'close', name };
    else if (!tag.endsWith('/')) yield { kind: 'open', name };
  }
}

/** Constructs whose content is not markup: where each starts and ends. */
const XML_SKIPPED: readonly (readonly [string, string])[] = [
  ['<!--', '-->'],
  ['<![CDATA[', ']]>'],
  ['<?', '?>'],
  ['<!', '>'],
];

function localName(tag: string): string {
  return tag.slice(tag.indexOf(':') + 1);
}

const XML_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeXmlText(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos);/g, (_, name: string) => XML_ENTITIES[name] ?? '');
}

export const javaArchiveCollector = bytesCollector<JavaArchiveValue>({
  name: 'java-archive',
  version: 3,
  maxBytes: MAX_JAVA_ARCHIVE_BYTES,
  wants: (file) => isJavaArchive(file.path),
  parse(bytes, path) {
    if (bytes.truncated)
      return {
        packages: [],
        warnings: [`larger than ${MAX_JAVA_ARCHIVE_BYTES} bytes; not read`],
      };
    return readJavaArchive(bytes.data, baseName(path));
  },
});

export const javaCataloger: Cataloger = {
  name: 'java',
  kind: 'language',
  collectors: [javaArchiveCollector],
  catalog(context: CatalogContext): FoundPackage[] {
    return collectedValues(context.tree, javaArchiveCollector).flatMap(({ path, value }) => {
      for (const warning of value.warnings) context.warn(`${path}: ${warning}`);
      return value.packages.map((found) => javaPackage(context, path, found));
    });
  },
};

function javaPackage(
  context: CatalogContext,
  path: string,
  found: JavaArchivePackage,
): FoundPackage {
  return {
    type: 'java',
    name: found.name,
    version: found.version,
    licenses: [],
    // Maven PURLs need a namespace: without a groupId the name stands in for it.
    purl: purl({
      type: 'maven',
      namespace: found.groupId ?? found.name,
      name: found.name,
      version: found.version,
    }),
    cpes: cpes(javaVendors(found), [found.name], found.version),
    locations: [{ ...locationOf(context.tree, path), path: [path, ...found.nesting].join(':') }],
    metadata: {
      groupId: found.groupId,
      artifactId: found.source === 'manifest' ? undefined : found.name,
      specificationVersion: found.specificationVersion,
      implementationVersion: found.implementationVersion,
      specificationVendor: found.specificationVendor,
      implementationVendor: found.implementationVendor,
      mavenVersion: found.mavenVersion,
      sha1: found.sha1,
      source: found.source,
    },
  };
}

/** Group segments that name no vendor. */
const NOT_VENDORS = new Set([
  'com',
  'org',
  'net',
  'io',
  'java',
  'javax',
  'plugins',
  'plugin',
  'maven',
]);

/**
 * CPE vendor candidates: the artifact itself and the groupId's segments after the first
 * (`org.apache.commons` → apache, commons).
 */
function javaVendors(found: JavaArchivePackage): string[] {
  const segments = (found.groupId ?? '').split('.').slice(1);
  return [found.name, ...segments.filter((s) => !NOT_VENDORS.has(s.toLowerCase()))];
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
