/**
 * `drydock ci`: the CI gate in one step, as the seed pipelines' "integrated" job runs Anchore
 * Engine inside the job: pull and analyse the image in-process (bounded by --timeout), match it
 * against the local vulnerability database (an offline bundle imported into it first, with
 * --db), evaluate the policy bundle, write the reports those pipelines save, print a summary,
 * and exit with a code a pipeline can branch on. The environment variables of the seeds work in
 * place of the flags.
 */
import { Command, CommanderError, Option } from 'commander';
import { CI_REPORT_NAMES, ciReportFiles, writeReports } from '../ci/reports.js';
import { embeddedResults } from '../ci/embedded.js';
import type { CiResults } from '../ci/results.js';
import { ciSummary, ciVerdict } from '../ci/summary.js';
import { loadConfig } from '../config/config.js';
import {
  DrydockError,
  isDrydockError,
  type ErrorCode,
  type ImageAnalysis,
  type PolicyBundle,
  type PolicyEvaluation,
} from '../model/index.js';
import type { PolicyInput } from '../policy/gate.js';
import { plural } from '../report/scan/scan-format.js';
import { oneLine, printable } from '../util/text.js';
import {
  addSourceOptions,
  analyzeForCli,
  DB_FILE_HELP,
  secondsArgument,
  version,
  type CommonOptions,
} from './common-options.js';
import { defaultTag, matchedPolicyInput, readBundle, tagReference } from './policy-input.js';
import { reportError, writeStdout } from './run.js';
import { warnAboutData } from './scan.js';

interface CiOptions extends Omit<CommonOptions, 'output' | 'timeout'> {
  image?: string;
  /** Seconds for pulling and analysing the image. */
  timeout: number;
  policy?: string;
  reportDir: string;
  failOnPolicy?: boolean;
  db?: string;
  dbFile?: string;
}

/** The exit codes besides 0 (pass) and 1 (a failed evaluation, enforced: a gate-failed error). */
const EXIT = { usage: 2, timeout: 3, analysisFailed: 4 } as const;

/** Where the seeds' pipelines name the image, first set wins. */
const IMAGE_VARIABLES = ['ANCHORE_SCAN_IMAGE', 'ANCHORE_IMAGE_SCAN', 'IMAGE_NAME'] as const;
const FAIL_ON_POLICY_VARIABLE = 'ANCHORE_FAIL_ON_POLICY';
const DEFAULT_TIMEOUT_SECONDS = 500;
/** setTimeout's longest delay (about 24 days): a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Errors that mean the image could not be read, not that it was named wrong. */
const ANALYSIS_FAILURES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'corrupt-layer',
  'digest-mismatch',
  'limit-exceeded',
  'unsupported',
  'registry-error',
]);

const HELP_AFTER = `
Exit codes:
  0  the image passes the policy, or fails it without --fail-on-policy
  1  the image fails the policy, with --fail-on-policy
  2  usage or input error: a bad option, image reference, credential, policy bundle or --db
     bundle, an image that does not exist, no vulnerability data
  3  pulling and analysing the image took longer than --timeout
  4  the analysis failed: a corrupt layer, a registry error (or a drydock bug)

Reports, in --report-dir (the Anchore documents as anchore-cli --json prints them, then SARIF,
CycloneDX, GitLab container scanning and JUnit):
  ${CI_REPORT_NAMES.join('\n  ')}`;

export function ciCommand(): Command {
  const command = new Command('ci')
    .description(
      'the CI gate in one step: analyse an image, match its vulnerabilities, evaluate the policy, write the reports, exit 0/1 on the verdict',
    )
    .option(
      '--image <source>',
      `the image, any SOURCE other commands take: a registry reference, docker-archive:FILE, oci-dir:DIR, dir:DIR … (default: $${IMAGE_VARIABLES.join(', $')}, the first set)`,
    )
    .option(
      '--policy <file>',
      'the policy bundle, Anchore JSON (default: the bundle drydock ships)',
    )
    .option('--report-dir <dir>', 'where to write the reports (created)', 'anchore-reports')
    .option(
      '--fail-on-policy',
      `exit 1 when the image fails the policy (default: $${FAIL_ON_POLICY_VARIABLE}=true|false, else false)`,
    )
    .option(
      '--db <bundle>',
      'an offline vulnerability bundle (`drydock db export`), imported into the database first',
    )
    .option('--db-file <file>', DB_FILE_HELP)
    .addHelpText('after', HELP_AFTER);
  const timeout = new Option(
    '--timeout <seconds>',
    'give up when pulling and analysing the image takes longer',
  )
    .argParser(secondsArgument)
    .env('ANCHORE_TIMEOUT')
    .default(DEFAULT_TIMEOUT_SECONDS);
  return addSourceOptions(command, timeout).action(async (options: CiOptions, self: Command) => {
    try {
      await ci(options, self);
    } catch (error) {
      failWithExitCode(error, self);
    }
  });
}

async function ci(options: CiOptions, self: Command): Promise<void> {
  const image = imageToGate(options, self);
  const failOnPolicy = options.failOnPolicy === true || failOnPolicyFromEnv(self);
  if (options.platform === 'all')
    self.error('drydock: ci gates one image at a time; pick it with --platform os/arch', {
      exitCode: EXIT.usage,
    });
  const progress = (line: string): void => {
    if (options.quiet !== true) process.stderr.write(`drydock ci: ${line}\n`);
  };
  const results = await embeddedRun(image, options, self, progress);
  progress(`writing reports to ${printable(options.reportDir)}`);
  await writeCiReports(results, options.reportDir);
  await writeStdout([ciSummary(results.anchore)]);
  gate(results, failOnPolicy);
}

/** The results of analysing, matching and evaluating the image here, in this process. */
async function embeddedRun(
  image: string,
  options: CiOptions,
  self: Command,
  progress: (line: string) => void,
): Promise<CiResults> {
  const bundle = await readBundle(options.policy);
  const tag = tagReference(defaultTag(image), 'name it REPOSITORY:TAG@DIGEST');
  const dbFile = await vulnDbFile(options);
  if (options.db !== undefined) {
    progress(`importing the vulnerability bundle ${printable(options.db)}`);
    await importDbBundle(options.db, dbFile);
  }
  const startedAt = new Date();
  progress(`analysing ${printable(image)}`);
  const analysis = await analyse(image, options, self);
  const analyzedAt = new Date();
  progress('matching');
  const input = await matchedPolicyInput(analysis, tag, { dbFile, config: options.config });
  if (!input.match.data.available)
    throw new DrydockError(
      'not-found',
      `no vulnerability data in ${dbFile}, so the vulnerability reports would read as clean: give --db BUNDLE (from \`drydock db export\`) or run \`drydock db update\` first`,
    );
  warnAboutData(input.match, options.quiet === true);
  progress('evaluating');
  const evaluation = await evaluate(bundle, input);
  return embeddedResults({ analysis, input, evaluation, bundle, startedAt, analyzedAt });
}

/** `--image`, else the first of the seeds' variables that is set. */
function imageToGate(options: CiOptions, self: Command): string {
  const fromEnv = IMAGE_VARIABLES.map((name) => process.env[name]).find(
    (value) => value !== undefined && value !== '',
  );
  const image = options.image ?? fromEnv;
  if (image === undefined)
    self.error(
      `drydock: no image to gate: give --image SOURCE or set ${IMAGE_VARIABLES.join(', ')}`,
      { exitCode: EXIT.usage },
    );
  return image;
}

/** ANCHORE_FAIL_ON_POLICY as the seeds set it: `true` or `false` (any case), unset or empty. */
function failOnPolicyFromEnv(self: Command): boolean {
  const value = (process.env[FAIL_ON_POLICY_VARIABLE] ?? '').trim().toLowerCase();
  if (value === 'true') return true;
  if (value === 'false' || value === '') return false;
  return self.error(
    `drydock: ${FAIL_ON_POLICY_VARIABLE} must be true or false, not "${printable(value)}"`,
    { exitCode: EXIT.usage },
  );
}

/** The database matched against: --db-file, else the one in the cache directory. */
async function vulnDbFile(options: CiOptions): Promise<string> {
  if (options.dbFile !== undefined) return options.dbFile;
  const { defaultDbFile } = await import('../vuln/db.js');
  return defaultDbFile(options.cacheDir ?? (await loadConfig(options.config)).cacheDir);
}

/** Replaces the database's contents with the bundle's; a bad bundle leaves it as it was. */
async function importDbBundle(bundle: string, dbFile: string): Promise<void> {
  const [{ importBundle, isBundle }, { openVulnDb }] = await Promise.all([
    import('../vuln/bundle.js'),
    import('../vuln/db.js'),
  ]);
  if (!(await isBundle(bundle)))
    throw new DrydockError(
      'invalid-argument',
      `--db ${bundle} is not a drydock vulnerability bundle: give the gzip file \`drydock db export\` writes`,
    );
  const db = await openVulnDb(dbFile);
  try {
    await importBundle(db, dbFile, bundle);
  } finally {
    await db.destroy();
  }
}

/** The image pulled and analysed within --timeout; its failures carry their exit code. */
async function analyse(image: string, options: CiOptions, self: Command): Promise<ImageAnalysis> {
  try {
    // No registry request may outlast the whole bound either: a connection still waiting when
    // the time is up is closed then, and does not keep the process alive.
    const [analysis] = await withinTimeout(options.timeout, image, (signal) =>
      analyzeForCli(image, options, self, {}, signal),
    );
    if (analysis === undefined) throw new DrydockError('not-found', `${image}: no image to gate`);
    return analysis;
  } catch (error) {
    if (error instanceof CommanderError) throw error;
    throw new CiFailure(analysisExitCode(error), error);
  }
}

/**
 * Runs `work` with a signal that aborts it after `seconds`, and settles by then even if some
 * part of it does not heed the signal.
 */
async function withinTimeout<T>(
  seconds: number,
  image: string,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const expired = new Promise<never>((_resolve, reject) => {
    controller.signal.addEventListener('abort', () => {
      reject(controller.signal.reason as Error);
    });
  });
  const timer = setTimeout(
    () => {
      controller.abort(
        new DrydockError(
          'timeout',
          `pulling and analysing ${image} did not finish within ${seconds} s (--timeout, ANCHORE_TIMEOUT)`,
        ),
      );
    },
    Math.min(seconds * 1000, MAX_TIMER_MS),
  );
  const running = work(controller.signal);
  // Once the time is up, what the abandoned work rejects with is nobody's concern.
  running.catch(() => undefined);
  try {
    return await Promise.race([running, expired]);
  } finally {
    clearTimeout(timer);
  }
}

function analysisExitCode(error: unknown): number {
  if (!isDrydockError(error)) return EXIT.analysisFailed;
  if (error.code === 'timeout') return EXIT.timeout;
  return ANALYSIS_FAILURES.has(error.code) ? EXIT.analysisFailed : EXIT.usage;
}

/** The policy engine (every gate) loads only now, as `evaluate` loads it. */
async function evaluate(bundle: PolicyBundle, input: PolicyInput): Promise<PolicyEvaluation> {
  const { evaluatePolicy } = await import('../policy/evaluate.js');
  return evaluatePolicy(bundle, input);
}

/** Writes every report there is a format for; says which cannot be written. */
async function writeCiReports(results: CiResults, dir: string): Promise<void> {
  const { files, skipped } = ciReportFiles(results, {
    name: 'drydock',
    version: version(),
    timestamp: new Date(),
  });
  for (const { name, reason } of skipped)
    process.stderr.write(`drydock ci: warning: ${name} not written: ${reason}\n`);
  await writeReports(dir, files);
}

/** A failed evaluation fails the job only when the policy is enforced. */
function gate(results: CiResults, failOnPolicy: boolean): void {
  const verdict = ciVerdict(results.anchore.check);
  if (verdict.status !== 'fail') return;
  const failure = `${printable(verdict.tag)} fails policy bundle ${printable(verdict.bundleId)} (${verdict.reason}): ${plural(verdict.stops.length, 'STOP result')}`;
  if (failOnPolicy) throw new DrydockError('gate-failed', `${failure} (--fail-on-policy)`);
  process.stderr.write(
    `drydock ci: ${failure}; not enforced: exit 0 (--fail-on-policy or ${FAIL_ON_POLICY_VARIABLE}=true enforces it)\n`,
  );
}

/** An error and the exit code it ends the run with. */
class CiFailure extends Error {
  constructor(
    readonly exitCode: number,
    readonly error: unknown,
  ) {
    super(error instanceof Error ? error.message : String(error), { cause: error });
  }
}

/**
 * Ends the run: a failed gate is exit 1 (reported as every error is), a usage error keeps its
 * code; a failure during the analysis has the code it was given, any other DrydockError is bad
 * input (2), and anything else is a bug, reported as one, that failed the analysis (4).
 */
function failWithExitCode(thrown: unknown, self: Command): never {
  if (thrown instanceof CommanderError) throw thrown;
  if (isDrydockError(thrown) && thrown.code === 'gate-failed') throw thrown;
  const error = thrown instanceof CiFailure ? thrown.error : thrown;
  const exitCode =
    thrown instanceof CiFailure
      ? thrown.exitCode
      : isDrydockError(error)
        ? EXIT.usage
        : EXIT.analysisFailed;
  if (!isDrydockError(error)) {
    reportError(error);
    throw new CommanderError(exitCode, 'drydock.ci', '');
  }
  return self.error(`drydock: ${printable(oneLine(error.message))}`, { exitCode });
}
