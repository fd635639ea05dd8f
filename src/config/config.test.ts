import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DrydockError } from '../model/errors.js';
import { DEFAULT_LIMITS } from '../model/limits.js';
import { parseReference } from '../reference/reference.js';
import {
  applyMirror,
  connectionFor,
  isLoopbackRegistry,
  loadConfig,
  type DrydockConfig,
} from './config.js';

let dir: string;
/** An environment that points every default location into the temp dir. */
let env: Record<string, string>;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drydock-config-'));
  env = { HOME: join(dir, 'home') };
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(text: string, name = 'config.yaml'): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

async function configError(text: string): Promise<DrydockError> {
  const file = await writeConfig(text);
  const error: unknown = await loadConfig(file, env).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DrydockError);
  expect((error as DrydockError).code).toBe('config-error');
  expect((error as DrydockError).message).toContain(file);
  return error as DrydockError;
}

const EXAMPLE = `
cacheDir: /var/cache/dd
registries:
  docker.io: { mirror: 127.0.0.1:5000 }
  myreg.example:8443: { caFile: /etc/ssl/my-ca.pem }
  10.0.0.5:5000: { insecure: true }
  other.example: { skipTlsVerify: true }
insecureRegistries: [ "build.internal:5000", "192.168.0.0/16" ]
limits: { maxEntriesPerLayer: 10, maxCompressionRatio: 12.5 }
secrets:
  patterns:
    acme-key: 'acme_live_(?<secret>[a-f0-9]{32})'
  disabledPatterns: [generic-secret]
  maxFileBytes: 2097152
retainedFiles: [/etc/passwd, /app/config/*]
`;

describe('loadConfig', () => {
  it('reads every setting of the documented example', async () => {
    const file = await writeConfig(EXAMPLE);
    const config = await loadConfig(file, env);
    expect(config.file).toBe(file);
    expect(config.cacheDir).toBe('/var/cache/dd');
    expect([...config.registries]).toEqual([
      ['docker.io', { mirror: '127.0.0.1:5000' }],
      ['myreg.example:8443', { caFile: '/etc/ssl/my-ca.pem' }],
      ['10.0.0.5:5000', { insecure: true }],
      ['other.example', { skipTlsVerify: true }],
    ]);
    expect(config.insecureRegistries).toEqual(['build.internal:5000', '192.168.0.0/16']);
    expect(config.limits).toEqual({
      ...DEFAULT_LIMITS,
      maxEntriesPerLayer: 10,
      maxCompressionRatio: 12.5,
    });
    expect(config.secrets).toEqual({
      patterns: { 'acme-key': 'acme_live_(?<secret>[a-f0-9]{32})' },
      disabledPatterns: ['generic-secret'],
      maxFileBytes: 2097152,
    });
    expect(config.retainedFiles).toEqual(['/etc/passwd', '/app/config/*']);
  });

  it('returns the defaults when no file is named and none exists', async () => {
    const config = await loadConfig(undefined, env);
    expect(config).toEqual({
      cacheDir: join(dir, 'home', '.cache', 'drydock'),
      registries: new Map(),
      insecureRegistries: [],
      limits: DEFAULT_LIMITS,
    });
    expect(config.file).toBeUndefined();
  });

  it('takes the cache dir from DRYDOCK_CACHE_DIR, then XDG_CACHE_HOME', async () => {
    const xdg = await loadConfig(undefined, { ...env, XDG_CACHE_HOME: '/xdg' });
    expect(xdg.cacheDir).toBe('/xdg/drydock');
    const own = await loadConfig(undefined, {
      ...env,
      XDG_CACHE_HOME: '/xdg',
      DRYDOCK_CACHE_DIR: '/own',
    });
    expect(own.cacheDir).toBe('/own');
  });

  it('prefers the cacheDir in the file over the environment', async () => {
    const file = await writeConfig('cacheDir: /from-file\n');
    const config = await loadConfig(file, { ...env, DRYDOCK_CACHE_DIR: '/own' });
    expect(config.cacheDir).toBe('/from-file');
  });

  it('resolves relative paths against the config file and ~ against the home directory', async () => {
    const file = await writeConfig(
      'cacheDir: cache\nregistries:\n  a.example: { caFile: ~/ca.pem }\n',
    );
    const config = await loadConfig(file, env);
    expect(config.cacheDir).toBe(join(dir, 'cache'));
    expect(config.registries.get('a.example')?.caFile).toBe(join(dir, 'home', 'ca.pem'));
  });

  it('finds the file through DRYDOCK_CONFIG', async () => {
    const file = await writeConfig('cacheDir: /via-env\n', 'elsewhere.yaml');
    const config = await loadConfig(undefined, { ...env, DRYDOCK_CONFIG: file });
    expect(config.cacheDir).toBe('/via-env');
  });

  it('prefers the path argument over DRYDOCK_CONFIG', async () => {
    const file = await writeConfig('cacheDir: /via-arg\n', 'arg.yaml');
    const other = await writeConfig('cacheDir: /via-env\n', 'env.yaml');
    const config = await loadConfig(file, { ...env, DRYDOCK_CONFIG: other });
    expect(config.cacheDir).toBe('/via-arg');
  });

  it('finds the file under XDG_CONFIG_HOME, else ~/.config', async () => {
    await mkdir(join(dir, 'xdg', 'drydock'), { recursive: true });
    await writeFile(join(dir, 'xdg', 'drydock', 'config.yaml'), 'cacheDir: /xdg-config\n');
    await mkdir(join(dir, 'home', '.config', 'drydock'), { recursive: true });
    await writeFile(join(dir, 'home', '.config', 'drydock', 'config.yaml'), 'cacheDir: /home\n');
    const xdg = await loadConfig(undefined, { ...env, XDG_CONFIG_HOME: join(dir, 'xdg') });
    expect(xdg.cacheDir).toBe('/xdg-config');
    const homeConfig = await loadConfig(undefined, env);
    expect(homeConfig.cacheDir).toBe('/home');
  });

  it('fails when a named file does not exist', async () => {
    const missing = join(dir, 'missing.yaml');
    await expect(loadConfig(missing, env)).rejects.toThrow(`config file ${missing} does not exist`);
    await expect(loadConfig(undefined, { ...env, DRYDOCK_CONFIG: missing })).rejects.toThrow(
      'does not exist',
    );
  });

  it('treats an empty file and empty sections as defaults', async () => {
    const empty = await loadConfig(await writeConfig(''), env);
    expect(empty.limits).toEqual(DEFAULT_LIMITS);
    const sections = await loadConfig(
      await writeConfig('registries:\nlimits:\ninsecureRegistries:\n  \n'),
      env,
    );
    expect(sections.registries.size).toBe(0);
    expect(sections.insecureRegistries).toEqual([]);
  });

  it('normalises registry keys: case, and Docker Hub aliases', async () => {
    const file = await writeConfig(
      'registries:\n  Index.Docker.IO: { mirror: Mirror.Local:5000 }\n',
    );
    const config = await loadConfig(file, env);
    expect([...config.registries]).toEqual([['docker.io', { mirror: 'mirror.local:5000' }]]);
  });

  it.each<[string, string]>([
    ['- a\n- b\n', 'config file .* must be a mapping, got a list'],
    ['cachedir: /x\n', 'cachedir is not a known key \\(known: cacheDir, registries'],
    ['cacheDir: 5\n', 'cacheDir must be a non-empty string, got number 5'],
    ['cacheDir: ""\n', 'cacheDir must be a non-empty string'],
    ['registries: [a]\n', 'registries must be a mapping, got a list'],
    [
      'registries:\n  docker.io: { mirror: 5 }\n',
      'registries."docker.io".mirror must be a non-empty string, got number 5',
    ],
    [
      'registries:\n  docker.io: { mirror: "https://mirror.gcr.io" }\n',
      'registries."docker.io".mirror must be a registry host\\[:port\\] without a scheme',
    ],
    [
      'registries:\n  docker.io: { mirrors: a.b }\n',
      'registries."docker.io".mirrors is not a known key',
    ],
    ['registries:\n  docker.io: 5\n', 'registries."docker.io" must be a mapping'],
    [
      'registries:\n  "https://x.example": {}\n',
      'registries."https://x.example" must be a registry host',
    ],
    [
      'registries:\n  docker.io: {}\n  index.docker.io: {}\n',
      'registries."index.docker.io" names the same registry as another entry',
    ],
    [
      'registries:\n  a.example: { insecure: "yes" }\n',
      'registries."a.example".insecure must be true or false, got string "yes"',
    ],
    [
      'registries:\n  a.example: { skipTlsVerify: 1 }\n',
      'registries."a.example".skipTlsVerify must be true or false',
    ],
    ['registries:\n  a.example: { caFile: [] }\n', 'registries."a.example".caFile must be a'],
    ['insecureRegistries: a.example\n', 'insecureRegistries must be a list, got string'],
    ['insecureRegistries: [ok.example, 7]\n', 'insecureRegistries\\[1\\] must be a non-empty'],
    [
      'insecureRegistries: ["http://a.example"]\n',
      'insecureRegistries\\[0\\] must be a registry host',
    ],
    ['insecureRegistries: ["10.0.0.0/33"]\n', 'insecureRegistries\\[0\\] must be a registry'],
    ['limits: 5\n', 'limits must be a mapping'],
    ['limits: { maxEntries: 5 }\n', 'limits.maxEntries is not a known key'],
    ['limits: { maxEntriesPerLayer: -1 }\n', 'limits.maxEntriesPerLayer must be a number of zero'],
    ['limits: { maxImageBytes: "1G" }\n', 'limits.maxImageBytes must be a number'],
    ['limits: { maxImageBytes: .inf }\n', 'limits.maxImageBytes must be a number'],
    ['limits: { maxSymlinkHops: 1.5 }\n', 'limits.maxSymlinkHops must be a whole number'],
    ['limits: { maxCompressionRatio: -0.5 }\n', 'limits.maxCompressionRatio must be a number'],
    ['secrets: [a]\n', 'secrets must be a mapping'],
    ['secrets: { pattern: {} }\n', 'secrets.pattern is not a known key'],
    ['secrets: { patterns: { Bad_Name: "x+" } }\n', 'secrets.patterns.Bad_Name must be named'],
    [
      'secrets: { patterns: { github-token: "x+" } }\n',
      'secrets.patterns."github-token" is the name of a built-in pattern',
    ],
    ['secrets: { patterns: { mine: "[a-" } }\n', 'secrets.patterns.mine is not a valid regular'],
    ['secrets: { patterns: { mine: "a*" } }\n', 'secrets.patterns.mine matches empty text'],
    ['secrets: { patterns: { mine: 5 } }\n', 'secrets.patterns.mine must be a non-empty string'],
    [
      'secrets: { disabledPatterns: [aws-key] }\n',
      'secrets.disabledPatterns\\[0\\] names no built-in pattern \\(built-in: aws-access-key-id,',
    ],
    ['secrets: { maxFileBytes: 0 }\n', 'secrets.maxFileBytes must be a whole number of bytes'],
    ['secrets: { maxFileBytes: 1e9 }\n', 'secrets.maxFileBytes must be at most 67108864'],
    ['retainedFiles: /etc/passwd\n', 'retainedFiles must be a list'],
    ['retainedFiles: [etc/passwd]\n', 'retainedFiles\\[0\\] must be an absolute path'],
    ['retainedFiles: [/etc/*.conf]\n', 'retainedFiles\\[0\\] may use \\* only as a whole'],
    ['retainedFiles: [/etc/../x]\n', 'retainedFiles\\[0\\] must be normalised \\(/x\\)'],
    ['cacheDir: [unclosed\n', 'is not valid YAML'],
    ['cacheDir: /a\ncacheDir: /b\n', 'is not valid YAML: Map keys must be unique at line 2'],
  ])('rejects %j', async (text, message) => {
    const error = await configError(text);
    expect(error.message).toMatch(new RegExp(message));
  });
});

function configWith(partial: Partial<DrydockConfig>): DrydockConfig {
  return {
    cacheDir: '/cache',
    registries: new Map(),
    insecureRegistries: [],
    limits: DEFAULT_LIMITS,
    ...partial,
  };
}

describe('isLoopbackRegistry', () => {
  it.each([
    ['localhost', true],
    ['localhost:5000', true],
    ['LocalHost:5000', true],
    ['127.0.0.1', true],
    ['127.0.0.1:5000', true],
    ['127.255.3.4:80', true],
    ['[::1]', true],
    ['[::1]:5000', true],
    ['[0:0:0:0:0:0:0:1]:5000', true],
    ['128.0.0.1:5000', false],
    ['10.0.0.1', false],
    ['[::2]:5000', false],
    ['localhost.example:5000', false],
    ['127.0.0.1.example', false],
    ['docker.io', false],
    ['not a host', false],
  ])('%s → %s', (host, expected) => {
    expect(isLoopbackRegistry(host)).toBe(expected);
  });
});

describe('connectionFor', () => {
  const config = configWith({
    registries: new Map([
      ['docker.io', { mirror: '127.0.0.1:5000' }],
      ['myreg.example:8443', { caFile: '/etc/ssl/my-ca.pem' }],
      ['10.0.0.5:5000', { insecure: true }],
      ['other.example', { skipTlsVerify: true }],
      ['localhost:6000', { insecure: false }],
    ]),
    insecureRegistries: ['build.internal:5000', '192.168.0.0/16', 'fd00::/8'],
  });

  it.each([
    // A mirror is not part of the connection: applyMirror rewrites the reference instead.
    ['docker.io', { insecure: false, skipTlsVerify: false }],
    ['index.docker.io', { insecure: false, skipTlsVerify: false }],
    ['myreg.example:8443', { insecure: false, skipTlsVerify: false, caFile: '/etc/ssl/my-ca.pem' }],
    ['MyReg.Example:8443', { insecure: false, skipTlsVerify: false, caFile: '/etc/ssl/my-ca.pem' }],
    ['myreg.example', { insecure: false, skipTlsVerify: false }],
    ['10.0.0.5:5000', { insecure: true, skipTlsVerify: false }],
    ['other.example', { insecure: false, skipTlsVerify: true }],
    ['build.internal:5000', { insecure: true, skipTlsVerify: false }],
    // Docker matches a listed host with its port.
    ['build.internal:5001', { insecure: false, skipTlsVerify: false }],
    ['192.168.4.4:5000', { insecure: true, skipTlsVerify: false }],
    ['192.169.0.1:5000', { insecure: false, skipTlsVerify: false }],
    ['[fd12::1]:5000', { insecure: true, skipTlsVerify: false }],
    ['127.0.0.1:5000', { insecure: true, skipTlsVerify: false }],
    ['localhost:5000', { insecure: true, skipTlsVerify: false }],
    // An explicit `insecure: false` wins over the loopback default (a TLS registry on loopback).
    ['localhost:6000', { insecure: false, skipTlsVerify: false }],
  ])('%s', (host, expected) => {
    expect(connectionFor(config, host)).toStrictEqual(expected);
  });

  it('lets command-line settings win over the config', () => {
    expect(
      connectionFor(config, 'myreg.example:8443', {
        insecureRegistries: ['myreg.example:8443'],
        skipTlsVerify: true,
        caFile: '/cli-ca.pem',
      }),
    ).toStrictEqual({ insecure: true, skipTlsVerify: true, caFile: '/cli-ca.pem' });
    expect(
      connectionFor(config, 'localhost:6000', {
        insecureRegistries: ['127.0.0.0/8', 'localhost:6000'],
      }),
    ).toMatchObject({ insecure: true });
    expect(connectionFor(config, 'other.example', { skipTlsVerify: false })).toMatchObject({
      skipTlsVerify: false,
    });
  });
});

describe('applyMirror', () => {
  const config = configWith({
    registries: new Map([['docker.io', { mirror: '127.0.0.1:5000' }]]),
  });

  it('rewrites only the registry of a mirrored reference', () => {
    const ref = parseReference('alpine:3.19@sha256:' + 'a'.repeat(64));
    expect(applyMirror(config, ref)).toStrictEqual({
      pullFrom: { ...ref, registry: '127.0.0.1:5000' },
    });
  });

  it('leaves other registries alone', () => {
    const ref = parseReference('ghcr.io/a/b:1');
    expect(applyMirror(config, ref)).toStrictEqual({ pullFrom: ref });
  });

  it('finds the mirror through a Docker Hub alias', () => {
    const ref = parseReference('registry-1.docker.io/library/alpine');
    expect(applyMirror(config, ref).pullFrom.registry).toBe('127.0.0.1:5000');
  });

  it('works end to end with a loaded config: the mirror is reached over plain HTTP', async () => {
    const loaded = await loadConfig(await writeConfig(EXAMPLE), env);
    const { pullFrom } = applyMirror(loaded, parseReference('alpine'));
    expect(connectionFor(loaded, pullFrom.registry).insecure).toBe(true);
  });
});
