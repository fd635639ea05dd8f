/**
 * `serve --tls-cert/--tls-key`: the engine answers over HTTPS with the given certificate, and a
 * client that does not trust it cannot talk to it.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestEngine, type TestEngine } from './harness/engine.js';
import { createSigningIdentity } from './harness/token-server.js';

describe('engine over HTTPS', () => {
  let dir: string;
  let cert: Buffer;
  let engine: TestEngine;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drydock-tls-'));
    const identity = await createSigningIdentity(dir);
    cert = await readFile(identity.certPath);
    const key = Buffer.from(identity.key.export({ type: 'pkcs8', format: 'pem' }));
    engine = await startTestEngine({ https: { key, cert } });
  }, 60_000);

  afterAll(async () => {
    await engine.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the API over TLS with the given certificate', async () => {
    expect(engine.url).toMatch(/^https:\/\//);
    // The certificate names a test issuer, not 127.0.0.1: trust it, skip only the name check.
    const trusting = new Agent({ connect: { ca: cert, checkServerIdentity: () => undefined } });
    const response = await request(`${engine.url}/system`, {
      dispatcher: trusting,
      headers: {
        authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`,
      },
    });
    expect(response.statusCode).toBe(200);
    expect(
      ((await response.body.json()) as { service_states: unknown[] }).service_states.length,
    ).toBeGreaterThan(0);
    await trusting.close();
  });

  it('is refused by a client that does not trust the certificate', async () => {
    await expect(request(`${engine.url}/system`)).rejects.toThrow(/certificate/i);
  });
});
