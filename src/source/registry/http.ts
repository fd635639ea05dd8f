/**
 * HTTP for registry traffic: one undici Agent per source, TLS settings that relax only for the
 * registry host, timeouts, and retries with backoff for the failures that pass (429, 5xx gateway
 * errors, dropped connections). Every error a user can meet leaves here as a DrydockError.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { Agent, request, type Dispatcher } from 'undici';
import { DrydockError, limitExceeded } from '../../model/index.js';
import { describeNetworkError, errorCode } from './network-errors.js';
import type { RegistryConnection } from '../../model/index.js';

export type HttpResponse = Dispatcher.ResponseData;

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: URL;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** Who answers, for messages: `registry` (default), `token server`, `blob storage`. */
  peer?: string;
}

export interface HttpClientOptions {
  /** host[:port] actually contacted for the registry; TLS relaxations apply to it alone. */
  registryHost: string;
  connection?: RegistryConnection;
  /** Headers timeout, body idle timeout and connect timeout, each. */
  timeoutMs: number;
  maxRetries: number;
  userAgent: string;
  /** Waits between attempts; tests pass one that records the delays instead of waiting. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Where to look for the OS CA bundle; SYSTEM_CA_BUNDLES unless a test points elsewhere. */
  systemCaBundles?: readonly string[];
}

/**
 * The OS CA bundle as update-ca-certificates (Debian, Ubuntu, Alpine), update-ca-trust (Fedora,
 * RHEL) and BSDs/macOS keep it; the first that exists is used. Node 20 trusts only its bundled
 * Mozilla roots, so without this a private CA installed for Docker would be unknown to drydock.
 */
const SYSTEM_CA_BUNDLES: readonly string[] = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/cert.pem',
];

const RETRY_STATUSES = new Set([429, 502, 503, 504]);
/** Connection failures that a second attempt can cure; refused and DNS failures do not pass. */
const TRANSIENT_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const BACKOFF_BASE_MS = 200;
const BACKOFF_CAP_MS = 10_000;
/** A registry may ask for a long pause; more than this is not worth waiting for in a CI job. */
export const RETRY_AFTER_CAP_MS = 30_000;

/** Exponential backoff with equal jitter: half the step fixed, half random. */
export function backoffMs(attempt: number, random = Math.random()): number {
  const step = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
  return step / 2 + (random * step) / 2;
}

/** The pause before the next attempt: `Retry-After` (seconds or an HTTP date), capped, else backoff. */
export function retryDelayMs(
  retryAfter: string | undefined,
  attempt: number,
  now = Date.now(),
): number {
  const value = retryAfter?.trim();
  if (value) {
    // An HTTP date always names a weekday or month; anything else that is not digits is junk.
    const ms = /^\d+$/.test(value)
      ? Number(value) * 1000
      : /[A-Za-z]{3}/.test(value)
        ? Date.parse(value) - now
        : NaN;
    if (Number.isFinite(ms)) return Math.min(Math.max(ms, 0), RETRY_AFTER_CAP_MS);
  }
  return backoffMs(attempt);
}

function isTransient(e: unknown): boolean {
  const code = errorCode(e);
  return code !== undefined && TRANSIENT_CODES.has(code);
}

/** OS bundles by search path, each read once: every client of a process trusts the same. */
const systemBundles = new Map<string, string | undefined>();

/** The first readable bundle of `paths`; none at all is fine (Node's own roots remain). */
function systemCaBundle(paths: readonly string[]): string | undefined {
  const key = paths.join('\0');
  if (!systemBundles.has(key)) {
    const found = paths.map(readIfPresent).find((text) => text !== undefined);
    systemBundles.set(key, found);
  }
  return systemBundles.get(key);
}

function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function readCaFile(caFile: string): string {
  try {
    return readFileSync(caFile, 'utf8');
  } catch (e) {
    throw new DrydockError(
      'config-error',
      `cannot read the CA file ${caFile}: ${(e as Error).message}`,
      { cause: e },
    );
  }
}

/**
 * Building a context parses every certificate (tens of milliseconds for the OS bundle), and
 * undici would do it on each connection if given the list: each set is built once instead.
 */
const secureContexts = new Map<string, SecureContext>();

/** Trusted CAs: Node's bundled roots, the OS bundle and the connection's own CA file. */
function trustedCas(systemPaths: readonly string[], caFile: string | undefined): SecureContext {
  const key = JSON.stringify([systemPaths, caFile]);
  let context = secureContexts.get(key);
  if (!context) {
    const system = systemCaBundle(systemPaths);
    const ca = [
      ...rootCertificates,
      ...(system ? [system] : []),
      ...(caFile ? [readCaFile(caFile)] : []),
    ];
    context = createSecureContext({ ca });
    secureContexts.set(key, context);
  }
  return context;
}

export class HttpClient {
  /** For every host but the registry: always verified. */
  private readonly strictAgent: Agent;
  /** For the registry host: may skip verification (skipTlsVerify, insecure). */
  private readonly registryAgent: Agent;
  /** The registry host as URL.host writes it (lowercase, no :443), to compare with request URLs. */
  private readonly registryHost: string;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: HttpClientOptions) {
    const secureContext = trustedCas(
      options.systemCaBundles ?? SYSTEM_CA_BUNDLES,
      options.connection?.caFile,
    );
    const timeout = options.timeoutMs;
    this.strictAgent = new Agent({ connect: { secureContext, timeout } });
    const relaxed = options.connection?.skipTlsVerify === true || options.connection?.insecure;
    this.registryAgent = relaxed
      ? new Agent({ connect: { secureContext, timeout, rejectUnauthorized: false } })
      : this.strictAgent;
    this.registryHost = new URL(`https://${options.registryHost}`).host;
    this.sleep = options.sleep ?? ((ms, signal) => sleepFor(ms, undefined, { signal }));
  }

  /**
   * Sends a request, retrying 429/502/503/504 and dropped connections up to `maxRetries` times.
   * Returns the last response whatever its status; the caller reads or dumps its body.
   */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const peer = req.peer ?? 'registry';
    for (let attempt = 0; ; attempt++) {
      const canRetry = attempt < this.options.maxRetries;
      let res: HttpResponse;
      try {
        res = await this.once(req);
      } catch (e) {
        if (canRetry && isTransient(e)) {
          await this.sleep(backoffMs(attempt), req.signal);
          continue;
        }
        throw describeNetworkError(e, peer, req.url.host);
      }
      if (!canRetry || !RETRY_STATUSES.has(res.statusCode)) return res;
      await res.body.dump();
      const retryAfter = res.headers['retry-after'];
      await this.sleep(
        retryDelayMs(typeof retryAfter === 'string' ? retryAfter : undefined, attempt),
        req.signal,
      );
    }
  }

  private once(req: HttpRequest): Promise<HttpResponse> {
    const timeout = this.options.timeoutMs;
    return request(req.url, {
      method: req.method,
      headers: { 'user-agent': this.options.userAgent, ...req.headers },
      body: req.body,
      signal: req.signal,
      dispatcher: req.url.host === this.registryHost ? this.registryAgent : this.strictAgent,
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
  }

  /** Closes the connections; later calls wait for the first (undici refuses a second close). */
  close(): Promise<void> {
    this.closing ??= Promise.all(
      [...new Set([this.strictAgent, this.registryAgent])].map((agent) => agent.close()),
    ).then(() => undefined);
    return this.closing;
  }
}

/** Reads a whole response body, refusing more than `maxBytes` (checked before and while reading). */
export async function readBounded(
  res: HttpResponse,
  maxBytes: number,
  what: string,
  peer: string,
  host: string,
): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body.dump();
    throw limitExceeded(`${what} (${declared} bytes)`, `${maxBytes} bytes`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body) {
      const buf = chunk as Buffer;
      total += buf.length;
      if (total > maxBytes) {
        res.body.destroy();
        throw limitExceeded(what, `${maxBytes} bytes`);
      }
      chunks.push(buf);
    }
  } catch (e) {
    throw describeNetworkError(e, peer, host);
  }
  return Buffer.concat(chunks);
}
