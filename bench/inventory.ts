/**
 * The inventory part of `npm run bench`: times `drydock files` on a large generated image
 * (bench/big-image.ts) against `gzip -dc` of the same layer blobs, measured in the same run, and
 * checks the targets: inventory within 1.5× of plain decompression, a second image on the same base
 * at least 5× faster with a warm layer cache, and peak RSS under 300 MB.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import { ensureBigImage, type BigImage, type ImageStats } from './big-image.js';
import {
  BENCH_DIR,
  CLI,
  MB,
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

const IMAGE_DIR = join(BENCH_DIR, 'image');

const TARGET = { minBytes: 400 * MB, minFiles: 20_000, minLayers: 3 };
const TARGET_RATIO = 1.5;
const TARGET_SPEEDUP = 5;
const TARGET_RSS_MB = 300;
/** --no-cache gets a verdict of its own only when it is this much off the cold run. */
const MATERIAL_DIFFERENCE = 0.1;

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

function report(image: BigImage, rounds: Round[], prober: Prober): string {
  const m: Medians = {
    gzip: medianSample(rounds.map((r) => r.gzip)),
    cold: medianSample(rounds.map((r) => r.cold)),
    warm: medianSample(rounds.map((r) => r.warm)),
    noCache: medianSample(rounds.map((r) => r.noCache)),
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
  return [
    table.toString(),
    `${prober.describe()}; MB = 10^6 bytes.`,
    `peak RSS: cold ${rss(m.cold)}, warm ${rss(m.warm)}, no-cache ${rss(m.noCache)}.`,
  ].join('\n');
}

export async function runInventoryBench(runs: number, probe: ProbeKind): Promise<void> {
  const started = performance.now();
  const { image, built } = await ensureBigImage(IMAGE_DIR);
  const how = built ? `built in ${secs((performance.now() - started) / 1000)}` : 'reused';
  console.log(`inventory benchmark image ${how}: ${IMAGE_DIR}`);
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
    console.log(report(image, rounds, prober));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
