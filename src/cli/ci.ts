/**
 * `drydock ci`: the CI gate in one step, in one of two modes. Embedded, as the seed pipelines'
 * "integrated" job runs Anchore Engine inside the job: pull and analyse the image in-process
 * (bounded by --timeout), match it against the local vulnerability database (an offline bundle
 * imported into it first, with --db) and evaluate the policy bundle. Against an engine, as their
 * "on premises" job does with anchore-cli, when an engine URL is given (--url, DRYDOCK_URL,
 * ANCHORE_CLI_URL): the engine pulls, analyses and evaluates, and drydock fetches the results
 * (src/ci/engine.ts). Either way it writes the reports those pipelines save, prints a summary,
 * and exits with a code a pipeline can branch on. The environment variables of the seeds work in
 * place of the flags.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { parseSourceSpec } from '../analyzer/open-source.js';
import { EngineClient } from '../client/api-client.js';
import { CI_REPORT_NAMES, ciReportFiles, writeReports } from '../ci/reports.js';
import { embeddedResults } from '../ci/embedded.js';
import { engineResults } from '../ci/engine.js';
import { CI_EXIT, CiFailure } from '../ci/failure.js';
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
import { formatReference, parseReference } from '../reference/reference.js';
import { plural } from '../report/scan/scan-format.js';
import { readFileBounded } from '../util/read-bounded.js';
import { oneLine, printable } from '../util/text.js';
import { accessDenied, clientSettings, setting } from './client/engine-command.js';
import { base64Text, MAX_DOCKERFILE_BYTES } from './client/image.js';
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
  /** Seconds for pulling and analysing the image, here or in the engine. */
  timeout: number;
  policy?: string;
  reportDir: string;
  failOnPolicy?: boolean;
  db?: string;
  dbFile?: string;
  /** The engine's API URL: set, the engine gates the image. */
  url?: string;
  insecure?: boolean;
  /** Seconds between two looks at the engine's record of the image. */
  pollInterval: number;
  /** The most looks at it. */
  retries?: number;
}

/** Where the seeds' pipelines name the image, first set wins. */
const IMAGE_VARIABLES = ['ANCHORE_SCAN_IMAGE', 'ANCHORE_IMAGE_SCAN', 'IMAGE_NAME'] as const;
const FAIL_ON_POLICY_VARIABLE = 'ANCHORE_FAIL_ON_POLICY';
const DEFAULT_TIMEOUT_SECONDS = 500;
/** The seeds' on-premises job polls the engine every 10 seconds. */
const DEFAULT_POLL_INTERVAL_SECONDS = 10;
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

/** Options that mean something in one mode only (attribute names), refused in the other. */
const EMBEDDED_ONLY = [
  'db',
  'dbFile',
  'platform',
  'username',
  'password',
  'passwordStdin',
  'registryAuthFile',
  'insecureRegistry',
  'insecureSkipTlsVerify',
  'caFile',
  'config',
  'cacheDir',
  'cache',
  'md5',
] as const;
const ENGINE_ONLY = ['insecure', 'pollInterval', 'retries'] as const;

const HELP_AFTER = `
Modes:
  embedded         no engine URL set: drydock pulls, analyses, matches (--db, --db-file) and
                   evaluates the image itself
  against engine   --url, $DRYDOCK_URL or $ANCHORE_CLI_URL set: the engine pulls (with the
                   registry credentials it holds), analyses and evaluates the image; drydock adds
                   it, polls its record every --poll-interval seconds and fetches the results.
                   User and password: $DRYDOCK_USER or $ANCHORE_CLI_USER, $DRYDOCK_PASS or
                   $ANCHORE_CLI_PASS; $ANCHORE_CLI_SSL_VERIFY=n is --insecure. The wait ends
                   at --timeout seconds or after --retries polls, whichever comes first.
                   SARIF, CycloneDX and GitLab reports need a drydock engine.
  The options of one mode (--db, --platform, the registry ones … ; --insecure, --poll-interval,
  --retries) are refused in the other.

Exit codes:
  0  the image passes the policy, or fails it without --fail-on-policy
  1  the image fails the policy, with --fail-on-policy
  2  usage or input error: a bad option, image reference, credential, policy bundle or --db
     bundle, an image that does not exist or that the engine cannot pull, no vulnerability
     data, an engine that refuses the credentials or cannot be reached
  3  pulling and analysing the image (here or in the engine) took over --retries polls or --timeout
  4  the analysis failed: a corrupt layer, a registry error (or a drydock bug); or the engine
     reports analysis_failed

Reports, in --report-dir (the Anchore documents as anchore-cli --json prints them, then SARIF,
CycloneDX, GitLab container scanning and JUnit):
  ${CI_REPORT_NAMES.join('\n  ')}`;

export function ciCommand(): Command {
  const command = new Command('ci')
    .description(
      'the CI gate in one step: analyse an image (here, or in an engine), match its vulnerabilities, evaluate the policy, write the reports, exit 0/1 on the verdict',
    )
    .option(
      '--image <source>',
      `the image, any SOURCE other commands take: a registry reference, docker-archive:FILE, oci-dir:DIR, dir:DIR …; against an engine REGISTRY/REPOSITORY:TAG (default: $${IMAGE_VARIABLES.join(', $')}, the first set)`,
    )
    .option(
      '--policy <file>',
      "the policy bundle, Anchore JSON (default: the bundle drydock ships; against an engine, the bundle is added to it, else the engine's active bundle is used)",
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
    .option(
      '--url <url>',
      'gate the image in the engine whose API is at this URL, http://HOST:8228/v1 (default: $DRYDOCK_URL, else $ANCHORE_CLI_URL; none: embedded)',
    )
    .option(
      '--insecure',
      'accept any TLS certificate from the engine (default: $ANCHORE_CLI_SSL_VERIFY=n)',
    )
    .addOption(
      new Option(
        '--poll-interval <seconds>',
        "seconds between two looks at the engine's analysis of the image",
      )
        .argParser(secondsArgument)
        .default(DEFAULT_POLL_INTERVAL_SECONDS),
    )
    .addOption(
      new Option(
        '--retries <count>',
        'give up after this many looks (default: only --timeout bounds them)',
      )
        .argParser(countArgument)
        .env('ANCHORE_RETRIES'),
    )
    .addHelpText('after', HELP_AFTER);
  const timeout = new Option(
    '--timeout <seconds>',
    'give up when pulling and analysing the image takes longer (against an engine: adding it and waiting for the analysis)',
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

/** A `--retries` value: a whole number, at least 1. */
function countArgument(value: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1)
    throw new InvalidArgumentError('expected a whole number of polls, at least 1');
  return count;
}

async function ci(options: CiOptions, self: Command): Promise<void> {
  const image = imageToGate(options, self);
  const failOnPolicy = options.failOnPolicy === true || failOnPolicyFromEnv(self);
  // An empty variable (a CI system's unset default) does not pick the engine.
  const engineUrl = options.url ?? setting(process.env, 'URL');
  const againstEngine = engineUrl !== undefined && engineUrl !== '';
  refuseOtherModesOptions(self, againstEngine);
  if (options.platform === 'all')
    self.error('drydock: ci gates one image at a time; pick it with --platform os/arch', {
      exitCode: CI_EXIT.usage,
    });
  // Lines carry untrusted text (names, the engine's answers): escaped here, once.
  const progress = (line: string): void => {
    if (options.quiet !== true) process.stderr.write(`drydock ci: ${printable(line)}\n`);
  };
  const results = againstEngine
    ? await engineRun(image, engineUrl, options, progress)
    : await embeddedRun(image, options, self, progress);
  progress(`writing reports to ${options.reportDir}`);
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
    progress(`importing the vulnerability bundle ${options.db}`);
    await importDbBundle(options.db, dbFile);
  }
  const startedAt = new Date();
  progress(`analysing ${image}`);
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

/** The results of the engine's analysis and evaluation of the image, fetched from it. */
async function engineRun(
  image: string,
  url: string,
  options: CiOptions,
  progress: (line: string) => void,
): Promise<CiResults> {
  const tag = engineTag(image);
  const bundle = options.policy === undefined ? undefined : await readBundle(options.policy);
  const dockerfile =
    options.dockerfile === undefined
      ? undefined
      : base64Text(await readFileBounded(options.dockerfile, MAX_DOCKERFILE_BYTES, '--dockerfile'));
  const { connection } = clientSettings({ url, insecure: options.insecure }, process.env);
  const client = new EngineClient(connection);
  try {
    const denied = await accessDenied(client, connection);
    if (denied !== undefined)
      throw new DrydockError('unauthorized', `${denied.message}: ${denied.reason}`);
    const wait = {
      timeoutSeconds: options.timeout,
      pollIntervalSeconds: options.pollInterval,
      ...(options.retries === undefined ? {} : { maxPolls: options.retries }),
    };
    return await engineResults(client, {
      tag,
      ...(dockerfile === undefined ? {} : { dockerfile }),
      ...(bundle === undefined ? {} : { bundle }),
      wait,
      progress,
    });
  } finally {
    await client.close();
  }
}

/** The tag the engine is to pull: a registry reference, normalised, naming no digest. */
function engineTag(image: string): string {
  const spec = parseSourceSpec(image);
  const fix =
    'give --image REGISTRY/REPOSITORY:TAG, or gate it embedded (no --url, DRYDOCK_URL or ANCHORE_CLI_URL)';
  if (spec.kind !== 'registry')
    throw new DrydockError(
      'invalid-argument',
      `${image} is not in a registry, and the engine pulls the images it gates: ${fix}`,
    );
  if (parseReference(spec.reference).digest !== undefined)
    throw new DrydockError(
      'invalid-argument',
      `${image} names a digest, and the engine analyses what a tag names: ${fix}`,
    );
  return formatReference(tagReference(spec.reference, fix));
}

/** An option of the other mode, given on the command line, is a usage error. */
function refuseOtherModesOptions(self: Command, againstEngine: boolean): void {
  const others: readonly string[] = againstEngine ? EMBEDDED_ONLY : ENGINE_ONLY;
  const given = self.options.filter(
    (option) =>
      others.includes(option.attributeName()) &&
      self.getOptionValueSource(option.attributeName()) === 'cli',
  );
  const [first] = given;
  if (first === undefined) return;
  const why = againstEngine
    ? 'against an engine (--url, DRYDOCK_URL or ANCHORE_CLI_URL), the engine pulls, analyses and matches the image'
    : 'it applies against an engine: give --url (or set DRYDOCK_URL or ANCHORE_CLI_URL)';
  self.error(`drydock: ci ${first.long ?? first.flags}: ${why}`, { exitCode: CI_EXIT.usage });
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
      { exitCode: CI_EXIT.usage },
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
    { exitCode: CI_EXIT.usage },
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
  if (!isDrydockError(error)) return CI_EXIT.analysisFailed;
  if (error.code === 'timeout') return CI_EXIT.timeout;
  return ANALYSIS_FAILURES.has(error.code) ? CI_EXIT.analysisFailed : CI_EXIT.usage;
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
        ? CI_EXIT.usage
        : CI_EXIT.analysisFailed;
  if (!isDrydockError(error)) {
    reportError(error);
    throw new CommanderError(exitCode, 'drydock.ci', '');
  }
  return self.error(`drydock: ${printable(oneLine(error.message))}`, { exitCode });
}
