/**
 * Starting and stopping an engine process: the database (migrated), the sealing key, the admin
 * user, the in-process analysis workers, the tag watcher, the service heartbeat and — for
 * `serve` — the HTTP server. `drydock serve` and `drydock worker` are thin wrappers over this,
 * and the tests start engines through it too.
 */
import type { DrydockConfig } from '../config/config.js';
import { DrydockError } from '../model/index.js';
import { bootstrapAdmin } from './accounts.js';
import { AnalysisWorkers } from './analysis-worker.js';
import { newHostId, type Engine } from './engine.js';
import { SecretBox } from './secret-box.js';
import { buildServer } from './server.js';
import { WebhookNotifier, type WebhookConfig } from './webhooks.js';
import { announceServices } from './services.js';
import { openEngineStore } from './store/open-store.js';
import { rematchAll, watchTags } from './watchers.js';

export interface EngineOptions {
  dataDir: string;
  /** PostgreSQL URL; SQLite in dataDir without it. */
  dbUrl?: string;
  config: DrydockConfig;
  version: string;
  /** Analyses at once in this process; 0 runs none (another process's workers do). */
  workers: number;
  /** The admin password for a new database; ignored once the admin exists. */
  adminPassword?: string;
  /** DRYDOCK_ENCRYPTION_KEY: seals registry passwords; a key file in dataDir without it. */
  encryptionKey?: string;
  /** Seconds between tag_update checks; 0 disables the watcher. */
  watchIntervalSeconds: number;
  /** Worker lease, for tests that kill workers; default 60 s. */
  leaseMs?: number;
  /** Where events are POSTed (src/engine/webhooks.ts). */
  webhook?: WebhookConfig;
}

export interface ServeOptions extends EngineOptions {
  host: string;
  port: number;
  https?: { key: Buffer; cert: Buffer };
}

export interface RunningEngine {
  engine: Engine;
  /** `http://host:port/v1` for serve; undefined for a worker. */
  url?: string;
  close(): Promise<void>;
}

async function openEngine(
  options: EngineOptions,
): Promise<{ engine: Engine; workers: AnalysisWorkers | undefined }> {
  const db = await openEngineStore({
    dataDir: options.dataDir,
    ...(options.dbUrl === undefined ? {} : { url: options.dbUrl }),
  });
  let workers: AnalysisWorkers | undefined;
  const engine: Engine = {
    db,
    secrets:
      options.encryptionKey === undefined || options.encryptionKey === ''
        ? await SecretBox.fromDataDir(options.dataDir)
        : SecretBox.fromPassphrase(options.encryptionKey),
    config: options.config,
    dataDir: options.dataDir,
    hostId: newHostId(),
    wake: () => workers?.wake(),
    ...(options.webhook === undefined ? {} : { webhooks: new WebhookNotifier(options.webhook) }),
  };
  if (options.workers > 0) {
    workers = new AnalysisWorkers(engine, {
      concurrency: options.workers,
      ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
    });
    workers.start();
  }
  return { engine, workers };
}

export async function startServer(options: ServeOptions): Promise<RunningEngine> {
  const { engine, workers } = await openEngine(options);
  const closeAll = async (): Promise<void> => {
    await workers?.stop();
    await engine.db.destroy();
  };
  try {
    await ensureAdmin(engine, options.adminPassword);
  } catch (error) {
    await closeAll();
    throw error;
  }
  const app = buildServer({
    engine,
    version: options.version,
    syncFeeds: async () => {
      await rematchAll(engine);
    },
    ...(options.https === undefined ? {} : { https: options.https }),
  });
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const scheme = options.https === undefined ? 'http' : 'https';
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `${scheme}://${host}:${String(port)}/v1`;
  const services = [
    { name: 'apiext', baseUrl: url },
    ...(workers ? [{ name: 'analyzer', baseUrl: url }] : []),
  ];
  const stopHeartbeat = announceServices(engine, services, options.version);
  const stopWatching =
    options.watchIntervalSeconds > 0
      ? watchTags(engine, options.watchIntervalSeconds * 1000)
      : () => undefined;
  return {
    engine,
    url,
    async close() {
      stopWatching();
      await app.close();
      await workers?.stop();
      await stopHeartbeat();
      await engine.webhooks?.settle();
      await engine.db.destroy();
    },
  };
}

/** A process that only analyses: `drydock worker` against the server's database. */
export async function startWorker(options: EngineOptions): Promise<RunningEngine> {
  const { engine, workers } = await openEngine({
    ...options,
    workers: Math.max(options.workers, 1),
  });
  const stopHeartbeat = announceServices(
    engine,
    [{ name: 'analyzer', baseUrl: 'none' }],
    options.version,
  );
  return {
    engine,
    async close() {
      await workers?.stop();
      await stopHeartbeat();
      await engine.webhooks?.settle();
      await engine.db.destroy();
    },
  };
}

/** A new database needs the admin's password; an existing one already has its admin. */
async function ensureAdmin(engine: Engine, password: string | undefined): Promise<void> {
  const admin = await engine.db
    .selectFrom('users')
    .select('username')
    .where('username', '=', 'admin')
    .executeTakeFirst();
  if (admin !== undefined) return;
  if (password === undefined || password === '')
    throw new DrydockError(
      'config-error',
      'no admin password: set ANCHORE_ADMIN_PASSWORD (or DRYDOCK_ADMIN_PASSWORD) for the first start, or use --dev for admin/foobar on a test engine',
    );
  await bootstrapAdmin(engine, password);
}
