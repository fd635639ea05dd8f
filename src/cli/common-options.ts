/**
 * The options every image command takes (source access, cache, output), and the flow they share:
 * open the source, analyse each selected image with progress on stderr, report warnings.
 */
import { readFileBounded } from '../util/read-bounded.js';
import { createRequire } from 'node:module';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { analyzeSource } from '../analyzer/analyze-image.js';
import { openSource } from '../analyzer/open-source.js';
import { ImageCataloger, type ImageCatalogerOptions } from '../catalog/catalog-image.js';
import { loadConfig, type DrydockConfig } from '../config/config.js';
import { DrydockError } from '../model/index.js';
import type { ImageAnalysis, PlatformSelector, SourceImage } from '../model/index.js';
import { printable } from '../util/text.js';
import { LayerCache } from '../source/layer-cache.js';
import { DEFAULT_PLATFORM, formatPlatform, parsePlatform } from '../source/platform.js';
import { ProgressReporter } from './progress.js';

export type OutputFormat = 'table' | 'json';

export interface CommonOptions {
  platform: PlatformSelector;
  output: OutputFormat;
  username?: string;
  password?: string;
  passwordStdin?: boolean;
  registryAuthFile?: string;
  insecureRegistry?: string[];
  insecureSkipTlsVerify?: boolean;
  caFile?: string;
  config?: string;
  cacheDir?: string;
  /** False with `--no-cache`. */
  cache: boolean;
  md5?: boolean;
  dockerfile?: string;
  /** Seconds. */
  timeout?: number;
  quiet?: boolean;
}

export const SOURCE_HELP =
  'an image reference (alpine:3.19, registry:REF, docker://REF), docker-archive:FILE[:repo:tag], ' +
  'oci-dir:DIR[:tag], oci-archive:FILE[:tag], dir:DIR, or an existing path (kind detected)';

/** Longest Dockerfile read for --dockerfile; real ones are a few kilobytes. */
const MAX_DOCKERFILE_BYTES = 1024 * 1024;
/** Longest password read from stdin. */
const MAX_PASSWORD_BYTES = 64 * 1024;

function platformArgument(value: string): PlatformSelector {
  try {
    return parsePlatform(value);
  } catch (e) {
    throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
  }
}

/** A `--timeout` value: seconds, more than 0. */
export function secondsArgument(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new InvalidArgumentError('expected a number of seconds greater than 0');
  }
  return seconds;
}

/** Commander's accumulator for a repeatable option. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `outputFormats`: the `-o` choices, the first the default (commands with more formats pass theirs). */
/** `-o FORMAT`, the first of `formats` by default. */
export function outputOption(formats: readonly string[]): Option {
  return new Option('-o, --output <format>', 'output format').choices(formats).default(formats[0]);
}

/** `--vex FILE`, repeatable: for the commands that report findings. */
export function vexOption(): Option {
  return new Option(
    '--vex <file>',
    'an OpenVEX or CycloneDX VEX document: not_affected/fixed statements suppress findings (repeatable)',
  ).argParser(collect);
}

export const DB_FILE_HELP = 'the vulnerability database (default: <cache dir>/vulndb.sqlite)';

export const CONFIG_HELP =
  'drydock config file (default: $DRYDOCK_CONFIG or ~/.config/drydock/config.yaml)';

export function addCommonOptions(
  command: Command,
  outputFormats: readonly string[] = ['table', 'json'],
): Command {
  return addSourceOptions(
    command.addOption(outputOption(outputFormats)),
    new Option(
      '--timeout <seconds>',
      'give up on a registry request silent for this long (default: 60)',
    ).argParser(secondsArgument),
  );
}

/**
 * The options that say how to reach and read an image (all the common ones but `-o`), with the
 * command's own `--timeout`: a registry request's for most, the whole analysis's for `ci`.
 */
export function addSourceOptions(command: Command, timeout: Option): Command {
  return command
    .addOption(
      new Option(
        '--platform <os/arch[/variant]>',
        'image to pick from a multi-platform index, or "all" for every one',
      )
        .argParser(platformArgument)
        .default(DEFAULT_PLATFORM, formatPlatform(DEFAULT_PLATFORM)),
    )
    .option('--username <name>', "registry user name (for the image's registry only)")
    .addOption(
      new Option(
        '--password <password>',
        'registry password (visible to other users: prefer --password-stdin)',
      ).conflicts('passwordStdin'),
    )
    .option('--password-stdin', 'read the registry password from standard input')
    .option(
      '--registry-auth-file <file>',
      'registry credentials: a Docker config.json or dockercfg file (default: $DOCKER_CONFIG/config.json or ~/.docker/config.json)',
    )
    .option(
      '--insecure-registry <host>',
      'reach this registry over plain HTTP (repeatable)',
      collect,
    )
    .option('--insecure-skip-tls-verify', 'accept any TLS certificate from registries')
    .option('--ca-file <file>', 'PEM file with extra CA certificates for registries')
    .option('--config <file>', CONFIG_HELP)
    .option(
      '--cache-dir <dir>',
      'layer cache directory (default: from the config, else ~/.cache/drydock)',
    )
    .option('--no-cache', 'neither read nor write the layer cache')
    .option('--md5', 'also compute the md5 of every file')
    .option(
      '--dockerfile <file>',
      'the Dockerfile the image was built from (default: rebuilt from the image history)',
    )
    .addOption(timeout)
    .option('-q, --quiet', 'no progress on stderr');
}

/**
 * Resolves and analyses the images `spec` names; errors are DrydockErrors or usage errors.
 * `signal` stops the analysis (the registry requests and layer reads in flight are aborted).
 */
export async function analyzeForCli(
  spec: string,
  options: Omit<CommonOptions, 'output'>,
  command: Command,
  catalog?: ImageCatalogerOptions,
  signal?: AbortSignal,
): Promise<ImageAnalysis[]> {
  const login = await loginFrom(options, command);
  const config = await loadConfig(options.config);
  const dockerfile = options.dockerfile
    ? await readFileBounded(options.dockerfile, MAX_DOCKERFILE_BYTES, '--dockerfile')
    : undefined;
  const source = await openSource(spec, {
    config,
    login,
    authFile: options.registryAuthFile,
    connection: {
      insecureRegistries: options.insecureRegistry,
      skipTlsVerify: options.insecureSkipTlsVerify,
      caFile: options.caFile,
    },
    requestTimeoutMs: options.timeout === undefined ? undefined : options.timeout * 1000,
    userAgent: `drydock/${version()}`,
  });
  const progress = options.quiet ? undefined : new ProgressReporter(process.stderr);
  const labelled = options.platform === 'all';
  let analyses: ImageAnalysis[];
  try {
    const results = await analyzeSource(source, options.platform, {
      limits: config.limits,
      collectors: [],
      cataloger: catalog && catalogerFor(catalog, config),
      cache: options.cache ? new LayerCache(options.cacheDir ?? config.cacheDir) : undefined,
      md5: options.md5,
      dockerfile,
      signal,
      progressFor: (image) => progress?.forImage(image, labelled ? platformLabel(image) : ''),
    });
    analyses = results.map((r) => r.analysis);
  } finally {
    progress?.finish();
    await source.close();
  }
  // After finish(): on a terminal its last redraw would overwrite lines written before it.
  for (const warning of analyses.flatMap((a) => a.warnings)) {
    process.stderr.write(`drydock: warning: ${printable(warning)}\n`);
  }
  return analyses;
}

/** The config's secret patterns and retained files apply unless the command says otherwise. */
function catalogerFor(options: ImageCatalogerOptions, config: DrydockConfig): ImageCataloger {
  return new ImageCataloger({
    ...options,
    secrets: options.secrets ?? config.secrets,
    retainedPaths: options.retainedPaths ?? config.retainedFiles,
  });
}

/** The platform from the image config: untrusted text, so made printable. */
function platformLabel(image: SourceImage): string {
  const { os = 'unknown', architecture = 'unknown', variant } = image.config;
  return printable(formatPlatform({ os, architecture, variant }));
}

async function loginFrom(
  options: Omit<CommonOptions, 'output'>,
  command: Command,
): Promise<{ username: string; password: string } | undefined> {
  const { username, password, passwordStdin } = options;
  const hasPassword = password !== undefined || passwordStdin === true;
  if (username === undefined && !hasPassword) return undefined;
  if (username === undefined)
    command.error('drydock: a password needs --username', { exitCode: 2 });
  if (!hasPassword) {
    command.error('drydock: --username needs --password or --password-stdin', { exitCode: 2 });
  }
  if (password !== undefined) {
    process.stderr.write(
      'drydock: warning: a password on the command line can be seen by other users; use --password-stdin\n',
    );
    return { username, password };
  }
  return { username, password: await readPasswordFromStdin() };
}

async function readPasswordFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_PASSWORD_BYTES) {
      throw new DrydockError(
        'invalid-argument',
        '--password-stdin: standard input is too long for a password',
      );
    }
    chunks.push(chunk);
  }
  const password = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (password === '') {
    throw new DrydockError('invalid-argument', '--password-stdin: standard input was empty');
  }
  return password;
}

/** The package version, for --version and the registry User-Agent. */
export function version(): string {
  const require = createRequire(import.meta.url);
  return (require('../../package.json') as { version: string }).version;
}
