/**
 * `npm run bench`: times `drydock files` on a large generated image (bench/big-image.ts) against
 * `gzip -dc` of the same layer blobs, measured in the same run, and checks the targets: inventory
 * within 1.5× of plain decompression, a second image on the same base at least 5× faster with a
 * warm layer cache, and peak RSS under 300 MB. Options: `--runs N` (default 3; medians are
 * reported), `--rss-probe time|node` (default: /usr/bin/time when it exists).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import { ensureBigImage, type BigImage, type ImageStats } from './big-image.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const IMAGE_DIR = join(ROOT, '.bench', 'image');
const CLI = join(ROOT, 'bin', 'drydock.js');
const GNU_TIME = '/usr/bin/time';
const MB = 1e6;

const TARGET = { minBytes: 400 * MB, minFiles: 20_000, minLayers: 3 };
const TARGET_RATIO = 1.5;
const TARGET_SPEEDUP = 5;
const TARGET_RSS_MB = 300;
/** --no-cache gets a verdict of its own only when it is this much off the cold run. */
const MATERIAL_DIFFERENCE = 0.1;

/** `time`: /usr/bin/time reports the child's rusage; `node`: a node child reports its own. */
type ProbeKind = 'time' | 'node';

/** Both probes write `peak-RSS-KiB user-seconds system-seconds`. */
const USAGE_FORMAT = '%M %U %S';
const USAGE_HOOK =
  'data:text/javascript,' +
  encodeURIComponent(
    "import { writeFileSync } from 'node:fs';" +
      "process.on('exit', () => { const u = process.resourceUsage();" +
      ' writeFileSync(process.env.BENCH_USAGE_FILE,' +
      ' `${u.maxRSS} ${u.userCPUTime / 1e6} ${u.systemCPUTime / 1e6}`); });',
  );

interface Sample {
  /** Wall time around the child, as a user waits for it. */
  seconds: number;
  /** User + system CPU time of the child, when the probe can see it. */
  cpuSeconds?: number;
  peakRssMb?: number;
}

interface ChildRun {
  command: string;
  args: string[];
  /** Where the child's stdout goes; /dev/null when not given. */
  stdoutFile?: string;
  env?: NodeJS.ProcessEnv;
}

/** Runs a child to completion and returns its wall time; fails with its stderr on a non-zero exit. */
async function runChild(run: ChildRun): Promise<number> {
  const out = await open(run.stdoutFile ?? '/dev/null', 'w');
  try {
    const child = spawn(run.command, run.args, {
      cwd: ROOT,
      env: { ...process.env, ...run.env },
      stdio: ['ignore', out.fd, 'pipe'],
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
    const started = performance.now();
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    const seconds = (performance.now() - started) / 1000;
    if (code !== 0) {
      throw new Error(`${run.command} ${run.args.join(' ')} exited ${code}:\n${stderr.trim()}`);
    }
    return seconds;
  } finally {
    await out.close();
  }
}

/** Runs children and reads their peak RSS and CPU time through the chosen probe. */
class Prober {
  private readonly usageFile: string;

  constructor(
    readonly probe: ProbeKind,
    scratch: string,
  ) {
    this.usageFile = join(scratch, 'usage');
  }

  /** `run` under the probe. Without GNU time only node children can report their usage. */
  async measure(run: ChildRun): Promise<Sample> {
    await rm(this.usageFile, { force: true });
    const seconds = await runChild(this.wrap(run));
    const usage = await readFile(this.usageFile, 'utf8').catch(() => undefined);
    if (usage === undefined) return { seconds };
    const [kib = NaN, user = NaN, system = NaN] = usage.trim().split(/\s+/).map(Number);
    return { seconds, cpuSeconds: user + system, peakRssMb: (kib * 1024) / MB };
  }

  private wrap(run: ChildRun): ChildRun {
    if (this.probe === 'time') {
      const args = ['-f', USAGE_FORMAT, '-o', this.usageFile, run.command, ...run.args];
      return { ...run, command: GNU_TIME, args };
    }
    if (run.command !== process.execPath) return run;
    const env = { ...run.env, BENCH_USAGE_FILE: this.usageFile };
    return { ...run, args: ['--import', USAGE_HOOK, ...run.args], env };
  }
}

/** `drydock files … -o json -q`; wall time includes node's start-up, as a user sees it. */
function timeDrydock(prober: Prober, args: string[], stdoutFile?: string): Promise<Sample> {
  const drydock = [CLI, 'files', ...args, '-o', 'json', '-q'];
  return prober.measure({
    command: process.execPath,
    args: drydock,
    ...(stdoutFile ? { stdoutFile } : {}),
  });
}

function blobPath(image: BigImage, digest: string): string {
  return join(image.dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
}

/** The baseline: `gzip -dc` of each layer blob to /dev/null, one after the other. */
async function timeGzip(prober: Prober, image: BigImage, stats: ImageStats): Promise<Sample> {
  const total: Sample = { seconds: 0, cpuSeconds: 0 };
  for (const layer of stats.layers) {
    const args = ['-dc', blobPath(image, layer.digest)];
    const sample = await prober.measure({ command: 'gzip', args });
    total.seconds += sample.seconds;
    total.cpuSeconds =
      total.cpuSeconds === undefined || sample.cpuSeconds === undefined
        ? undefined
        : total.cpuSeconds + sample.cpuSeconds;
  }
  return total;
}

/** Reads every blob once, untimed, so no measurement pays for a cold page cache. */
async function warmPageCache(image: BigImage): Promise<void> {
  for (const layer of image.second.layers) {
    await runChild({ command: 'cat', args: [blobPath(image, layer.digest)] });
  }
}

/**
 * Regular files and hard links in the JSON inventory. Accepts a bare array of entries or an
 * object holding one under `files`.
 */
function countInventoryFiles(json: unknown): number | undefined {
  const list: unknown = Array.isArray(json) ? json : (json as { files?: unknown } | null)?.files;
  if (!Array.isArray(list)) return undefined;
  return list.filter((e: { type?: unknown }) => e.type === 'file' || e.type === 'hardlink').length;
}

/** Guards against a fast run that skipped work: the inventory must list every visible file. */
async function checkInventory(stdoutFile: string, stats: ImageStats): Promise<string> {
  const found = countInventoryFiles(JSON.parse(await readFile(stdoutFile, 'utf8')));
  if (found === undefined) return 'WARNING: could not find the file list in the JSON output';
  const expected = stats.visibleFiles;
  if (found === expected) return `lists all ${expected} files of \`${stats.tag}\``;
  return `WARNING: lists ${found} files of \`${stats.tag}\`; the generator made ${expected} visible`;
}

interface Round {
  gzip: Sample;
  cold: Sample;
  warm: Sample;
  noCache: Sample;
}

/**
 * One round: baseline, then a cold inventory of `base` into a fresh cache, `second` with that
 * cache warm, and `base` with no cache at all. Interleaving rounds spreads any drift in the
 * machine's speed over all measurements alike.
 */
async function runRound(prober: Prober, image: BigImage, scratch: string): Promise<Round> {
  const cacheDir = await mkdtemp(join(scratch, 'cache-'));
  try {
    const gzip = await timeGzip(prober, image, image.base);
    const cacheArgs = ['--cache-dir', cacheDir];
    const cold = await timeDrydock(prober, [ref(image, 'base'), ...cacheArgs]);
    const warm = await timeDrydock(prober, [ref(image, 'second'), ...cacheArgs]);
    const noCache = await timeDrydock(prober, [ref(image, 'base'), '--no-cache']);
    return { gzip, cold, warm, noCache };
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}

function ref(image: BigImage, tag: string): string {
  return `oci-dir:${image.dir}:${tag}`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** Medians of each figure across rounds; NaN where the probe could not see it. */
function medianOf(rounds: Round[], pick: (r: Round) => Sample): Required<Sample> {
  return {
    seconds: median(rounds.map((r) => pick(r).seconds)),
    cpuSeconds: median(rounds.map((r) => pick(r).cpuSeconds ?? NaN)),
    peakRssMb: median(rounds.map((r) => pick(r).peakRssMb ?? NaN)),
  };
}

const verdict = (pass: boolean) => (pass ? 'PASS' : 'MISS');
const secs = (s: number) => (Number.isNaN(s) ? '' : `${s.toFixed(2)} s`);
const times = (x: number, digits = 2) => `${x.toFixed(digits)}×`;
const mb = (bytes: number) => `${(bytes / MB).toFixed(0)} MB`;

interface Medians {
  gzip: Required<Sample>;
  cold: Required<Sample>;
  warm: Required<Sample>;
  noCache: Required<Sample>;
}

function imageRow(image: BigImage): string[] {
  const base = image.base;
  const bigEnough =
    base.uncompressedSize >= TARGET.minBytes &&
    base.visibleFiles >= TARGET.minFiles &&
    base.layers.length >= TARGET.minLayers;
  return [
    'image `base`',
    `${mb(base.uncompressedSize)} (${mb(base.compressedSize)} gzip),\n` +
      `${base.visibleFiles} files, ${base.layers.length} layers`,
    '',
    '≥ 400 MB, ≥ 20000 files,\n≥ 3 layers',
    verdict(bigEnough),
  ];
}

function timingRows(image: BigImage, m: Medians): string[][] {
  const ratio = m.cold.seconds / m.gzip.seconds;
  const noCacheRatio = m.noCache.seconds / m.gzip.seconds;
  const noCacheDiffers = Math.abs(m.noCache.seconds / m.cold.seconds - 1) > MATERIAL_DIFFERENCE;
  const speedup = m.cold.seconds / m.warm.seconds;
  const addedBytes = image.second.uncompressedSize - image.base.uncompressedSize;
  return [
    [
      `gzip -dc of the ${image.base.layers.length} blobs (baseline)`,
      secs(m.gzip.seconds),
      secs(m.gzip.cpuSeconds),
      '',
      '',
    ],
    ['drydock files `base`, cold cache', secs(m.cold.seconds), secs(m.cold.cpuSeconds), '', ''],
    ['  ratio to gzip -dc', times(ratio), '', `≤ ${TARGET_RATIO}×`, verdict(ratio <= TARGET_RATIO)],
    [
      'drydock files `base` --no-cache',
      `${secs(m.noCache.seconds)} (${times(noCacheRatio)})`,
      secs(m.noCache.cpuSeconds),
      noCacheDiffers ? `≤ ${TARGET_RATIO}×` : 'within 10% of cold',
      noCacheDiffers ? verdict(noCacheRatio <= TARGET_RATIO) : '',
    ],
    [
      `drydock files \`second\` (+${mb(addedBytes)}),\nwarm cache from \`base\``,
      secs(m.warm.seconds),
      secs(m.warm.cpuSeconds),
      '',
      '',
    ],
    [
      '  speed-up over cold `base`',
      times(speedup, 1),
      '',
      `≥ ${TARGET_SPEEDUP}×`,
      verdict(speedup >= TARGET_SPEEDUP),
    ],
  ];
}

function report(image: BigImage, rounds: Round[], probe: ProbeKind): string {
  const m: Medians = {
    gzip: medianOf(rounds, (r) => r.gzip),
    cold: medianOf(rounds, (r) => r.cold),
    warm: medianOf(rounds, (r) => r.warm),
    noCache: medianOf(rounds, (r) => r.noCache),
  };
  const peakRss = Math.max(m.cold.peakRssMb, m.warm.peakRssMb, m.noCache.peakRssMb);
  const table = new Table({
    head: ['measure', 'wall (median)', 'cpu user+sys', 'target', 'result'],
    style: { head: [], border: [] },
  });
  table.push(imageRow(image), ...timingRows(image, m), [
    'peak RSS (highest median of\ncold, warm, no-cache)',
    `${peakRss.toFixed(0)} MB`,
    '',
    `≤ ${TARGET_RSS_MB} MB`,
    verdict(peakRss <= TARGET_RSS_MB),
  ]);
  const how =
    probe === 'time'
      ? `peak RSS and cpu by ${GNU_TIME} -f '${USAGE_FORMAT}' (the child's rusage from wait4)`
      : "peak RSS and cpu from the child's own process.resourceUsage() at exit (no cpu for gzip)";
  const rss = (s: Required<Sample>) => `${s.peakRssMb.toFixed(0)} MB`;
  return [
    table.toString(),
    `${how}; MB = 10^6 bytes.`,
    `peak RSS: cold ${rss(m.cold)}, warm ${rss(m.warm)}, no-cache ${rss(m.noCache)}.`,
  ].join('\n');
}

function options(): { runs: number; probe: ProbeKind } {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '3' }, 'rss-probe': { type: 'string' } },
  });
  const runs = Number.parseInt(values.runs, 10);
  if (!(runs >= 1)) throw new Error(`--runs must be a positive number, not "${values.runs}"`);
  const probe = values['rss-probe'] ?? (existsSync(GNU_TIME) ? 'time' : 'node');
  if (probe !== 'time' && probe !== 'node') {
    throw new Error(`--rss-probe must be "time" or "node", not "${probe}"`);
  }
  return { runs, probe };
}

/** Other work on the machine skews every figure; say how busy it was before we started. */
function loadNote(): string {
  const [one = 0] = loadavg();
  const cores = cpus().length;
  const busy = one > cores / 2 ? ' (busy: figures are unreliable)' : '';
  return `load average ${one.toFixed(2)} on ${cores} cores${busy}`;
}

async function main(): Promise<void> {
  const { runs, probe } = options();
  const started = performance.now();
  const { image, built } = await ensureBigImage(IMAGE_DIR);
  const how = built ? `built in ${secs((performance.now() - started) / 1000)}` : 'reused';
  console.log(`benchmark image ${how}: ${IMAGE_DIR}`);
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'}; ${loadNote()}`);
  const scratch = await mkdtemp(join(tmpdir(), 'drydock-bench-'));
  try {
    const prober = new Prober(probe, scratch);
    await warmPageCache(image);
    const inventory = join(scratch, 'inventory.json');
    await timeDrydock(prober, [ref(image, 'base'), '--no-cache'], inventory);
    console.log(`check: the inventory ${await checkInventory(inventory, image.base)}`);
    const rounds: Round[] = [];
    for (let i = 1; i <= runs; i++) {
      console.log(`round ${i} of ${runs}…`);
      rounds.push(await runRound(prober, image, scratch));
    }
    console.log(report(image, rounds, probe));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
