/**
 * Runs the real CNCF Distribution registry (`docker-registry serve`, 2.8) on a free loopback port
 * for a test, with no auth, htpasswd (Basic) or token auth, and pushes images to it with the OCI
 * distribution API. Every registry gets its own temporary directory, removed on stop.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { createSigningIdentity, startTokenServer, type TokenServer } from './token-server.js';

const run = promisify(execFile);

/** What a test image is: blobs by digest and manifests, children first, the one to tag last. */
export interface PushableImage {
  blobs: Map<string, Buffer>;
  manifests: { digest: string; mediaType: string; bytes: Buffer }[];
}

export interface StartRegistryOptions {
  auth?: 'none' | 'htpasswd' | 'token';
  /** username → password; default TEST_USERS. The first one is used for pushes. */
  users?: Record<string, string>;
  /** Accept (signed) Docker schema 1 manifests. */
  schema1?: boolean;
  /** Token auth: anonymous clients may pull (default false). */
  anonymousPull?: boolean;
  /** Token auth: identity tokens the token server accepts, → user. */
  identityTokens?: Record<string, string>;
  /** Token auth: token lifetime in seconds. */
  tokenExpiresIn?: number;
}

export interface TestRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** The storage root: blobs live under `docker/registry/v2/blobs/sha256/<2>/<hex>/data`. */
  dataDir: string;
  /** The token server, with token auth. */
  tokenServer?: TokenServer;
  stop(): Promise<void>;
  /** Pushes blobs and manifests; tags the last manifest as `ref`. Returns its digest. */
  push(repo: string, ref: string, image: PushableImage): Promise<string>;
}

export const TEST_USERS: Record<string, string> = { tester: 'tester-password' };

const SERVICE = 'drydock-test-registry';
const ISSUER = 'drydock-test-issuer';
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const START_ATTEMPTS = 3;
const MAX_LOG_CHARS = 4000;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function writeHtpasswd(path: string, users: Record<string, string>): Promise<void> {
  const lines: string[] = [];
  for (const [user, password] of Object.entries(users)) {
    // bcrypt (-B): the registry accepts nothing else.
    const { stdout } = await run('htpasswd', ['-Bbn', user, password]);
    lines.push(stdout.trim());
  }
  await writeFile(path, `${lines.join('\n')}\n`);
}

/** The `auth` section of the registry config, and the token server it needs. */
async function authConfig(
  dir: string,
  opts: StartRegistryOptions,
  users: Record<string, string>,
): Promise<{ auth?: object; tokenServer?: TokenServer }> {
  if (opts.auth === 'htpasswd') {
    const path = join(dir, 'htpasswd');
    await writeHtpasswd(path, users);
    return { auth: { htpasswd: { realm: 'drydock-test', path } } };
  }
  if (opts.auth !== 'token') return {};
  const identity = await createSigningIdentity(dir);
  const tokenServer = await startTokenServer({
    users,
    anonymousPull: opts.anonymousPull,
    identityTokens: opts.identityTokens,
    service: SERVICE,
    issuer: ISSUER,
    expiresIn: opts.tokenExpiresIn,
    identity,
  });
  const token = {
    realm: tokenServer.realm,
    service: SERVICE,
    issuer: ISSUER,
    rootcertbundle: identity.certPath,
  };
  return { auth: { token }, tokenServer };
}

function registryConfig(dataDir: string, port: number, auth: object | undefined, schema1: boolean) {
  return {
    version: 0.1,
    log: { level: 'error', accesslog: { disabled: true } },
    storage: {
      filesystem: { rootdirectory: dataDir },
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: { addr: `127.0.0.1:${port}`, secret: randomBytes(16).toString('hex') },
    ...(auth ? { auth } : {}),
    ...(schema1 ? { compatibility: { schema1: { enabled: true } } } : {}),
  };
}

/** Resolves once `/v2/` answers at all (200 or 401); rejects if the process dies first. */
async function waitUntilServing(url: string, child: ChildProcess, log: () => string) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`docker-registry exited (${child.exitCode ?? child.signalCode}): ${log()}`);
    }
    try {
      await (await fetch(`${url}/v2/`)).arrayBuffer();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`docker-registry did not start within ${START_TIMEOUT_MS} ms: ${log()}`);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** Starts the registry on a free port; retries if another process took the port meanwhile. */
async function launch(dir: string, dataDir: string, auth: object | undefined, schema1: boolean) {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const configPath = join(dir, 'config.yml');
    await writeFile(configPath, stringify(registryConfig(dataDir, port, auth, schema1)));
    const child = spawn('docker-registry', ['serve', configPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    const keep = (chunk: Buffer) => {
      log = (log + chunk.toString('utf8')).slice(-MAX_LOG_CHARS);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitUntilServing(url, child, () => log);
      return { child, port, url };
    } catch (e) {
      await stopProcess(child);
      if (attempt >= START_ATTEMPTS) throw e;
    }
  }
}

export async function startRegistry(opts: StartRegistryOptions = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'drydock-registry-'));
  const dataDir = join(dir, 'data');
  const users = opts.users ?? TEST_USERS;
  let tokenServer: TokenServer | undefined;
  try {
    const config = await authConfig(dir, opts, users);
    tokenServer = config.tokenServer;
    const { child, port, url } = await launch(dir, dataDir, config.auth, opts.schema1 === true);
    const pushAuth = pushAuthorization(opts.auth ?? 'none', users, tokenServer);
    return {
      host: `127.0.0.1:${port}`,
      url,
      dataDir,
      tokenServer,
      push: (repo, ref, image) => pushImage(url, repo, ref, image, pushAuth(repo)),
      stop: async () => {
        await stopProcess(child);
        await tokenServer?.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await tokenServer?.stop();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/** The Authorization header for pushing to `repo`, as the first user. */
function pushAuthorization(
  auth: NonNullable<StartRegistryOptions['auth']>,
  users: Record<string, string>,
  tokenServer: TokenServer | undefined,
): (repo: string) => Record<string, string> {
  const [user, password] = Object.entries(users)[0] ?? [];
  if (auth === 'htpasswd' && user !== undefined && password !== undefined) {
    const basic = Buffer.from(`${user}:${password}`).toString('base64');
    return () => ({ authorization: `Basic ${basic}` });
  }
  if (auth === 'token' && tokenServer) {
    return (repo) => ({
      authorization: `Bearer ${tokenServer.issue(user, [`repository:${repo}:pull,push`])}`,
    });
  }
  return () => ({});
}

async function expectStatus(res: Response, ok: number[], what: string): Promise<void> {
  if (ok.includes(res.status)) return;
  throw new Error(`push: ${what} answered ${res.status}: ${await res.text()}`);
}

async function pushBlob(
  base: string,
  repo: string,
  digest: string,
  data: Buffer,
  headers: Record<string, string>,
): Promise<void> {
  const head = await fetch(`${base}/v2/${repo}/blobs/${digest}`, { method: 'HEAD', headers });
  if (head.status === 200) return;
  const start = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers });
  await expectStatus(start, [202], `upload start of ${digest}`);
  const location = new URL(start.headers.get('location') ?? '', base);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, {
    method: 'PUT',
    headers: { ...headers, 'content-type': 'application/octet-stream' },
    body: data,
  });
  await expectStatus(put, [201], `upload of ${digest}`);
}

async function pushImage(
  base: string,
  repo: string,
  ref: string,
  image: PushableImage,
  headers: Record<string, string>,
): Promise<string> {
  for (const [digest, data] of image.blobs) await pushBlob(base, repo, digest, data, headers);
  let pushed = '';
  for (const [i, m] of image.manifests.entries()) {
    const target = i === image.manifests.length - 1 ? ref : m.digest;
    const res = await fetch(`${base}/v2/${repo}/manifests/${target}`, {
      method: 'PUT',
      headers: { ...headers, 'content-type': m.mediaType },
      body: m.bytes,
    });
    await expectStatus(res, [201], `manifest ${target}`);
    pushed = res.headers.get('docker-content-digest') ?? m.digest;
  }
  return pushed;
}

/** The registry stores blobs by digest: flipping the bytes of one corrupts it for every pull. */
export async function corruptBlob(target: TestRegistry, digest: string): Promise<void> {
  const hex = digest.slice('sha256:'.length);
  const path = join(
    target.dataDir,
    'docker/registry/v2/blobs/sha256',
    hex.slice(0, 2),
    hex,
    'data',
  );
  const bytes = await readFile(path);
  await writeFile(path, Buffer.from(bytes.map((byte) => byte ^ 0xff)));
}
