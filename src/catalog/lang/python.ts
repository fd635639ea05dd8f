/**
 * Python distributions, as importlib.metadata finds them: `<name>-<version>.dist-info/METADATA`
 * (wheels, pip), `<name>.egg-info/PKG-INFO` or a lone `.egg-info` file (setuptools, Debian),
 * `.egg` archives and unpacked `.egg/EGG-INFO/PKG-INFO`. A dist-info's RECORD (and an egg-info's
 * installed-files.txt) gives the package's files.
 */
import { posix } from 'node:path';
import type { CatalogContext, Cataloger, FoundPackage } from '../cataloger.js';
import { locationOf } from '../cataloger.js';
import { bytesCollector, collectedAt, collectedValues } from '../collectors.js';
import { cpes, purl } from '../identifiers.js';
import type { PackageFile } from '../../model/index.js';
import { listZipEntries, readZipEntry } from './zip.js';
import { pep503Name } from '../../util/package-names.js';

/** What is kept of one METADATA / PKG-INFO file. */
export interface PythonMetadata {
  name: string;
  version: string;
  licenses: string[];
  author?: string;
  /** `Author-email`, often `Name <address>` when there is no `Author`. */
  authorEmail?: string;
  homepage?: string;
}

const MAX_METADATA_BYTES = 1024 ** 2;
const MAX_RECORD_BYTES = 16 * 1024 ** 2;
const MAX_EGG_BYTES = 64 * 1024 ** 2;
/** More files than any distribution installs (the largest wheels list some tens of thousands). */
const MAX_RECORD_FILES = 200_000;
/** More header lines than any METADATA has before its description body. */
const MAX_HEADERS = 10_000;
const MAX_FIELD_LENGTH = 4096;
/** A `License:` field longer than this is the licence text itself, not a name. */
const MAX_LICENSE_NAME_LENGTH = 128;

/** A metadata file: `.dist-info/METADATA`, `.egg-info/PKG-INFO`, or an `.egg-info` file. */
function isMetadataFile(path: string): boolean {
  return (
    path.endsWith('.dist-info/METADATA') ||
    path.endsWith('.egg-info/PKG-INFO') ||
    path.endsWith('.egg/EGG-INFO/PKG-INFO') ||
    path.endsWith('.egg-info') // the file form; directories are never opened
  );
}

function isFileList(path: string): boolean {
  return path.endsWith('.dist-info/RECORD') || path.endsWith('.egg-info/installed-files.txt');
}

// Headers come first: a truncated file still has them, so it is read like a whole one.
export const metadataCollector = bytesCollector<PythonMetadata>({
  name: 'python-metadata',
  version: 2,
  maxBytes: MAX_METADATA_BYTES,
  wants: ({ path }) => isMetadataFile(path),
  parse: ({ data }) => parseMetadata(data.toString()),
});

/** Zipped eggs: the zip directory is at the end, so the whole archive is needed. */
export const eggCollector = bytesCollector<PythonMetadata>({
  name: 'python-egg',
  version: 2,
  maxBytes: MAX_EGG_BYTES,
  wants: ({ path }) => path.endsWith('.egg'),
  parse: ({ data, truncated }) => (truncated ? undefined : eggMetadata(data)),
});

export const fileListCollector = bytesCollector<PackageFile[]>({
  name: 'python-file-list',
  version: 1,
  maxBytes: MAX_RECORD_BYTES,
  wants: ({ path }) => isFileList(path),
  parse: ({ data }, path) =>
    path.endsWith('/RECORD')
      ? parseRecord(data.toString(), posix.dirname(posix.dirname(path)))
      : parseInstalledFiles(data.toString(), posix.dirname(path)),
});

/** The PKG-INFO inside a zipped egg (`EGG-INFO/PKG-INFO`). */
function eggMetadata(data: Buffer): PythonMetadata | undefined {
  try {
    const entry = listZipEntries(data).find((e) => e.name === 'EGG-INFO/PKG-INFO');
    return entry && parseMetadata(readZipEntry(data, entry, MAX_METADATA_BYTES).toString());
  } catch {
    return undefined; // not a zip, or one over the zip reader's limits
  }
}

/**
 * The core metadata headers (an email-style header block; the description body after the first
 * blank line is not read). Undefined without a Name and a Version.
 */
export function parseMetadata(text: string): PythonMetadata | undefined {
  const headers = parseHeaders(text);
  const first = (key: string): string | undefined => headers.get(key.toLowerCase())?.[0];
  const name = first('Name');
  const version = first('Version');
  if (name === undefined || version === undefined) return undefined;
  const metadata: PythonMetadata = { name, version, licenses: licensesOf(headers) };
  const author = first('Author');
  const authorEmail = first('Author-email');
  const homepage = first('Home-page') ?? projectUrl(headers, 'homepage');
  if (author !== undefined) metadata.author = author;
  if (authorEmail !== undefined) metadata.authorEmail = authorEmail;
  if (homepage !== undefined) metadata.homepage = homepage;
  return metadata;
}

/** Header values by lowercase name, in order; continuation lines (leading space) are joined. */
function parseHeaders(text: string): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  let last: { values: string[]; index: number } | undefined;
  let count = 0;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || count++ >= MAX_HEADERS) break;
    if (/^[ \t]/.test(line)) {
      if (last !== undefined) {
        const joined = `${last.values[last.index] ?? ''}\n${line.trim()}`;
        if (joined.length <= MAX_FIELD_LENGTH) last.values[last.index] = joined;
      }
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      last = undefined;
      continue;
    }
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line
      .slice(colon + 1)
      .trim()
      .slice(0, MAX_FIELD_LENGTH);
    const values = headers.get(key) ?? [];
    values.push(value);
    headers.set(key, values);
    last = { values, index: values.length - 1 };
  }
  for (const values of headers.values())
    for (let i = values.length - 1; i >= 0; i--) if (values[i] === '') values.splice(i, 1);
  return headers;
}

/**
 * PEP 639 `License-Expression` first; then `License` when it is a name rather than the whole
 * text; then the `License ::` trove classifiers (`… :: MIT License`).
 */
function licensesOf(headers: Map<string, string[]>): string[] {
  const expression = headers.get('license-expression')?.[0];
  if (expression !== undefined) return [expression];
  const license = headers.get('license')?.[0];
  if (
    license !== undefined &&
    license !== 'UNKNOWN' &&
    !license.includes('\n') &&
    license.length <= MAX_LICENSE_NAME_LENGTH
  )
    return [license];
  return (headers.get('classifier') ?? [])
    .filter((c) => c.startsWith('License ::'))
    .map((c) => c.split('::').pop()?.trim() ?? '')
    .filter((l) => l !== '' && l !== 'OSI Approved');
}

/** `Project-URL: Homepage, https://…`. */
function projectUrl(headers: Map<string, string[]>, label: string): string | undefined {
  for (const value of headers.get('project-url') ?? []) {
    const comma = value.indexOf(',');
    if (comma > 0 && value.slice(0, comma).trim().toLowerCase() === label)
      return value.slice(comma + 1).trim();
  }
  return undefined;
}

/**
 * RECORD is CSV: `path,sha256=<urlsafe base64>,size`, paths relative to the site directory.
 * Digests are turned into hex, as the layer's own file digests are.
 */
export function parseRecord(text: string, siteDir: string): PackageFile[] {
  const files: PackageFile[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (files.length >= MAX_RECORD_FILES) break;
    const [path, hash] = csvFields(line);
    if (path === undefined || path === '') continue;
    const file: PackageFile = { path: posix.join(siteDir, path) };
    const digest = recordDigest(hash);
    if (digest !== undefined) file.digest = digest;
    files.push(file);
  }
  return files;
}

/** installed-files.txt: one path a line, relative to the egg-info directory. */
export function parseInstalledFiles(text: string, eggInfoDir: string): PackageFile[] {
  return text
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .slice(0, MAX_RECORD_FILES)
    .map((line) => ({ path: posix.join(eggInfoDir, line.trim()) }));
}

/** The first two fields of a CSV line (quotes as Python's csv module writes them). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length && fields.length < 2; i++) {
    const c = line.charAt(i);
    if (quoted) {
      if (c !== '"') field += c;
      else if (line.charAt(i + 1) === '"') field += line.charAt(++i);
      else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  if (fields.length < 2) fields.push(field);
  return fields;
}

function recordDigest(hash: string | undefined): PackageFile['digest'] {
  const match = /^(sha\d+|md5)=([A-Za-z0-9_-]{2,}=*)$/.exec(hash ?? '');
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  return { algorithm: match[1], value: Buffer.from(match[2], 'base64url').toString('hex') };
}

export const pythonCataloger: Cataloger = {
  name: 'python',
  kind: 'language',
  collectors: [metadataCollector, eggCollector, fileListCollector],
  catalog: catalogPython,
};

function catalogPython(context: CatalogContext): FoundPackage[] {
  const { tree } = context;
  const found = [
    ...collectedValues(tree, metadataCollector),
    ...collectedValues(tree, eggCollector),
  ];
  return found.map(({ path, value }) => {
    const listPath = fileListPath(path);
    const files =
      listPath === undefined ? undefined : collectedAt(tree, listPath, fileListCollector);
    const locations = [locationOf(tree, path)];
    if (files !== undefined && listPath !== undefined) locations.push(locationOf(tree, listPath));
    return pythonPackage(value, locations, files, sitePackagesOf(path));
  });
}

/** The RECORD or installed-files.txt beside a metadata file. */
function fileListPath(metadataPath: string): string | undefined {
  const dir = posix.dirname(metadataPath);
  if (dir.endsWith('.dist-info')) return `${dir}/RECORD`;
  if (dir.endsWith('.egg-info')) return `${dir}/installed-files.txt`;
  return undefined;
}

/** The directory the distribution is installed into (site-packages, dist-packages …). */
function sitePackagesOf(path: string): string {
  const up = (p: string, levels: number): string =>
    levels === 0 ? p : up(posix.dirname(p), levels - 1);
  if (path.endsWith('/EGG-INFO/PKG-INFO')) return up(path, 3);
  if (path.endsWith('/METADATA') || path.endsWith('/PKG-INFO')) return up(path, 2);
  return up(path, 1); // an .egg-info file or an .egg archive
}

function pythonPackage(
  metadata: PythonMetadata,
  locations: FoundPackage['locations'],
  files: PackageFile[] | undefined,
  sitePackages: string,
): FoundPackage {
  const normalized = pep503Name(metadata.name);
  const pkg: FoundPackage = {
    type: 'python',
    name: metadata.name,
    version: metadata.version,
    licenses: metadata.licenses,
    purl: purl({ type: 'pypi', name: normalized, version: metadata.version }),
    cpes: cpes(
      [normalized, `${normalized}_project`, `python-${normalized}`],
      [normalized, `python-${normalized}`],
      metadata.version,
    ),
    locations,
    metadata: {
      author: metadata.author,
      authorEmail: metadata.authorEmail,
      homepage: metadata.homepage,
      sitePackages,
    },
  };
  if (files !== undefined) pkg.files = files;
  return pkg;
}
