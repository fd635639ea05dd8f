/**
 * The OCI distribution API for one repository: ping, manifests and blobs, with authentication,
 * manual redirects (credentials never leave the registry's origin) and clear errors.
 */
import { Readable } from 'node:stream';
import { DrydockError } from '../../model/index.js';
import type { CredentialStore, Digest, RegistryConnection } from '../../model/index.js';
import { verifyBuffer } from '../digest.js';
import { verifiedStream } from '../manifest.js';
import { RegistryAuth } from './auth.js';
import { HttpClient, readBounded, type HttpClientOptions, type HttpResponse } from './http.js';
import { describeNetworkError } from './network-errors.js';
import { printable } from '../../util/text.js';
import { DOCKER_HUB, canonicalRegistryHost } from '../../reference/reference.js';

export interface RegistryClientOptions {
  /** The registry as the reference names it (`docker.io`): the key for credentials. */
  registry: string;
  repository: string;
  /** The image as the user named it, for messages. */
  image: string;
  connection?: RegistryConnection;
  credentials?: CredentialStore;
  timeoutMs: number;
  maxRetries: number;
  userAgent: string;
  /** See HttpClientOptions.sleep. */
  sleep?: HttpClientOptions['sleep'];
}

export interface FetchedManifest {
  bytes: Buffer;
  contentType?: string;
  /** The `Docker-Content-Digest` header, when the registry sent one. */
  digestHeader?: string;
}

const MAX_REDIRECTS = 5;
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** The API host Docker Hub is served from, whatever alias (any case) the reference used. */
const DOCKER_HUB_API_HOST = 'registry-1.docker.io';

/**
 * The host[:port] to contact for a registry. Mirrors are not handled here: the caller has
 * already rewritten the reference to name the mirror (applyMirror).
 */
export function endpointHost(registry: string): string {
  return canonicalRegistryHost(registry) === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry;
}

function header(res: HttpResponse, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseUrl(text: string, base: URL): URL | undefined {
  try {
    return new URL(text, base);
  } catch {
    return undefined;
  }
}

/** `errors[0].message` of a registry error body, if there is one. */
async function registryMessage(res: HttpResponse): Promise<string | undefined> {
  try {
    const body = await readBounded(res, MAX_ERROR_BODY_BYTES, 'error response', 'registry', '');
    const parsed = JSON.parse(body.toString('utf8')) as { errors?: { message?: unknown }[] };
    const message = parsed.errors?.[0]?.message;
    return typeof message === 'string' && message ? printable(message, 300) : undefined;
  } catch {
    await res.body.dump().catch(() => undefined);
    return undefined;
  }
}

export class RegistryClient {
  /** host[:port] contacted. */
  readonly host: string;
  private readonly http: HttpClient;
  private readonly auth: RegistryAuth;
  private readonly scope: string;
  private base: Promise<URL> | undefined;

  constructor(private readonly options: RegistryClientOptions) {
    this.host = endpointHost(options.registry);
    this.scope = `repository:${options.repository}:pull`;
    this.http = new HttpClient({
      registryHost: this.host,
      connection: options.connection,
      timeoutMs: options.timeoutMs,
      maxRetries: options.maxRetries,
      userAgent: options.userAgent,
      sleep: options.sleep,
    });
    this.auth = new RegistryAuth({
      registry: options.registry,
      image: options.image,
      http: this.http,
      credentials: options.credentials,
      insecure: options.connection?.insecure === true,
    });
  }

  /** Fetches a manifest by tag or digest, unverified (the caller knows what to verify against). */
  async fetchManifest(
    reference: string,
    accept: readonly string[],
    maxBytes: number,
    what: string,
    signal?: AbortSignal,
  ): Promise<FetchedManifest> {
    const res = await this.registryGet(
      `/v2/${this.options.repository}/manifests/${reference}`,
      { accept: accept.join(', ') },
      signal,
    );
    if (res.statusCode !== 200) throw await this.failure(res, what, 'manifest unknown');
    const bytes = await readBounded(res, maxBytes, what, 'registry', this.host);
    return {
      bytes,
      contentType: header(res, 'content-type'),
      digestHeader: header(res, 'docker-content-digest'),
    };
  }

  /** Fetches a small blob (a config) whole and verifies it. */
  async fetchBlob(
    digest: Digest,
    maxBytes: number,
    what: string,
    signal?: AbortSignal,
  ): Promise<Buffer> {
    const { res, peer, host } = await this.blobResponse(digest, what, signal);
    const bytes = await readBounded(res, maxBytes, what, peer, host);
    verifyBuffer(what, bytes, digest);
    return bytes;
  }

  /**
   * Streams a blob through a DigestVerifier. Backpressure reaches the socket: nothing is read
   * ahead of the consumer. The verifier fails the stream as soon as more than `size` bytes
   * arrive, or at its end if the digest or length differs.
   */
  async openBlob(
    digest: Digest,
    size: number | undefined,
    what: string,
    signal?: AbortSignal,
  ): Promise<Readable> {
    const { res, peer, host } = await this.blobResponse(digest, what, signal);
    const declared = Number(header(res, 'content-length'));
    if (size !== undefined && Number.isFinite(declared) && declared !== size) {
      await res.body.dump();
      throw new DrydockError(
        'digest-mismatch',
        `${what}: the registry sends ${declared} bytes but the manifest says ${size}`,
      );
    }
    const chunks = Readable.from(bodyChunks(res, peer, host), { objectMode: false });
    const verified = verifiedStream(what, chunks, digest, size, signal);
    // When the verifier stops early, the generator may be parked awaiting the sender's next
    // chunk: drop the connection rather than leave it open until the body timeout.
    verified.once('close', () => res.body.destroy());
    return verified;
  }

  /** Logs in as `docker login` does: the API check (/v2/) answers 200 with the credentials. */
  async checkLogin(signal?: AbortSignal): Promise<void> {
    const res = await this.registryGet('/v2/', {}, signal);
    if (res.statusCode !== 200)
      throw await this.failure(res, `the login to registry ${this.host}`, undefined);
    await res.body.dump();
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  private baseUrl(signal?: AbortSignal): Promise<URL> {
    this.base ??= this.ping(signal).catch((e: unknown) => {
      this.base = undefined;
      throw e;
    });
    return this.base;
  }

  /**
   * Finds the scheme and learns how to authenticate. Insecure registries are tried over HTTPS
   * (any certificate) first and over plain HTTP when that fails, as Docker does, so a registry
   * marked insecure that does speak TLS still gets it.
   */
  private async ping(signal?: AbortSignal): Promise<URL> {
    const secure = new URL(`https://${this.host}/`);
    if (this.options.connection?.insecure !== true) return this.pingAt(secure, signal);
    try {
      return await this.pingAt(secure, signal);
    } catch (e) {
      if (!(e instanceof DrydockError && e.code === 'registry-unreachable')) throw e;
    }
    return this.pingAt(new URL(`http://${this.host}/`), signal);
  }

  private async pingAt(base: URL, signal?: AbortSignal): Promise<URL> {
    const res = await this.http.send({ method: 'GET', url: new URL('/v2/', base), signal });
    if (res.statusCode === 401) {
      this.auth.acceptChallenge(res.headers['www-authenticate'], this.scope);
    } else if (res.statusCode !== 200) {
      throw await this.failure(res, `the API check (/v2/) of registry ${this.host}`, undefined);
    }
    await res.body.dump();
    return base;
  }

  /** GET on the registry with authorization, taking one new challenge (or token) after a 401. */
  private async registryGet(
    path: string,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<HttpResponse> {
    const url = new URL(path, await this.baseUrl(signal));
    for (let attempt = 0; ; attempt++) {
      const authorization = await this.auth.authorization(this.scope);
      const res = await this.http.send({
        method: 'GET',
        url,
        headers: authorization ? { ...headers, authorization } : headers,
        signal,
      });
      if (res.statusCode !== 401 || attempt > 0) return res;
      const challenge = res.headers['www-authenticate'];
      if (!this.auth.acceptChallenge(challenge, this.scope, authorization)) return res;
      await res.body.dump();
    }
  }

  /**
   * GETs a blob and follows redirects by hand: blob storage often lives elsewhere (S3, a CDN),
   * and the registry's Authorization header must never reach another origin.
   */
  private async blobResponse(
    digest: Digest,
    what: string,
    signal?: AbortSignal,
  ): Promise<{ res: HttpResponse; peer: string; host: string }> {
    const path = `/v2/${this.options.repository}/blobs/${digest}`;
    const registryOrigin = (await this.baseUrl(signal)).origin;
    let url = new URL(path, registryOrigin);
    let res = await this.registryGet(path, {}, signal);
    for (let hops = 0; res.statusCode >= 300 && res.statusCode < 400; hops++) {
      url = await this.redirectTarget(res, url, hops, what);
      res =
        url.origin === registryOrigin
          ? await this.registryGet(url.pathname + url.search, {}, signal)
          : await this.http.send({ method: 'GET', url, signal, peer: 'blob storage' });
    }
    const peer = url.origin === registryOrigin ? 'registry' : 'blob storage';
    if (res.statusCode === 200) return { res, peer, host: url.host };
    if (peer === 'registry') throw await this.failure(res, what, 'blob unknown');
    await res.body.dump();
    throw new DrydockError(
      'registry-error',
      `blob storage ${url.host} (redirected to by registry ${this.host}) answered HTTP ${res.statusCode} for ${what}`,
    );
  }

  private async redirectTarget(
    res: HttpResponse,
    from: URL,
    hops: number,
    what: string,
  ): Promise<URL> {
    await res.body.dump();
    const location = header(res, 'location');
    const target = location ? parseUrl(location, from) : undefined;
    if (hops >= MAX_REDIRECTS || !target || !['http:', 'https:'].includes(target.protocol)) {
      throw new DrydockError(
        'registry-error',
        `registry ${this.host} sent a bad or endless redirect for ${what}`,
      );
    }
    return target;
  }

  /** The error for a response that is not what was asked for. */
  private async failure(
    res: HttpResponse,
    what: string,
    notFoundReason: string | undefined,
  ): Promise<DrydockError> {
    const message = await registryMessage(res);
    if (res.statusCode === 401 || res.statusCode === 403) return this.auth.unauthorized();
    if (res.statusCode === 404 && notFoundReason) {
      return new DrydockError('not-found', `${what} not found (${message ?? notFoundReason})`);
    }
    return new DrydockError(
      'registry-error',
      `registry ${this.host} answered HTTP ${res.statusCode} for ${what}${message ? `: ${message}` : ''}`,
    );
  }
}

/** The body's chunks with network errors made readable (the DigestVerifier checks the bytes). */
async function* bodyChunks(res: HttpResponse, peer: string, host: string): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of res.body) yield chunk as Buffer;
  } catch (e) {
    throw describeNetworkError(e, peer, host);
  }
}
