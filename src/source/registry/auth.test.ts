import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createSigningIdentity,
  startTokenServer,
  type TokenServer,
} from '../../../test/harness/token-server.js';
import type { Credentials } from '../../model/index.js';
import { RegistryAuth, parseWwwAuthenticate } from './auth.js';
import { HttpClient } from './http.js';

describe('parseWwwAuthenticate', () => {
  it.each([
    [
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"',
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'https://auth.docker.io/token',
            service: 'registry.docker.io',
            scope: 'repository:samalba/my-app:pull,push',
          },
        },
      ],
    ],
    ['Basic realm="Registry Realm"', [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]],
    [
      'Bearer realm="a,b", service=x , Basic realm="y"',
      [
        { scheme: 'bearer', params: { realm: 'a,b', service: 'x' } },
        { scheme: 'basic', params: { realm: 'y' } },
      ],
    ],
    ['BEARER Realm="q\\"uote"', [{ scheme: 'bearer', params: { realm: 'q"uote' } }]],
    ['Basic', [{ scheme: 'basic', params: {} }]],
    [
      'Negotiate abc123==, Basic realm="x"',
      [
        { scheme: 'negotiate', params: { abc123: '' } },
        { scheme: 'basic', params: { realm: 'x' } },
      ],
    ],
    ['', []],
  ])('parses %j', (header, expected) => {
    expect(parseWwwAuthenticate(header)).toEqual(expected);
  });

  it('reads several header values and ignores an absent one', () => {
    expect(parseWwwAuthenticate(['Basic realm="a"', 'Bearer realm="b"'])).toHaveLength(2);
    expect(parseWwwAuthenticate(undefined)).toEqual([]);
  });

  it('stops at a bounded number of challenges', () => {
    expect(parseWwwAuthenticate('Basic, '.repeat(1000))).toHaveLength(16);
  });
});

const SCOPE = 'repository:team/app:pull';
const USERS = { alice: 'alice-secret' };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tokenServer(expiresIn = 60): Promise<TokenServer> {
  const dir = await mkdtemp(join(tmpdir(), 'drydock-auth-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const server = await startTokenServer({
    users: USERS,
    anonymousPull: true,
    service: 'svc',
    issuer: 'iss',
    expiresIn,
    identity: await createSigningIdentity(dir),
  });
  cleanups.push(() => server.stop());
  return server;
}

function auth(creds?: Credentials, insecure = true) {
  const time = { now: 1_000_000 };
  const http = new HttpClient({
    registryHost: 'registry.test',
    timeoutMs: 5000,
    maxRetries: 0,
    userAgent: 'drydock-test',
  });
  cleanups.push(() => http.close());
  const registryAuth = new RegistryAuth({
    registry: 'registry.test',
    image: 'registry.test/team/app:v1',
    http,
    credentials: creds && { lookup: () => Promise.resolve(creds) },
    insecure,
    clock: () => time.now,
  });
  return { registryAuth, time };
}

const bearer = (server: TokenServer) => `Bearer realm="${server.realm}",service="svc"`;

describe('RegistryAuth', () => {
  it('sends nothing before a challenge', async () => {
    expect(await auth().registryAuth.authorization(SCOPE)).toBeUndefined();
  });

  it('answers a Basic challenge with the credentials, or nothing without them', async () => {
    const { registryAuth } = auth({ kind: 'basic', username: 'alice', password: 'pw' });
    registryAuth.acceptChallenge('Basic realm="r"', SCOPE);
    expect(await registryAuth.authorization(SCOPE)).toBe(
      `Basic ${Buffer.from('alice:pw').toString('base64')}`,
    );
    const anonymous = auth().registryAuth;
    anonymous.acceptChallenge('Basic realm="r"', SCOPE);
    expect(await anonymous.authorization(SCOPE)).toBeUndefined();
  });

  it('prefers Bearer when both are offered, and reuses the token until near expiry', async () => {
    const server = await tokenServer(60);
    const { registryAuth, time } = auth({
      kind: 'basic',
      username: 'alice',
      password: 'alice-secret',
    });
    registryAuth.acceptChallenge(['Basic realm="r"', bearer(server)], SCOPE);
    const first = await registryAuth.authorization(SCOPE);
    time.now += 49_000;
    expect(await registryAuth.authorization(SCOPE)).toBe(first);
    expect(server.requests).toHaveLength(1);
    time.now += 2_000;
    await registryAuth.authorization(SCOPE);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]).toMatchObject({ account: 'alice', scopes: [SCOPE], service: 'svc' });
  });

  it('shares one token fetch between parallel requests', async () => {
    const server = await tokenServer();
    const { registryAuth } = auth();
    registryAuth.acceptChallenge(bearer(server), SCOPE);
    const headers = await Promise.all(
      Array.from({ length: 5 }, () => registryAuth.authorization(SCOPE)),
    );
    expect(new Set(headers).size).toBe(1);
    expect(server.requests).toHaveLength(1);
  });

  it('renews a stale token once for parallel requests', async () => {
    const server = await tokenServer(60);
    const { registryAuth, time } = auth();
    registryAuth.acceptChallenge(bearer(server), SCOPE);
    await registryAuth.authorization(SCOPE);
    time.now += 61_000;
    await Promise.all(Array.from({ length: 3 }, () => registryAuth.authorization(SCOPE)));
    expect(server.requests).toHaveLength(2);
  });

  it('asks again only when a token can be refreshed or the challenge changed', async () => {
    const server = await tokenServer();
    const { registryAuth } = auth();
    expect(registryAuth.acceptChallenge(bearer(server), SCOPE)).toBe(true);
    expect(registryAuth.acceptChallenge(bearer(server), SCOPE)).toBe(false);
    const sent = await registryAuth.authorization(SCOPE);
    expect(registryAuth.acceptChallenge(bearer(server), SCOPE, sent)).toBe(true);
    expect(registryAuth.acceptChallenge(undefined, SCOPE)).toBe(false);
    await registryAuth.authorization(SCOPE);
    expect(server.requests).toHaveLength(2);
  });

  it('renews a refused token once for parallel 401s', async () => {
    const server = await tokenServer();
    const { registryAuth } = auth();
    registryAuth.acceptChallenge(bearer(server), SCOPE);
    const refused = await registryAuth.authorization(SCOPE);
    // Each request takes its 401, then asks for a new header, as RegistryClient does.
    const retries = await Promise.all(
      Array.from({ length: 5 }, () => {
        expect(registryAuth.acceptChallenge(bearer(server), SCOPE, refused)).toBe(true);
        return registryAuth.authorization(SCOPE);
      }),
    );
    expect(new Set(retries).size).toBe(1);
    expect(server.requests).toHaveLength(2);
  });

  it('turns a refused login into one unauthorized message without the password', async () => {
    const server = await tokenServer();
    const { registryAuth } = auth({ kind: 'basic', username: 'alice', password: 'wrong-pw' });
    registryAuth.acceptChallenge(bearer(server), SCOPE);
    const failure = registryAuth.authorization(SCOPE);
    await expect(failure).rejects.toMatchObject({
      code: 'unauthorized',
      message:
        'cannot pull registry.test/team/app:v1: authentication failed for registry registry.test: check the username and password (drydock --username/--password, or docker login)',
    });
  });

  it('will not send credentials to a plain-HTTP realm of a secure registry', async () => {
    const server = await tokenServer();
    const { registryAuth } = auth(
      { kind: 'basic', username: 'alice', password: 'alice-secret' },
      false,
    );
    registryAuth.acceptChallenge(bearer(server), SCOPE);
    await expect(registryAuth.authorization(SCOPE)).rejects.toMatchObject({
      code: 'registry-error',
      message: expect.stringContaining('credentials only over HTTPS') as string,
    });
    expect(server.requests).toHaveLength(0);
  });

  it('refuses a realm that is not an http(s) URL', async () => {
    const { registryAuth } = auth();
    registryAuth.acceptChallenge('Bearer realm="file:///etc/passwd"', SCOPE);
    await expect(registryAuth.authorization(SCOPE)).rejects.toMatchObject({
      code: 'registry-error',
      message: expect.stringContaining('invalid token server') as string,
    });
  });
});
