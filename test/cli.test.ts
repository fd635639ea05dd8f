/**
 * The built command line end to end: `node bin/drydock.js …` against images the tests build, in
 * OCI layouts and plain directories. Checks stdout (JSON and tables), stderr (progress, one-line
 * errors) and exit codes.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileEntry, ImageMetadata } from '../src/model/index.js';
import { ensureBuilt, runCli, type CliRun } from './harness/cli.js';
import { buildImage, buildIndex, writeOciLayout } from './harness/image-builder.js';
import { startRegistry, TEST_USERS, type TestRegistry } from './harness/registry.js';

let work: string;
let layout: string;

const drydock = (args: string[], options: { stdin?: string } = {}): Promise<CliRun> =>
  runCli(args, work, options.stdin);

const IMAGE = buildImage({
  layers: [
    {
      entries: [
        { path: 'bin/', type: 'dir' },
        { path: 'bin/busybox', mode: 0o755, content: 'busybox binary' },
        { path: 'bin/sh', type: 'symlink', linkTarget: 'busybox' },
        { path: 'bin/su', mode: 0o4755, content: 'setuid root' },
        { path: 'etc/', type: 'dir' },
        { path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\n' },
        { path: 'etc/secret', content: 'deleted in the next layer' },
      ],
    },
    {
      entries: [
        { path: 'etc/.wh.secret', content: '' },
        { path: 'app/', type: 'dir', uid: 1000, gid: 1000 },
        { path: 'app/run', mode: 0o755, uid: 1000, gid: 1000, content: '#!/bin/sh\necho hi\n' },
      ],
    },
  ],
  config: { User: 'app', Cmd: ['/app/run'], ExposedPorts: { '8080/tcp': {} } },
  history: [
    { created_by: '/bin/sh -c #(nop) ADD file:0123abcd in / ' },
    { created_by: '/bin/sh -c #(nop)  CMD ["sh"]', empty_layer: true },
    { created_by: 'COPY app /app # buildkit', comment: 'buildkit.dockerfile.v0' },
  ],
});

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'drydock-cli-'));
  layout = join(work, 'layout');
  await writeOciLayout(layout, IMAGE, 'v1');
  await ensureBuilt();
}, 120_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('drydock inspect', () => {
  it('prints the image metadata as JSON on stdout and layer progress on stderr', async () => {
    const cache = join(work, 'cache-inspect');
    const result = await drydock([
      'inspect',
      `oci-dir:${layout}:v1`,
      '-o',
      'json',
      '--cache-dir',
      cache,
    ]);
    expect(result.code).toBe(0);
    const metadata = JSON.parse(result.stdout) as ImageMetadata;
    expect(metadata).toMatchObject({
      source: `oci-dir:${layout}:v1`,
      manifestDigest: IMAGE.manifestDigest,
      imageId: IMAGE.configDigest,
      os: 'linux',
      architecture: 'amd64',
      layerCount: 2,
      config: { User: 'app', Cmd: ['/app/run'] },
      dockerfile: { origin: 'reconstructed' },
    });
    expect(metadata.layers.map((l) => l.createdBy)).toEqual([
      'ADD file:0123abcd /',
      'COPY app /app',
    ]);
    expect(metadata.dockerfile.text).toBe(
      'FROM scratch\nADD file:0123abcd /\nCMD ["sh"]\nCOPY app /app\n',
    );
    expect(result.stderr.trim().split('\n').sort()).toEqual([
      expect.stringMatching(/^layer 1\/2 sha256:[0-9a-f]{12}… \d+ B \(read\)$/),
      expect.stringMatching(/^layer 2\/2 sha256:[0-9a-f]{12}… \d+ B \(read\)$/),
    ]);
  });

  it('prints a human report', async () => {
    const result = await drydock(['inspect', `oci-dir:${layout}:v1`, '-q', '--no-cache']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(new RegExp(`^Digest: +${IMAGE.manifestDigest}$`, 'm'));
    expect(result.stdout).toMatch(/^Platform: +linux\/amd64$/m);
    expect(result.stdout).toContain('COPY app /app');
    expect(result.stdout).toMatch(/^Exposed ports: +8080\/tcp$/m);
    expect(result.stdout).toContain('DOCKERFILE (reconstructed from history)\nFROM scratch\n');
  });

  it('shows a supplied Dockerfile instead of the rebuilt one', async () => {
    const dockerfile = join(work, 'Dockerfile');
    await writeFile(dockerfile, 'FROM busybox\nCOPY app /app\n');
    const result = await drydock([
      'inspect',
      layout,
      '-q',
      '--no-cache',
      '-o',
      'json',
      '--dockerfile',
      dockerfile,
    ]);
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as ImageMetadata).dockerfile).toEqual({
      text: 'FROM busybox\nCOPY app /app\n',
      origin: 'supplied',
    });
  });

  it('prints an array with --platform all', async () => {
    const arm = buildImage({
      layers: [{ entries: [{ path: 'arm', content: 'arm64' }] }],
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    });
    const multi = join(work, 'multi');
    await writeOciLayout(multi, buildIndex([IMAGE, arm]), 'multi');
    const all = await drydock([
      'inspect',
      `oci-dir:${multi}:multi`,
      '--platform',
      'all',
      '-o',
      'json',
      '--no-cache',
    ]);
    expect(all.code).toBe(0);
    const images = JSON.parse(all.stdout) as ImageMetadata[];
    expect(images.map((m) => `${m.architecture}/${m.variant ?? ''}`)).toEqual([
      'amd64/',
      'arm64/v8',
    ]);
    expect(all.stderr).toContain('linux/arm64/v8 layer 1/1');
    const one = await drydock([
      'inspect',
      `oci-dir:${multi}:multi`,
      '--platform',
      'linux/arm64',
      '-q',
      '-o',
      'json',
      '--no-cache',
    ]);
    expect((JSON.parse(one.stdout) as ImageMetadata).architecture).toBe('arm64');
  });
});

describe('drydock files', () => {
  it('lists the squashed files as JSON: suid bits kept, whiteouts applied', async () => {
    const result = await drydock([
      'files',
      `oci-dir:${layout}:v1`,
      '-o',
      'json',
      '-q',
      '--no-cache',
    ]);
    expect(result.code).toBe(0);
    const files = JSON.parse(result.stdout) as FileEntry[];
    const byPath = new Map(files.map((f) => [f.path, f]));
    expect([...byPath.keys()]).toEqual([
      '/app',
      '/app/run',
      '/bin',
      '/bin/busybox',
      '/bin/sh',
      '/bin/su',
      '/etc',
      '/etc/passwd',
    ]);
    expect(byPath.get('/bin/su')).toMatchObject({ mode: 0o4755, layerIndex: 0, type: 'file' });
    expect(byPath.get('/bin/sh')).toMatchObject({ type: 'symlink', linkTarget: 'busybox' });
    expect(byPath.get('/app/run')).toMatchObject({ uid: 1000, gid: 1000, layerIndex: 1 });
    expect(byPath.get('/etc/passwd')?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('lists them as a table', async () => {
    const result = await drydock(['files', `oci-dir:${layout}:v1`, '-q', '--no-cache']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^MODE +UID:GID +SIZE +LAYER +SHA256 +PATH$/);
    expect(lines).toContainEqual(
      expect.stringMatching(/^-rwsr-xr-x +0:0 +11 +0 +[0-9a-f]{12} +\/bin\/su$/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^lrwxrwxrwx .* \/bin\/sh -> busybox$/));
    expect(result.stdout).not.toContain('/etc/secret');
  });

  it('says the second run read the layers from the cache', async () => {
    const cache = join(work, 'cache-files');
    const first = await drydock(['files', layout, '-o', 'json', '--cache-dir', cache]);
    expect(first.code).toBe(0);
    expect(first.stderr.match(/\(read\)/g)).toHaveLength(2);
    const second = await drydock(['files', layout, '-o', 'json', '--cache-dir', cache]);
    expect(second.code).toBe(0);
    expect(second.stderr.match(/\(cached\)/g)).toHaveLength(2);
    expect(second.stderr).not.toContain('(read)');
    expect(second.stdout).toBe(first.stdout);
  });

  it('lists a root filesystem directory', async () => {
    const rootfs = join(work, 'rootfs');
    await mkdir(join(rootfs, 'usr', 'bin'), { recursive: true });
    await writeFile(join(rootfs, 'usr', 'bin', 'tool'), 'tool');
    const result = await drydock(['files', `dir:${rootfs}`, '-o', 'json', '-q']);
    expect(result.code).toBe(0);
    const files = JSON.parse(result.stdout) as FileEntry[];
    expect(files.find((f) => f.path === '/usr/bin/tool')).toMatchObject({ size: 4, layerIndex: 0 });
  });

  it('adds md5 digests with --md5', async () => {
    const result = await drydock(['files', layout, '-o', 'json', '-q', '--no-cache', '--md5']);
    const files = JSON.parse(result.stdout) as FileEntry[];
    expect(files.find((f) => f.path === '/etc/passwd')?.md5).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('registry sources', () => {
  let registry: TestRegistry;
  const [username = '', password = ''] = Object.entries(TEST_USERS)[0] ?? [];

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'htpasswd' });
    await registry.push('team/app', 'v1', IMAGE);
  });
  afterAll(async () => {
    await registry.stop();
  });

  it('logs in with --username and --password-stdin', async () => {
    const ref = `${registry.host}/team/app:v1`;
    const result = await drydock(
      ['inspect', ref, '-o', 'json', '-q', '--username', username, '--password-stdin'],
      { stdin: `${password}\n` },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      registry: registry.host,
      repository: 'team/app',
      tag: 'v1',
      manifestDigest: IMAGE.manifestDigest,
    });
  });

  it('reads credentials from --registry-auth-file', async () => {
    const authFile = join(work, 'auth.json');
    const auth = Buffer.from(`${username}:${password}`).toString('base64');
    await writeFile(authFile, JSON.stringify({ auths: { [registry.host]: { auth } } }));
    const result = await drydock([
      'files',
      `docker://${registry.host}/team/app:v1`,
      '-o',
      'json',
      '-q',
      '--registry-auth-file',
      authFile,
    ]);
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as FileEntry[]).map((f) => f.path)).toContain('/bin/su');
  });

  it('says so, in one line, when the registry refuses', async () => {
    const result = await drydock(['inspect', `${registry.host}/team/app:v1`, '-q']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^drydock: [^\n]*authentication failed[^\n]*\n$/);
  });

  it('gives up on a silent registry after --timeout seconds', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((listening) => silent.listen(0, '127.0.0.1', listening));
    const { port } = silent.address() as AddressInfo;
    try {
      const result = await drydock([
        'inspect',
        `127.0.0.1:${port}/team/app:v1`,
        '-q',
        '--timeout',
        '1',
      ]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^drydock: [^\n]*timed out[^\n]*\n$/);
    } finally {
      silent.close();
    }
  });
});

describe('errors', () => {
  /** One line, `drydock: …`, no stack trace. */
  function expectOneLineError(result: CliRun, code: number, pattern: RegExp): void {
    expect(result.code).toBe(code);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^drydock: [^\n]*\n$/);
    expect(result.stderr).toMatch(pattern);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }

  it('a path that does not exist', async () => {
    expectOneLineError(
      await drydock(['files', join(work, 'nope.tar')]),
      1,
      /nope\.tar does not exist/,
    );
    expectOneLineError(
      await drydock(['inspect', `oci-dir:${join(work, 'nope')}:v1`]),
      1,
      /does not exist/,
    );
  });

  it('an invalid image reference', async () => {
    expectOneLineError(
      await drydock(['inspect', 'x/UPPER']),
      1,
      /invalid image reference "x\/UPPER"/,
    );
    expectOneLineError(await drydock(['files', 'UPPER']), 1, /invalid image reference "UPPER"/);
  });

  it('a --dockerfile that is not a regular file (never read whole)', async () => {
    expectOneLineError(
      await drydock(['inspect', layout, '-q', '--dockerfile', '/dev/zero']),
      1,
      /--dockerfile \/dev\/zero is not a regular file/,
    );
  });

  it('a tag the layout does not have', async () => {
    expectOneLineError(await drydock(['inspect', `oci-dir:${layout}:v2`, '-q']), 1, /v2/);
  });

  it('a layer whose bytes do not match its digest', async () => {
    const broken = join(work, 'broken');
    await writeOciLayout(broken, IMAGE, 'v1');
    const blob = join(
      broken,
      'blobs',
      'sha256',
      (IMAGE.layerDigests[1] ?? '').slice('sha256:'.length),
    );
    const bytes = await readFile(blob);
    bytes[bytes.length - 10] = (bytes[bytes.length - 10] ?? 0) ^ 0xff;
    await writeFile(blob, bytes);
    expectOneLineError(
      await drydock(['files', broken, '-q', '--no-cache']),
      1,
      /is corrupt|does not match/,
    );
  });

  it('usage errors exit 2', async () => {
    expectOneLineError(
      await drydock(['files', layout, '-o', 'xml']),
      2,
      /argument 'xml' is invalid/,
    );
    expectOneLineError(
      await drydock(['files', layout, '--platform', 'linux']),
      2,
      /invalid platform/,
    );
    expectOneLineError(
      await drydock(['files', layout, '--username', 'u']),
      2,
      /--username needs --password/,
    );
    expectOneLineError(await drydock(['inspect']), 2, /missing required argument 'source'/);
  });

  it('--help lists the shared options', async () => {
    const result = await drydock(['files', '--help']);
    expect(result.code).toBe(0);
    for (const option of [
      '--platform',
      '--password-stdin',
      '--registry-auth-file',
      '--insecure-registry',
      '--no-cache',
      '--md5',
      '--dockerfile',
      '--timeout',
      '--quiet',
    ]) {
      expect(result.stdout).toContain(option);
    }
  });
});
