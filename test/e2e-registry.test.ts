/**
 * The first milestone end to end: images built here, pushed to the real registry (no auth,
 * htpasswd, token), read back by the built CLI (`node bin/drydock.js files|inspect`). Checks the
 * squashed file tree, the metadata, platform selection, auth failures, damaged layers, hostile
 * symlinks and the layer cache, through stdout, stderr, exit codes and the cache directory.
 */
import { createHash } from 'node:crypto';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Descriptor, FileEntry, ImageMetadata } from '../src/model/index.js';
import { digestOf, parseDigest } from '../src/source/digest.js';
import { ensureBuilt, runCli, type CliRun } from './harness/cli.js';
import { buildImage, buildIndex, MEDIA_TYPES, type BuiltImage } from './harness/image-builder.js';
import { seededRandom } from './harness/random.js';
import { startRegistry, TEST_USERS, type TestRegistry } from './harness/registry.js';
import { tarBuffer, type TarEntry } from './harness/tar-writer.js';

const [USERNAME = '', PASSWORD = ''] = Object.entries(TEST_USERS)[0] ?? [];

let work: string;

const drydock = (args: string[]): Promise<CliRun> => runCli(args, work);

function sha256(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

function filesOf(result: CliRun): FileEntry[] {
  expect(result.stderr).not.toMatch(/^drydock: (?!warning)/m);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as FileEntry[];
}

/** Exit 1, one line `drydock: …` on stderr, no stack trace. */
function expectOneLineError(result: CliRun, pattern: RegExp): void {
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(/^drydock: [^\n]*\n$/);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr).not.toMatch(/^ {4}at /m);
}

/** Whether the layer cache in `cacheDir` holds any entry for `digest` (see LayerCache.key). */
async function hasCacheEntry(cacheDir: string, digest: string): Promise<boolean> {
  const { algorithm, hex } = parseDigest(digest);
  return access(join(cacheDir, 'layers', algorithm, hex)).then(
    () => true,
    () => false,
  );
}

/**
 * `image` with layer `index` stored as `blob`, manifest rewritten to match. The config's
 * diff_id stays that of the original tar: these blobs are meant to fail while being read.
 */
function withLayerBlob(image: BuiltImage, index: number, blob: Buffer): BuiltImage {
  const [top] = image.manifests;
  const oldDigest = image.layerDigests[index];
  if (!top || image.manifests.length !== 1 || oldDigest === undefined) {
    throw new Error('withLayerBlob takes a single-manifest image and an existing layer');
  }
  const manifest = JSON.parse(top.bytes.toString()) as { layers: Descriptor[] };
  const digest = digestOf(blob);
  manifest.layers = manifest.layers.map((layer, i) =>
    i === index ? { ...layer, digest, size: blob.length } : layer,
  );
  const bytes = Buffer.from(JSON.stringify(manifest));
  const blobs = new Map(image.blobs);
  blobs.delete(oldDigest);
  blobs.set(digest, blob);
  return {
    ...image,
    blobs,
    manifests: [{ ...top, digest: digestOf(bytes), bytes }],
    manifestDigest: digestOf(bytes),
    layerDigests: image.layerDigests.map((d, i) => (i === index ? digest : d)),
  };
}

function blobPath(registry: TestRegistry, digest: string): string {
  const { hex } = parseDigest(digest);
  return join(
    registry.dataDir,
    'docker',
    'registry',
    'v2',
    'blobs',
    'sha256',
    hex.slice(0, 2),
    hex,
    'data',
  );
}

/** Incompressible bytes, reproducible from the seed. */
function noise(bytes: number, seed: number): Buffer {
  const next = seededRandom(seed);
  return Buffer.from(Array.from({ length: bytes }, () => next(256)));
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'drydock-e2e-'));
  await ensureBuilt();
}, 120_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('a four-layer image behind htpasswd auth', () => {
  const CONTENT = {
    su: 'setuid root\n',
    wall: 'setgid tty\n',
    osRelease: 'ID=drydock\nVERSION_ID=1\n',
    tool: 'tool binary\n',
    profile: 'export PS1=app\n',
    configV1: '{"version":1}\n',
    configV2: '{"version":2}\n',
    afterOpaque: 'written after the opaque marker\n',
    evil: 'tried to escape the root\n',
  };
  const IMAGE = buildImage({
    layers: [
      {
        compression: 'gzip',
        entries: [
          { path: 'app/', type: 'dir' },
          { path: 'app/config.json', content: CONTENT.configV1 },
          { path: 'bin/', type: 'dir' },
          { path: 'bin/su', mode: 0o4755, content: CONTENT.su },
          { path: 'etc/', type: 'dir' },
          { path: 'etc/os-release', type: 'symlink', linkTarget: '../usr/lib/os-release' },
          { path: 'etc/system-release', type: 'symlink', linkTarget: 'os-release' },
          { path: 'etc/secret', mode: 0o600, content: 'deleted by layer 2' },
          { path: 'opt/', type: 'dir' },
          { path: 'opt/data/', type: 'dir' },
          { path: 'opt/data/old.txt', content: 'hidden by the opaque directory' },
          { path: 'opt/data/sub/', type: 'dir' },
          { path: 'opt/data/sub/deep.txt', content: 'hidden too' },
          { path: 'tmp/', type: 'dir', mode: 0o1777 },
          { path: 'usr/', type: 'dir' },
          { path: 'usr/bin/', type: 'dir' },
          { path: 'usr/bin/wall', mode: 0o2755, gid: 5, gname: 'tty', content: CONTENT.wall },
          { path: 'usr/lib/', type: 'dir' },
          { path: 'usr/lib/os-release', content: CONTENT.osRelease },
        ],
      },
      {
        compression: 'zstd',
        entries: [
          { path: 'home/', type: 'dir' },
          { path: 'home/app/', type: 'dir', mode: 0o750, uid: 1000, gid: 1000 },
          { path: 'home/app/.profile', uid: 1000, gid: 1000, content: CONTENT.profile },
          { path: 'usr/bin/tool', mode: 0o755, content: CONTENT.tool },
          { path: 'usr/bin/tool-link', type: 'hardlink', mode: 0o755, linkTarget: 'usr/bin/tool' },
        ],
      },
      {
        compression: 'gzip',
        entries: [
          { path: 'app/config.json', mode: 0o640, uid: 1000, content: CONTENT.configV2 },
          { path: 'etc/.wh.secret' },
          { path: 'opt/data/', type: 'dir' },
          { path: 'opt/data/.wh..wh..opq' },
          { path: 'opt/data/new.txt', content: CONTENT.afterOpaque },
        ],
      },
      { compression: 'none', entries: [{ path: '../../etc/evil', content: CONTENT.evil }] },
    ],
    config: {
      User: '1000:1000',
      Env: ['PATH=/usr/bin:/bin', 'APP_MODE=production'],
      ExposedPorts: { '8080/tcp': {}, '9090/udp': {} },
    },
  });
  /** What `files` must list, in its order (sorted by path). */
  const EXPECTED: Pick<
    FileEntry,
    'path' | 'type' | 'mode' | 'uid' | 'gid' | 'layerIndex' | 'linkTarget'
  >[] = [
    { path: '/app', type: 'dir', mode: 0o755, uid: 0, gid: 0, layerIndex: 0 },
    { path: '/app/config.json', type: 'file', mode: 0o640, uid: 1000, gid: 0, layerIndex: 2 },
    { path: '/bin', type: 'dir', mode: 0o755, uid: 0, gid: 0, layerIndex: 0 },
    { path: '/bin/su', type: 'file', mode: 0o4755, uid: 0, gid: 0, layerIndex: 0 },
    { path: '/etc', type: 'dir', mode: 0o755, uid: 0, gid: 0, layerIndex: 0 },
    { path: '/etc/evil', type: 'file', mode: 0o644, uid: 0, gid: 0, layerIndex: 3 },
    {
      path: '/etc/os-release',
      type: 'symlink',
      mode: 0o777,
      uid: 0,
      gid: 0,
      layerIndex: 0,
      linkTarget: '../usr/lib/os-release',
    },
    {
      path: '/etc/system-release',
      type: 'symlink',
      mode: 0o777,
      uid: 0,
      gid: 0,
      layerIndex: 0,
      linkTarget: 'os-release',
    },
    { path: '/home', type: 'dir', mode: 0o755, uid: 0, gid: 0, layerIndex: 1 },
    { path: '/home/app', type: 'dir', mode: 0o750, uid: 1000, gid: 1000, layerIndex: 1 },
    { path: '/home/app/.profile', type: 'file', mode: 0o644, uid: 1000, gid: 1000, layerIndex: 1 },
    { path: '/opt', type: 'dir', mode: 0o755, uid: 0, gid: 0, layerIndex: 0 },
    { path: '/opt/data', type: 'dir', mode: 0o755, uid: 0, gid: 0, layerIndex: 2 },
    { path: '/opt/data/new.txt', type: 'file', mode: 0o644, uid: 0, gid: 0, layerIndex: 2 },
    { path: '/tmp', type: 'dir', mode: 0o1777, uid: 0, gid: 0, layerIndex: 0 },
    { path: '/usr', type: 'dir', mode: 0o755, uid: 0, gid: 0, layerIndex: 0 },
    { path: '/usr/bin', type: 'dir', mode: 0o755, uid: 0, gid: 0, layerIndex: 0 },
    { path: '/usr/bin/tool', type: 'file', mode: 0o755, uid: 0, gid: 0, layerIndex: 1 },
    {
      path: '/usr/bin/tool-link',
      type: 'hardlink',
      mode: 0o755,
      uid: 0,
      gid: 0,
      layerIndex: 1,
      linkTarget: '/usr/bin/tool',
    },
    { path: '/usr/bin/wall', type: 'file', mode: 0o2755, uid: 0, gid: 5, layerIndex: 0 },
    { path: '/usr/lib', type: 'dir', mode: 0o755, uid: 0, gid: 0, layerIndex: 0 },
    { path: '/usr/lib/os-release', type: 'file', mode: 0o644, uid: 0, gid: 0, layerIndex: 0 },
  ];

  let registry: TestRegistry;
  let pushedDigest: string;
  let ref: string;
  const login = ['--username', USERNAME, '--password', PASSWORD];

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'htpasswd' });
    pushedDigest = await registry.push('e2e/app', '1', IMAGE);
    ref = `${registry.host}/e2e/app:1`;
  });
  afterAll(async () => {
    await registry.stop();
  });

  it('files: the squashed tree with modes, owners, digests and layers', async () => {
    const result = await drydock(['files', ref, '-o', 'json', '-q', '--no-cache', ...login]);
    const files = filesOf(result);
    expect(
      files.map(({ path, type, mode, uid, gid, layerIndex, linkTarget }) => ({
        path,
        type,
        mode,
        uid,
        gid,
        layerIndex,
        linkTarget,
      })),
    ).toEqual(EXPECTED);
    for (const file of files) expect(file.layerDigest).toBe(IMAGE.layerDigests[file.layerIndex]);
    const digestAt = (path: string) => files.find((f) => f.path === path)?.sha256;
    expect(digestAt('/bin/su')).toBe(sha256(CONTENT.su));
    expect(digestAt('/usr/bin/wall')).toBe(sha256(CONTENT.wall));
    expect(digestAt('/usr/lib/os-release')).toBe(sha256(CONTENT.osRelease));
    expect(digestAt('/app/config.json')).toBe(sha256(CONTENT.configV2));
    expect(digestAt('/opt/data/new.txt')).toBe(sha256(CONTENT.afterOpaque));
    expect(digestAt('/etc/evil')).toBe(sha256(CONTENT.evil));
    expect(digestAt('/usr/bin/tool')).toBe(sha256(CONTENT.tool));
    expect(digestAt('/usr/bin/tool-link')).toBe(sha256(CONTENT.tool));
    expect(result.stderr).toMatch(
      /^drydock: warning: [^\n]*layer 3 [^\n]*"\.\.\/\.\.\/etc\/evil" climbs above the root[^\n]*read as \/etc\/evil$/m,
    );
  });

  it('inspect: digests, media types and config as pushed', async () => {
    const result = await drydock(['inspect', ref, '-o', 'json', '-q', '--no-cache', ...login]);
    expect(result.code).toBe(0);
    const metadata = JSON.parse(result.stdout) as ImageMetadata;
    expect(pushedDigest).toBe(IMAGE.manifestDigest);
    expect(metadata).toMatchObject({
      registry: registry.host,
      repository: 'e2e/app',
      tag: '1',
      manifestDigest: pushedDigest,
      imageId: IMAGE.configDigest,
      os: 'linux',
      architecture: 'amd64',
      layerCount: 4,
      config: {
        User: '1000:1000',
        Env: ['PATH=/usr/bin:/bin', 'APP_MODE=production'],
        ExposedPorts: { '8080/tcp': {}, '9090/udp': {} },
      },
    });
    const { layer } = MEDIA_TYPES.oci;
    expect(metadata.layers.map((l) => [l.digest, l.mediaType])).toEqual([
      [IMAGE.layerDigests[0], layer.gzip],
      [IMAGE.layerDigests[1], layer.zstd],
      [IMAGE.layerDigests[2], layer.gzip],
      [IMAGE.layerDigests[3], layer.none],
    ]);
  });
});

describe('a two-platform index in a registry without auth', () => {
  const AMD64 = buildImage({
    layers: [{ entries: [{ path: 'only-on-amd64', content: 'x86' }] }],
  });
  const ARM64 = buildImage({
    layers: [{ entries: [{ path: 'only-on-arm64', content: 'arm' }] }],
    platform: { os: 'linux', architecture: 'arm64' },
  });
  const INDEX = buildIndex([AMD64, ARM64]);
  let registry: TestRegistry;
  let ref: string;

  beforeAll(async () => {
    registry = await startRegistry();
    await registry.push('e2e/multi', 'latest', INDEX);
    ref = `${registry.host}/e2e/multi:latest`;
  });
  afterAll(async () => {
    await registry.stop();
  });

  const pathsFor = async (platform: string[]) =>
    filesOf(await drydock(['files', ref, '-o', 'json', '-q', '--no-cache', ...platform])).map(
      (f) => f.path,
    );

  it('picks linux/amd64 by default and linux/arm64 when asked', async () => {
    expect(await pathsFor([])).toEqual(['/only-on-amd64']);
    expect(await pathsFor(['--platform', 'linux/arm64'])).toEqual(['/only-on-arm64']);
  });

  it('--platform all lists every image of the index', async () => {
    const result = await drydock([
      'files',
      ref,
      '-o',
      'json',
      '-q',
      '--no-cache',
      '--platform',
      'all',
    ]);
    expect(result.code).toBe(0);
    const images = JSON.parse(result.stdout) as {
      platform: string;
      manifestDigest: string;
      files: FileEntry[];
    }[];
    expect(images.map((i) => [i.platform, i.manifestDigest, i.files.map((f) => f.path)])).toEqual([
      ['linux/amd64', AMD64.manifestDigest, ['/only-on-amd64']],
      ['linux/arm64', ARM64.manifestDigest, ['/only-on-arm64']],
    ]);
  });

  it('names the offered platforms when none matches', async () => {
    const result = await drydock(['files', ref, '-q', '--no-cache', '--platform', 'linux/s390x']);
    expectOneLineError(result, /linux\/s390x[^\n]*linux\/amd64, linux\/arm64/);
  });

  it('inspect records the index digest', async () => {
    const result = await drydock(['inspect', ref, '-o', 'json', '-q', '--no-cache']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      indexDigest: INDEX.manifestDigest,
      manifestDigest: AMD64.manifestDigest,
    });
  });
});

describe('a registry with token auth', () => {
  const IMAGE = buildImage({ layers: [{ entries: [{ path: 'token-only', content: 'secret' }] }] });
  let registry: TestRegistry;
  let ref: string;

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'token' });
    await registry.push('e2e/private', '1', IMAGE);
    ref = `${registry.host}/e2e/private:1`;
  });
  afterAll(async () => {
    await registry.stop();
  });

  it('pulls with credentials', async () => {
    const login = ['--username', USERNAME, '--password', PASSWORD];
    const result = await drydock(['files', ref, '-o', 'json', '-q', '--no-cache', ...login]);
    expect(filesOf(result).map((f) => f.path)).toEqual(['/token-only']);
  });

  it('fails in one line naming the registry without them', async () => {
    const result = await drydock(['files', ref, '-o', 'json', '-q', '--no-cache']);
    expectOneLineError(result, new RegExp(`registry ${registry.host.replace(/\./g, '\\.')}\\b`));
  });
});

describe('damaged layers in the registry', () => {
  const BASE: TarEntry = { path: 'base', content: 'a healthy base layer' };
  let registry: TestRegistry;

  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry.stop();
  });

  /** Runs `files` with a fresh cache; expects the one-line error naming `digest`, no cache entry. */
  async function expectLayerRefused(ref: string, digest: string, extra: string[] = []) {
    const cacheDir = await mkdtemp(join(work, 'cache-'));
    const result = await drydock(['files', ref, '-q', '--cache-dir', cacheDir, ...extra]);
    expectOneLineError(result, new RegExp(digest));
    expect(await hasCacheEntry(cacheDir, digest)).toBe(false);
    return result;
  }

  it('a truncated gzip layer', async () => {
    const entries: TarEntry[] = [{ path: 'data.bin', content: noise(64 * 1024, 7) }];
    const gzip = gzipSync(tarBuffer(entries));
    const truncated = gzip.subarray(0, gzip.length - 100);
    const built = buildImage({ layers: [{ entries: [BASE] }, { entries }] });
    const image = withLayerBlob(built, 1, truncated);
    await registry.push('e2e/truncated', '1', image);
    const bad = image.layerDigests[1] ?? '';
    const result = await expectLayerRefused(`${registry.host}/e2e/truncated:1`, bad);
    expect(result.stderr).toMatch(/is corrupt/);
  });

  it('a decompression bomb', async () => {
    const config = join(work, 'small-ratio.yaml');
    await writeFile(config, 'limits:\n  maxCompressionRatio: 10\n  ratioGraceBytes: 1048576\n');
    const image = buildImage({
      layers: [
        { entries: [BASE] },
        { entries: [{ path: 'zeros', content: Buffer.alloc(20 * 1024 * 1024) }] },
      ],
    });
    await registry.push('e2e/bomb', '1', image);
    const bad = image.layerDigests[1] ?? '';
    const result = await expectLayerRefused(`${registry.host}/e2e/bomb:1`, bad, [
      '--config',
      config,
    ]);
    expect(result.stderr).toMatch(/limits\.maxCompressionRatio/);
  });

  it('a blob tampered with in the registry storage', async () => {
    const content = 'this layer is changed on disk after the push';
    const image = buildImage({
      layers: [{ entries: [BASE] }, { compression: 'none', entries: [{ path: 'f', content }] }],
    });
    await registry.push('e2e/tampered', '1', image);
    const bad = image.layerDigests[1] ?? '';
    // A byte of file content, past the 512-byte header: the tar still parses, only the digest
    // can tell.
    const stored = blobPath(registry, bad);
    const bytes = await readFile(stored);
    bytes[520] = (bytes[520] ?? 0) ^ 0xff;
    await writeFile(stored, bytes);
    const result = await expectLayerRefused(`${registry.host}/e2e/tampered:1`, bad);
    expect(result.stderr).toMatch(/does not match/);
  });
});

describe('hostile symlinks', () => {
  const IMAGE = buildImage({
    layers: [
      {
        entries: [
          { path: 'a', type: 'symlink', linkTarget: '/b' },
          { path: 'b', type: 'symlink', linkTarget: '/a' },
          { path: 'shadow', type: 'symlink', linkTarget: '/../../../etc/shadow' },
        ],
      },
    ],
  });
  let registry: TestRegistry;

  beforeAll(async () => {
    registry = await startRegistry();
    await registry.push('e2e/links', '1', IMAGE);
  });
  afterAll(async () => {
    await registry.stop();
  });

  it('lists a loop and an escaping link as written, without following them', async () => {
    const ref = `${registry.host}/e2e/links:1`;
    const files = filesOf(await drydock(['files', ref, '-o', 'json', '-q', '--no-cache']));
    expect(files.map((f) => [f.path, f.type, f.linkTarget])).toEqual([
      ['/a', 'symlink', '/b'],
      ['/b', 'symlink', '/a'],
      ['/shadow', 'symlink', '/../../../etc/shadow'],
    ]);
  });
});

describe('the layer cache across images on the same base', () => {
  const BASE_LAYERS = [0, 1, 2].map((i) => ({
    entries: [{ path: `base-${i}`, content: `base layer ${i}` }],
  }));
  const IMAGE_A = buildImage({ layers: BASE_LAYERS });
  const IMAGE_B = buildImage({
    layers: [...BASE_LAYERS, { entries: [{ path: 'app', content: 'only in B' }] }],
  });
  let registry: TestRegistry;

  beforeAll(async () => {
    registry = await startRegistry();
    await registry.push('e2e/a', '1', IMAGE_A);
    await registry.push('e2e/b', '1', IMAGE_B);
  });
  afterAll(async () => {
    await registry.stop();
  });

  /** `layer N/M sha256:0123456789ab… 1.2 kB (cached)` → short digest and outcome, by N. */
  function progressOf(stderr: string): Map<number, [string, string]> {
    const lines = stderr.trimEnd().split('\n');
    const pattern = /^layer (\d+)\/\d+ (sha256:[0-9a-f]{12})… .* \((cached|read)\)$/;
    const progress = new Map<number, [string, string]>();
    for (const line of lines) {
      const [, n = '', digest = '', outcome = ''] = pattern.exec(line) ?? [];
      expect(n, `progress line: ${line}`).not.toBe('');
      progress.set(Number(n), [digest, outcome]);
    }
    return progress;
  }

  const short = (digest: string | undefined) => (digest ?? '').slice(0, 'sha256:'.length + 12);

  it('reads only the new layer of the second image', async () => {
    expect(IMAGE_B.layerDigests.slice(0, 3)).toEqual(IMAGE_A.layerDigests);
    const cacheDir = await mkdtemp(join(work, 'cache-'));
    const files = (repo: string) =>
      drydock(['files', `${registry.host}/${repo}:1`, '-o', 'json', '--cache-dir', cacheDir]);
    const first = await files('e2e/a');
    expect(first.code).toBe(0);
    expect(progressOf(first.stderr)).toEqual(
      new Map(IMAGE_A.layerDigests.map((d, i) => [i + 1, [short(d), 'read']])),
    );
    const second = await files('e2e/b');
    expect(second.code).toBe(0);
    expect(progressOf(second.stderr)).toEqual(
      new Map(IMAGE_B.layerDigests.map((d, i) => [i + 1, [short(d), i < 3 ? 'cached' : 'read']])),
    );
    // Proves hasCacheEntry reads the real layout, so the damaged-layer checks can fail.
    expect(await hasCacheEntry(cacheDir, IMAGE_B.layerDigests[3] ?? '')).toBe(true);
    expect((JSON.parse(second.stdout) as FileEntry[]).map((f) => f.path)).toEqual([
      '/app',
      '/base-0',
      '/base-1',
      '/base-2',
    ]);
  });
});
