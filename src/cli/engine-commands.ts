/**
 * `drydock serve` (the engine: Anchore Engine v1 API, in-process analysis workers) and
 * `drydock worker` (analysis workers alone, against the same database). Both run until
 * SIGINT/SIGTERM, then finish cleanly: in-flight analyses are abandoned to their leases.
 */
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { loadConfig } from '../config/config.js';
import { DrydockError } from '../model/index.js';
import type { EngineOptions, RunningEngine } from '../engine/start.js';
import { version } from './common-options.js';

interface SharedOptions {
  dataDir?: string;
  db?: string;
  config?: string;
  webhookUrl?: string;
}

interface ServeFlags extends SharedOptions {
  host: string;
  port: string;
  workers: string;
  watchInterval: string;
  dev?: boolean;
  tlsCert?: string;
  tlsKey?: string;
}

interface WorkerFlags extends SharedOptions {
  concurrency: string;
  lease: string;
}

const env = process.env;

function defaultDataDir(): string {
  const base = env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share');
  return env.DRYDOCK_DATA_DIR ?? join(base, 'drydock', 'engine');
}

function withSharedOptions(command: Command): Command {
  return command
    .option(
      '--data-dir <dir>',
      'engine data: SQLite database, key, vulnerability database, layer cache (default $DRYDOCK_DATA_DIR or ~/.local/share/drydock/engine)',
    )
    .option(
      '--db <url>',
      'PostgreSQL URL (postgres://…) instead of SQLite in the data directory (env DRYDOCK_DB_URL)',
    )
    .option(
      '--config <file>',
      'drydock config file (registry mirrors, insecure registries, limits)',
    );
}

function count(value: string, what: string, min: number): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min)
    throw new DrydockError(
      'invalid-argument',
      `${what} must be a whole number ≥ ${String(min)}, not ${value}`,
    );
  return parsed;
}

async function engineOptions(flags: SharedOptions, workers: number): Promise<EngineOptions> {
  const dbUrl = flags.db ?? env.DRYDOCK_DB_URL;
  return {
    dataDir: flags.dataDir ?? defaultDataDir(),
    ...(dbUrl === undefined || dbUrl === '' ? {} : { dbUrl }),
    config: await loadConfig(flags.config),
    version: version(),
    workers,
    ...(env.DRYDOCK_ENCRYPTION_KEY === undefined
      ? {}
      : { encryptionKey: env.DRYDOCK_ENCRYPTION_KEY }),
    watchIntervalSeconds: 0,
    ...webhook(flags.webhookUrl ?? env.DRYDOCK_WEBHOOK_URL),
  };
}

function webhook(url: string | undefined): Pick<EngineOptions, 'webhook'> {
  if (url === undefined || url === '') return {};
  if (!/^https?:\/\//.test(url))
    throw new DrydockError('invalid-argument', `--webhook-url ${url} is not an http(s) URL`);
  const secret = env.DRYDOCK_WEBHOOK_SECRET;
  return { webhook: { url, ...(secret === undefined || secret === '' ? {} : { secret }) } };
}

/** Runs until a signal, then closes; the process exits when everything is closed. */
async function runUntilSignal(running: RunningEngine): Promise<void> {
  const signal = await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  process.stderr.write(`drydock: ${String(signal[0] ?? 'signal')}: stopping\n`);
  await running.close();
}

export function serveCommand(): Command {
  return withSharedOptions(
    new Command('serve').description(
      'run the engine: the Anchore Engine v1 API (for anchore-cli and drydock image …) with analysis workers',
    ),
  )
    .option('--host <address>', 'address to listen on', '0.0.0.0')
    .option('--port <port>', 'port to listen on', '8228')
    .option(
      '--workers <n>',
      'analyses at once in this process (0: leave analysis to `drydock worker`)',
      '1',
    )
    .option(
      '--watch-interval <seconds>',
      'how often subscribed tags are checked for new digests (0: never)',
      '300',
    )
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
    .option('--tls-key <file>', 'the private key of --tls-cert (PEM)')
    .addOption(new Option('--dev', 'test engine: admin password foobar when the database is new'))
    .action(async (flags: ServeFlags) => {
      const options = await engineOptions(flags, count(flags.workers, '--workers', 0));
      if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined))
        throw new DrydockError('invalid-argument', '--tls-cert and --tls-key go together');
      const { startServer } = await import('../engine/start.js');
      const adminPassword =
        env.ANCHORE_ADMIN_PASSWORD ??
        env.DRYDOCK_ADMIN_PASSWORD ??
        (flags.dev ? 'foobar' : undefined);
      const running = await startServer({
        ...options,
        host: flags.host,
        port: count(flags.port, '--port', 0),
        watchIntervalSeconds: count(flags.watchInterval, '--watch-interval', 0),
        ...(adminPassword === undefined ? {} : { adminPassword }),
        ...(flags.tlsCert === undefined || flags.tlsKey === undefined
          ? {}
          : { https: { cert: await readFile(flags.tlsCert), key: await readFile(flags.tlsKey) } }),
      });
      process.stderr.write(
        `drydock engine ${version()} listening on ${running.url ?? ''} (data ${options.dataDir}, database ${options.dbUrl === undefined ? 'SQLite' : 'PostgreSQL'})\n`,
      );
      await runUntilSignal(running);
    });
}

export function workerCommand(): Command {
  return withSharedOptions(
    new Command('worker').description(
      "run analysis workers alone, against a `drydock serve` engine's database",
    ),
  )
    .option('--concurrency <n>', 'analyses at once', '1')
    .option(
      '--lease <seconds>',
      "how long a job stays this worker's without its heartbeat: after a crash, another worker takes it once this passes",
      '60',
    )
    .action(async (flags: WorkerFlags) => {
      const options = await engineOptions(flags, count(flags.concurrency, '--concurrency', 1));
      options.leaseMs = count(flags.lease, '--lease', 1) * 1000;
      const { startWorker } = await import('../engine/start.js');
      const running = await startWorker(options);
      process.stderr.write(`drydock worker ${version()} analysing (data ${options.dataDir})\n`);
      await runUntilSignal(running);
    });
}
