/**
 * Engines for tests: `drydock serve` started in this process on a free loopback port, over a
 * fresh data directory and either SQLite or a PostgreSQL database made for the test (the
 * machine's server, trust auth) and dropped after; a small API client; feed import.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import pg from 'pg';
import { loadConfig } from '../../src/config/config.js';
import { startServer, type RunningEngine } from '../../src/engine/start.js';
import type { WebhookConfig } from '../../src/engine/webhooks.js';
import { openVulnDb } from '../../src/vuln/db.js';
import { importOsv } from '../../src/vuln/import.js';

export const ADMIN_PASSWORD = 'foobar';
const POSTGRES_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export type Backend = 'sqlite' | 'postgres';

export interface TestEngine {
  url: string;
  dataDir: string;
  running: RunningEngine;
  /** A client for `user` (default admin), optionally acting as another account. */
  client(user?: string, password?: string, asAccount?: string): ApiClient;
  close(): Promise<void>;
}

export interface TestEngineOptions {
  backend?: Backend;
  workers?: number;
  /** An osv.dev-style directory (one subdirectory per feed) imported before the start. */
  feeds?: string;
  leaseMs?: number;
  webhook?: WebhookConfig;
  /** Serve HTTPS with this key and certificate (PEM). */
  https?: { key: Buffer; cert: Buffer };
  /** Use this data directory (and database URL) instead of fresh ones: a restart. */
  reuse?: { dataDir: string; dbUrl?: string };
}

/** A PostgreSQL database of its own for one test file. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `drydock_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://postgres@127.0.0.1:5432/${name}`,
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Imports each subdirectory of `dir` as one feed into the engine's vulnerability database. */
export async function importFeeds(dataDir: string, dir: string): Promise<void> {
  const db = await openVulnDb(join(dataDir, 'vulndb.sqlite'));
  try {
    for (const entry of await readdir(dir, { withFileTypes: true }))
      if (entry.isDirectory())
        await importOsv(db, join(dir, entry.name), {
          cacheDir: join(dataDir, 'cache'),
          feed: basename(entry.name),
        });
  } finally {
    await db.destroy();
  }
}

export async function startTestEngine(options: TestEngineOptions = {}): Promise<TestEngine> {
  const dataDir = options.reuse?.dataDir ?? (await mkdtemp(join(tmpdir(), 'drydock-engine-')));
  const database =
    options.reuse === undefined && options.backend === 'postgres'
      ? await createPostgresDatabase()
      : undefined;
  const dbUrl = options.reuse?.dbUrl ?? database?.url;
  if (options.feeds !== undefined) await importFeeds(dataDir, options.feeds);
  const running = await startServer({
    dataDir,
    ...(dbUrl === undefined ? {} : { dbUrl }),
    config: await loadConfig(undefined, { HOME: dataDir }),
    version: 'test',
    workers: options.workers ?? 1,
    adminPassword: ADMIN_PASSWORD,
    watchIntervalSeconds: 0,
    host: '127.0.0.1',
    port: 0,
    ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
    ...(options.webhook === undefined ? {} : { webhook: options.webhook }),
    ...(options.https === undefined ? {} : { https: options.https }),
  });
  const url = running.url ?? '';
  return {
    url,
    dataDir,
    running,
    client: (user = 'admin', password = ADMIN_PASSWORD, asAccount) =>
      new ApiClient(url, user, password, asAccount),
    async close() {
      await running.close();
      if (options.reuse !== undefined) return;
      await database?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
}

/** What anchore-cli sends: Basic auth, JSON, and the account header when acting for another. */
export class ApiClient {
  constructor(
    private readonly base: string,
    private readonly user: string,
    private readonly password: string,
    private readonly asAccount?: string,
  ) {}

  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<ApiResponse<T>> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        authorization: `Basic ${Buffer.from(`${this.user}:${this.password}`).toString('base64')}`,
        'content-type': 'application/json',
        ...(this.asAccount === undefined ? {} : { 'x-anchore-account': this.asAccount }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
  }

  get<T = unknown>(path: string): Promise<ApiResponse<T>> {
    return this.request<T>('GET', path);
  }

  /** Polls the image until its analysis ends; returns the final status. */
  async waitForAnalysis(digest: string, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { body } = await this.get<{ analysis_status: string }[]>(`/images/${digest}`);
      const status = body[0]?.analysis_status ?? 'missing';
      if (!['not_analyzed', 'analyzing'].includes(status) || Date.now() > deadline) return status;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
