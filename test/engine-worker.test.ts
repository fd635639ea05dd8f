/**
 * `drydock worker` processes against a `drydock serve` engine's SQLite database. One worker is
 * killed (SIGKILL) in the middle of an analysis — held there by a proxy in front of the real
 * registry that stalls layer downloads — and a second worker takes the job over when the dead
 * one's lease runs out: the image ends analysed, once, with one completion event.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from './harness/cli.js';
import { startTestEngine, type TestEngine } from './harness/engine.js';
import { buildImage } from './harness/image-builder.js';
import { startRegistry, type TestRegistry } from './harness/registry.js';

const CLI = resolve(import.meta.dirname, '..', 'bin', 'drydock.js');

const IMAGE = buildImage({
  layers: [
    {
      entries: [
        { path: 'etc/', type: 'dir' },
        { path: 'etc/hostname', content: 'one\n' },
      ],
    },
    {
      entries: [
        { path: 'srv/', type: 'dir' },
        { path: 'srv/app.txt', content: 'two\n' },
      ],
    },
  ],
  config: { Cmd: ['/bin/true'] },
});

/** Forwards to the registry; while `stalled`, blob requests wait until released. */
class StallingProxy {
  stalled = false;
  blobRequests = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly server: Server;

  constructor(private readonly target: string) {
    this.server = createServer((incoming, outgoing) => {
      const forward = (): void => {
        const upstream = request(
          `${this.target}${incoming.url ?? '/'}`,
          {
            method: incoming.method,
            headers: { ...incoming.headers, host: new URL(this.target).host },
          },
          (response) => {
            outgoing.writeHead(response.statusCode ?? 502, response.headers);
            response.pipe(outgoing);
          },
        );
        upstream.on('error', () => outgoing.destroy());
        incoming.pipe(upstream);
      };
      if (incoming.url?.includes('/blobs/') === true && this.stalled) {
        this.blobRequests++;
        this.waiting.push(forward);
      } else forward();
    });
  }

  async listen(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `127.0.0.1:${String((this.server.address() as AddressInfo).port)}`;
  }

  release(): void {
    this.stalled = false;
    for (const forward of this.waiting.splice(0)) forward();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }
}

function startWorker(dataDir: string): ChildProcess {
  return spawn(process.execPath, [CLI, 'worker', '--data-dir', dataDir, '--lease', '2'], {
    env: { PATH: process.env.PATH, HOME: dataDir },
    stdio: 'ignore',
  });
}

async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('worker processes', () => {
  let registry: TestRegistry;
  let proxy: StallingProxy;
  let engine: TestEngine;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    await ensureBuilt();
    registry = await startRegistry();
    await registry.push('team/app', '1', IMAGE);
    proxy = new StallingProxy(registry.url);
    engine = await startTestEngine({ workers: 0 });
  }, 120_000);

  afterAll(async () => {
    for (const worker of workers) worker.kill('SIGKILL');
    await engine.close();
    await proxy.close();
    await registry.stop();
  });

  it('finishes an analysis whose worker was killed mid-job, exactly once', async () => {
    const host = await proxy.listen();
    const admin = engine.client();
    const added = await admin.request('POST', '/images', { tag: `${host}/team/app:1` });
    expect(added.status).toBe(200);
    proxy.stalled = true;
    const digest = IMAGE.manifestDigest;
    const row = () =>
      engine.running.engine.db
        .selectFrom('images')
        .select(['analysis_status', 'attempts', 'lease_owner'])
        .where('image_digest', '=', digest)
        .executeTakeFirstOrThrow();

    const first = startWorker(engine.dataDir);
    workers.push(first);
    await until('the first worker to stall on a layer', () =>
      Promise.resolve(proxy.blobRequests > 0),
    );
    expect(await row()).toMatchObject({ analysis_status: 'analyzing', attempts: 1 });
    // Listed while analysing: the engine caches this list until another process changes a record.
    const listed = await admin.get<{ analysis_status: string }[]>('/images');
    expect(listed.body.map((i) => i.analysis_status)).toEqual(['analyzing']);
    first.kill('SIGKILL');
    await once(first, 'exit');
    proxy.release();

    const second = startWorker(engine.dataDir);
    workers.push(second);
    await until(
      'the analysis to end',
      async () => (await row()).analysis_status !== 'analyzing',
      60_000,
    );
    expect(await row()).toMatchObject({
      analysis_status: 'analyzed',
      attempts: 2,
      lease_owner: null,
    });
    const images = await admin.get<{ analysis_status: string }[]>('/images');
    expect(images.body.map((i) => i.analysis_status)).toEqual(['analyzed']);
    const events = await admin.get<{ results: { event: { type: string } }[] }>('/events');
    expect(events.body.results.map((e) => e.event.type)).toEqual(['user.image.analysis.completed']);
    const content = await admin.get<{ content: unknown[] }>(`/images/${digest}/content/files`);
    expect(content.body.content.length).toBeGreaterThan(0);
    second.kill('SIGTERM');
    await once(second, 'exit');
  }, 120_000);
});
