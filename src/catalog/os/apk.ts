/**
 * Alpine packages from apk's database, `/lib/apk/db/installed` (apk-tools 3 may keep it under
 * `/usr/lib/apk/db/`): paragraphs of one-letter `K:value` lines separated by blank lines. Each
 * `F:` names a directory, the `R:` files after it live in it, and a `Z:` after an `R:` is that
 * file's checksum (`Q1` + base64 sha1; plain hex md5 in old databases). The file is parsed while
 * its layer streams and only what the cataloger uses is kept.
 */
import { locationOf, type Cataloger, type FoundPackage } from '../cataloger.js';
import { bytesCollector, collectedValues, type KeptBytes } from '../collectors.js';
import { cpes, distroQualifier, purl } from '../identifiers.js';
import { BoundedMessages } from '../../util/bounded-messages.js';
import { keptText, lines } from '../text.js';
import type { Distro, PackageFile } from '../../model/index.js';

const DB_PATHS = new Set(['/lib/apk/db/installed', '/usr/lib/apk/db/installed']);
const MAX_PROBLEMS = 20;
/** Far above any real system (a full Alpine desktop has a few thousand packages). */
const MAX_RECORDS = 100_000;
const MAX_FILES = 2_000_000;

export interface ApkRecord {
  name?: string;
  version?: string;
  architecture?: string;
  /** `o:`, the source (aport) the package was built from. */
  origin?: string;
  /** `L:` as written: an SPDX expression or space-separated names. */
  license?: string;
  /** `S:`, bytes of the .apk. */
  packageSize?: number;
  /** `I:`, bytes once installed. */
  installedSize?: number;
  maintainer?: string;
  /** `c:`, the aports commit. */
  commit?: string;
  files: PackageFile[];
}

export interface ApkDatabaseValue {
  records: ApkRecord[];
  problems: string[];
}

export const apkInstalledCollector = bytesCollector<ApkDatabaseValue>({
  name: 'apk-installed',
  version: 2,
  maxBytes: 64 * 1024 * 1024,
  wants: ({ path }) => DB_PATHS.has(path),
  parse: (bytes) => parseApkInstalled(bytes),
});

export const apkCataloger: Cataloger = {
  name: 'apk',
  kind: 'os',
  collectors: [apkInstalledCollector],
  catalog(context) {
    const { tree, distro } = context;
    const found: FoundPackage[] = [];
    for (const { path, value } of collectedValues(tree, apkInstalledCollector)) {
      for (const problem of value.problems) context.warn(`${path}: ${problem}`);
      for (const record of value.records) {
        const { name, version } = record;
        // An empty `P:` names nothing (and a PURL cannot be made of it).
        if (name === undefined || name === '' || version === undefined || version === '') {
          context.warn(
            `${path}: a package without ${name === undefined || name === '' ? 'P:' : 'V:'} skipped`,
          );
          continue;
        }
        found.push({
          ...packageOf({ ...record, name, version }, distro),
          locations: [locationOf(tree, path)],
        });
      }
    }
    return found;
  },
};

/** Reads the database text; never throws, whatever the bytes. */
export function parseApkInstalled(bytes: KeptBytes): ApkDatabaseValue {
  const parser = new ApkParser();
  let lineNumber = 0;
  for (const line of lines(keptText(bytes))) parser.line(line, ++lineNumber);
  return parser.finish(bytes.truncated);
}

class ApkParser {
  private readonly records: ApkRecord[] = [];
  private readonly problems = new BoundedMessages(MAX_PROBLEMS);
  private current: ApkRecord | undefined;
  private fileCount = 0;
  private directory = '';
  /** The last `R:` file, which a following `Z:` describes. */
  private lastFile: PackageFile | undefined;

  line(line: string, lineNumber: number): void {
    if (line === '') {
      this.endRecord();
      return;
    }
    if (line.length < 2 || line[1] !== ':') {
      this.problem(`line ${lineNumber}: not a K:value line`);
      return;
    }
    if (this.current === undefined) {
      if (this.records.length >= MAX_RECORDS) {
        this.problem(`line ${lineNumber}: more than ${MAX_RECORDS} packages; the rest is ignored`);
        return;
      }
      this.current = { files: [] };
    }
    this.apply(this.current, line[0] ?? '', line.slice(2), lineNumber);
  }

  finish(truncated: boolean): ApkDatabaseValue {
    this.endRecord(); // the last paragraph need not end with a blank line
    const problems = this.problems.list();
    if (truncated) problems.push('larger than the limit; only its start was read');
    return { records: this.records, problems };
  }

  private apply(record: ApkRecord, key: string, value: string, lineNumber: number): void {
    switch (key) {
      case 'P':
        record.name = value;
        break;
      case 'V':
        record.version = value;
        break;
      case 'A':
        record.architecture = value;
        break;
      case 'o':
        record.origin = value;
        break;
      case 'L':
        record.license = value;
        break;
      case 'm':
        record.maintainer = value;
        break;
      case 'c':
        record.commit = value;
        break;
      case 'S':
        record.packageSize = this.size(value, lineNumber);
        break;
      case 'I':
        record.installedSize = this.size(value, lineNumber);
        break;
      case 'F':
        this.directory = value.replace(/^\/+|\/+$/g, '');
        this.lastFile = undefined;
        break;
      case 'R':
        this.addFile(record, value, lineNumber);
        break;
      case 'Z':
        this.checksum(value, lineNumber);
        break;
      default: // fields this cataloger does not use (T, U, D, p, M, a …)
    }
  }

  private addFile(record: ApkRecord, name: string, lineNumber: number): void {
    this.lastFile = undefined;
    if (this.fileCount >= MAX_FILES) {
      this.problem(`line ${lineNumber}: more than ${MAX_FILES} files; the rest is ignored`);
      return;
    }
    this.fileCount += 1;
    this.lastFile = { path: this.directory === '' ? `/${name}` : `/${this.directory}/${name}` };
    record.files.push(this.lastFile);
  }

  private size(value: string, lineNumber: number): number | undefined {
    if (/^\d{1,15}$/.test(value)) return Number(value);
    this.problem(`line ${lineNumber}: size ${JSON.stringify(value.slice(0, 40))} is not a number`);
    return undefined;
  }

  private checksum(value: string, lineNumber: number): void {
    const digest = decodeChecksum(value);
    if (digest === undefined) this.problem(`line ${lineNumber}: not a checksum apk writes`);
    else if (this.lastFile !== undefined) this.lastFile.digest = digest;
  }

  private endRecord(): void {
    if (this.current !== undefined) this.records.push(this.current);
    this.current = undefined;
    this.directory = '';
    this.lastFile = undefined;
  }

  private problem(message: string): void {
    this.problems.add(message);
  }
}

/** `Q1` + base64 of 20 bytes → sha1 hex; 32 hex digits → md5 (databases before `Q1`). */
function decodeChecksum(value: string): PackageFile['digest'] {
  if (value.startsWith('Q1')) {
    const raw = value.slice(2);
    const bytes = Buffer.from(raw, 'base64');
    if (bytes.length !== 20 || !/^[A-Za-z0-9+/]{27}=$/.test(raw)) return undefined;
    return { algorithm: 'sha1', value: bytes.toString('hex') };
  }
  if (/^[0-9a-fA-F]{32}$/.test(value)) return { algorithm: 'md5', value: value.toLowerCase() };
  return undefined;
}

/** `MIT AND BSD-2-Clause` is one SPDX expression; `MIT BSD GPL2+` (older packages) is three. */
function licensesOf(license: string | undefined): string[] {
  const trimmed = license?.trim() ?? '';
  if (trimmed === '') return [];
  if (/\s(AND|OR|WITH)\s/.test(trimmed)) return [trimmed];
  return [...new Set(trimmed.split(/\s+/))];
}

function packageOf(
  record: ApkRecord & { name: string; version: string },
  distro: Distro | undefined,
): Omit<FoundPackage, 'locations'> {
  const { name, version, architecture, origin } = record;
  const namespace = distro?.id ?? 'alpine';
  return {
    type: 'apk',
    name,
    version,
    architecture,
    source: origin === undefined ? undefined : { name: origin },
    licenses: licensesOf(record.license),
    purl: purl({
      type: 'apk',
      namespace,
      name,
      version,
      qualifiers: {
        arch: architecture,
        // Syft's form: the origin only when it is another name
        upstream: origin !== undefined && origin !== name ? origin : undefined,
        distro: distroQualifier(distro),
      },
    }),
    cpes: cpes([name, namespace], [name], version),
    files: record.files.length > 0 ? record.files : undefined,
    size: record.installedSize,
    metadata: {
      maintainer: record.maintainer,
      commit: record.commit,
      packageSize: record.packageSize,
    },
  };
}
