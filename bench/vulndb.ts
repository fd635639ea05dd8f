/**
 * The vulnerability database part of `npm run bench`: `drydock db import` of a generated OSV dump
 * (bench/osv-dump.ts, 300,000 records) into a fresh database file, against `unzip -p` of the same
 * dump to /dev/null (how close the import comes to just reading the bytes), measured in the same
 * run. Targets (from the issue): at least 20,000 records/s, peak RSS at most 500 MB.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import {
  BENCH_DIR,
  CLI,
  loadNote,
  mb,
  medianSample,
  Prober,
  rss,
  runChild,
  secs,
  times,
  verdict,
  type ProbeKind,
  type Sample,
} from './measure.js';
import { DEFAULT_SEED, ensureOsvDump, type OsvDump } from './osv-dump.js';

const DUMP_DIR = join(BENCH_DIR, 'osv');
const RECORDS = 300_000;
const TARGET_RECORDS_PER_SECOND = 20_000;
const TARGET_RSS_MB = 500;

interface Round {
  unzip: Sample;
  drydock: Sample;
  /** Why the import's own account is not what the dump holds, if it is not. */
  warning?: string;
  /** The size of the database it wrote. */
  dbBytes: number;
}

/** The baseline: every member inflated (and CRC-checked) by Info-ZIP, written to /dev/null. */
function timeUnzip(prober: Prober, dump: OsvDump): Promise<Sample> {
  return prober.measure({ command: 'unzip', args: ['-p', dump.file] });
}

/** `drydock db import DUMP` into a database file that does not exist yet. */
async function timeImport(
  prober: Prober,
  dump: OsvDump,
  scratch: string,
  round: number,
): Promise<Omit<Round, 'unzip'>> {
  const dbFile = join(scratch, `round-${round}.sqlite`);
  const output = join(scratch, `round-${round}.json`);
  const args = [CLI, 'db', 'import', dump.file, '--db-file', dbFile];
  const drydock = await prober.measure({
    command: process.execPath,
    args: [...args, '--cache-dir', join(scratch, 'cache'), '-o', 'json'],
    stdoutFile: output,
  });
  const warning = checkImport(JSON.parse(await readFile(output, 'utf8')), dump);
  const dbBytes = (await stat(dbFile)).size;
  await rm(dbFile, { force: true });
  return { drydock, ...(warning === undefined ? {} : { warning }), dbBytes };
}

/** Guards against a fast run that skipped work: every record must have been added. */
function checkImport(result: unknown, dump: OsvDump): string | undefined {
  const { read, added, skipped } = (result ?? {}) as Record<string, unknown>;
  if (read === dump.records && added === dump.records && skipped === 0) return undefined;
  return `WARNING: the import read ${String(read)}, added ${String(added)} and skipped ${String(skipped)} of ${dump.records} records`;
}

function report(dump: OsvDump, rounds: Round[], prober: Prober): string {
  const unzip = medianSample(rounds.map((r) => r.unzip));
  const drydock = medianSample(rounds.map((r) => r.drydock));
  const perSecond = dump.records / drydock.seconds;
  const table = new Table({
    head: ['measure', 'wall (median)', 'cpu user+sys', 'target', 'result'],
    style: { head: [], border: [] },
  });
  table.push(
    [
      'OSV dump',
      `${dump.records} records,\n${mb(dump.zipBytes)} zip, ${mb(dump.jsonBytes)} JSON`,
      '',
      `≥ ${RECORDS} records`,
      verdict(dump.records >= RECORDS),
    ],
    ['unzip -p to /dev/null (baseline)', secs(unzip.seconds), secs(unzip.cpuSeconds), '', ''],
    ['drydock db import, fresh database', secs(drydock.seconds), secs(drydock.cpuSeconds), '', ''],
    ['  ratio to unzip -p', times(drydock.seconds / unzip.seconds), '', '', ''],
    [
      '  records per second',
      perSecond.toFixed(0),
      '',
      `≥ ${TARGET_RECORDS_PER_SECOND}`,
      verdict(perSecond >= TARGET_RECORDS_PER_SECOND),
    ],
    [
      '  peak RSS',
      rss(drydock),
      '',
      `≤ ${TARGET_RSS_MB} MB`,
      verdict(drydock.peakRssMb <= TARGET_RSS_MB),
    ],
  );
  const warnings = rounds.flatMap((r) => (r.warning === undefined ? [] : [r.warning]));
  return [
    table.toString(),
    `${prober.describe()}; MB = 10^6 bytes.`,
    `per round: ${rounds.map((r) => `${secs(r.drydock.seconds)} ${rss(r.drydock)}`).join(', ')}.`,
    ...(warnings.length > 0
      ? warnings
      : [
          `check: every import added all ${dump.records} records; database ${mb(rounds[0]?.dbBytes ?? 0)}.`,
        ]),
  ].join('\n');
}

export async function runVulnDbBench(runs: number, probe: ProbeKind): Promise<void> {
  const started = performance.now();
  const { dump, built } = await ensureOsvDump(DUMP_DIR, { records: RECORDS, seed: DEFAULT_SEED });
  const how = built ? `generated in ${secs((performance.now() - started) / 1000)}` : 'reused';
  console.log(`OSV dump ${how}: ${dump.file}`);
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'}; ${loadNote()}`);
  const scratch = await mkdtemp(join(tmpdir(), 'drydock-bench-vulndb-'));
  try {
    const prober = new Prober(probe, scratch);
    // Reads the dump once, untimed, so neither side pays for a cold page cache.
    await runChild({ command: 'cat', args: [dump.file] });
    const rounds: Round[] = [];
    for (let i = 1; i <= runs; i++) {
      console.log(`round ${i} of ${runs}…`);
      const unzip = await timeUnzip(prober, dump);
      rounds.push({ unzip, ...(await timeImport(prober, dump, scratch, i)) });
    }
    console.log(report(dump, rounds, prober));
    console.log(loadNote());
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
