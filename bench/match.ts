/**
 * The matching part of `npm run bench`: an SBOM of 10,000 packages (bench/osv-dump.ts picks them:
 * Debian, npm and PyPI, about 7% named by records) matched against the 300,000-record generated
 * dump imported once into a database under .bench/ (by `drydock db import`, in a child process).
 * The match runs in this process, after one warm-up; the median of the runs is compared with the
 * issue's target (≤ 1 s) and with reading the same records alone (`recordsFor`: the database and
 * JSON work, without judging a range) in the same process. Peak RSS is this process's.
 */
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Distro, ImageContent, Package, PackageType } from '../src/model/index.js';
import { openVulnDb, type VulnDb } from '../src/vuln/db.js';
import { recordsFor } from '../src/vuln/lookup.js';
import { matchContent } from '../src/vuln/match/match.js';
import { BENCH_DIR, CLI, median, runChild, times, verdict } from './measure.js';
import { benchPackages, DEFAULT_SEED, ensureOsvDump, type BenchPackage } from './osv-dump.js';

const DUMP_DIR = join(BENCH_DIR, 'osv');
const RECORDS = 300_000;
const PACKAGES = 10_000;
const TARGET_MS = 1_000;
const TARGET_RSS_MB = 500;

const DEBIAN_12: Distro = { id: 'debian', versionId: '12', idLike: [], source: '/etc/os-release' };
const TYPE_OF: Record<string, PackageType> = { 'Debian:12': 'dpkg', npm: 'npm', PyPI: 'python' };

function asPackage(bench: BenchPackage, index: number): Package {
  const type = TYPE_OF[bench.ecosystem] ?? 'npm';
  return {
    id: `bench-${index}`,
    type,
    // Debian records name the source package: the binary here is named for it.
    name: type === 'dpkg' ? `lib${bench.name}` : bench.name,
    version: bench.version,
    ...(type === 'dpkg' ? { source: { name: bench.name } } : {}),
    licenses: [],
    purl: `pkg:generic/${bench.name}@${bench.version}`,
    cpes: [],
    locations: [{ path: `/bench/${index}`, layerDigest: 'sha256:00', layerIndex: 0 }],
  };
}

/** The dump imported once into a database kept beside it (written to a temp name, then renamed). */
async function ensureDatabase(dumpFile: string): Promise<string> {
  const file = join(DUMP_DIR, `match-${RECORDS}-${DEFAULT_SEED}.sqlite`);
  if (existsSync(file)) return file;
  const partial = `${file}.partial`;
  await rm(partial, { force: true });
  await runChild({
    command: process.execPath,
    args: [CLI, 'db', 'import', dumpFile, '--db-file', partial, '-q'],
  });
  await rename(partial, file);
  return file;
}

function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  return run().then((value) => ({ ms: performance.now() - start, value }));
}

async function measure(db: VulnDb, content: ImageContent, runs: number) {
  const keys = content.packages.map((p) => ({
    ecosystem: p.type === 'dpkg' ? 'Debian:12' : p.type === 'python' ? 'PyPI' : 'npm',
    name: p.source?.name ?? p.name,
  }));
  await matchContent(db, content); // warm-up: page cache, JIT, version parse memos
  const matches: number[] = [];
  const reads: number[] = [];
  let findings = 0;
  for (let i = 0; i < runs; i += 1) {
    reads.push((await timed(() => recordsFor(db, keys))).ms);
    const match = await timed(() => matchContent(db, content));
    matches.push(match.ms);
    findings = match.value.findings.length;
  }
  return { match: median(matches), read: median(reads), findings };
}

export async function runMatchBench(runs: number): Promise<void> {
  const { dump } = await ensureOsvDump(DUMP_DIR, { records: RECORDS, seed: DEFAULT_SEED });
  const dbFile = await ensureDatabase(dump.file);
  const packages = benchPackages(PACKAGES, { records: RECORDS, seed: DEFAULT_SEED }).map(asPackage);
  const content: ImageContent = { distro: DEBIAN_12, packages, secrets: [], retainedFiles: [] };
  const db = await openVulnDb(dbFile);
  try {
    const { match, read, findings } = await measure(db, content, Math.max(runs, 5));
    const rssMb = process.resourceUsage().maxRSS / 1024;
    console.log(
      `match ${PACKAGES} packages against ${RECORDS} records (${findings} findings): median ${match.toFixed(0)} ms — ` +
        `${verdict(match <= TARGET_MS)} (target ≤ ${TARGET_MS} ms); ${times(match / read)} reading the same records alone ` +
        `(${read.toFixed(0)} ms); peak RSS ${rssMb.toFixed(0)} MB — ${verdict(rssMb <= TARGET_RSS_MB)} (target ≤ ${TARGET_RSS_MB} MB)`,
    );
  } finally {
    await db.destroy();
  }
}
