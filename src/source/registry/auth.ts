/**
 * Registry authentication: parse `WWW-Authenticate` challenges, then answer them with Basic
 * credentials or with a Bearer token from the realm (Docker's token auth, and its OAuth2
 * refresh-token grant for identity tokens). Tokens are cached per scope until shortly before
 * they expire. Secrets never go into messages.
 */
import { DrydockError } from '../../model/index.js';
import type { CredentialStore, Credentials } from '../../model/index.js';
import { readBounded, type HttpClient, type HttpRequest, type HttpResponse } from './http.js';
import { printable } from '../../util/text.js';

export interface Challenge {
  /** Lower-cased: `bearer`, `basic`. */
  scheme: string;
  /** Parameter names lower-cased, values unquoted. */
  params: Record<string, string>;
}

const MAX_HEADER_CHARS = 16 * 1024;
const MAX_CHALLENGES = 16;
const MAX_TOKEN_RESPONSE_BYTES = 1024 ** 2;
const MAX_TOKEN_CHARS = 64 * 1024;
/** Used when the token server does not say (the spec's default). */
const DEFAULT_TOKEN_SECONDS = 60;
/** Renew this long before expiry, so a token does not lapse between checking and using it. */
const EXPIRY_MARGIN_MS = 10_000;
const CLIENT_ID = 'drydock';

const TOKEN_CHARS = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/** A small scanner for RFC 7235 challenge lists: `Bearer realm="a,b",service=x, Basic realm="y"`. */
class ChallengeScanner {
  private pos = 0;
  constructor(private readonly text: string) {}

  get done(): boolean {
    this.skip(' \t,');
    return this.pos >= this.text.length;
  }

  skip(chars: string): void {
    while (this.pos < this.text.length && chars.includes(this.text.charAt(this.pos))) this.pos++;
  }

  token(): string {
    const start = this.pos;
    while (this.pos < this.text.length && TOKEN_CHARS.test(this.text.charAt(this.pos))) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** Reads `name=value` if one starts here; leaves the position alone if this is a new scheme. */
  param(): [string, string] | undefined {
    const start = this.pos;
    this.skip(' \t');
    const name = this.token();
    this.skip(' \t');
    if (!name || this.text.charAt(this.pos) !== '=') {
      this.pos = start;
      return undefined;
    }
    this.pos++;
    this.skip(' \t');
    const value = this.text.charAt(this.pos) === '"' ? this.quoted() : this.token();
    this.skip(' \t');
    if (this.text.charAt(this.pos) === ',') this.pos++;
    return [name.toLowerCase(), value];
  }

  private quoted(): string {
    let value = '';
    for (this.pos++; this.pos < this.text.length; this.pos++) {
      const c = this.text.charAt(this.pos);
      if (c === '"') {
        this.pos++;
        break;
      }
      if (c === '\\') this.pos++;
      value += this.text.charAt(this.pos);
    }
    return value;
  }

  /** Skips something that is neither a scheme nor a parameter (a token68, stray text). */
  skipJunk(): void {
    this.pos++;
  }
}

/** Parses one or more `WWW-Authenticate` header values into challenges. */
export function parseWwwAuthenticate(header: string | string[] | undefined): Challenge[] {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const challenges: Challenge[] = [];
  for (const value of values) {
    const scanner = new ChallengeScanner(value.slice(0, MAX_HEADER_CHARS));
    while (!scanner.done && challenges.length < MAX_CHALLENGES) {
      const scheme = scanner.token().toLowerCase();
      if (!scheme) {
        scanner.skipJunk();
        continue;
      }
      const params: Record<string, string> = {};
      for (let p = scanner.param(); p; p = scanner.param()) params[p[0]] = p[1];
      challenges.push({ scheme, params });
    }
  }
  return challenges;
}

export interface RegistryAuthOptions {
  /** The registry as the user named it: the key for credentials and for messages. */
  registry: string;
  /** The image being pulled, for messages. */
  image: string;
  http: HttpClient;
  credentials?: CredentialStore;
  /** Plain HTTP is acceptable for the registry (and so for its realm). */
  insecure: boolean;
  /** Milliseconds since the epoch; tests move time forward. */
  clock?: () => number;
}

interface CachedToken {
  value: string;
  expiresAt: number;
}

interface TokenEntry {
  token: Promise<CachedToken>;
  /** The token once fetched, to tell which token a refused request used. */
  value?: string;
}

interface TokenResponse {
  token?: unknown;
  access_token?: unknown;
  expires_in?: unknown;
}

/** Answers a registry's challenges for one image's requests. */
export class RegistryAuth {
  private challenge: Challenge | undefined;
  /** Per scope; holds a promise so that parallel layer requests share one token fetch. */
  private readonly tokens = new Map<string, TokenEntry>();
  private credentials: Promise<Credentials | undefined> | undefined;
  private readonly clock: () => number;

  constructor(private readonly options: RegistryAuthOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** Whether credentials were given for this registry (changes the advice on a 401). */
  async hasCredentials(): Promise<boolean> {
    return (await this.lookupCredentials()) !== undefined;
  }

  /**
   * Takes the challenges of a 401 to a request that sent `sent` as its Authorization. Returns
   * whether sending the request again could succeed: a new or changed challenge, or a refused
   * token that can be renewed.
   */
  acceptChallenge(header: string | string[] | undefined, scope: string, sent?: string): boolean {
    const offered = parseWwwAuthenticate(header);
    const chosen =
      offered.find((c) => c.scheme === 'bearer' && c.params.realm) ??
      offered.find((c) => c.scheme === 'basic');
    if (!chosen) return false;
    const changed = JSON.stringify(chosen) !== JSON.stringify(this.challenge);
    const refusedToken = sent?.startsWith('Bearer ') === true;
    // Drop the token only if it is still the one the request used: after parallel 401s the
    // first drops it, and the others then share the one renewal instead of each fetching.
    const cached = this.tokens.get(scope);
    if (cached?.value !== undefined && sent === `Bearer ${cached.value}`) this.tokens.delete(scope);
    this.challenge = chosen;
    return changed || refusedToken;
  }

  /** The `Authorization` value for a registry request in `scope`, or undefined for none. */
  async authorization(scope: string): Promise<string | undefined> {
    const challenge = this.challenge;
    if (!challenge) return undefined;
    if (challenge.scheme === 'basic') {
      const creds = await this.lookupCredentials();
      return creds?.kind === 'basic' ? basicHeader(creds) : undefined;
    }
    return `Bearer ${await this.bearerToken(challenge, scope)}`;
  }

  private lookupCredentials(): Promise<Credentials | undefined> {
    this.credentials ??= this.options.credentials
      ? this.options.credentials.lookup(this.options.registry)
      : Promise.resolve(undefined);
    return this.credentials;
  }

  /**
   * A cached token while it is fresh, else a new one. The fetch takes no abort signal: it is
   * shared by every request waiting for it, and one caller giving up must not fail the others.
   */
  private async bearerToken(challenge: Challenge, scope: string): Promise<string> {
    for (let cached = this.tokens.get(scope); cached; cached = this.tokens.get(scope)) {
      const token = await cached.token;
      if (token.expiresAt > this.clock()) return token.value;
      // Stale: renew it, unless another request already started renewing while we waited.
      if (this.tokens.get(scope) === cached) break;
    }
    const entry: TokenEntry = { token: this.fetchToken(challenge, scope) };
    this.tokens.set(scope, entry);
    entry.token.then(
      (token) => {
        entry.value = token.value;
      },
      () => {
        if (this.tokens.get(scope) === entry) this.tokens.delete(scope);
      },
    );
    return (await entry.token).value;
  }

  private async fetchToken(challenge: Challenge, scope: string): Promise<CachedToken> {
    const realm = this.realmUrl(challenge);
    const creds = await this.lookupCredentials();
    if (creds && realm.protocol !== 'https:' && !this.options.insecure) {
      throw new DrydockError(
        'registry-error',
        `registry ${this.options.registry} sends logins to a plain-HTTP token server (${realm.host}); drydock sends credentials only over HTTPS unless the registry is marked insecure`,
      );
    }
    const service = challenge.params.service;
    const res = await this.options.http.send(
      creds?.kind === 'identity-token'
        ? refreshTokenRequest(realm, service, scope, creds.token)
        : tokenRequest(realm, service, scope, creds),
    );
    return this.readToken(res, realm);
  }

  private realmUrl(challenge: Challenge): URL {
    const realm = challenge.params.realm ?? '';
    try {
      const url = new URL(realm);
      if (url.protocol === 'https:' || url.protocol === 'http:') return url;
    } catch {
      // fall through to the error below
    }
    throw new DrydockError(
      'registry-error',
      `registry ${this.options.registry} names an invalid token server (realm "${printable(realm, 200)}")`,
    );
  }

  private async readToken(res: HttpResponse, realm: URL): Promise<CachedToken> {
    if (res.statusCode === 401 || res.statusCode === 403) {
      await res.body.dump();
      throw await this.unauthorized();
    }
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new DrydockError(
        'registry-error',
        `token server ${realm.host} of registry ${this.options.registry} answered HTTP ${res.statusCode}`,
      );
    }
    const body = await readBounded(
      res,
      MAX_TOKEN_RESPONSE_BYTES,
      `token response of ${realm.host}`,
      'token server',
      realm.host,
    );
    return this.parseToken(body, realm);
  }

  private parseToken(body: Buffer, realm: URL): CachedToken {
    let parsed: TokenResponse;
    try {
      parsed = JSON.parse(body.toString('utf8')) as TokenResponse;
    } catch {
      parsed = {};
    }
    const value = [parsed.token, parsed.access_token].find(
      (t): t is string =>
        typeof t === 'string' &&
        t.length > 0 &&
        t.length <= MAX_TOKEN_CHARS &&
        /^[\x21-\x7e]+$/.test(t),
    );
    if (!value) {
      throw new DrydockError(
        'registry-error',
        `token server ${realm.host} of registry ${this.options.registry} sent no usable token`,
      );
    }
    const lifetimeMs =
      1000 *
      (typeof parsed.expires_in === 'number' && parsed.expires_in > 0
        ? parsed.expires_in
        : DEFAULT_TOKEN_SECONDS);
    // Counted from receipt rather than `issued_at`, so clock skew with the token server
    // cannot make every token look stale (or fresh forever).
    const margin = Math.min(EXPIRY_MARGIN_MS, lifetimeMs / 2);
    return { value, expiresAt: this.clock() + lifetimeMs - margin };
  }

  /** The error for a refused login, with advice that depends on whether credentials were given. */
  async unauthorized(): Promise<DrydockError> {
    const advice = (await this.hasCredentials())
      ? 'check the username and password (drydock --username/--password, or docker login)'
      : 'no credentials were given: log in with drydock --username/--password, or docker login';
    return new DrydockError(
      'unauthorized',
      `cannot pull ${this.options.image}: authentication failed for registry ${this.options.registry}: ${advice}`,
    );
  }
}

function basicHeader(creds: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
}

/** Docker's GET token request, anonymous or with Basic credentials. */
function tokenRequest(
  realm: URL,
  service: string | undefined,
  scope: string,
  creds: Credentials | undefined,
): HttpRequest {
  const url = new URL(realm);
  if (service !== undefined) url.searchParams.set('service', service);
  url.searchParams.set('scope', scope);
  if (creds?.kind === 'basic') url.searchParams.set('account', creds.username);
  const headers: Record<string, string> =
    creds?.kind === 'basic' ? { authorization: basicHeader(creds) } : {};
  return { method: 'GET', url, headers, peer: 'token server' };
}

/** The OAuth2 refresh-token grant, which is how an identity token buys an access token. */
function refreshTokenRequest(
  realm: URL,
  service: string | undefined,
  scope: string,
  identityToken: string,
): HttpRequest {
  const form = new URLSearchParams({
    grant_type: 'refresh_token',
    refresh_token: identityToken,
    client_id: CLIENT_ID,
    scope,
  });
  if (service !== undefined) form.set('service', service);
  return {
    method: 'POST',
    url: realm,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    peer: 'token server',
  };
}
