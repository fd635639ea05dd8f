/**
 * Client behaviour the real registry cannot be made to show (odd error bodies, redirect loops,
 * lying lengths), against small loopback servers. The normal paths run against the real
 * registry in test/registry.test.ts.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { digestOf } from '../digest.js';
import { RegistryClient, endpointHost } from './client.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A registry stand-in whose `/v2/` check passes; everything else goes to `handler`. */
const speaksV2 =
  (handler: Handler): Handler =>
  (req, res) => {
    if (req.url === '/v2/') res.end('{}');
    else handler(req, res);
  };

async function serve(handler: Handler): Promise<string> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  );
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function fakeRegistry(handler: Handler): Promise<RegistryClient> {
  const host = await serve(handler);
  const client = new RegistryClient({
    registry: host,
    repository: 'app',
    image: `${host}/app:v1`,
    connection: { insecure: true },
    credentials: {
      lookup: () => Promise.resolve({ kind: 'basic', username: 'u', password: 'p' }),
    },
    timeoutMs: 5000,
    maxRetries: 0,
    userAgent: 'drydock-test',
  });
  cleanups.push(() => client.close());
  return client;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const BLOB = Buffer.from('layer bytes');
const BLOB_DIGEST = digestOf(BLOB);
const BLOB_PATH = `/v2/app/blobs/${BLOB_DIGEST}`;

describe('endpointHost', () => {
  it.each([
    ['docker.io', 'registry-1.docker.io'],
    ['index.docker.io', 'registry-1.docker.io'],
    // Every Docker Hub alias, in any case, reaches the API host.
    ['Index.Docker.IO', 'registry-1.docker.io'],
    ['registry-1.docker.io', 'registry-1.docker.io'],
    ['ghcr.io', 'ghcr.io'],
    ['127.0.0.1:5000', '127.0.0.1:5000'],
  ])('%s → %s', (registry, expected) => {
    expect(endpointHost(registry)).toBe(expected);
  });
});

describe('RegistryClient errors', () => {
  it("quotes the registry's error message, made printable", async () => {
    const client = await fakeRegistry(
      speaksV2((_req, res) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'X', message: 'disk \u001b[31mfull' }] }));
      }),
    );
    await expect(client.fetchManifest('v1', ['a/b'], 1000, 'image x/app:v1')).rejects.toMatchObject(
      {
        code: 'registry-error',
        message: `registry ${client.host} answered HTTP 500 for image x/app:v1: disk \\u001b[31mfull`,
      },
    );
  });

  it('reports a server that does not speak the v2 API', async () => {
    const client = await fakeRegistry((_req, res) => res.writeHead(404).end());
    await expect(client.fetchManifest('v1', [], 1000, 'image')).rejects.toMatchObject({
      code: 'registry-error',
      message: `registry ${client.host} answered HTTP 404 for the API check (/v2/) of registry ${client.host}`,
    });
  });

  it.each([
    ['an endless redirect', (req: IncomingMessage) => req.url ?? '/'],
    ['a redirect to another scheme', () => 'file:///etc/passwd'],
  ])('refuses %s', async (_name, location) => {
    const client = await fakeRegistry(
      speaksV2((req, res) => {
        res.writeHead(302, { location: location(req) }).end();
      }),
    );
    await expect(client.openBlob(BLOB_DIGEST, BLOB.length, 'layer 0')).rejects.toMatchObject({
      code: 'registry-error',
      message: expect.stringContaining('bad or endless redirect for layer 0') as string,
    });
  });
});

describe('RegistryClient blobs', () => {
  it('keeps the credentials on a redirect within the registry origin', async () => {
    const seen: (string | undefined)[] = [];
    const client = await fakeRegistry(
      speaksV2((req, res) => {
        seen.push(req.headers.authorization);
        if (!req.headers.authorization) {
          res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
        } else if (req.url === BLOB_PATH) {
          res.writeHead(307, { location: '/storage/blob?sig=1' }).end();
        } else {
          res.end(BLOB);
        }
      }),
    );
    expect(await readAll(await client.openBlob(BLOB_DIGEST, BLOB.length, 'layer 0'))).toEqual(BLOB);
    const basic = `Basic ${Buffer.from('u:p').toString('base64')}`;
    expect(seen).toEqual([undefined, basic, basic]);
  });

  it('names blob storage, not the registry, when storage refuses', async () => {
    const storage = await serve((_req, res) => res.writeHead(403).end());
    const client = await fakeRegistry(
      speaksV2((_req, res) => res.writeHead(307, { location: `http://${storage}/b` }).end()),
    );
    await expect(client.fetchBlob(BLOB_DIGEST, 1000, 'config')).rejects.toMatchObject({
      code: 'registry-error',
      message: `blob storage ${storage} (redirected to by registry ${client.host}) answered HTTP 403 for config`,
    });
  });

  it('refuses a blob whose Content-Length differs from the manifest size', async () => {
    const client = await fakeRegistry(speaksV2((_req, res) => res.end(BLOB)));
    await expect(client.openBlob(BLOB_DIGEST, BLOB.length + 1, 'layer 0')).rejects.toMatchObject({
      code: 'digest-mismatch',
    });
  });

  it('stops a chunked stream as soon as it runs past the manifest size', async () => {
    // The sender never ends: only a check on the bytes as they arrive can stop it.
    const client = await fakeRegistry(
      speaksV2((_req, res) => {
        res.write(BLOB);
        res.write(Buffer.alloc(1024));
      }),
    );
    const stream = await client.openBlob(BLOB_DIGEST, BLOB.length, 'layer 0');
    await expect(readAll(stream)).rejects.toMatchObject({
      code: 'digest-mismatch',
      message: expect.stringContaining(`more than the ${BLOB.length} bytes`) as string,
    });
  });

  it('reads no further ahead than the consumer: an unread stream stalls the sender', async () => {
    const size = 32 * 1024 ** 2;
    const chunk = Buffer.alloc(64 * 1024);
    const big = Buffer.alloc(size);
    let sent = 0;
    const client = await fakeRegistry(
      speaksV2((_req, res) => {
        res.writeHead(200, { 'content-length': size });
        const pump = () => {
          while (sent < size) {
            sent += chunk.length;
            if (!res.write(chunk)) {
              res.once('drain', pump);
              return;
            }
          }
          res.end();
        };
        pump();
      }),
    );
    const stream = await client.openBlob(digestOf(big), size, 'layer 0');
    // Give an eager reader ample time to pull everything in; a lazy one lets the sender block.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sent).toBeLessThan(size / 2);
    expect((await readAll(stream)).length).toBe(size);
  });

  it('verifies a small blob fetched whole', async () => {
    const client = await fakeRegistry(speaksV2((_req, res) => res.end('not the config')));
    await expect(client.fetchBlob(BLOB_DIGEST, 1000, 'config')).rejects.toMatchObject({
      code: 'digest-mismatch',
    });
  });
});
