/**
 * The registry client against the real CNCF Distribution registry (docker-registry 2.8), each
 * test with its own registry. Small node:http servers stand in front of it only where the
 * registry cannot produce the situation itself (redirects to blob storage, 503 + Retry-After).
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type IncomingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { CredentialStore, Credentials, ImageReference, Platform } from '../src/model/index.js';
import { DEFAULT_LIMITS } from '../src/model/index.js';
import { digestOf } from '../src/source/digest.js';
import {
  RegistrySource,
  type RegistrySourceOptions,
} from '../src/source/registry/registry-source.js';
import {
  startRegistry,
  TEST_USERS,
  type PushableImage,
  type TestRegistry,
} from './harness/registry.js';
import { tarBuffer } from './harness/tar-writer.js';

const OCI = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
};
const DOCKER = {
  manifest: 'application/vnd.docker.distribution.manifest.v2+json',
  index: 'application/vnd.docker.distribution.manifest.list.v2+json',
  config: 'application/vnd.docker.container.image.v1+json',
  layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
};
const SCHEMA1 = 'application/vnd.docker.distribution.manifest.v1+prettyjws';
const [USER, PASSWORD] = Object.entries(TEST_USERS)[0] ?? ['', ''];

interface TestLayer {
  digest: string;
  diffId: string;
  blob: Buffer;
  tar: Buffer;
}

interface TestImage extends PushableImage {
  digest: string;
  mediaType: string;
  size: number;
  configDigest: string;
  layers: TestLayer[];
  platform: Platform;
}

function layer(files: Record<string, string>): TestLayer {
  const tar = tarBuffer(Object.entries(files).map(([path, content]) => ({ path, content })));
  const blob = gzipSync(tar);
  return { digest: digestOf(blob), diffId: digestOf(tar), blob, tar };
}

/** A two-layer image in OCI or Docker v2s2 media types. */
function buildImage(format: 'oci' | 'docker' = 'oci', platform?: Platform): TestImage {
  const types = format === 'oci' ? OCI : DOCKER;
  const arch = platform ?? { os: 'linux', architecture: 'amd64' };
  const layers = [
    layer({ 'etc/os-release': `ID=test\nARCH=${arch.architecture}\n` }),
    layer({ 'app/hello.txt': 'hello' }),
  ];
  const config = Buffer.from(
    JSON.stringify({
      ...arch,
      created: '2024-01-01T00:00:00Z',
      config: { Env: ['PATH=/usr/bin'], Cmd: ['/app/hello'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map((_, i) => ({ created_by: `layer ${i}` })),
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: types.manifest,
      config: { mediaType: types.config, digest: digestOf(config), size: config.length },
      layers: layers.map((l) => ({
        mediaType: types.layer,
        digest: l.digest,
        size: l.blob.length,
      })),
    }),
  );
  const digest = digestOf(manifest);
  return {
    blobs: new Map([[digestOf(config), config], ...layers.map((l) => [l.digest, l.blob] as const)]),
    manifests: [{ digest, mediaType: types.manifest, bytes: manifest }],
    digest,
    mediaType: types.manifest,
    size: manifest.length,
    configDigest: digestOf(config),
    layers,
    platform: arch,
  };
}

/** An index over `images`, pushable with its children. */
function buildIndex(
  images: TestImage[],
  format: 'oci' | 'docker' = 'oci',
): PushableImage & { digest: string } {
  const mediaType = format === 'oci' ? OCI.index : DOCKER.index;
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      manifests: images.map((i) => ({
        mediaType: i.mediaType,
        digest: i.digest,
        size: i.size,
        platform: i.platform,
      })),
    }),
  );
  const digest = digestOf(bytes);
  return {
    blobs: new Map(images.flatMap((i) => [...i.blobs])),
    manifests: [...images.flatMap((i) => i.manifests), { digest, mediaType, bytes }],
    digest,
  };
}

/**
 * A Docker schema 1 manifest signed the way libtrust does (a "pretty" JWS: the signatures are
 * spliced into the JSON, and `formatLength`/`formatTail` say how to cut them out again).
 */
function signedSchema1(repo: string, tag: string, layerDigest: string): Buffer {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
  const v1 = { id: 'a'.repeat(64), created: '2024-01-01T00:00:00Z', architecture: 'amd64' };
  const payload = JSON.stringify(
    {
      schemaVersion: 1,
      name: repo,
      tag,
      architecture: 'amd64',
      fsLayers: [{ blobSum: layerDigest }],
      history: [{ v1Compatibility: JSON.stringify(v1) }],
    },
    null,
    3,
  );
  const formatLength = payload.lastIndexOf('\n}');
  const formatTail = payload.slice(formatLength);
  const protectedHeader = Buffer.from(
    JSON.stringify({
      formatLength,
      formatTail: Buffer.from(formatTail).toString('base64url'),
      time: new Date().toISOString(),
    }),
  ).toString('base64url');
  const signingInput = `${protectedHeader}.${Buffer.from(payload).toString('base64url')}`;
  const signature = sign('sha256', Buffer.from(signingInput), {
    key: privateKey,
    dsaEncoding: 'ieee-p1363',
  }).toString('base64url');
  const signatures = [
    { header: { jwk: { kty, crv, x, y }, alg: 'ES256' }, signature, protected: protectedHeader },
  ];
  return Buffer.from(
    `${payload.slice(0, formatLength)},\n   "signatures": ${JSON.stringify(signatures)}${formatTail}`,
  );
}

const credentials = (creds: Credentials): CredentialStore => ({
  lookup: (registry) => Promise.resolve(registry === currentHost ? creds : undefined),
});

/** The one element of `list` (failing the test if there are more or none). */
function only<T>(list: readonly T[]): T {
  expect(list).toHaveLength(1);
  return at(list, 0);
}

function at<T>(list: readonly T[], index: number): T {
  const item = list[index];
  if (item === undefined) throw new Error(`no element ${index} in a list of ${list.length}`);
  return item;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

interface TestServer {
  host: string;
  close(): Promise<void>;
}

async function startServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<TestServer> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** Forwards a request to the registry unchanged (the Host header names the registry). */
function forward(registry: TestRegistry, req: IncomingMessage, res: ServerResponse): void {
  const upstream = httpRequest(
    `${registry.url}${req.url ?? '/'}`,
    { method: req.method, headers: { ...req.headers, host: registry.host } },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  req.pipe(upstream);
}

let currentHost = '';
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function registry(opts?: Parameters<typeof startRegistry>[0]): Promise<TestRegistry> {
  const r = await startRegistry(opts);
  cleanups.push(() => r.stop());
  currentHost = r.host;
  return r;
}

async function server(handler: Parameters<typeof startServer>[0]): Promise<TestServer> {
  const s = await startServer(handler);
  cleanups.push(() => s.close());
  return s;
}

function source(ref: ImageReference, options: RegistrySourceOptions = {}): RegistrySource {
  const s = new RegistrySource(ref, { connection: { insecure: true }, ...options });
  cleanups.push(() => s.close());
  return s;
}

const AMD64: Platform = { os: 'linux', architecture: 'amd64' };
const ARM64: Platform = { os: 'linux', architecture: 'arm64' };

describe('pulling images', () => {
  it('pulls an OCI image by tag, verifying manifest, config and layers', async () => {
    const r = await registry();
    const img = buildImage('oci');
    const pushed = await r.push('team/app', 'v1', img);
    const image = only(
      await source({ registry: r.host, repository: 'team/app', tag: 'v1' }).resolve(AMD64),
    );
    expect(pushed).toBe(img.digest);
    expect(image).toMatchObject({
      name: `${r.host}/team/app:v1`,
      manifestDigest: img.digest,
      manifestMediaType: OCI.manifest,
      configDigest: img.configDigest,
      indexDigest: undefined,
      config: { architecture: 'amd64', config: { Cmd: ['/app/hello'] } },
    });
    expect(image.rawManifest).toEqual(img.manifests[0]?.bytes);
    expect(image.layers).toEqual(
      img.layers.map((l, index) => ({
        index,
        digest: l.digest,
        diffId: l.diffId,
        mediaType: OCI.layer,
        size: l.blob.length,
      })),
    );
    for (const [i, l] of image.layers.entries()) {
      const blob = await readAll(await image.openLayer(l));
      expect(gunzipSync(blob)).toEqual(img.layers[i]?.tar);
    }
  });

  it('pulls a Docker v2 schema 2 image by digest', async () => {
    const r = await registry();
    const img = buildImage('docker');
    await r.push('app', 'latest', img);
    const [image] = await source({
      registry: r.host,
      repository: 'app',
      digest: img.digest,
    }).resolve(AMD64);
    expect(image).toMatchObject({ manifestDigest: img.digest, manifestMediaType: DOCKER.manifest });
    expect(image?.layers.map((l) => l.mediaType)).toEqual([DOCKER.layer, DOCKER.layer]);
  });

  it.each(['oci', 'docker'] as const)('picks platforms from a %s index', async (format) => {
    const r = await registry();
    const amd = buildImage(format, AMD64);
    const arm = buildImage(format, ARM64);
    const index = buildIndex([amd, arm], format);
    await r.push('multi', 'v1', index);
    const src = source({ registry: r.host, repository: 'multi', tag: 'v1' });

    const [picked] = await src.resolve(AMD64);
    expect(picked).toMatchObject({ manifestDigest: amd.digest, indexDigest: index.digest });
    const [armImage] = await src.resolve(ARM64);
    expect(armImage).toMatchObject({
      manifestDigest: arm.digest,
      config: { architecture: 'arm64' },
    });
    const all = await src.resolve('all');
    expect(all.map((i) => i.manifestDigest)).toEqual([amd.digest, arm.digest]);
    await expect(src.resolve({ os: 'linux', architecture: 's390x' })).rejects.toMatchObject({
      code: 'not-found',
      message: expect.stringContaining('(it offers: linux/amd64, linux/arm64)') as string,
    });
  });
});

describe('errors', () => {
  it('reports an unknown repository or tag as not found', async () => {
    const r = await registry();
    await r.push('app', 'v1', buildImage());
    const unknownRepo = source({ registry: r.host, repository: 'nope', tag: 'latest' }).resolve(
      AMD64,
    );
    await expect(unknownRepo).rejects.toMatchObject({ code: 'not-found' });
    await expect(unknownRepo).rejects.toThrow(`image ${r.host}/nope:latest not found (`);
    await expect(
      source({ registry: r.host, repository: 'app', tag: 'v2' }).resolve(AMD64),
    ).rejects.toMatchObject({
      code: 'not-found',
      message: `image ${r.host}/app:v2 not found (manifest unknown)`,
    });
  });

  it('reports a stopped registry as unreachable', async () => {
    const r = await registry();
    await r.stop();
    await expect(
      source({ registry: r.host, repository: 'app', tag: 'v1' }).resolve(AMD64),
    ).rejects.toMatchObject({
      code: 'registry-unreachable',
      message: `cannot reach registry ${r.host}: connection refused`,
    });
  });

  it('fails the layer stream when the stored blob was tampered with', async () => {
    const r = await registry();
    const img = buildImage();
    await r.push('app', 'v1', img);
    const target = at(img.layers, 1);
    const hex = target.digest.slice('sha256:'.length);
    const path = join(r.dataDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
    const bytes = await readFile(path);
    await writeFile(path, Buffer.from(bytes.map((b) => b ^ 0xff)));

    const image = only(
      await source({ registry: r.host, repository: 'app', tag: 'v1' }).resolve(AMD64),
    );
    const intact = await readAll(await image.openLayer(at(image.layers, 0)));
    expect(digestOf(intact)).toBe(img.layers[0]?.digest);
    await expect(readAll(await image.openLayer(at(image.layers, 1)))).rejects.toMatchObject({
      code: 'digest-mismatch',
      message: expect.stringContaining(`layer 1 (${target.digest})`) as string,
    });
  });

  it('fails resolve when the stored config was tampered with', async () => {
    const r = await registry();
    const img = buildImage();
    await r.push('app', 'v1', img);
    const hex = img.configDigest.slice('sha256:'.length);
    const path = join(r.dataDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
    const bytes = await readFile(path);
    await writeFile(path, Buffer.from(bytes.toString('utf8').replace('amd64', 'arm64')));
    await expect(
      source({ registry: r.host, repository: 'app', tag: 'v1' }).resolve(AMD64),
    ).rejects.toMatchObject({
      code: 'digest-mismatch',
      message: expect.stringContaining(
        `config ${img.configDigest} of image ${r.host}/app:v1`,
      ) as string,
    });
  });

  it('bounds manifest size by limits.maxManifestBytes', async () => {
    const r = await registry();
    const img = buildImage();
    await r.push('app', 'v1', img);
    const limits = { ...DEFAULT_LIMITS, maxManifestBytes: img.size - 1 };
    await expect(
      source({ registry: r.host, repository: 'app', tag: 'v1' }, { limits }).resolve(AMD64),
    ).rejects.toMatchObject({ code: 'limit-exceeded' });
  });

  it('refuses an OCI artifact that is not a container image', async () => {
    const r = await registry();
    const config = Buffer.from('{}');
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI.manifest,
        config: {
          mediaType: 'application/vnd.cncf.helm.config.v1+json',
          digest: digestOf(config),
          size: config.length,
        },
        layers: [],
      }),
    );
    await r.push('chart', 'v1', {
      blobs: new Map([[digestOf(config), config]]),
      manifests: [{ digest: digestOf(manifest), mediaType: OCI.manifest, bytes: manifest }],
    });
    await expect(
      source({ registry: r.host, repository: 'chart', tag: 'v1' }).resolve(AMD64),
    ).rejects.toMatchObject({
      code: 'unsupported',
      message: expect.stringContaining('is not a container image') as string,
    });
  });

  it('refuses Docker schema 1 manifests', async () => {
    const r = await registry({ schema1: true });
    const l = layer({ 'a.txt': 'a' });
    const manifest = signedSchema1('old', 'v1', l.digest);
    await r.push('old', 'v1', {
      blobs: new Map([[l.digest, l.blob]]),
      manifests: [{ digest: digestOf(manifest), mediaType: SCHEMA1, bytes: manifest }],
    });
    await expect(
      source({ registry: r.host, repository: 'old', tag: 'v1' }).resolve(AMD64),
    ).rejects.toMatchObject({
      code: 'unsupported',
      message: `image ${r.host}/old:v1 uses Docker image manifest schema 1, which drydock does not support; push it again with a current Docker or skopeo`,
    });
  });
});

describe('htpasswd (Basic) auth', () => {
  it('pulls with the right password', async () => {
    const r = await registry({ auth: 'htpasswd' });
    await r.push('private/app', 'v1', buildImage());
    const src = source(
      { registry: r.host, repository: 'private/app', tag: 'v1' },
      { credentials: credentials({ kind: 'basic', username: USER, password: PASSWORD }) },
    );
    const image = only(await src.resolve(AMD64));
    const first = at(image.layers, 0);
    expect(await readAll(await image.openLayer(first))).toHaveLength(first.size ?? -1);
  });

  it('reports a wrong password, or none, in one line without the password', async () => {
    const r = await registry({ auth: 'htpasswd' });
    await r.push('private/app', 'v1', buildImage());
    const ref = { registry: r.host, repository: 'private/app', tag: 'v1' };
    const wrong = source(ref, {
      credentials: credentials({ kind: 'basic', username: USER, password: 'wrong-secret' }),
    }).resolve(AMD64);
    await expect(wrong).rejects.toMatchObject({
      code: 'unauthorized',
      message: `cannot pull ${r.host}/private/app:v1: authentication failed for registry ${r.host}: check the username and password (drydock --username/--password, or docker login)`,
    });
    await expect(source(ref).resolve(AMD64)).rejects.toMatchObject({
      code: 'unauthorized',
      message: expect.stringContaining('no credentials were given') as string,
    });
  });
});

describe('token auth', () => {
  it('denies anonymous pulls when the token server wants a login', async () => {
    const r = await registry({ auth: 'token' });
    await r.push('private/app', 'v1', buildImage());
    await expect(
      source({ registry: r.host, repository: 'private/app', tag: 'v1' }).resolve(AMD64),
    ).rejects.toMatchObject({ code: 'unauthorized' });
    // The anonymous token was empty, so the client asked for a fresh one once, then gave up.
    expect(r.tokenServer?.requests.map((q) => [q.account, q.status])).toEqual([
      [undefined, 200],
      [undefined, 200],
    ]);
  });

  it('pulls with credentials, one token for all requests, scoped to the repository', async () => {
    const r = await registry({ auth: 'token' });
    const img = buildImage();
    await r.push('private/app', 'v1', img);
    const image = only(
      await source(
        { registry: r.host, repository: 'private/app', tag: 'v1' },
        { credentials: credentials({ kind: 'basic', username: USER, password: PASSWORD }) },
      ).resolve(AMD64),
    );
    for (const l of image.layers) await readAll(await image.openLayer(l));
    expect(r.tokenServer?.requests).toEqual([
      {
        method: 'GET',
        service: 'drydock-test-registry',
        scopes: ['repository:private/app:pull'],
        account: USER,
        sentAuthorization: true,
        grantType: undefined,
        status: 200,
      },
    ]);
  });

  it('exchanges an identity token with the OAuth2 refresh-token grant', async () => {
    const r = await registry({ auth: 'token', identityTokens: { 'id-token-1': USER } });
    await r.push('private/app', 'v1', buildImage());
    const src = source(
      { registry: r.host, repository: 'private/app', tag: 'v1' },
      { credentials: credentials({ kind: 'identity-token', token: 'id-token-1' }) },
    );
    expect(await src.resolve(AMD64)).toHaveLength(1);
    expect(r.tokenServer?.requests).toMatchObject([
      { method: 'POST', grantType: 'refresh_token', account: USER, sentAuthorization: false },
    ]);
  });

  it('reports a wrong password at the token server as unauthorized', async () => {
    const r = await registry({ auth: 'token' });
    await r.push('private/app', 'v1', buildImage());
    const failure = source(
      { registry: r.host, repository: 'private/app', tag: 'v1' },
      { credentials: credentials({ kind: 'basic', username: USER, password: 'nope-secret' }) },
    ).resolve(AMD64);
    await expect(failure).rejects.toMatchObject({
      code: 'unauthorized',
      message: expect.not.stringContaining('nope-secret') as string,
    });
  });
});

describe('redirects and retries', () => {
  it('follows blob redirects to another origin without the Authorization header', async () => {
    const r = await registry({ auth: 'htpasswd' });
    const img = buildImage();
    await r.push('app', 'v1', img);
    const storageSaw: IncomingHttpHeaders[] = [];
    const registrySaw: (string | undefined)[] = [];
    const storage = await server((req, res) => {
      storageSaw.push(req.headers);
      res.end(img.blobs.get(req.url?.slice(1) ?? ''));
    });
    const front = await server((req, res) => {
      registrySaw.push(req.headers.authorization);
      const blob = /^\/v2\/app\/blobs\/(sha256:[0-9a-f]{64})$/.exec(req.url ?? '');
      if (blob) {
        res.writeHead(307, { location: `http://${storage.host}/${blob[1]}` }).end();
        return;
      }
      forward(r, req, res);
    });
    currentHost = front.host;
    const image = only(
      await source(
        { registry: front.host, repository: 'app', tag: 'v1' },
        { credentials: credentials({ kind: 'basic', username: USER, password: PASSWORD }) },
      ).resolve(AMD64),
    );
    const layer0 = await readAll(await image.openLayer(at(image.layers, 0)));

    expect(layer0).toEqual(img.layers[0]?.blob);
    expect(storageSaw).toHaveLength(2); // config and one layer
    expect(storageSaw.every((h) => h.authorization === undefined)).toBe(true);
    expect(registrySaw.filter((a) => a?.startsWith('Basic ')).length).toBeGreaterThanOrEqual(3);
  });

  it('retries 503 answers, honouring Retry-After, up to maxRetries', async () => {
    const r = await registry();
    await r.push('app', 'v1', buildImage());
    let manifestAttempts = 0;
    let failuresLeft = 2;
    const front = await server((req, res) => {
      if (req.url?.startsWith('/v2/app/manifests/')) {
        manifestAttempts++;
        if (failuresLeft-- > 0) {
          res.writeHead(503, { 'retry-after': '1' }).end();
          return;
        }
      }
      forward(r, req, res);
    });
    const delays: number[] = [];
    const sleep = (ms: number) => {
      delays.push(ms);
      return Promise.resolve();
    };
    const ref = { registry: front.host, repository: 'app', tag: 'v1' };

    expect(await source(ref, { sleep }).resolve(AMD64)).toHaveLength(1);
    expect(manifestAttempts).toBe(3);
    expect(delays).toEqual([1000, 1000]);

    failuresLeft = 10;
    manifestAttempts = 0;
    await expect(source(ref, { sleep, maxRetries: 1 }).resolve(AMD64)).rejects.toMatchObject({
      code: 'registry-error',
      message: expect.stringContaining('answered HTTP 503') as string,
    });
    expect(manifestAttempts).toBe(2);
  });
});
