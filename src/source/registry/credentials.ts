/**
 * Registry credentials: Docker's config.json (and the legacy `.dockercfg` / Codeship `dockercfg`
 * format), Docker credential helpers, command-line flags and environment variables.
 * Secrets never appear in messages.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DrydockError } from '../../model/errors.js';
import type { CredentialStore, Credentials } from '../../model/source.js';
import { DOCKER_HUB, canonicalRegistryHost } from '../../reference/reference.js';
import { printable } from '../../util/text.js';

/** The server address Docker stores Docker Hub credentials under. */
const DOCKER_HUB_SERVER = 'https://index.docker.io/v1/';
/** The credential-helper protocol's answer when it has nothing for a server. */
const HELPER_NOT_FOUND = 'credentials not found in native keychain';
/** A helper may need to unlock a keychain; past this it is stuck. */
const DEFAULT_HELPER_TIMEOUT_MS = 30_000;
/** Credentials are a few hundred bytes; anything near this is not a helper's answer. */
const MAX_HELPER_OUTPUT = 1024 * 1024;
/** How much of a failing helper's output a message quotes. */
const MAX_QUOTED_OUTPUT = 200;
/** Helper names become part of a command name: no paths. */
const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

type Env = Record<string, string | undefined>;

export interface DockerConfigOptions {
  /** Fail when the file does not exist (for a file the user named); default: no credentials. */
  required?: boolean;
  helperTimeoutMs?: number;
}

/** `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function defaultDockerConfigPath(env: Env = process.env): string {
  const dir = env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker');
  return join(dir, 'config.json');
}

/**
 * Credentials from a Docker config file, read on first use. As Docker does, a registry's
 * `credHelpers` entry wins, then `credsStore`, then the inline `auths` entry. An empty
 * `credsStore` means no store; an empty `credHelpers` entry means that host's inline `auths`.
 */
export function dockerConfigStore(
  file: string,
  options: DockerConfigOptions = {},
): CredentialStore {
  const timeoutMs = options.helperTimeoutMs ?? DEFAULT_HELPER_TIMEOUT_MS;
  let config: Promise<DockerConfig> | undefined;
  const found = new Map<string, Promise<Credentials | undefined>>();
  return {
    lookup(registry) {
      const host = canonicalRegistryHost(registry);
      let credentials = found.get(host);
      if (!credentials) {
        config ??= readDockerConfig(file, options.required ?? false);
        credentials = config.then((c) => credentialsFrom(c, host, timeoutMs));
        found.set(host, credentials);
      }
      return credentials;
    },
  };
}

/** Credentials from `--username/--password`, for one registry only. */
export function staticStore(registry: string, credentials: Credentials): CredentialStore {
  const host = canonicalRegistryHost(registry);
  return {
    lookup: (asked) =>
      Promise.resolve(canonicalRegistryHost(asked) === host ? credentials : undefined),
  };
}

/**
 * `DRYDOCK_REGISTRY_USERNAME` / `DRYDOCK_REGISTRY_PASSWORD`, for the registry named by
 * `DRYDOCK_REGISTRY_HOST`, else for `targetRegistry` (the registry of the image being pulled).
 */
export function envStore(env: Env, targetRegistry: string): CredentialStore {
  const username = env.DRYDOCK_REGISTRY_USERNAME || undefined;
  const password = env.DRYDOCK_REGISTRY_PASSWORD || undefined;
  if (username === undefined && password === undefined) return chainStores();
  if (username === undefined || password === undefined) {
    const [set, unset] = username
      ? ['DRYDOCK_REGISTRY_USERNAME', 'DRYDOCK_REGISTRY_PASSWORD']
      : ['DRYDOCK_REGISTRY_PASSWORD', 'DRYDOCK_REGISTRY_USERNAME'];
    throw new DrydockError(
      'config-error',
      `${set} is set but ${unset} is not; set both or neither`,
    );
  }
  const host = env.DRYDOCK_REGISTRY_HOST || targetRegistry;
  return staticStore(host, { kind: 'basic', username, password });
}

/** Asks each store in turn; the first with credentials for the host wins. */
export function chainStores(...stores: CredentialStore[]): CredentialStore {
  return {
    async lookup(registry) {
      for (const store of stores) {
        const credentials = await store.lookup(registry);
        if (credentials) return credentials;
      }
      return undefined;
    },
  };
}

// ---- Docker's config file ------------------------------------------------------------------

interface DockerConfig {
  file: string;
  /** Inline credentials by canonical host; the first key naming a host wins. */
  auths: Map<string, Credentials | undefined>;
  /** Helper names by canonical host; '' means the inline auths, not credsStore. */
  credHelpers: Map<string, string>;
  credsStore?: string;
}

/** Keys of a config.json that make it the current format rather than the legacy one. */
const CURRENT_FORMAT_KEYS = ['auths', 'credHelpers', 'credsStore'];
const AUTH_ENTRY_FIELDS = ['auth', 'username', 'password', 'identitytoken'];

async function readDockerConfig(file: string, required: boolean): Promise<DockerConfig> {
  const empty: DockerConfig = { file, auths: new Map(), credHelpers: new Map() };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return empty;
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(e)})`;
    throw new DrydockError('config-error', `Docker config file ${file} ${why}`, { cause: e });
  }
  const document = objectAt(parseJson(text, file), file, 'the top level');
  const current = CURRENT_FORMAT_KEYS.some((key) => key in document);
  // The legacy format (.dockercfg, Codeship's dockercfg) keeps the `auths` map at the top level.
  const auths = current ? objectAt(document.auths ?? {}, file, 'auths') : legacyAuths(document);
  return {
    file,
    auths: parseAuths(auths, file, current ? 'auths' : ''),
    credHelpers: parseCredHelpers(objectAt(document.credHelpers ?? {}, file, 'credHelpers'), file),
    // Docker writes `"credsStore": ""` for no store at all.
    ...(document.credsStore !== undefined &&
      document.credsStore !== '' && {
        credsStore: helperName(document.credsStore, file, 'credsStore'),
      }),
  };
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    // Newer V8 messages quote the text, which may hold a password: keep only the position.
    const position = /position \d+/.exec(String(e))?.[0];
    throw new DrydockError(
      'config-error',
      `Docker config file ${file} is not valid JSON${position ? ` (at ${position})` : ''}`,
    );
  }
}

function configError(file: string, where: string, problem: string): DrydockError {
  return new DrydockError('config-error', `Docker config file ${file}: ${where} ${problem}`);
}

function objectAt(value: unknown, file: string, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw configError(file, where, 'must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/** Top-level entries that look like credentials; other keys of the file are not hosts. */
function legacyAuths(document: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(document).filter(
      ([, value]) =>
        typeof value === 'object' &&
        value !== null &&
        AUTH_ENTRY_FIELDS.some((field) => field in value),
    ),
  );
}

/** `https://index.docker.io/v1/`, `http://host:5000/v2/`, `Host:5000` → canonical host. */
function hostOfServerKey(key: string): string {
  const withoutScheme = key.replace(/^https?:\/\//i, '');
  return canonicalRegistryHost(withoutScheme.split('/')[0] ?? '');
}

function parseAuths(
  auths: Record<string, unknown>,
  file: string,
  parent: string,
): Map<string, Credentials | undefined> {
  const byHost = new Map<string, Credentials | undefined>();
  for (const [key, entry] of Object.entries(auths)) {
    const where = parent ? `${parent}.${JSON.stringify(key)}` : JSON.stringify(key);
    const host = hostOfServerKey(key);
    const credentials = decodeAuthEntry(objectAt(entry, file, where), file, where);
    if (!byHost.has(host)) byHost.set(host, credentials);
  }
  return byHost;
}

function stringField(
  entry: Record<string, unknown>,
  field: string,
  file: string,
  where: string,
): string | undefined {
  const value = entry[field];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw configError(file, `${where}.${field}`, 'must be a string');
  return value;
}

/** An `auths` entry: `auth` (base64 `user:password`) wins over `username`/`password`. */
function decodeAuthEntry(
  entry: Record<string, unknown>,
  file: string,
  where: string,
): Credentials | undefined {
  const auth = stringField(entry, 'auth', file, where);
  const decoded = auth === undefined ? undefined : decodeBasicAuth(auth, file, where);
  const username = decoded?.username ?? stringField(entry, 'username', file, where);
  const password = decoded?.password ?? stringField(entry, 'password', file, where);
  const token = stringField(entry, 'identitytoken', file, where);
  if (token !== undefined) {
    return { kind: 'identity-token', token, ...(username !== undefined && { username }) };
  }
  if (username === undefined || password === undefined) return undefined;
  return { kind: 'basic', username, password };
}

function decodeBasicAuth(
  auth: string,
  file: string,
  where: string,
): { username: string; password: string } {
  const text = /^[A-Za-z0-9+/]+={0,2}$/.test(auth.trim())
    ? Buffer.from(auth.trim(), 'base64').toString('utf8')
    : '';
  const colon = text.indexOf(':');
  if (colon <= 0) {
    throw configError(file, `${where}.auth`, 'is not the base64 encoding of "user:password"');
  }
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

function parseCredHelpers(helpers: Record<string, unknown>, file: string): Map<string, string> {
  const byHost = new Map<string, string>();
  for (const [key, name] of Object.entries(helpers)) {
    const helper = name === '' ? '' : helperName(name, file, `credHelpers.${JSON.stringify(key)}`);
    const host = hostOfServerKey(key);
    if (!byHost.has(host)) byHost.set(host, helper);
  }
  return byHost;
}

function helperName(value: unknown, file: string, where: string): string {
  if (typeof value !== 'string' || !HELPER_NAME.test(value)) {
    throw configError(file, where, 'must name a credential helper (docker-credential-<name>)');
  }
  return value;
}

async function credentialsFrom(
  config: DockerConfig,
  host: string,
  timeoutMs: number,
): Promise<Credentials | undefined> {
  const helper = helperFor(config, host);
  return helper ? askHelper(helper, host, timeoutMs) : config.auths.get(host);
}

function helperFor(config: DockerConfig, host: string): Helper | undefined {
  const perHost = config.credHelpers.get(host);
  // An empty entry opts the host out of credsStore: its inline auths apply.
  if (perHost === '') return undefined;
  if (perHost !== undefined) return { name: perHost, setting: 'credHelpers', file: config.file };
  if (config.credsStore === undefined) return undefined;
  return { name: config.credsStore, setting: 'credsStore', file: config.file };
}

// ---- Credential helpers ---------------------------------------------------------------------

interface Helper {
  name: string;
  /** Where the config names it, for messages. */
  setting: 'credHelpers' | 'credsStore';
  file: string;
}

/** Runs `docker-credential-<name> get` with the server address on stdin, as Docker does. */
async function askHelper(
  helper: Helper,
  host: string,
  timeoutMs: number,
): Promise<Credentials | undefined> {
  const serverUrl = host === DOCKER_HUB ? DOCKER_HUB_SERVER : host;
  const command = `docker-credential-${helper.name}`;
  const fail = (why: string, cause?: unknown): DrydockError =>
    new DrydockError(
      'unauthorized',
      `credential helper ${command} (${helper.setting} in ${helper.file}) ${why} for ${host}; ` +
        `check it with: echo ${serverUrl} | ${command} get`,
      { cause },
    );
  const result = await runHelper(command, serverUrl, timeoutMs);
  if (result.error) {
    // The protocol's not-found answer is on stdout; stdout may otherwise hold a secret.
    if (result.stdout.trim() === HELPER_NOT_FOUND) return undefined;
    throw fail(describeHelperFailure(result.error, result.stderr, timeoutMs));
  }
  return parseHelperReply(result.stdout, fail);
}

interface HelperResult {
  stdout: string;
  stderr: string;
  error: (Error & { code?: unknown; killed?: boolean }) | null;
}

function runHelper(command: string, serverUrl: string, timeoutMs: number): Promise<HelperResult> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      ['get'],
      { timeout: timeoutMs, maxBuffer: MAX_HELPER_OUTPUT, encoding: 'utf8' },
      (error, stdout, stderr) => {
        resolve({ stdout, stderr, error });
      },
    );
    // A helper that exits without reading stdin breaks the pipe; its exit status tells the story.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(serverUrl);
  });
}

function describeHelperFailure(
  error: NonNullable<HelperResult['error']>,
  stderr: string,
  timeoutMs: number,
): string {
  if (error.code === 'ENOENT') return 'is not installed (not found on PATH)';
  if (error.killed) return `did not answer within ${timeoutMs} ms`;
  if (error.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') return 'answered too much';
  // Only stderr is quoted (stdout is where secrets go), and made safe for a terminal.
  const quoted = printable(stderr.trim(), MAX_QUOTED_OUTPUT);
  return `failed (${quoted || `exit status ${String(error.code)}`})`;
}

/** `{"Username": "...", "Secret": "..."}`; the username `<token>` marks an identity token. */
function parseHelperReply(
  stdout: string,
  fail: (why: string) => DrydockError,
): Credentials | undefined {
  let reply: unknown;
  try {
    reply = JSON.parse(stdout);
  } catch {
    // The output may hold a secret: say only that it was unreadable.
    throw fail('answered with something other than JSON');
  }
  const { Username: username, Secret: secret } = (reply ?? {}) as Record<string, unknown>;
  if (typeof username !== 'string' || typeof secret !== 'string') {
    throw fail('answered without a Username and Secret');
  }
  if (secret === '') return undefined;
  if (username === '<token>') return { kind: 'identity-token', token: secret };
  return { kind: 'basic', username, password: secret };
}
