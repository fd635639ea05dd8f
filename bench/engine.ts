/**
 * The engine part of `npm run bench`, on SQLite and on PostgreSQL:
 * - API: `drydock serve` (a child process) holding 1,000 analysed images; 50 concurrent clients
 *   (this process, accepting gzip as anchore-cli's requests and curl --compressed do) on `GET /v1/images` and `GET /v1/images/{digest}/vuln/all`, 5 s each, with
 *   `GET /health` under the same load as the baseline: throughput and p50/p99 latency. One
 *   image (the demo image, matched against its OSV records) is analysed for real by the engine;
 *   the other 999 are copies of its stored rows under new digests and tags, so every listed
 *   image is a full analysed record. Target: p99 ≤ 100 ms.
 * - Analysis throughput: 8 distinct images (10,000 files each) analysed by one `drydock worker`
 *   process and by two (beside `serve --workers 0`), the images queued first; the ratio of the two
 *   times. In-process workers share one event loop, so processes are how analysis scales — up to
 *   the cores left after the registry serving the layers (on this 2-core machine, not many).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { demoImageSpec } from '../examples/demo-image/spec.js';
import { openEngineStore } from '../src/engine/store/open-store.js';
import type { EngineDb } from '../src/engine/store/schema.js';
import { ADMIN_PASSWORD, createPostgresDatabase, importFeeds } from '../test/harness/engine.js';
import { buildImage, type ImageSpec } from '../test/harness/image-builder.js';
import { startRegistry, type TestRegistry } from '../test/harness/registry.js';
import { CLI, ROOT, times, verdict } from './measure.js';

const IMAGES = 1_000;
const CLIENTS = 50;
const DURATION_MS = 5_000;
const TARGET_P99_MS = 100;
const ANALYSIS_IMAGES = 8;
/** Two layers each: 10,000 files of 4 KB per image, so analysis, not polling, takes the time. */
const FILES_PER_LAYER = 5_000;
const AUTH = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;

interface Engine {
  url: string;
  dataDir: string;
  dbUrl?: string;
  process: ChildProcess;
}

async function startEngine(
  dataDir: string,
  dbUrl: string | undefined,
  workers: number,
): Promise<Engine> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const args = [
    CLI,
    'serve',
    '--dev',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--data-dir',
    dataDir,
    '--workers',
    String(workers),
  ];
  if (dbUrl !== undefined) args.push('--db', dbUrl);
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, HOME: dataDir },
  });
  let log = '';
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const url = `http://127.0.0.1:${String(port)}`;
  for (let tries = 0; tries < 200; tries++) {
    if (child.exitCode !== null) throw new Error(`drydock serve exited: ${log}`);
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { url, dataDir, ...(dbUrl === undefined ? {} : { dbUrl }), process: child };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`drydock serve did not start: ${log}`);
}

async function stopEngine(engine: Engine): Promise<void> {
  engine.process.kill('SIGTERM');
  await once(engine.process, 'exit');
}

async function api<T>(engine: Engine, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${engine.url}/v1${path}`, {
    method,
    headers: { authorization: AUTH, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok)
    throw new Error(`${method} ${path}: HTTP ${String(response.status)} ${await response.text()}`);
  return (await response.json()) as T;
}

async function waitAnalysed(engine: Engine, digests: readonly string[]): Promise<void> {
  for (const digest of digests)
    for (;;) {
      const [record] = await api<{ analysis_status: string }[]>(engine, 'GET', `/images/${digest}`);
      if (record?.analysis_status === 'analyzed') break;
      if (record?.analysis_status === 'analysis_failed')
        throw new Error(`${digest}: analysis failed`);
      await new Promise((r) => setTimeout(r, 50));
    }
}

/** Copies the analysed image's rows under new digests and tags until the account holds `count`. */
async function cloneImages(
  db: EngineDb,
  digest: string,
  registry: string,
  count: number,
): Promise<void> {
  const image = await db
    .selectFrom('images')
    .selectAll()
    .where('image_digest', '=', digest)
    .executeTakeFirstOrThrow();
  const tag = await db
    .selectFrom('image_tags')
    .selectAll()
    .where('image_digest', '=', digest)
    .executeTakeFirstOrThrow();
  const packages = await db
    .selectFrom('image_packages')
    .selectAll()
    .where('image_digest', '=', digest)
    .execute();
  const vulns = await db
    .selectFrom('image_vulnerabilities')
    .selectAll()
    .where('image_digest', '=', digest)
    .execute();
  for (let i = 1; i < count; i++) {
    const copy = `sha256:${randomBytes(32).toString('hex')}`;
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('images')
        .values({ ...image, image_digest: copy, parent_digest: copy })
        .execute();
      await trx
        .insertInto('image_tags')
        .values({
          ...tag,
          image_digest: copy,
          fulltag: `${registry}/bench/app:${String(i)}`,
          tag: String(i),
        })
        .execute();
      if (packages.length > 0)
        await trx
          .insertInto('image_packages')
          .values(packages.map((p) => ({ ...p, image_digest: copy })))
          .execute();
      if (vulns.length > 0)
        await trx
          .insertInto('image_vulnerabilities')
          .values(vulns.map((v) => ({ ...v, image_digest: copy })))
          .execute();
    });
  }
}

interface LoadResult {
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
}

/** `CLIENTS` clients, each sending its next request when the last answered, for DURATION_MS. */
async function load(url: string, path: string): Promise<LoadResult> {
  const pool = new Pool(url, { connections: CLIENTS, pipelining: 1 });
  const latencies: number[] = [];
  const end = performance.now() + DURATION_MS;
  const client = async (): Promise<void> => {
    while (performance.now() < end) {
      const start = performance.now();
      const response = await pool.request({
        method: 'GET',
        path,
        headers: { authorization: AUTH },
      });
      await response.body.dump();
      if (response.statusCode !== 200)
        throw new Error(`${path}: HTTP ${String(response.statusCode)}`);
      latencies.push(performance.now() - start);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, client));
  const elapsed = performance.now() - started;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number): number =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return {
    requests: latencies.length,
    perSecond: (latencies.length / elapsed) * 1000,
    p50: at(0.5),
    p99: at(0.99),
  };
}

const line = (name: string, r: LoadResult, extra = ''): string =>
  `  ${name.padEnd(28)} ${r.perSecond.toFixed(0).padStart(6)} req/s   p50 ${r.p50.toFixed(1).padStart(6)} ms   p99 ${r.p99.toFixed(1).padStart(6)} ms${extra}`;

async function apiBench(registry: TestRegistry, backend: 'sqlite' | 'postgres'): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'drydock-bench-engine-'));
  const database = backend === 'postgres' ? await createPostgresDatabase() : undefined;
  try {
    await importFeeds(dataDir, join(ROOT, 'examples', 'demo-image', 'osv'));
    const engine = await startEngine(dataDir, database?.url, 1);
    try {
      const [added] = await api<{ imageDigest: string }[]>(engine, 'POST', '/images', {
        tag: `${registry.host}/bench/app:0`,
      });
      const digest = added?.imageDigest ?? '';
      await waitAnalysed(engine, [digest]);
      const db = await openEngineStore({
        dataDir,
        ...(database === undefined ? {} : { url: database.url }),
      });
      try {
        await cloneImages(db, digest, registry.host, IMAGES);
      } finally {
        await db.destroy();
      }
      console.log(
        `${backend}: ${String(IMAGES)} analysed images, ${String(CLIENTS)} clients, ${String(DURATION_MS / 1000)} s per route`,
      );
      const health = await load(engine.url, '/health');
      console.log(line('GET /health (baseline)', health));
      for (const path of ['/v1/images', `/v1/images/${digest}/vuln/all`]) {
        const result = await load(engine.url, path);
        const name = path.replace(digest, '{digest}');
        console.log(
          line(
            `GET ${name}`,
            result,
            `   ${times(result.p99 / health.p99, 1)} baseline p99   ${verdict(result.p99 <= TARGET_P99_MS)} (p99 ≤ ${String(TARGET_P99_MS)} ms)`,
          ),
        );
      }
    } finally {
      await stopEngine(engine);
    }
  } finally {
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Distinct images (no shared layers). */
function analysisImages(): ImageSpec[] {
  return Array.from({ length: ANALYSIS_IMAGES }, (_, image) => ({
    layers: [0, 1].map((layer) => ({
      entries: Array.from({ length: FILES_PER_LAYER }, (_, file) => ({
        path: `srv/${String(image)}/${String(layer)}/f${String(file)}.txt`,
        content: randomBytes(3_072).toString('base64'),
      })),
    })),
  }));
}

/** `drydock worker` processes against the engine's data directory, as a deployment scales out. */
function startWorkers(dataDir: string, count: number): ChildProcess[] {
  return Array.from({ length: count }, () =>
    spawn(process.execPath, [CLI, 'worker', '--data-dir', dataDir], {
      stdio: 'ignore',
      env: { ...process.env, HOME: dataDir },
    }),
  );
}

async function analysisBench(registry: TestRegistry): Promise<void> {
  const images = analysisImages().map((spec) => buildImage(spec));
  for (const [i, image] of images.entries()) await registry.push('bench/many', String(i), image);
  const seconds: number[] = [];
  for (const count of [1, 2]) {
    const dataDir = await mkdtemp(join(tmpdir(), 'drydock-bench-workers-'));
    const engine = await startEngine(dataDir, undefined, 0);
    const workers: ChildProcess[] = [];
    try {
      // Queue everything first: the time measured is the workers', from their start to the last result.
      for (const i of images.keys())
        await api(engine, 'POST', '/images', { tag: `${registry.host}/bench/many:${String(i)}` });
      const start = performance.now();
      workers.push(...startWorkers(dataDir, count));
      await waitAnalysed(
        engine,
        images.map((image) => image.manifestDigest),
      );
      seconds.push((performance.now() - start) / 1000);
    } finally {
      for (const worker of workers) worker.kill('SIGTERM');
      for (const worker of workers) if (worker.exitCode === null) await once(worker, 'exit');
      await stopEngine(engine);
      await rm(dataDir, { recursive: true, force: true });
    }
  }
  const [one = NaN, two = NaN] = seconds;
  console.log(
    `analysis: ${String(ANALYSIS_IMAGES)} images of 10,000 files by \`drydock worker\` processes: 1 worker ${one.toFixed(2)} s, 2 workers ${two.toFixed(2)} s: ${times(one / two)} the throughput (2 cores)`,
  );
}

export async function runEngineBench(): Promise<void> {
  const registry = await startRegistry();
  try {
    await registry.push('bench/app', '0', buildImage(demoImageSpec));
    for (const backend of ['sqlite', 'postgres'] as const) await apiBench(registry, backend);
    await analysisBench(registry);
  } finally {
    await registry.stop();
  }
}
