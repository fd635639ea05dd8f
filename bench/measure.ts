/**
 * What every benchmark part shares: running a child to completion with its wall time, reading its
 * peak RSS and CPU time through a probe, medians, and the formatting of figures and verdicts.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BENCH_DIR = join(ROOT, '.bench');
export const CLI = join(ROOT, 'bin', 'drydock.js');
export const GNU_TIME = '/usr/bin/time';
export const MB = 1e6;

/** `time`: /usr/bin/time reports the child's rusage; `node`: a node child reports its own. */
export type ProbeKind = 'time' | 'node';

export function defaultProbe(): ProbeKind {
  return existsSync(GNU_TIME) ? 'time' : 'node';
}

/** Both probes write `peak-RSS-KiB user-seconds system-seconds`. */
export const USAGE_FORMAT = '%M %U %S';
const USAGE_HOOK =
  'data:text/javascript,' +
  encodeURIComponent(
    "import { writeFileSync } from 'node:fs';" +
      "process.on('exit', () => { const u = process.resourceUsage();" +
      ' writeFileSync(process.env.BENCH_USAGE_FILE,' +
      ' `${u.maxRSS} ${u.userCPUTime / 1e6} ${u.systemCPUTime / 1e6}`); });',
  );

export interface Sample {
  /** Wall time around the child, as a user waits for it. */
  seconds: number;
  /** User + system CPU time of the child, when the probe can see it. */
  cpuSeconds?: number;
  peakRssMb?: number;
}

export interface ChildRun {
  command: string;
  args: string[];
  /** Where the child's stdout goes; /dev/null when not given. */
  stdoutFile?: string;
  env?: NodeJS.ProcessEnv;
}

/** Runs a child to completion and returns its wall time; fails with its stderr on a non-zero exit. */
export async function runChild(run: ChildRun): Promise<number> {
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
/**
 * Each measured run starts after a pause. On these 2-vCPU machines a run started right after a
 * heavy one was seen to take up to 50% more user time (the same run, 0.44 s vs 0.71 s), which
 * would charge whichever command runs second for the one before it. Every run gets the pause.
 */
const SETTLE_MS = 3000;

function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
}

export class Prober {
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
    await settle();
    const seconds = await runChild(this.wrap(run));
    const usage = await readFile(this.usageFile, 'utf8').catch(() => undefined);
    if (usage === undefined) return { seconds };
    const [kib = NaN, user = NaN, system = NaN] = usage.trim().split(/\s+/).map(Number);
    return { seconds, cpuSeconds: user + system, peakRssMb: (kib * 1024) / MB };
  }

  /** How the figures were taken, for the report's footnote. */
  describe(): string {
    return this.probe === 'time'
      ? `peak RSS and cpu by ${GNU_TIME} -f '${USAGE_FORMAT}' (the child's rusage from wait4)`
      : "peak RSS and cpu from the child's own process.resourceUsage() at exit (none for non-node children)";
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

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** Medians of each figure across samples; NaN where the probe could not see it. */
export function medianSample(samples: Sample[]): Required<Sample> {
  return {
    seconds: median(samples.map((s) => s.seconds)),
    cpuSeconds: median(samples.map((s) => s.cpuSeconds ?? NaN)),
    peakRssMb: median(samples.map((s) => s.peakRssMb ?? NaN)),
  };
}

export const verdict = (pass: boolean) => (pass ? 'PASS' : 'MISS');
export const secs = (s: number) => (Number.isNaN(s) ? '' : `${s.toFixed(2)} s`);
export const times = (x: number, digits = 2) => `${x.toFixed(digits)}×`;
export const mb = (bytes: number) => `${(bytes / MB).toFixed(0)} MB`;
export const rss = (s: Sample) =>
  s.peakRssMb === undefined || Number.isNaN(s.peakRssMb) ? 'n/a' : `${s.peakRssMb.toFixed(0)} MB`;

/** Other work on the machine skews every figure; say how busy it was. */
export function loadNote(): string {
  const [one = 0] = loadavg();
  const cores = cpus().length;
  const busy = one > cores / 2 ? ' (busy: figures are unreliable)' : '';
  return `load average ${one.toFixed(2)} on ${cores} cores${busy}`;
}
