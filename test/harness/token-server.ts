/**
 * A small Docker token server (docs/spec/auth/token.md and oauth.md of CNCF Distribution) for
 * tests: it checks Basic credentials or identity (refresh) tokens against its tables, grants the
 * requested scope, and signs ES256 JWTs with an `x5c` chain, which is how the registry's token
 * access controller finds the key (registry/auth/token/token.go, VerifySigningKey). It records
 * every request so tests can check what a client sent and how often.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SigningIdentity {
  key: KeyObject;
  /** The self-signed certificate, DER; the registry trusts its PEM form (rootcertbundle). */
  certDer: Buffer;
  certPath: string;
}

/** A fresh P-256 key (node:crypto) and a self-signed certificate for it (openssl), in `dir`. */
export async function createSigningIdentity(dir: string): Promise<SigningIdentity> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const keyPath = join(dir, 'token.key');
  const certPath = join(dir, 'token.crt');
  await writeFile(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await run('openssl', [
    'req',
    '-new',
    '-x509',
    '-key',
    keyPath,
    '-out',
    certPath,
    '-days',
    '2',
    '-subj',
    '/CN=drydock-test-token-issuer',
  ]);
  const pem = await readFile(certPath, 'utf8');
  const base64 = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  return { key: privateKey, certDer: Buffer.from(base64, 'base64'), certPath };
}

export interface TokenServerOptions {
  /** username → password. Every known user may pull and push everything. */
  users: Record<string, string>;
  /** Whether anonymous clients get pull access (default false: they get an empty grant). */
  anonymousPull?: boolean;
  /** Identity tokens (OAuth2 refresh tokens) accepted by POST, → the user they stand for. */
  identityTokens?: Record<string, string>;
  service: string;
  issuer: string;
  /** Token lifetime in seconds (default 300). */
  expiresIn?: number;
  identity: SigningIdentity;
}

export interface TokenRequestRecord {
  method: string;
  service?: string;
  scopes: string[];
  /** The user the request authenticated as, if it did. */
  account?: string;
  /** Whether the request carried an Authorization header. */
  sentAuthorization: boolean;
  grantType?: string;
  status: number;
}

export interface TokenServer {
  /** The realm to configure in the registry. */
  realm: string;
  requests: TokenRequestRecord[];
  /** Mints a token in-process (for the harness's own pushes, so they are not recorded). */
  issue(account: string | undefined, scopes: string[]): string;
  stop(): Promise<void>;
}

interface Access {
  type: string;
  name: string;
  actions: string[];
}

const MAX_BODY_BYTES = 64 * 1024;

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

/** `repository:team/app:pull,push` → its parts; names may not contain ':' but tolerate it. */
function parseScope(scope: string): Access | undefined {
  const parts = scope.split(':');
  if (parts.length < 3) return undefined;
  const type = parts[0] ?? '';
  const actions = (parts.at(-1) ?? '').split(',').filter(Boolean);
  return { type, name: parts.slice(1, -1).join(':'), actions };
}

function signJwt(options: TokenServerOptions, account: string | undefined, access: Access[]) {
  const now = Math.floor(Date.now() / 1000);
  const header = { typ: 'JWT', alg: 'ES256', x5c: [options.identity.certDer.toString('base64')] };
  const claims = {
    iss: options.issuer,
    sub: account ?? '',
    aud: options.service,
    exp: now + (options.expiresIn ?? 300),
    nbf: now - 10,
    iat: now,
    jti: randomBytes(12).toString('hex'),
    access,
  };
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  // JOSE wants the raw r||s form of the ECDSA signature, not DER.
  const signature = sign('sha256', Buffer.from(input), {
    key: options.identity.key,
    dsaEncoding: 'ieee-p1363',
  });
  return `${input}.${base64url(signature)}`;
}

/** Intersects what was asked with what the caller may do (spec: a subset is not an error). */
function grant(options: TokenServerOptions, account: string | undefined, scopes: string[]) {
  const allowed = account ? ['pull', 'push'] : options.anonymousPull ? ['pull'] : [];
  return scopes
    .map(parseScope)
    .filter((a): a is Access => a?.type === 'repository')
    .map((a) => ({ ...a, actions: a.actions.filter((x) => allowed.includes(x)) }));
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) {
    body += (chunk as Buffer).toString('utf8');
    if (body.length > MAX_BODY_BYTES) throw new Error('token request body too large');
  }
  return body;
}

/** The user named by Basic credentials: undefined when none were sent, null when they are wrong. */
function basicUser(header: string | undefined, users: Record<string, string>) {
  if (!header) return undefined;
  const m = /^Basic\s+(\S+)$/i.exec(header);
  const decoded = m?.[1] ? Buffer.from(m[1], 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  const user = decoded.slice(0, colon);
  return colon > 0 && users[user] === decoded.slice(colon + 1) ? user : null;
}

interface ParsedTokenRequest {
  service?: string;
  scopes: string[];
  grantType?: string;
  /** Undefined: anonymous; null: credentials given and wrong. */
  account: string | undefined | null;
}

async function parseRequest(
  req: IncomingMessage,
  options: TokenServerOptions,
): Promise<ParsedTokenRequest> {
  const url = new URL(req.url ?? '/', 'http://token.invalid');
  if (req.method !== 'POST') {
    return {
      service: url.searchParams.get('service') ?? undefined,
      scopes: url.searchParams.getAll('scope'),
      account: basicUser(req.headers.authorization, options.users),
    };
  }
  const form = new URLSearchParams(await readBody(req));
  const grantType = form.get('grant_type') ?? undefined;
  const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
  const service = form.get('service') ?? undefined;
  if (grantType === 'refresh_token') {
    const user = options.identityTokens?.[form.get('refresh_token') ?? ''];
    return { service, scopes, grantType, account: user ?? null };
  }
  const username = form.get('username') ?? '';
  const ok = grantType === 'password' && options.users[username] === form.get('password');
  return { service, scopes, grantType, account: ok ? username : null };
}

function answer(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const requests: TokenRequestRecord[] = [];
  const issue = (account: string | undefined, scopes: string[]) =>
    signJwt(options, account, grant(options, account, scopes));

  const server = createServer((req, res) => {
    parseRequest(req, options).then(
      (parsed) => {
        const status = parsed.account === null ? 401 : 200;
        requests.push({
          method: req.method ?? '',
          service: parsed.service,
          scopes: parsed.scopes,
          account: parsed.account ?? undefined,
          sentAuthorization: req.headers.authorization !== undefined,
          grantType: parsed.grantType,
          status,
        });
        if (parsed.account === null) {
          answer(res, 401, { details: 'incorrect username or password' });
          return;
        }
        const token = issue(parsed.account, parsed.scopes);
        answer(res, 200, {
          token,
          access_token: token,
          expires_in: options.expiresIn ?? 300,
          issued_at: new Date().toISOString(),
          scope: parsed.scopes.join(' '),
        });
      },
      () => {
        answer(res, 400, { details: 'bad request' });
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    requests,
    issue,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
