import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildImage, skopeoCopy, writeOciLayout } from '../../test/harness/image-builder.js';
import { startRegistry, TEST_USERS, type TestRegistry } from '../../test/harness/registry.js';
import { tarBuffer } from '../../test/harness/tar-writer.js';
import type { DrydockConfig } from '../config/config.js';
import { DEFAULT_LIMITS } from '../model/index.js';
import { TarIndex } from '../source/archive/tar-index.js';
import { digestOf } from '../source/digest.js';
import { openSource, parseSourceSpec, type PathKind, type SourceOptions } from './open-source.js';

/** A described file system: path → kind. */
function paths(entries: Record<string, 'file' | 'dir'>): PathKind {
  return (path) => entries[path];
}

describe('parseSourceSpec', () => {
  const fs = paths({
    '/img/layout': 'dir',
    '/img/layout/oci-layout': 'file',
    '/img/with:colon': 'dir',
    '/img/save.tar': 'file',
    '/img/rootfs': 'dir',
    alpine: 'dir',
  });

  it.each([
    ['alpine:3.19', { kind: 'registry', reference: 'alpine:3.19' }],
    [
      'localhost:5000/team/app@sha256:abc',
      { kind: 'registry', reference: 'localhost:5000/team/app@sha256:abc' },
    ],
    ['registry:alpine', { kind: 'registry', reference: 'alpine' }],
    ['docker://ghcr.io/org/app:1', { kind: 'registry', reference: 'ghcr.io/org/app:1' }],
    ['oci-dir:/img/layout', { kind: 'oci-dir', path: '/img/layout' }],
    ['oci:/img/layout:v1', { kind: 'oci-dir', path: '/img/layout', selector: 'v1' }],
    ['oci-dir:/img/with:colon', { kind: 'oci-dir', path: '/img/with:colon' }],
    ['oci-dir:/img/with:colon:v2', { kind: 'oci-dir', path: '/img/with:colon', selector: 'v2' }],
    ['docker-archive:/img/save.tar', { kind: 'docker-archive', path: '/img/save.tar' }],
    [
      'docker-archive:/img/save.tar:repo/app:1.0',
      { kind: 'docker-archive', path: '/img/save.tar', selector: 'repo/app:1.0' },
    ],
    [
      'docker-archive:/img/save.tar:@1',
      { kind: 'docker-archive', path: '/img/save.tar', selector: '@1' },
    ],
    [
      'oci-archive:/img/save.tar:v1',
      { kind: 'oci-archive', path: '/img/save.tar', selector: 'v1' },
    ],
    ['dir:/img/rootfs', { kind: 'dir', path: '/img/rootfs' }],
    // Bare paths that exist are detected.
    ['/img/layout', { kind: 'oci-dir', path: '/img/layout' }],
    ['/img/rootfs', { kind: 'dir', path: '/img/rootfs' }],
    ['/img/save.tar', { kind: 'archive-file', path: '/img/save.tar' }],
    // An existing directory wins over the reference of the same name.
    ['alpine', { kind: 'dir', path: 'alpine' }],
    ['registry:alpine', { kind: 'registry', reference: 'alpine' }],
  ])('%s', (spec, expected) => {
    expect(parseSourceSpec(spec, fs)).toEqual(expected);
  });

  it.each([
    ['oci-dir:/nope', 'oci-dir:/nope: /nope does not exist'],
    [
      'oci-dir:/nope:v1',
      'oci-dir:/nope:v1: /nope:v1 does not exist (nor does any part of it before a ":")',
    ],
    ['dir:/nope', 'dir:/nope: /nope does not exist'],
    [
      '/nope/image.tar',
      '/nope/image.tar does not exist; name an existing archive or directory, or an image reference',
    ],
    [
      './missing',
      './missing does not exist; name an existing archive or directory, or an image reference',
    ],
    ['docker-archive:', '"docker-archive:" names no path'],
    ['registry:', '"registry:" names no image'],
    ['', 'the image source is empty'],
  ])('%s is an error', (spec, message) => {
    expect(() => parseSourceSpec(spec, fs)).toThrow(message);
  });
});

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'drydock-open-source-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function config(overrides: Partial<DrydockConfig> = {}): DrydockConfig {
  return {
    cacheDir: join(work, 'cache'),
    registries: new Map(),
    insecureRegistries: [],
    limits: DEFAULT_LIMITS,
    ...overrides,
  };
}

const IMAGE = buildImage({
  layers: [{ entries: [{ path: 'etc/os-release', content: 'ID=test\n' }] }],
});

async function firstImageOf(spec: string, options: Partial<SourceOptions> = {}) {
  const source = await openSource(spec, { config: config(), env: { HOME: work }, ...options });
  try {
    const [image] = await source.resolve({ os: 'linux', architecture: 'amd64' });
    return { name: source.name, image };
  } finally {
    await source.close();
  }
}

describe('openSource on local paths', () => {
  it('detects an OCI layout, a root filesystem, a docker archive and an OCI archive', async () => {
    const layout = join(work, 'layout');
    await writeOciLayout(layout, IMAGE, 'v1');
    const saved = join(work, 'saved.tar');
    const ociArchive = join(work, 'oci.tar');
    await skopeoCopy(`oci:${layout}:v1`, `docker-archive:${saved}:test/app:v1`);
    await skopeoCopy(`oci:${layout}:v1`, `oci-archive:${ociArchive}:v1`);
    const rootfs = join(work, 'rootfs');
    await mkdir(join(rootfs, 'etc'), { recursive: true });
    await writeFile(join(rootfs, 'etc', 'hostname'), 'box\n');

    const fromLayout = await firstImageOf(layout);
    expect(fromLayout.name).toBe(`oci-dir:${layout}`);
    expect(fromLayout.image?.manifestDigest).toBe(IMAGE.manifestDigest);

    const fromSave = await firstImageOf(saved);
    expect(fromSave.image?.configDigest).toBe(IMAGE.configDigest);
    expect(fromSave.image?.name).toMatch(/^docker-archive:/);

    const fromOciArchive = await firstImageOf(ociArchive);
    expect(fromOciArchive.image?.name).toMatch(/^oci-archive:/);
    expect(fromOciArchive.image?.configDigest).toBe(IMAGE.configDigest);

    const fromDir = await firstImageOf(rootfs);
    expect(fromDir.name).toBe(`dir:${rootfs}`);
    expect(fromDir.image?.layers).toHaveLength(1);

    const bySelector = await firstImageOf(`docker-archive:${saved}:test/app:v1`);
    expect(bySelector.image?.configDigest).toBe(IMAGE.configDigest);
  });

  it("indexes a bare archive once, with the user's limits", async () => {
    const layer = tarBuffer([{ path: 'f', content: 'f' }]);
    const cfg = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [digestOf(layer)] },
      }),
    );
    const archive = join(work, 'long-names.tar');
    await writeFile(
      archive,
      tarBuffer([
        { path: 'c.json', content: cfg },
        { path: 'l.tar', content: layer },
        // Longer than the default name limit (4096 bytes), within the user's.
        { path: `${'n/'.repeat(2600)}x`, content: '' },
        {
          path: 'manifest.json',
          content: JSON.stringify([{ Config: 'c.json', Layers: ['l.tar'] }]),
        },
      ]),
    );
    const open = vi.spyOn(TarIndex, 'open');
    try {
      const limits = { ...DEFAULT_LIMITS, maxPathBytes: 8000 };
      const { image } = await firstImageOf(archive, { config: config({ limits }) });
      expect(image?.configDigest).toBe(digestOf(cfg));
      expect(open).toHaveBeenCalledTimes(1);
    } finally {
      open.mockRestore();
    }
  });

  it('says when a tar file is not an image archive', async () => {
    const plain = join(work, 'plain.tar');
    await writeFile(plain, tarBuffer([{ path: 'hello.txt', content: 'hi' }]));
    await expect(firstImageOf(plain)).rejects.toThrow(
      `${plain} is a tar file but not an image archive (no manifest.json or oci-layout)`,
    );
  });
});

describe('openSource on registries', () => {
  let registry: TestRegistry;
  const [username = '', password = ''] = Object.entries(TEST_USERS)[0] ?? [];

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'htpasswd' });
    await registry.push('team/app', 'v1', IMAGE);
    await registry.push('library/alpine', '3.19', IMAGE);
  });
  afterAll(async () => {
    await registry.stop();
  });

  it('uses --username/--password for the registry of the image', async () => {
    const { image } = await firstImageOf(`${registry.host}/team/app:v1`, {
      login: { username, password },
    });
    expect(image?.manifestDigest).toBe(IMAGE.manifestDigest);
  });

  it('fails without credentials', async () => {
    await expect(firstImageOf(`${registry.host}/team/app:v1`)).rejects.toMatchObject({
      code: 'unauthorized',
    });
  });

  it('reads DRYDOCK_REGISTRY_USERNAME/PASSWORD from the environment', async () => {
    const { image } = await firstImageOf(`docker://${registry.host}/team/app:v1`, {
      env: { HOME: work, DRYDOCK_REGISTRY_USERNAME: username, DRYDOCK_REGISTRY_PASSWORD: password },
    });
    expect(image?.configDigest).toBe(IMAGE.configDigest);
  });

  it('reads a --registry-auth-file, including the Codeship dockercfg shape', async () => {
    const auth = Buffer.from(`${username}:${password}`).toString('base64');
    const configJson = join(work, 'config.json');
    await writeFile(configJson, JSON.stringify({ auths: { [registry.host]: { auth } } }));
    const dockercfg = join(work, 'dockercfg');
    await writeFile(dockercfg, JSON.stringify({ [`http://${registry.host}`]: { auth } }));
    for (const authFile of [configJson, dockercfg]) {
      const { image } = await firstImageOf(`${registry.host}/team/app:v1`, { authFile });
      expect(image?.manifestDigest).toBe(IMAGE.manifestDigest);
    }
  });

  it('falls back to $DOCKER_CONFIG/config.json', async () => {
    const dockerConfigDir = join(work, 'docker-config');
    await mkdir(dockerConfigDir, { recursive: true });
    const auth = Buffer.from(`${username}:${password}`).toString('base64');
    await writeFile(
      join(dockerConfigDir, 'config.json'),
      JSON.stringify({ auths: { [registry.host]: { auth } } }),
    );
    const { image } = await firstImageOf(`${registry.host}/team/app:v1`, {
      env: { HOME: work, DOCKER_CONFIG: dockerConfigDir },
    });
    expect(image?.manifestDigest).toBe(IMAGE.manifestDigest);
  });

  it('pulls through the mirror the config names for a registry', async () => {
    const mirrored = config({ registries: new Map([['docker.io', { mirror: registry.host }]]) });
    const { image } = await firstImageOf('alpine:3.19', {
      config: mirrored,
      login: { username, password },
    });
    expect(image?.reference).toMatchObject({
      registry: registry.host,
      repository: 'library/alpine',
    });
    expect(image?.manifestDigest).toBe(IMAGE.manifestDigest);
  });

  it('rejects an invalid reference before any request', async () => {
    await expect(openSource('x/UPPER', { config: config() })).rejects.toThrow(
      /invalid image reference/,
    );
  });
});
