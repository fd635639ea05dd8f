/**
 * Webhooks: an analysis event reaches the account's URL, signed with the shared secret, and a
 * delivery the receiver refuses (HTTP 500) is retried until it is accepted.
 */
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from './harness/engine.js';
import { buildImage } from './harness/image-builder.js';
import { startRegistry, type TestRegistry } from './harness/registry.js';

const SECRET = 'webhook-secret';
const IMAGE = buildImage({
  layers: [
    {
      entries: [
        { path: 'etc/', type: 'dir' },
        { path: 'etc/motd', content: 'hi\n' },
      ],
    },
  ],
});

interface Delivery {
  path: string;
  signature: string | undefined;
  body: string;
  answered: number;
}

describe('webhooks', () => {
  let registry: TestRegistry;
  let receiver: Server;
  let engine: TestEngine;
  const deliveries: Delivery[] = [];

  beforeAll(async () => {
    registry = await startRegistry();
    await registry.push('hooks/app', '1', IMAGE);
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        // The first delivery is refused, to see it retried.
        const answered = deliveries.length === 0 ? 500 : 204;
        const signature = request.headers['x-drydock-signature'];
        deliveries.push({
          path: request.url ?? '',
          signature: typeof signature === 'string' ? signature : undefined,
          body,
          answered,
        });
        response.writeHead(answered).end();
      });
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    const port = (receiver.address() as AddressInfo).port;
    engine = await startTestEngine({
      webhook: {
        url: `http://127.0.0.1:${String(port)}/hooks/{account}/{type}`,
        secret: SECRET,
        backoffMs: 50,
      },
    });
  }, 60_000);

  afterAll(async () => {
    await engine.close();
    receiver.close();
    await registry.stop();
  });

  it('posts each event to the account URL, signed, retrying refused deliveries', async () => {
    const admin = engine.client();
    await admin.request('POST', '/images', { tag: `${registry.host}/hooks/app:1` });
    expect(await admin.waitForAnalysis(IMAGE.manifestDigest)).toBe('analyzed');
    const deadline = Date.now() + 10_000;
    while (deliveries.length < 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(deliveries.map((d) => [d.path, d.answered])).toEqual([
      ['/hooks/admin/user.image.analysis.completed', 500],
      ['/hooks/admin/user.image.analysis.completed', 204],
    ]);
    for (const delivery of deliveries)
      expect(delivery.signature).toBe(
        `sha256=${createHmac('sha256', SECRET).update(delivery.body).digest('hex')}`,
      );
    const body = JSON.parse(deliveries[1]?.body ?? '{}') as {
      event: { resource_id: string; account: string };
    };
    expect(body.event).toMatchObject({ resource_id: IMAGE.manifestDigest, account: 'admin' });
  });
});
