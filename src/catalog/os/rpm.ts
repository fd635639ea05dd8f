/**
 * Installed rpm packages, from the rpm database in whichever format the image has: sqlite
 * (`rpmdb.sqlite`, RHEL/Fedora 9+), Berkeley DB hash (`Packages`, CentOS 7/8, Amazon Linux 2) or
 * NDB (`Packages.db`, SUSE), under /var/lib/rpm, /usr/lib/sysimage/rpm or /usr/share/rpm.
 * Databases can be tens of MB, so the collector parses them while the layer streams and keeps
 * only the package records.
 *
 * gpg-pubkey entries are listed, as `rpm -qa` lists them: they are the signing keys rpm
 * imported, stored as headers whose version is the key id and release its creation time. They are
 * not software: they get no CPEs, and their PURLs name no package any advisory covers, so
 * vulnerability matching finds nothing for them, while an SBOM still shows which keys are trusted.
 */
import type { Distro, PackageFile } from '../../model/index.js';
import {
  locationOf,
  type Cataloger,
  type CatalogContext,
  type FoundPackage,
} from '../cataloger.js';
import { bytesCollector, collectedValues, type KeptBytes } from '../collectors.js';
import { cpes, distroQualifier, purl } from '../identifiers.js';
import { readRpmRecord, RpmFormatError, type RpmRecord } from './rpm-header.js';
import { readBdbPackages } from './rpmdb/bdb.js';
import { readNdbPackages } from './rpmdb/ndb.js';
import { readSqlitePackages } from './rpmdb/sqlite.js';
import { BoundedMessages } from '../../util/bounded-messages.js';

export type RpmdbFormat = 'sqlite' | 'ndb' | 'bdb';

/** What the collector keeps of one database file. */
export interface RpmdbValue {
  format: RpmdbFormat;
  packages: RpmRecord[];
  /** Why the database or some of its headers could not be read. */
  problems: string[];
}

const DB_DIRECTORIES = ['/var/lib/rpm', '/usr/lib/sysimage/rpm', '/usr/share/rpm'];
const DB_FILES: Readonly<Record<RpmdbFormat, string>> = {
  sqlite: 'rpmdb.sqlite',
  ndb: 'Packages.db',
  bdb: 'Packages',
};
/** The newest format first: rpm converts forward, so an older file beside it is a leftover. */
const FORMAT_PREFERENCE: readonly RpmdbFormat[] = ['sqlite', 'ndb', 'bdb'];
const FORMAT_OF_PATH = new Map<string, RpmdbFormat>(
  DB_DIRECTORIES.flatMap((dir) =>
    FORMAT_PREFERENCE.map((format) => [`${dir}/${DB_FILES[format]}`, format] as const),
  ),
);
const READERS: Readonly<Record<RpmdbFormat, (bytes: Buffer) => Buffer[]>> = {
  sqlite: readSqlitePackages,
  ndb: readNdbPackages,
  bdb: readBdbPackages,
};
const MAX_DB_BYTES = 512 * 1024 * 1024;
/** Problems kept per database: the first few say enough, and the value stays small. */
const MAX_PROBLEMS = 10;

export const rpmdbCollector = bytesCollector<RpmdbValue>({
  name: 'rpmdb',
  version: 2,
  maxBytes: MAX_DB_BYTES,
  wants: (file) => FORMAT_OF_PATH.has(file.path),
  parse: (bytes, path) => {
    const format = FORMAT_OF_PATH.get(path);
    return format === undefined ? undefined : readRpmdb(format, bytes);
  },
});

/** Reads every package of a database; a bad header costs only that package. */
export function readRpmdb(format: RpmdbFormat, bytes: KeptBytes): RpmdbValue {
  if (bytes.truncated)
    return { format, packages: [], problems: [`larger than ${MAX_DB_BYTES} bytes; not read`] };
  const packages: RpmRecord[] = [];
  const problems = new BoundedMessages(MAX_PROBLEMS);
  let blobs: Buffer[];
  try {
    blobs = READERS[format](bytes.data);
  } catch (error) {
    return { format, packages, problems: [formatProblem(error)] };
  }
  blobs.forEach((blob, i) => {
    try {
      packages.push(readRpmRecord(blob));
    } catch (error) {
      problems.add(`header ${i}: ${formatProblem(error)}`);
    }
  });
  return { format, packages, problems: problems.list('damaged headers') };
}

function formatProblem(error: unknown): string {
  if (error instanceof RpmFormatError) return error.message;
  throw error;
}

export const rpmCataloger: Cataloger = {
  name: 'rpm',
  kind: 'os',
  collectors: [rpmdbCollector],
  catalog(context) {
    return chosenDatabases(context).flatMap(({ path, value }) => {
      for (const problem of value.problems) context.warn(`${path}: ${problem}`);
      warnAboutWal(context, path, value.format);
      const location = locationOf(context.tree, path);
      return value.packages.map((record) => ({
        ...rpmPackage(record, context.distro),
        locations: [location],
      }));
    });
  },
};

/** One database per directory: the newest format there. */
function chosenDatabases(context: CatalogContext): { path: string; value: RpmdbValue }[] {
  const byDirectory = new Map<string, { path: string; value: RpmdbValue }[]>();
  for (const db of collectedValues(context.tree, rpmdbCollector)) {
    const dir = db.path.slice(0, db.path.lastIndexOf('/'));
    byDirectory.set(dir, [...(byDirectory.get(dir) ?? []), db]);
  }
  return [...byDirectory.values()]
    .map((dbs) => {
      const [chosen, ...ignored] = dbs.sort(
        (a, b) =>
          FORMAT_PREFERENCE.indexOf(a.value.format) - FORMAT_PREFERENCE.indexOf(b.value.format),
      );
      for (const db of ignored) context.warn(`${db.path} ignored: ${chosen?.path ?? ''} is newer`);
      return chosen;
    })
    .filter((db) => db !== undefined);
}

/**
 * rpm keeps rpmdb.sqlite in WAL mode and checkpoints on close, leaving an empty -wal file. A
 * non-empty one holds changes a process never checkpointed, which reading the main file misses.
 */
function warnAboutWal(context: CatalogContext, path: string, format: RpmdbFormat): void {
  const wal = context.tree.get(`${path}-wal`);
  if (format === 'sqlite' && wal !== undefined && wal.size > 0)
    context.warn(`${path}-wal holds uncheckpointed changes that were not read`);
}

/** The package a header describes, without its location. */
export function rpmPackage(
  record: RpmRecord,
  distro: Distro | undefined,
): Omit<FoundPackage, 'locations'> {
  const versionRelease =
    record.release === '' ? record.version : `${record.version}-${record.release}`;
  const source = record.sourceRpm === undefined ? undefined : sourceOf(record.sourceRpm);
  const version = record.epoch === undefined ? versionRelease : `${record.epoch}:${versionRelease}`;
  return {
    type: 'rpm',
    name: record.name,
    version,
    architecture: record.arch,
    source: source && {
      name: source.name,
      version: source.version === versionRelease ? undefined : source.version,
    },
    licenses: record.license === undefined || record.license === '' ? [] : [record.license],
    purl: purl({
      type: 'rpm',
      namespace: purlNamespace(distro),
      name: record.name,
      version: versionRelease,
      qualifiers: {
        arch: record.arch,
        epoch: record.epoch?.toString(),
        upstream: record.sourceRpm,
        distro: distroQualifier(distro),
      },
    }),
    // The whole version, as the dpkg and apk CPEs carry it.
    cpes: record.name === 'gpg-pubkey' ? [] : cpes([record.name], [record.name], version),
    files: packageFiles(record),
    size: record.size,
    metadata: {
      epoch: record.epoch,
      release: record.release,
      vendor: record.vendor,
      sourceRpm: record.sourceRpm,
    },
  };
}

/** `bash-5.1.8-6.el9.src.rpm` → bash, 5.1.8-6.el9 (name-version-release.{src,nosrc}.rpm). */
export function sourceOf(sourceRpm: string): { name: string; version?: string } | undefined {
  const match = /^(.+)-([^-]+-[^-]+)\.(?:no)?src\.rpm$/.exec(sourceRpm);
  if (match?.[1] === undefined) return undefined;
  return { name: match[1], version: match[2] };
}

/** As Syft names rpm PURL namespaces: the distro id, with Red Hat and openSUSE's vendor names. */
function purlNamespace(distro: Distro | undefined): string | undefined {
  if (distro === undefined) return undefined;
  if (distro.id === 'rhel') return 'redhat';
  if (distro.id.startsWith('opensuse')) return 'opensuse';
  return distro.id;
}

function packageFiles(record: RpmRecord): PackageFile[] {
  const { dirNames, baseNames, dirIndexes, digests, digestAlgorithm } = record.files;
  return baseNames.map((baseName, i) => {
    const path = `${dirNames[dirIndexes[i] ?? 0] ?? ''}${baseName}`;
    const digest = digests[i];
    return digest === undefined || digest === ''
      ? { path }
      : { path, digest: { algorithm: digestAlgorithm, value: digest } };
  });
}
