import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { rootCertificates } from 'node:tls';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import {
  HttpClient,
  RETRY_AFTER_CAP_MS,
  backoffMs,
  readBounded,
  retryDelayMs,
  type HttpClientOptions,
} from './http.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
        (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  );
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  return listen(createServer(handler));
}

/** A loopback port that was free a moment ago and has nothing listening now. */
async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `127.0.0.1:${port}`;
}

function client(host: string, options: Partial<HttpClientOptions> = {}) {
  const delays: number[] = [];
  const http = new HttpClient({
    registryHost: host,
    timeoutMs: 5000,
    maxRetries: 3,
    userAgent: 'drydock-test',
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
    ...options,
  });
  cleanups.push(() => http.close());
  return { http, delays };
}

const get = (http: HttpClient, url: string) => http.send({ method: 'GET', url: new URL(url) });

describe('retryDelayMs', () => {
  const now = Date.parse('2024-01-01T00:00:00Z');
  it.each([
    ['3', 3000],
    ['0', 0],
    ['86400', RETRY_AFTER_CAP_MS],
    ['Mon, 01 Jan 2024 00:00:05 GMT', 5000],
    ['Sun, 31 Dec 2023 23:00:00 GMT', 0],
  ])('honours Retry-After %j', (header, expected) => {
    expect(retryDelayMs(header, 0, now)).toBe(expected);
  });

  it.each([undefined, '', 'soon', '-5'])('falls back to backoff for %j', (header) => {
    const delay = retryDelayMs(header, 2, now);
    expect(delay).toBeGreaterThanOrEqual(400);
    expect(delay).toBeLessThanOrEqual(800);
  });
});

describe('backoffMs', () => {
  it('doubles per attempt with jitter, and is capped', () => {
    expect(backoffMs(0, 0)).toBe(100);
    expect(backoffMs(0, 1)).toBe(200);
    expect(backoffMs(3, 0.5)).toBe(1200);
    expect(backoffMs(30, 1)).toBe(10_000);
  });
});

describe('HttpClient', () => {
  it('retries 503 with Retry-After and returns the answer that worked', async () => {
    let attempts = 0;
    const host = await serve((_req, res) => {
      attempts++;
      if (attempts < 3) res.writeHead(503, { 'retry-after': '2' }).end('busy');
      else res.end('ok');
    });
    const { http, delays } = client(host);
    const res = await get(http, `http://${host}/x`);
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('ok');
    expect(delays).toEqual([2000, 2000]);
  });

  it('gives the last answer once maxRetries is used up', async () => {
    let attempts = 0;
    const host = await serve((_req, res) => {
      attempts++;
      res.writeHead(429).end();
    });
    const { http, delays } = client(host, { maxRetries: 2 });
    const res = await get(http, `http://${host}/x`);
    await res.body.dump();
    expect(res.statusCode).toBe(429);
    expect(attempts).toBe(3);
    expect(delays).toHaveLength(2);
  });

  it('retries a dropped connection', async () => {
    let attempts = 0;
    const host = await serve((req, res) => {
      attempts++;
      if (attempts === 1) req.socket.destroy();
      else res.end('ok');
    });
    const { http, delays } = client(host);
    expect(await (await get(http, `http://${host}/x`)).body.text()).toBe('ok');
    expect(attempts).toBe(2);
    expect(delays).toHaveLength(1);
  });

  it('does not retry a refused connection, and names the registry', async () => {
    const host = await closedPort();
    const { http, delays } = client(host);
    await expect(get(http, `http://${host}/v2/`)).rejects.toMatchObject({
      code: 'registry-unreachable',
      message: `cannot reach registry ${host}: connection refused`,
    });
    expect(delays).toEqual([]);
  });

  it('times out a server that never answers', async () => {
    const host = await serve(() => undefined);
    const { http } = client(host, { timeoutMs: 100, maxRetries: 0 });
    await expect(
      http.send({ method: 'GET', url: new URL(`http://${host}/t`), peer: 'token server' }),
    ).rejects.toMatchObject({
      code: 'timeout',
      message: `token server ${host} stopped answering (timed out)`,
    });
  });
});

describe('TLS', () => {
  async function tlsServer(): Promise<{ host: string; caFile: string; dir: string }> {
    const dir = await mkdtemp(join(tmpdir(), 'drydock-tls-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    await promisify(execFile)('openssl', [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
      ...['-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=drydock-test'],
      ...['-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
    ]);
    const server = createHttpsServer(
      { key: await readFile(key), cert: await readFile(cert) },
      (_req, res) => res.end('secure'),
    );
    return { host: await listen(server), caFile: cert, dir };
  }

  it('refuses an unknown CA, trusts the connection caFile', async () => {
    const { host, caFile } = await tlsServer();
    await expect(get(client(host).http, `https://${host}/`)).rejects.toMatchObject({
      code: 'registry-unreachable',
      message: expect.stringContaining(`cannot reach registry ${host}: TLS failed`) as string,
    });
    const trusting = client(host, { connection: { caFile } }).http;
    expect(await (await get(trusting, `https://${host}/`)).body.text()).toBe('secure');
  });

  it('trusts a CA installed in the first OS bundle that exists, as Docker does', async () => {
    const { host, caFile, dir } = await tlsServer();
    // A bundle as update-ca-certificates writes it: public roots with the private CA appended.
    const withCa = join(dir, 'ca-certificates.crt');
    await writeFile(withCa, `${rootCertificates[0] ?? ''}\n${await readFile(caFile, 'utf8')}`);
    const withoutCa = join(dir, 'public-roots.pem');
    await writeFile(withoutCa, rootCertificates[0] ?? '');
    const missing = join(dir, 'missing.crt');

    const trusting = client(host, { systemCaBundles: [missing, withCa] }).http;
    expect(await (await get(trusting, `https://${host}/`)).body.text()).toBe('secure');
    for (const bundles of [[missing], [withoutCa, withCa]]) {
      await expect(
        get(client(host, { systemCaBundles: bundles }).http, `https://${host}/`),
      ).rejects.toThrow('TLS failed');
    }
    const both = client(host, { systemCaBundles: [withoutCa], connection: { caFile } }).http;
    expect(await (await get(both, `https://${host}/`)).body.text()).toBe('secure');
  });

  it('skips verification for the registry host only', async () => {
    const { host } = await tlsServer();
    const { http } = client(host, { connection: { skipTlsVerify: true } });
    expect(await (await get(http, `https://${host}/`)).body.text()).toBe('secure');
    const otherHost = host.replace('127.0.0.1', 'localhost');
    await expect(
      http.send({ method: 'GET', url: new URL(`https://${otherHost}/`), peer: 'blob storage' }),
    ).rejects.toThrow('TLS failed');
  });

  it('matches the registry host as URLs write it (case, default port)', async () => {
    const { host } = await tlsServer();
    // URL.host is lowercase: a host typed in another case must still get the relaxed TLS.
    const typed = host.replace('127.0.0.1', 'LocalHost');
    const { http } = client(typed, { connection: { skipTlsVerify: true } });
    const url = `https://${typed}/`;
    expect(await (await get(http, url)).body.text()).toBe('secure');
  });

  it('reports a missing CA file as a config error', () => {
    expect(() => client('x', { connection: { caFile: '/nonexistent/ca.pem' } })).toThrow(
      expect.objectContaining({ code: 'config-error' }),
    );
  });
});

describe('readBounded', () => {
  it.each([
    ['a declared Content-Length', (res: ServerResponse) => res.end(Buffer.alloc(100))],
    [
      'a chunked body',
      (res: ServerResponse) => {
        res.write(Buffer.alloc(60));
        res.end(Buffer.alloc(60));
      },
    ],
  ])('refuses more than the limit with %s', async (_name, respond) => {
    const host = await serve((_req, res) => {
      respond(res);
    });
    const res = await get(client(host).http, `http://${host}/`);
    await expect(readBounded(res, 50, 'manifest of x', 'registry', host)).rejects.toMatchObject({
      code: 'limit-exceeded',
    });
  });

  it('reads a body within the limit', async () => {
    const host = await serve((_req, res) => res.end('small'));
    const res = await get(client(host).http, `http://${host}/`);
    expect((await readBounded(res, 50, 'x', 'registry', host)).toString()).toBe('small');
  });
});
