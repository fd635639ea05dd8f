/**
 * The user's drydock config file (YAML): cache directory, per-registry connection settings
 * and mirrors, the limits on untrusted input, secret scanning and the files kept for policies. Validated strictly, so a typo is an error
 * rather than a setting silently ignored.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { BlockList, isIP } from 'node:net';
import { retainedPathProblem } from '../catalog/retained-files.js';
import {
  BUILTIN_SECRET_PATTERN_NAMES,
  secretPatternProblem,
  type SecretScanOptions,
} from '../catalog/secrets.js';
import { DrydockError } from '../model/errors.js';
import type { ImageReference } from '../model/image.js';
import { DEFAULT_LIMITS, type Limits } from '../model/limits.js';
import type { RegistryConnection } from '../model/source.js';
import { canonicalRegistryHost, parseRegistryHost } from '../reference/reference.js';

/** One registry's settings in the config file: how to reach it, and the mirror to pull through. */
export interface RegistrySettings extends RegistryConnection {
  /**
   * Pull this registry's images from another host: `docker.io` → `127.0.0.1:5000`. Applied
   * once, by rewriting the reference (applyMirror); the mirror then gets its own connection.
   */
  mirror?: string;
}

export interface DrydockConfig {
  /** The file the settings came from; undefined when none was found and defaults apply. */
  file?: string;
  cacheDir: string;
  /** Settings per registry, keyed by canonical host (see canonicalRegistryHost). */
  registries: ReadonlyMap<string, RegistrySettings>;
  /** Registry hosts (`host[:port]`) and CIDR ranges reached over plain HTTP. */
  insecureRegistries: string[];
  limits: Limits;
  /** Secret scanning: extra patterns, disabled built-ins, the file size limit. */
  secrets?: SecretScanOptions;
  /** Files whose content is kept for policy checks; undefined keeps the defaults. */
  retainedFiles?: string[];
}

/** Settings given on the command line; they win over the config file. */
export interface ConnectionOverrides {
  insecureRegistries?: string[];
  skipTlsVerify?: boolean;
  caFile?: string;
}

type Env = Record<string, string | undefined>;

/**
 * Reads the config from `path`, else `$DRYDOCK_CONFIG`, else the XDG config file if it exists;
 * with none of these, returns the defaults.
 */
export async function loadConfig(path?: string, env: Env = process.env): Promise<DrydockConfig> {
  const named = path ?? nonEmpty(env.DRYDOCK_CONFIG);
  const file = resolve(named ?? defaultConfigPath(env));
  const text = await readConfigText(file, named !== undefined);
  if (text === undefined) return { ...defaults(env), registries: new Map() };
  return parseConfig(text, file, env);
}

/**
 * How to reach `registryHost`. Plain HTTP when the command line or the config says so, or —
 * as Docker does — for a loopback registry, unless its settings say `insecure: false`.
 */
export function connectionFor(
  config: DrydockConfig,
  registryHost: string,
  overrides: ConnectionOverrides = {},
): RegistryConnection {
  const host = canonicalRegistryHost(registryHost);
  const settings = config.registries.get(host) ?? {};
  const insecure =
    matchesInsecureList(host, overrides.insecureRegistries ?? []) ||
    (settings.insecure ??
      (matchesInsecureList(host, config.insecureRegistries) || isLoopbackRegistry(host)));
  const connection: RegistryConnection = {
    insecure,
    skipTlsVerify: overrides.skipTlsVerify ?? settings.skipTlsVerify ?? false,
  };
  const caFile = overrides.caFile ?? settings.caFile;
  if (caFile !== undefined) connection.caFile = caFile;
  return connection;
}

/** Points a reference at the mirror the config names for its registry, if any. */
export function applyMirror(
  config: DrydockConfig,
  ref: ImageReference,
): { pullFrom: ImageReference } {
  const mirror = config.registries.get(canonicalRegistryHost(ref.registry))?.mirror;
  return { pullFrom: mirror === undefined ? ref : { ...ref, registry: mirror } };
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** `localhost`, `127.0.0.0/8` or `[::1]`, with any port. */
export function isLoopbackRegistry(host: string): boolean {
  const hostname = parseRegistryHost(host)?.hostname.toLowerCase();
  if (hostname === undefined) return false;
  return hostname === 'localhost' || inBlockList(LOOPBACK, hostname);
}

function inBlockList(list: BlockList, hostname: string): boolean {
  const address = hostname.replace(/^\[(.*)\]$/, '$1');
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** Entries are hosts (matched with their port, as Docker does) or CIDR ranges. */
function matchesInsecureList(host: string, entries: readonly string[]): boolean {
  const ranges = new BlockList();
  for (const entry of entries) {
    const cidr = parseCidr(entry);
    if (cidr) ranges.addSubnet(cidr.address, cidr.prefix, cidr.family);
    else if (canonicalRegistryHost(entry) === host) return true;
  }
  const hostname = parseRegistryHost(host)?.hostname;
  return hostname !== undefined && inBlockList(ranges, hostname);
}

function parseCidr(
  text: string,
): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(text);
  const address = match?.[1] ?? '';
  const prefix = Number(match?.[2]);
  const family = isIP(address);
  if (family === 0 || prefix > (family === 4 ? 32 : 128)) return undefined;
  return { address, prefix, family: family === 4 ? 'ipv4' : 'ipv6' };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}

function home(env: Env): string {
  return nonEmpty(env.HOME) ?? homedir();
}

function defaultConfigPath(env: Env): string {
  const base = nonEmpty(env.XDG_CONFIG_HOME) ?? join(home(env), '.config');
  return join(base, 'drydock', 'config.yaml');
}

function defaults(env: Env): Omit<DrydockConfig, 'registries'> {
  const cacheBase = nonEmpty(env.XDG_CACHE_HOME) ?? join(home(env), '.cache');
  return {
    cacheDir: nonEmpty(env.DRYDOCK_CACHE_DIR) ?? join(cacheBase, 'drydock'),
    insecureRegistries: [],
    limits: { ...DEFAULT_LIMITS },
  };
}

/** The file's text; undefined when an unnamed (default) file does not exist. */
async function readConfigText(file: string, named: boolean): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !named) return undefined;
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(e)})`;
    throw new DrydockError('config-error', `config file ${file} ${why}`, { cause: e });
  }
}

// ---- Validation ---------------------------------------------------------------------------

const TOP_LEVEL_KEYS = [
  'cacheDir',
  'registries',
  'insecureRegistries',
  'limits',
  'secrets',
  'retainedFiles',
];
const SECRETS_KEYS = ['patterns', 'disabledPatterns', 'maxFileBytes'];
/** Bounds on what a config may ask for: each pattern runs over every scanned file. */
const MAX_SECRET_PATTERNS = 100;
const MAX_SECRET_FILE_BYTES = 64 * 1024 * 1024;
const MAX_RETAINED_PATHS = 100;
const REGISTRY_KEYS = ['mirror', 'insecure', 'skipTlsVerify', 'caFile'];
/** Limits that may be fractional; all others count bytes or items. */
const FRACTIONAL_LIMITS = new Set<keyof Limits>(['maxCompressionRatio']);

/** Reports problems as `config file F: key.path problem`. */
class ConfigChecker {
  constructor(readonly file: string) {}

  fail(path: string, problem: string): DrydockError {
    return new DrydockError('config-error', `config file ${this.file}: ${path} ${problem}`);
  }

  /** A mapping's entries; null (an empty YAML value) is an empty mapping. */
  mapping(value: unknown, path: string, allowedKeys?: string[]): [string, unknown][] {
    if (value === null || value === undefined) return [];
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw this.fail(path, `must be a mapping, got ${describe(value)}`);
    }
    const entries = Object.entries(value);
    for (const [key] of entries) {
      if (allowedKeys && !allowedKeys.includes(key)) {
        throw this.fail(
          keyPath(path, key),
          `is not a known key (known: ${allowedKeys.join(', ')})`,
        );
      }
    }
    return entries;
  }

  list(value: unknown, path: string): unknown[] {
    if (value === null) return [];
    if (!Array.isArray(value)) throw this.fail(path, `must be a list, got ${describe(value)}`);
    return value;
  }

  string(value: unknown, path: string): string {
    if (typeof value !== 'string' || value === '') {
      throw this.fail(path, `must be a non-empty string, got ${describe(value)}`);
    }
    return value;
  }

  boolean(value: unknown, path: string): boolean {
    if (typeof value !== 'boolean') {
      throw this.fail(path, `must be true or false, got ${describe(value)}`);
    }
    return value;
  }

  registryHost(value: unknown, path: string): string {
    const host = this.string(value, path);
    if (parseRegistryHost(host) === undefined) {
      throw this.fail(path, `must be a registry host[:port] without a scheme, got "${host}"`);
    }
    return canonicalRegistryHost(host);
  }

  /** A path; `~/` is the home directory and relative paths are relative to the config file. */
  path(value: unknown, path: string, env: Env): string {
    const text = this.string(value, path);
    if (text === '~' || text.startsWith('~/')) return join(home(env), text.slice(1));
    return isAbsolute(text) ? text : resolve(dirname(this.file), text);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** `registries."docker.io".mirror`: keys that are not plain identifiers are quoted. */
function keyPath(parent: string, key: string): string {
  const part = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : JSON.stringify(key);
  return parent === '' ? part : `${parent}.${part}`;
}

async function parseConfig(text: string, file: string, env: Env): Promise<DrydockConfig> {
  const check = new ConfigChecker(file);
  const document = await parseYamlText(text, file);
  const config: DrydockConfig = { file, ...defaults(env), registries: new Map() };
  for (const [key, value] of check.mapping(document, '', TOP_LEVEL_KEYS)) {
    if (value === null) continue;
    if (key === 'cacheDir') config.cacheDir = check.path(value, key, env);
    if (key === 'registries') config.registries = parseRegistries(check, value, env);
    if (key === 'insecureRegistries') config.insecureRegistries = parseInsecure(check, value);
    if (key === 'limits') config.limits = parseLimits(check, value);
    if (key === 'secrets') config.secrets = parseSecrets(check, value);
    if (key === 'retainedFiles') config.retainedFiles = parseRetainedFiles(check, value);
  }
  return config;
}

/** The YAML parser loads only when there is a config file: most runs have none. */
async function parseYamlText(text: string, file: string): Promise<unknown> {
  const { parse } = await import('yaml');
  try {
    return parse(text);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new DrydockError('config-error', `config file ${file} is not valid YAML: ${why}`, {
      cause: e,
    });
  }
}

function parseRegistries(
  check: ConfigChecker,
  value: unknown,
  env: Env,
): Map<string, RegistrySettings> {
  const registries = new Map<string, RegistrySettings>();
  for (const [host, settings] of check.mapping(value, 'registries')) {
    const path = keyPath('registries', host);
    const key = check.registryHost(host, path);
    if (registries.has(key)) throw check.fail(path, `names the same registry as another entry`);
    registries.set(key, parseRegistrySettings(check, settings, path, env));
  }
  return registries;
}

function parseRegistrySettings(
  check: ConfigChecker,
  value: unknown,
  path: string,
  env: Env,
): RegistrySettings {
  const settings: RegistrySettings = {};
  for (const [key, field] of check.mapping(value, path, REGISTRY_KEYS)) {
    const fieldPath = keyPath(path, key);
    if (key === 'mirror') settings.mirror = check.registryHost(field, fieldPath);
    if (key === 'insecure') settings.insecure = check.boolean(field, fieldPath);
    if (key === 'skipTlsVerify') settings.skipTlsVerify = check.boolean(field, fieldPath);
    if (key === 'caFile') settings.caFile = check.path(field, fieldPath, env);
  }
  return settings;
}

function parseInsecure(check: ConfigChecker, value: unknown): string[] {
  return check.list(value, 'insecureRegistries').map((entry, index) => {
    const path = `insecureRegistries[${index}]`;
    const text = check.string(entry, path);
    if (parseCidr(text)) return text;
    return check.registryHost(text, path);
  });
}

function parseLimits(check: ConfigChecker, value: unknown): Limits {
  const limits = { ...DEFAULT_LIMITS };
  for (const [key, field] of check.mapping(value, 'limits', Object.keys(DEFAULT_LIMITS))) {
    const name = key as keyof Limits;
    const path = keyPath('limits', key);
    const whole = !FRACTIONAL_LIMITS.has(name);
    if (typeof field !== 'number' || !Number.isFinite(field) || field < 0) {
      throw check.fail(path, `must be a number of zero or more, got ${describe(field)}`);
    }
    if (whole && !Number.isSafeInteger(field)) {
      throw check.fail(path, `must be a whole number, got ${describe(field)}`);
    }
    limits[name] = field;
  }
  return limits;
}

function parseSecrets(check: ConfigChecker, value: unknown): SecretScanOptions {
  const secrets: SecretScanOptions = {};
  for (const [key, field] of check.mapping(value, 'secrets', SECRETS_KEYS)) {
    const path = keyPath('secrets', key);
    if (field === null) continue;
    if (key === 'patterns') secrets.patterns = parseSecretPatterns(check, field, path);
    if (key === 'disabledPatterns') secrets.disabledPatterns = parseDisabled(check, field, path);
    if (key === 'maxFileBytes') secrets.maxFileBytes = parseMaxFileBytes(check, field, path);
  }
  return secrets;
}

function parseDisabled(check: ConfigChecker, value: unknown, path: string): string[] {
  return check.list(value, path).map((entry, index) => {
    const name = check.string(entry, `${path}[${index}]`);
    if (!BUILTIN_SECRET_PATTERN_NAMES.includes(name)) {
      throw check.fail(
        `${path}[${index}]`,
        `names no built-in pattern (built-in: ${BUILTIN_SECRET_PATTERN_NAMES.join(', ')})`,
      );
    }
    return name;
  });
}

function parseMaxFileBytes(check: ConfigChecker, value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw check.fail(path, `must be a whole number of bytes, got ${describe(value)}`);
  }
  if (value > MAX_SECRET_FILE_BYTES) {
    throw check.fail(path, `must be at most ${MAX_SECRET_FILE_BYTES} (64 MiB), got ${value}`);
  }
  return value;
}

function parseSecretPatterns(
  check: ConfigChecker,
  value: unknown,
  path: string,
): Record<string, string> {
  const entries = check.mapping(value, path);
  if (entries.length > MAX_SECRET_PATTERNS) {
    throw check.fail(path, `has ${entries.length} patterns; at most ${MAX_SECRET_PATTERNS}`);
  }
  const patterns: Record<string, string> = {};
  for (const [name, source] of entries) {
    const patternPath = keyPath(path, name);
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(name)) {
      throw check.fail(patternPath, 'must be named with lowercase letters, digits and -');
    }
    if (BUILTIN_SECRET_PATTERN_NAMES.includes(name)) {
      throw check.fail(patternPath, 'is the name of a built-in pattern; choose another name');
    }
    const regex = check.string(source, patternPath);
    const problem = secretPatternProblem(regex);
    if (problem !== undefined) throw check.fail(patternPath, problem);
    patterns[name] = regex;
  }
  return patterns;
}

function parseRetainedFiles(check: ConfigChecker, value: unknown): string[] {
  const paths = check.list(value, 'retainedFiles');
  if (paths.length > MAX_RETAINED_PATHS) {
    throw check.fail('retainedFiles', `has ${paths.length} paths; at most ${MAX_RETAINED_PATHS}`);
  }
  return paths.map((entry, index) => {
    const path = `retainedFiles[${index}]`;
    const text = check.string(entry, path);
    const problem = retainedPathProblem(text);
    if (problem !== undefined) throw check.fail(path, `${problem}, got "${text}"`);
    return text;
  });
}
