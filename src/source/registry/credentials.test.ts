import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DrydockError } from '../../model/errors.js';
import type { CredentialStore, Credentials } from '../../model/source.js';
import {
  chainStores,
  defaultDockerConfigPath,
  dockerConfigStore,
  envStore,
  staticStore,
} from './credentials.js';

let dir: string;
let bin: string;
let helperLog: string;
let fileCount = 0;

const b64 = (text: string): string => Buffer.from(text).toString('base64');
const basic = (username: string, password: string): Credentials => ({
  kind: 'basic',
  username,
  password,
});

/**
 * A credential helper speaking Docker's protocol: reads the server URL on stdin, logs it, and
 * answers according to the host.
 */
const TEST_HELPER = `#!/bin/sh
read -r server || true
echo "$server" >> "\${0%/*}/requests.log"
case "$server" in
  https://index.docker.io/v1/) echo '{"ServerURL":"https://index.docker.io/v1/","Username":"hub-user","Secret":"hub:secret"}' ;;
  token.example) echo '{"ServerURL":"token.example","Username":"<token>","Secret":"id-token-1"}' ;;
  missing.example) echo 'credentials not found in native keychain'; exit 1 ;;
  broken.example) echo 'the keychain is locked' >&2; exit 3 ;;
  leaky.example) echo 'stdout-secret-7'; printf 'bad\\033[31m' >&2; exit 2 ;;
  garbage.example) echo 'secret-garbage-42' ;;
  noname.example) echo '{"Secret":"x"}' ;;
  empty.example) echo '{"Username":"","Secret":""}' ;;
  slow.example) exec sleep 10 ;;
  *) echo "{\\"Username\\":\\"user@$server\\",\\"Secret\\":\\"pw\\"}" ;;
esac
`;

const OTHER_HELPER = `#!/bin/sh
read -r server || true
echo "{\\"Username\\":\\"other@$server\\",\\"Secret\\":\\"other-pw\\"}"
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drydock-credentials-'));
  bin = join(dir, 'bin');
  helperLog = join(bin, 'requests.log');
  await mkdir(bin);
  for (const [name, script] of [
    ['docker-credential-test', TEST_HELPER],
    ['docker-credential-other', OTHER_HELPER],
  ] as const) {
    await writeFile(join(bin, name), script);
    await chmod(join(bin, name), 0o755);
  }
  vi.stubEnv('PATH', `${bin}:${process.env.PATH ?? ''}`);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await rm(dir, { recursive: true, force: true });
});

async function configFile(content: unknown): Promise<string> {
  const file = join(dir, `config-${++fileCount}.json`);
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

async function storeFor(content: unknown): Promise<CredentialStore> {
  return dockerConfigStore(await configFile(content), { helperTimeoutMs: 2000 });
}

async function failure(promise: Promise<unknown>): Promise<DrydockError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DrydockError);
  return error as DrydockError;
}

describe('dockerConfigStore: auths', () => {
  it.each<[string, string[]]>([
    ['https://index.docker.io/v1/', ['docker.io', 'index.docker.io', 'registry-1.docker.io']],
    ['index.docker.io', ['docker.io']],
    ['docker.io', ['docker.io', 'Index.Docker.io']],
    ['https://host.example:5000', ['host.example:5000']],
    ['host.example:5000', ['host.example:5000', 'HOST.example:5000']],
    ['http://host.example/v2/', ['host.example']],
    ['127.0.0.1:5000', ['127.0.0.1:5000']],
  ])('key %s serves %j', async (key, hosts) => {
    const store = await storeFor({ auths: { [key]: { auth: b64('u:p') } } });
    for (const host of hosts) expect(await store.lookup(host)).toStrictEqual(basic('u', 'p'));
    expect(await store.lookup('elsewhere.example')).toBeUndefined();
  });

  it('matches the port exactly', async () => {
    const store = await storeFor({ auths: { 'host.example:5000': { auth: b64('u:p') } } });
    expect(await store.lookup('host.example')).toBeUndefined();
    expect(await store.lookup('host.example:5001')).toBeUndefined();
  });

  it.each<[string, Record<string, string>, Credentials | undefined]>([
    ['auth with ":" in the password', { auth: b64('u:pa:ss:') }, basic('u', 'pa:ss:')],
    ['username and password', { username: 'u', password: 'p' }, basic('u', 'p')],
    [
      'auth over username/password',
      { auth: b64('a:b'), username: 'u', password: 'p' },
      basic('a', 'b'),
    ],
    ['identity token', { identitytoken: 'tok' }, { kind: 'identity-token', token: 'tok' }],
    [
      'identity token with the user from auth',
      { auth: b64('u:'), identitytoken: 'tok' },
      { kind: 'identity-token', token: 'tok', username: 'u' },
    ],
    ['an empty entry', {}, undefined],
    ['an empty auth', { auth: '', email: 'e@example.com' }, undefined],
    ['a username alone', { username: 'u' }, undefined],
  ])('decodes %s', async (_name, entry, expected) => {
    const store = await storeFor({ auths: { 'r.example': entry } });
    expect(await store.lookup('r.example')).toStrictEqual(expected);
  });

  it('uses the first key that names a host', async () => {
    const store = await storeFor({
      auths: {
        'https://index.docker.io/v1/': { auth: b64('first:1') },
        'docker.io': { auth: b64('second:2') },
      },
    });
    expect(await store.lookup('docker.io')).toStrictEqual(basic('first', '1'));
  });

  it('reads the legacy .dockercfg format (Codeship dockercfg)', async () => {
    const store = await storeFor({
      'https://index.docker.io/v1/': { auth: b64('legacy:pw'), email: 'a@example.com' },
      'quay.io': { auth: b64('q:pw') },
      psFormat: 'table',
      proxies: { default: { httpProxy: 'x' } },
    });
    expect(await store.lookup('docker.io')).toStrictEqual(basic('legacy', 'pw'));
    expect(await store.lookup('quay.io')).toStrictEqual(basic('q', 'pw'));
    expect(await store.lookup('proxies')).toBeUndefined();
  });

  it('has no credentials when the file is missing, unless it is required', async () => {
    const missing = join(dir, 'missing.json');
    expect(await dockerConfigStore(missing).lookup('docker.io')).toBeUndefined();
    const error = await failure(dockerConfigStore(missing, { required: true }).lookup('docker.io'));
    expect(error.code).toBe('config-error');
    expect(error.message).toBe(`Docker config file ${missing} does not exist`);
  });

  it('reads the file once, on first use', async () => {
    const file = await configFile({
      auths: { 'a.example': { auth: b64('u:p') }, 'b.example': { auth: b64('v:q') } },
    });
    const store = dockerConfigStore(file, { required: true });
    expect(await store.lookup('a.example')).toStrictEqual(basic('u', 'p'));
    await rm(file);
    expect(await store.lookup('b.example')).toStrictEqual(basic('v', 'q'));
  });

  it.each<[string, string, string]>([
    ['{"auths": {"a.example": {"auth": "c2VjcmV0", }}}', 'is not valid JSON (at position', ''],
    ['[1, 2]', 'the top level must be a JSON object', ''],
    ['{"auths": []}', 'auths must be a JSON object', ''],
    ['{"auths": {"a.example": "x"}}', 'auths."a.example" must be a JSON object', ''],
    ['{"auths": {"a.example": {"auth": 5}}}', 'auths."a.example".auth must be a string', ''],
    [
      `{"auths": {"a.example": {"auth": "${b64('secret-without-colon')}"}}}`,
      'auths."a.example".auth is not the base64 encoding of "user:password"',
      'secret-without-colon',
    ],
    [
      '{"auths": {"a.example": {"auth": "not base64 secret!"}}}',
      'is not the base64 encoding',
      'secret!',
    ],
    ['{"credsStore": "../../bin/sh"}', 'credsStore must name a credential helper', ''],
    ['{"credHelpers": {"a.example": 7}}', 'credHelpers."a.example" must name a credential', ''],
    ['{"credHelpers": []}', 'credHelpers must be a JSON object', ''],
  ])('rejects %s', async (content, message, secret) => {
    const file = await configFile(content);
    const error = await failure(dockerConfigStore(file).lookup('a.example'));
    expect(error.code).toBe('config-error');
    expect(error.message).toContain(`Docker config file ${file}`);
    expect(error.message).toContain(message);
    if (secret) expect(error.message).not.toContain(secret);
  });
});

describe('dockerConfigStore: credential helpers', () => {
  it('asks credsStore for Docker Hub with the index URL', async () => {
    const store = await storeFor({
      auths: { 'https://index.docker.io/v1/': {} },
      credsStore: 'test',
    });
    expect(await store.lookup('docker.io')).toStrictEqual(basic('hub-user', 'hub:secret'));
    const log = await readFile(helperLog, 'utf8');
    expect(log.split('\n')).toContain('https://index.docker.io/v1/');
  });

  it('asks with host:port for other registries', async () => {
    const store = await storeFor({ credsStore: 'test' });
    expect(await store.lookup('127.0.0.1:5000')).toStrictEqual(basic('user@127.0.0.1:5000', 'pw'));
  });

  it('reads an identity token from the <token> user', async () => {
    const store = await storeFor({ credsStore: 'test' });
    expect(await store.lookup('token.example')).toStrictEqual({
      kind: 'identity-token',
      token: 'id-token-1',
    });
  });

  it('prefers a per-host helper, then credsStore, over inline auths', async () => {
    const store = await storeFor({
      auths: { 'a.example': { auth: b64('inline:pw') }, 'b.example': { auth: b64('inline:pw') } },
      credHelpers: { 'https://a.example/v1/': 'other' },
      credsStore: 'test',
    });
    expect(await store.lookup('a.example')).toStrictEqual(basic('other@a.example', 'other-pw'));
    expect(await store.lookup('b.example')).toStrictEqual(basic('user@b.example', 'pw'));
  });

  it('uses inline auths for hosts without a helper when there is no credsStore', async () => {
    const store = await storeFor({
      auths: { 'b.example': { auth: b64('inline:pw') } },
      credHelpers: { 'a.example': 'other' },
    });
    expect(await store.lookup('b.example')).toStrictEqual(basic('inline', 'pw'));
  });

  it('treats an empty credsStore as no store (as Docker writes it)', async () => {
    const store = await storeFor({
      auths: { 'a.example': { auth: b64('inline:pw') } },
      credsStore: '',
    });
    expect(await store.lookup('a.example')).toStrictEqual(basic('inline', 'pw'));
  });

  it('uses inline auths, not credsStore, for a host whose credHelpers entry is empty', async () => {
    const store = await storeFor({
      auths: { 'a.example': { auth: b64('inline:pw') } },
      credHelpers: { 'a.example': '', 'b.example': '' },
      credsStore: 'test',
    });
    expect(await store.lookup('a.example')).toStrictEqual(basic('inline', 'pw'));
    expect(await store.lookup('b.example')).toBeUndefined();
    expect(await store.lookup('c.example')).toStrictEqual(basic('user@c.example', 'pw'));
  });

  it.each(['missing.example', 'empty.example'])(
    'has no credentials when the helper says so (%s)',
    async (host) => {
      const store = await storeFor({ credsStore: 'test' });
      expect(await store.lookup(host)).toBeUndefined();
    },
  );

  it('asks the helper once per host', async () => {
    const store = await storeFor({ credsStore: 'test' });
    const before = (await readFile(helperLog, 'utf8')).split('\n');
    await store.lookup('once.example');
    await store.lookup('ONCE.example');
    const after = (await readFile(helperLog, 'utf8')).split('\n');
    expect(after.filter((line) => line === 'once.example')).toHaveLength(
      before.filter((line) => line === 'once.example').length + 1,
    );
  });

  it.each<[string, string, string]>([
    ['broken.example', 'failed (the keychain is locked)', ''],
    // stdout is never quoted; stderr is made printable.
    ['leaky.example', 'failed (bad\\u001b[31m)', 'stdout-secret-7'],
    ['garbage.example', 'answered with something other than JSON', 'secret-garbage-42'],
    ['noname.example', 'answered without a Username and Secret', ''],
    ['slow.example', 'did not answer within 300 ms', ''],
  ])('reports a helper that fails for %s', async (host, reason, secret) => {
    const file = await configFile({ credsStore: 'test' });
    const store = dockerConfigStore(file, { helperTimeoutMs: 300 });
    const error = await failure(store.lookup(host));
    expect(error.code).toBe('unauthorized');
    expect(error.message).toContain(
      `credential helper docker-credential-test (credsStore in ${file})`,
    );
    expect(error.message).toContain(`${reason} for ${host}`);
    if (secret) expect(error.message).not.toContain(secret);
  });

  it('reports a helper that is not installed, naming it and where it is configured', async () => {
    const file = await configFile({ credHelpers: { 'gcr.io': 'absent' } });
    const error = await failure(dockerConfigStore(file).lookup('gcr.io'));
    expect(error.code).toBe('unauthorized');
    expect(error.message).toBe(
      `credential helper docker-credential-absent (credHelpers in ${file}) is not installed ` +
        '(not found on PATH) for gcr.io; check it with: echo gcr.io | docker-credential-absent get',
    );
  });
});

describe('defaultDockerConfigPath', () => {
  it('uses $DOCKER_CONFIG, else ~/.docker', () => {
    expect(defaultDockerConfigPath({ DOCKER_CONFIG: '/cfg', HOME: '/home/u' })).toBe(
      '/cfg/config.json',
    );
    expect(defaultDockerConfigPath({ HOME: '/home/u' })).toBe('/home/u/.docker/config.json');
    expect(defaultDockerConfigPath({ DOCKER_CONFIG: '', HOME: '/home/u' })).toBe(
      '/home/u/.docker/config.json',
    );
  });
});

describe('staticStore, envStore and chainStores', () => {
  it('scopes flag credentials to one registry', async () => {
    const store = staticStore('index.docker.io', basic('u', 'p'));
    expect(await store.lookup('docker.io')).toStrictEqual(basic('u', 'p'));
    expect(await store.lookup('ghcr.io')).toBeUndefined();
  });

  it('applies environment credentials to the target registry unless a host is named', async () => {
    const env = { DRYDOCK_REGISTRY_USERNAME: 'u', DRYDOCK_REGISTRY_PASSWORD: 'p' };
    const target = envStore(env, '127.0.0.1:5000');
    expect(await target.lookup('127.0.0.1:5000')).toStrictEqual(basic('u', 'p'));
    expect(await target.lookup('docker.io')).toBeUndefined();
    const named = envStore({ ...env, DRYDOCK_REGISTRY_HOST: 'ghcr.io' }, '127.0.0.1:5000');
    expect(await named.lookup('ghcr.io')).toStrictEqual(basic('u', 'p'));
    expect(await named.lookup('127.0.0.1:5000')).toBeUndefined();
  });

  it('has no environment credentials when none are set', async () => {
    expect(await envStore({}, 'docker.io').lookup('docker.io')).toBeUndefined();
  });

  it('rejects half-set environment credentials without showing the secret', () => {
    expect(() => envStore({ DRYDOCK_REGISTRY_PASSWORD: 's3cret' }, 'docker.io')).toThrow(
      'DRYDOCK_REGISTRY_PASSWORD is set but DRYDOCK_REGISTRY_USERNAME is not',
    );
    expect(() => envStore({ DRYDOCK_REGISTRY_USERNAME: 'u' }, 'docker.io')).toThrow(
      'DRYDOCK_REGISTRY_USERNAME is set but DRYDOCK_REGISTRY_PASSWORD is not',
    );
  });

  it('takes the first store that has credentials for the host', async () => {
    const file = await configFile({
      auths: { 'a.example': { auth: b64('file:1') }, 'b.example': { auth: b64('file:2') } },
    });
    const chain = chainStores(
      staticStore('a.example', basic('flag', '1')),
      envStore({}, 'a.example'),
      dockerConfigStore(file),
    );
    expect(await chain.lookup('a.example')).toStrictEqual(basic('flag', '1'));
    expect(await chain.lookup('b.example')).toStrictEqual(basic('file', '2'));
    expect(await chain.lookup('c.example')).toBeUndefined();
  });
});
