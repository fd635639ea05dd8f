/**
 * Debian packages from dpkg's database: `/var/lib/dpkg/status` with its `info/` lists and
 * md5sums, and the `status.d/` files distroless images ship instead. Packages are those
 * `dpkg-query -W` lists: every status paragraph whose state is not `not-installed`
 * (so `config-files`, `half-installed`, `unpacked` … are listed, with their state in metadata).
 * Every file is parsed while its layer streams; only the fields used here are kept.
 */
import type { FoundPackage, Cataloger, CatalogContext } from '../cataloger.js';
import { locationOf } from '../cataloger.js';
import {
  bytesCollector,
  collectedAt,
  collectedValues,
  type KeptBytes,
  type TypedCollector,
} from '../collectors.js';
import { cpes, distroQualifier, purl } from '../identifiers.js';
import type { PackageFile } from '../../model/index.js';
import { parseControl } from './control-file.js';
import { parseDebianCopyright } from './debian-copyright.js';
import { keptText, lines } from '../text.js';

const ADMIN_DIR = '/var/lib/dpkg';
const STATUS_FILE = `${ADMIN_DIR}/status`;
const STATUS_DIR = `${ADMIN_DIR}/status.d/`;
const INFO_DIR = `${ADMIN_DIR}/info/`;
const DOC_DIR = '/usr/share/doc/';
const MIB = 1024 * 1024;

/** The fields of one status paragraph the cataloger uses. */
export interface DpkgRecord {
  name: string;
  /** The third word of `Status:`; undefined when the paragraph has none. */
  state?: string;
  version?: string;
  architecture?: string;
  /** `Source:` without its version. */
  source?: string;
  /** The version in `Source: name (version)`. */
  sourceVersion?: string;
  /** `Installed-Size`, KiB. */
  installedKib?: number;
  maintainer?: string;
  /** Paths and md5 digests of `Conffiles:` (md5sums files leave conffiles out). */
  conffiles: [string, string][];
}

export interface DpkgStatusValue {
  records: DpkgRecord[];
  /** Malformed paragraphs and lines, for the user. */
  problems: string[];
}

/** What a `.list` or `.md5sums` file yields; `truncated` when only its start was read. */
export interface DpkgFileListValue {
  paths: string[];
  truncated: boolean;
}

export interface DpkgDigestsValue {
  /** `[absolute path, md5]`. */
  digests: [string, string][];
  truncated: boolean;
}

export const dpkgStatusCollector = bytesCollector<DpkgStatusValue>({
  name: 'dpkg-status',
  version: 2,
  maxBytes: 64 * MIB,
  wants: ({ path }) =>
    path === STATUS_FILE ||
    (path.startsWith(STATUS_DIR) &&
      !path.endsWith('.md5sums') &&
      !path.includes('/', STATUS_DIR.length)),
  parse: (bytes) => parseDpkgStatus(bytes),
});

export const dpkgListCollector = bytesCollector<DpkgFileListValue>({
  name: 'dpkg-list',
  version: 1,
  maxBytes: 8 * MIB,
  wants: ({ path }) => path.startsWith(INFO_DIR) && path.endsWith('.list'),
  parse: (bytes) => ({ paths: parseFileList(bytes), truncated: bytes.truncated }),
});

export const dpkgMd5sumsCollector = bytesCollector<DpkgDigestsValue>({
  name: 'dpkg-md5sums',
  version: 1,
  maxBytes: 8 * MIB,
  wants: ({ path }) =>
    path.endsWith('.md5sums') && (path.startsWith(INFO_DIR) || path.startsWith(STATUS_DIR)),
  parse: (bytes) => ({ digests: parseMd5sums(bytes), truncated: bytes.truncated }),
});

/** `/usr/share/doc/<package>/copyright`, kept as the license names it gives. */
export const dpkgCopyrightCollector = bytesCollector<string[]>({
  name: 'dpkg-copyright',
  version: 2,
  maxBytes: 2 * MIB,
  wants: ({ path }) =>
    path.startsWith(DOC_DIR) &&
    path.endsWith('/copyright') &&
    path.indexOf('/', DOC_DIR.length) === path.length - '/copyright'.length,
  parse: (bytes) => parseDebianCopyright(keptText(bytes)),
});

export const dpkgCataloger: Cataloger = {
  name: 'dpkg',
  kind: 'os',
  collectors: [
    dpkgStatusCollector,
    dpkgListCollector,
    dpkgMd5sumsCollector,
    dpkgCopyrightCollector,
  ],
  catalog(context) {
    const found: FoundPackage[] = [];
    for (const { path, value } of collectedValues(context.tree, dpkgStatusCollector)) {
      for (const problem of value.problems) context.warn(`${path}: ${problem}`);
      found.push(...packagesOf(path, value.records, context));
    }
    return found;
  },
};

export function parseDpkgStatus(bytes: KeptBytes): DpkgStatusValue {
  const parsed = parseControl(keptText(bytes));
  const problems = [...parsed.problems];
  if (bytes.truncated) problems.push('larger than the limit; only its start was read');
  const records: DpkgRecord[] = [];
  const nameless: number[] = [];
  for (const { line, fields } of parsed.paragraphs) {
    const name = fields.get('package');
    if (name === undefined || name === '') {
      nameless.push(line);
      continue;
    }
    records.push({
      name,
      state: stateOf(fields.get('status')),
      version: fields.get('version'),
      architecture: fields.get('architecture'),
      ...sourceOf(fields.get('source')),
      installedKib: kibOf(fields.get('installed-size')),
      maintainer: fields.get('maintainer'),
      conffiles: conffilesOf(fields.get('conffiles')),
    });
  }
  if (nameless.length > 0)
    problems.push(
      `${nameless.length} paragraph(s) without a Package field, the first at line ${nameless[0] ?? 0}`,
    );
  return { records, problems };
}

/** `install ok installed` → `installed`; a malformed Status is kept whole, so it is reported. */
function stateOf(status: string | undefined): string | undefined {
  if (status === undefined) return undefined;
  const words = status.split(/\s+/);
  return words.length === 3 ? words[2] : status;
}

/** `Source: glibc (2.36-9)` → glibc and 2.36-9; spaces anywhere in it are tolerated, as dpkg does. */
function sourceOf(value: string | undefined): { source?: string; sourceVersion?: string } {
  const match = /^([^\s(]+)\s*(?:\(\s*([^\s)]+)\s*\))?/.exec(value ?? '');
  if (match?.[1] === undefined) return {};
  return { source: match[1], sourceVersion: match[2] };
}

function kibOf(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}

/** ` /etc/foo.conf 0123…ef [obsolete]` lines → [path, md5]; `newconffile` has no digest yet. */
function conffilesOf(value: string | undefined): [string, string][] {
  const out: [string, string][] = [];
  for (const line of (value ?? '').split('\n')) {
    const match = /^(\/\S.*?)\s+([0-9a-f]{32})(?:\s+\S+)*$/.exec(line.trim());
    if (match?.[1] !== undefined && match[2] !== undefined) out.push([match[1], match[2]]);
  }
  return out;
}

/** A `.list` file: one absolute path per line; `/.` (the root) is left out. */
function parseFileList(bytes: KeptBytes): string[] {
  return [...lines(keptText(bytes))].filter((line) => line.startsWith('/') && line !== '/.');
}

/** `<md5>  <path relative to />` per line, as dpkg writes them. */
function parseMd5sums(bytes: KeptBytes): [string, string][] {
  const out: [string, string][] = [];
  for (const line of lines(keptText(bytes))) {
    const match = /^([0-9a-fA-F]{32})\s+\*?(.+)$/.exec(line);
    if (match?.[1] === undefined || match[2] === undefined) continue;
    out.push([`/${match[2].replace(/^(\.\/|\/)+/, '')}`, match[1].toLowerCase()]);
  }
  return out;
}

/** The states of dpkg(1) "PACKAGE STATES"; dpkg refuses a database with any other. */
const STATES = new Set([
  'not-installed',
  'config-files',
  'half-installed',
  'unpacked',
  'half-configured',
  'triggers-awaited',
  'triggers-pending',
  'installed',
]);

/** Skipped paragraphs reported one by one; past this, only how many more. */
const MAX_SKIP_WARNINGS = 20;

/** The packages of one status file (or status.d file) as dpkg-query -W lists them. */
function packagesOf(
  dbPath: string,
  records: readonly DpkgRecord[],
  context: CatalogContext,
): FoundPackage[] {
  // status.d files are the packages' control files, without Status: all of them are installed.
  const defaultState = dbPath.startsWith(STATUS_DIR) ? 'installed' : 'not-installed';
  const seen = new Set<string>();
  const found: FoundPackage[] = [];
  let skipped = 0;
  for (const record of records) {
    const state = record.state ?? defaultState;
    if (state === 'not-installed') continue;
    const { version } = record;
    const key = `${record.name}:${record.architecture ?? ''}`;
    const problem =
      version === undefined || version === '' ? 'no Version' : skipReason(state, seen.has(key));
    if (problem !== undefined || version === undefined) {
      skipped += 1;
      if (skipped <= MAX_SKIP_WARNINGS)
        context.warn(`${dbPath}: ${record.name} skipped: ${problem ?? ''}`);
      continue;
    }
    seen.add(key);
    found.push(packageOf(dbPath, { ...record, version }, state, context));
  }
  if (skipped > MAX_SKIP_WARNINGS)
    context.warn(`${dbPath}: ${skipped - MAX_SKIP_WARNINGS} more paragraphs skipped`);
  return found;
}

/** Why dpkg would refuse a paragraph that has a version, or undefined. */
function skipReason(state: string, seenBefore: boolean): string | undefined {
  if (!STATES.has(state)) return `unknown Status ${JSON.stringify(state)}`;
  return seenBefore ? 'listed twice' : undefined;
}

function packageOf(
  dbPath: string,
  record: DpkgRecord & { version: string },
  state: string,
  context: CatalogContext,
): FoundPackage {
  const { tree, distro } = context;
  const { name, version, architecture } = record;
  const source = { name: record.source ?? name, version: record.sourceVersion ?? version };
  const infoDir = dbPath.startsWith(STATUS_DIR) ? STATUS_DIR : INFO_DIR;
  const list = infoFile(context, infoDir, record, '.list', dpkgListCollector);
  const md5sums = infoFile(context, infoDir, record, '.md5sums', dpkgMd5sumsCollector);
  const namespace = distro?.id ?? 'debian';
  return {
    type: 'dpkg',
    name,
    version,
    architecture,
    source,
    licenses: collectedAt(tree, `${DOC_DIR}${name}/copyright`, dpkgCopyrightCollector) ?? [],
    purl: purl({
      type: 'deb',
      namespace,
      name,
      version,
      qualifiers: {
        arch: architecture,
        upstream: upstreamQualifier(name, version, source),
        distro: distroQualifier(distro),
      },
    }),
    cpes: cpes([name, namespace], [name], version),
    locations: [dbPath, ...(list === undefined ? [] : [list.path])].map((path) =>
      locationOf(tree, path),
    ),
    files: filesOf(list?.value.paths, md5sums?.value.digests ?? [], record.conffiles),
    size: record.installedKib === undefined ? undefined : record.installedKib * 1024,
    metadata: { maintainer: record.maintainer, state },
  };
}

/**
 * A package's info file and what was kept of it: `<name>:<arch><ext>` for Multi-Arch: same
 * packages (and those of a foreign architecture), `<name><ext>` for the others.
 */
function infoFile<T extends { truncated: boolean }>(
  context: CatalogContext,
  dir: string,
  record: DpkgRecord,
  ext: string,
  collector: TypedCollector<T>,
): { path: string; value: T } | undefined {
  const names =
    record.architecture === undefined
      ? [record.name]
      : [`${record.name}:${record.architecture}`, record.name];
  for (const name of names) {
    const path = `${dir}${name}${ext}`;
    const value = collectedAt(context.tree, path, collector);
    if (value === undefined) continue;
    if (value.truncated) context.warn(`${path}: larger than the limit; only its start was read`);
    return { path, value };
  }
  return undefined;
}

/** The PURL `upstream` qualifier (as Syft writes it): the source, `@version` when that differs. */
function upstreamQualifier(
  name: string,
  version: string,
  source: { name: string; version: string },
): string | undefined {
  if (source.version !== version) return `${source.name}@${source.version}`;
  return source.name === name ? undefined : source.name;
}

/**
 * The package's files: the `.list` (what `dpkg -L` prints) with digests from md5sums and
 * Conffiles; where there is no list (distroless), the files md5sums names.
 */
function filesOf(
  listed: readonly string[] | undefined,
  digests: readonly [string, string][],
  conffiles: readonly [string, string][],
): PackageFile[] | undefined {
  const md5 = new Map([...digests, ...conffiles]);
  const paths = listed ?? [...md5.keys()];
  if (paths.length === 0) return undefined;
  return paths.map((path) => {
    const value = md5.get(path);
    return value === undefined ? { path } : { path, digest: { algorithm: 'md5', value } };
  });
}
