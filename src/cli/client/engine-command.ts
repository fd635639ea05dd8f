/**
 * What every engine client command shares: the connection options (anchore-cli's global ones,
 * accepted before or after the subcommand), the settings read from the environment, and the
 * run of one command as anchore-cli runs it — the access check, the output on stdout (errors
 * too, as anchore-cli prints them), and its exit code. A failure also leaves one line on stderr.
 */
import { Command } from 'commander';
import {
  DEFAULT_ENGINE_URL,
  EngineClient,
  type EngineConnection,
  type EngineResult,
} from '../../client/api-client.js';
import {
  apiFailure,
  CommandFailure,
  exitCodeOf,
  failure,
  formatError,
  formatOutput,
} from '../../client/cli-output.js';
import { DrydockError, isDrydockError } from '../../model/index.js';
import { readFileBounded } from '../../util/read-bounded.js';
import { oneLine, printable } from '../../util/text.js';
import { version } from '../common-options.js';
import { EXIT_ERROR, writeStdout } from '../run.js';

/** The connection options, as commander names them. */
export interface ConnectionOptions {
  url?: string;
  u?: string;
  p?: string;
  json?: boolean;
  insecure?: boolean;
  asAccount?: string;
}

const ENVIRONMENT_HELP = `
Environment (an option wins over both; DRYDOCK_* wins over ANCHORE_CLI_* when both are set):
  DRYDOCK_URL, ANCHORE_CLI_URL                 engine API URL (default ${DEFAULT_ENGINE_URL})
  DRYDOCK_USER, ANCHORE_CLI_USER               user name
  DRYDOCK_PASS, ANCHORE_CLI_PASS               password
  DRYDOCK_SSL_VERIFY, ANCHORE_CLI_SSL_VERIFY   n: accept any TLS certificate
  DRYDOCK_JSON, ANCHORE_CLI_JSON               y: print the engine's JSON
  DRYDOCK_ACCOUNT, ANCHORE_CLI_ACCOUNT         act for this account (admin only)

Output and exit codes are anchore-cli's: 0 done, 1 the engine refused (not found, conflict,
policy failed), 2 could not work (bad credentials, engine error, bad input).`;

/**
 * Adds the connection options; `insecure: false` leaves out `--insecure` for the commands that
 * have their own (`registry add --insecure` is about the registry, as in anchore-cli).
 */
export function withConnectionOptions(command: Command, { insecure = true } = {}): Command {
  command
    .option('--url <url>', `engine API URL (default ${DEFAULT_ENGINE_URL})`)
    .option('--u <user>', 'user name')
    .option('--p <password>', 'password (visible to other users: prefer DRYDOCK_PASS)')
    .option('--json', "print the engine's JSON, as anchore-cli --json does")
    .option('--as-account <account>', 'act for another account (admin only)');
  if (insecure) command.option('--insecure', 'accept any TLS certificate from the engine');
  return command.addHelpText('after', ENVIRONMENT_HELP);
}

/** A command group (`image`): its options go before its subcommand, theirs after. */
export function clientGroup(name: string, description: string): Command {
  return withConnectionOptions(
    new Command(name).description(description).enablePositionalOptions(),
  );
}

/** A leaf command of a group, with the connection options of its own. */
export function clientCommand(name: string, description: string, insecure = true): Command {
  return withConnectionOptions(new Command(name).description(description), { insecure });
}

type Environment = Record<string, string | undefined>;

/** `DRYDOCK_<name>`, else `ANCHORE_CLI_<name>`; set but empty counts, as in anchore-cli. */
export const setting = (env: Environment, name: string): string | undefined =>
  env[`DRYDOCK_${name}`] ?? env[`ANCHORE_CLI_${name}`];

export interface ClientSettings {
  connection: EngineConnection;
  json: boolean;
}

/** Options first, then the environment; an empty option value counts as not given. */
export function clientSettings(options: ConnectionOptions, env: Environment): ClientSettings {
  const user = options.u || setting(env, 'USER');
  const password = options.p || setting(env, 'PASS');
  const asAccount = options.asAccount ?? setting(env, 'ACCOUNT');
  return {
    connection: {
      url: options.url || (setting(env, 'URL') ?? DEFAULT_ENGINE_URL),
      ...(user === undefined ? {} : { user }),
      ...(password === undefined ? {} : { password }),
      verifyTls: !(options.insecure === true || setting(env, 'SSL_VERIFY')?.toLowerCase() === 'n'),
      ...(asAccount === undefined ? {} : { asAccount }),
      userAgent: `drydock/${version()}`,
    },
    json: options.json === true || setting(env, 'JSON')?.toLowerCase() === 'y',
  };
}

/** What a command body gets: the client, the output mode, and anchore-cli's `ecode`. */
export class EngineRun {
  /** anchore-cli's `ecode`: set by the answers that decide the outcome. */
  exitCode = 0;
  /** Why a run that raised nothing still ends non-zero (a failed policy check). */
  reason = '';

  constructor(
    readonly client: EngineClient,
    readonly json: boolean,
  ) {}

  /** Python's print(): the text and a newline, on stdout. */
  print(text: string): Promise<void> {
    return writeStdout([`${text}\n`]);
  }

  /** `format_output` of a payload, printed. */
  printOutput(payload: unknown, render: (payload: never) => string): Promise<void> {
    return this.print(formatOutput(this.json, payload, render));
  }

  /**
   * anchore-cli's `ecode = get_ecode(ret); if ret["success"]: … else: raise`: the payload of a
   * successful answer; any other answer's error body is raised.
   */
  payloadOf(result: EngineResult): unknown {
    this.exitCode = exitCodeOf(result);
    if (!result.success) throw apiFailure(result);
    return result.payload;
  }
}

/**
 * Runs a command body as anchore-cli runs a command: the access check, the body, the error
 * output of a failure, and the exit code — anything but 0 becomes a thrown error, so `run.ts`
 * exits with it (1 as a DrydockError, others as commander errors).
 */
export async function runEngineCommand(
  self: Command,
  body: (run: EngineRun) => Promise<void>,
  options: ConnectionOptions = self.optsWithGlobals(),
): Promise<void> {
  const { connection, json } = clientSettings(options, process.env);
  const client = new EngineClient(connection);
  let outcome: Outcome;
  try {
    outcome = await runBody(new EngineRun(client, json), connection, body);
  } finally {
    await client.close();
  }
  exitWith(self, outcome);
}

interface Outcome {
  exitCode: number;
  /** The stderr line of a run that ends non-zero. */
  summary: string;
}

async function runBody(
  run: EngineRun,
  connection: EngineConnection,
  body: (run: EngineRun) => Promise<void>,
): Promise<Outcome> {
  const denied = await accessDenied(run.client, connection);
  if (denied !== undefined) {
    await run.print(formatError(run.json, failure(denied.message)));
    return { exitCode: 2, summary: `${denied.message}: ${denied.reason}` };
  }
  try {
    await body(run);
    return { exitCode: run.exitCode, summary: run.reason };
  } catch (error) {
    const failed = asFailure(error);
    await run.print(formatError(run.json, failed));
    const exitCode = failed.exitCode ?? (run.exitCode === 0 ? 2 : run.exitCode);
    return { exitCode, summary: failed.message };
  }
}

/**
 * anchore-cli checks the API root before every command: bad credentials and an engine out of
 * reach end there (exit 2) with its message, never naming the password.
 */
export async function accessDenied(
  client: EngineClient,
  connection: EngineConnection,
): Promise<{ message: string; reason: string } | undefined> {
  let reason: string;
  try {
    const result = await client.baseRoutes();
    if (result.success) return undefined;
    reason = `the engine answered HTTP ${String(result.httpcode)}`;
  } catch (error) {
    reason = error instanceof Error ? error.message : String(error);
  }
  const message = `could not access anchore service (user=${connection.user ?? 'None'} url=${withoutPassword(connection.url)})`;
  return { message, reason };
}

/** A file the command needs, read before the engine is asked: a bad one is a usage error (2). */
export async function readInputFile(
  self: Command,
  file: string,
  maxBytes: number,
  what: string,
): Promise<string> {
  try {
    return await readFileBounded(file, maxBytes, what);
  } catch (error) {
    if (!isDrydockError(error)) throw error;
    return self.error(`drydock: ${printable(oneLine(error.message))}`, { exitCode: 2 });
  }
}

/** A URL's password is never printed. */
function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = '****';
    return parsed.href;
  } catch {
    return url;
  }
}

/** What anchore-cli catches: its own raises, and the client's failures to get an answer. */
function asFailure(error: unknown): CommandFailure {
  if (error instanceof CommandFailure) return error;
  if (isDrydockError(error)) return failure(error.message);
  throw error;
}

function exitWith(self: Command, { exitCode, summary }: Outcome): void {
  if (exitCode === 0) return;
  const line = `${commandPath(self)}: ${summary || `exit code ${String(exitCode)}`}`;
  // run.ts keeps a commander error's code only from 2 up: exit 1 is a DrydockError.
  if (exitCode === EXIT_ERROR) throw new DrydockError('gate-failed', line);
  self.error(`drydock: ${printable(oneLine(line))}`, { exitCode });
}

/** `image del`: the command's names below `drydock`. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c = command; c.parent !== null; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
