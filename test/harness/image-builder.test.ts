import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decompress as zstdDecompress } from 'zstd-napi';
import { digestOf } from '../../src/source/digest.js';
import {
  buildImage,
  buildIndex,
  MEDIA_TYPES,
  REF_NAME_ANNOTATION,
  skopeoCopy,
  writeOciLayout,
  type BuiltImage,
} from './image-builder.js';
import { tarBuffer } from './tar-writer.js';

const run = promisify(execFile);

const files = [
  { path: 'etc/', type: 'dir' as const },
  { path: 'etc/os-release', content: 'ID=test\n' },
];

function json(bytes: Buffer | undefined): Record<string, unknown> {
  if (!bytes) throw new Error('missing bytes');
  return JSON.parse(bytes.toString()) as Record<string, unknown>;
}

function topManifest(image: BuiltImage): Record<string, unknown> {
  return json(image.manifests.at(-1)?.bytes);
}

describe('buildImage', () => {
  it('stores every blob under its digest and lists layers in the manifest and config', () => {
    const image = buildImage({
      layers: [{ entries: files }, { entries: [{ path: 'b', content: 'b' }], compression: 'none' }],
      config: { Env: ['A=1'] },
    });
    for (const [digest, bytes] of image.blobs) expect(digestOf(bytes)).toBe(digest);
    const [manifest] = image.manifests;
    expect(manifest && digestOf(manifest.bytes)).toBe(image.manifestDigest);
    expect(topManifest(image)).toMatchObject({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.oci.manifest,
      config: { mediaType: MEDIA_TYPES.oci.config, digest: image.configDigest },
      layers: [
        { mediaType: MEDIA_TYPES.oci.layer.gzip, digest: image.layerDigests[0] },
        { mediaType: MEDIA_TYPES.oci.layer.none, digest: image.layerDigests[1] },
      ],
    });
    const config = json(image.blobs.get(image.configDigest));
    expect(config).toMatchObject({
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['A=1'] },
      rootfs: { type: 'layers', diff_ids: image.diffIds },
    });
    const gzipped = image.blobs.get(image.layerDigests[0] ?? '');
    expect(gzipped && gunzipSync(gzipped)).toEqual(tarBuffer(files));
    expect(image.diffIds[0]).toBe(digestOf(tarBuffer(files)));
  });

  it('compresses zstd layers that zstd can read back', () => {
    const image = buildImage({ layers: [{ entries: files, compression: 'zstd' }] });
    const blob = image.blobs.get(image.layerDigests[0] ?? '');
    expect(blob && zstdDecompress(blob)).toEqual(tarBuffer(files));
    expect(topManifest(image)).toMatchObject({
      layers: [{ mediaType: MEDIA_TYPES.oci.layer.zstd }],
    });
  });

  it('gives the same digests for the same spec', () => {
    const spec = { layers: [{ entries: files }], created: '2020-01-01T00:00:00Z' };
    expect(buildImage(spec).manifestDigest).toBe(buildImage(spec).manifestDigest);
  });

  it('uses Docker media types, and refuses zstd for them', () => {
    const image = buildImage({ layers: [{ entries: files }], format: 'docker' });
    expect(topManifest(image)).toMatchObject({
      mediaType: MEDIA_TYPES.docker.manifest,
      config: { mediaType: MEDIA_TYPES.docker.config },
      layers: [{ mediaType: MEDIA_TYPES.docker.layer.gzip }],
    });
    expect(() =>
      buildImage({ layers: [{ entries: files, compression: 'zstd' }], format: 'docker' }),
    ).toThrow(/docker images cannot have zstd layers/);
  });
});

describe('buildIndex', () => {
  it('lists each image with its platform, children first and the index last', () => {
    const amd = buildImage({ layers: [{ entries: files }] });
    const arm = buildImage({
      layers: [{ entries: files }],
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    });
    const index = buildIndex([amd, arm], 'docker');
    expect(index.manifests.map((m) => m.digest)).toEqual([
      amd.manifestDigest,
      arm.manifestDigest,
      index.manifestDigest,
    ]);
    expect(topManifest(index)).toEqual({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.docker.index,
      manifests: [
        expect.objectContaining({
          digest: amd.manifestDigest,
          platform: { os: 'linux', architecture: 'amd64' },
        }),
        expect.objectContaining({
          digest: arm.manifestDigest,
          platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
        }),
      ],
    });
    expect([...index.blobs.keys()].sort()).toEqual(
      [...new Set([...amd.blobs.keys(), ...arm.blobs.keys()])].sort(),
    );
  });
});

describe('writeOciLayout and skopeoCopy', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drydock-builder-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a layout that skopeo reads back byte for byte', async () => {
    const image = buildImage({ layers: [{ entries: files }] });
    const layout = join(dir, 'layout');
    await writeOciLayout(layout, image, 'v1');
    const { stdout } = await run('skopeo', ['inspect', '--raw', `oci:${layout}:v1`]);
    expect(stdout).toBe(image.manifests[0]?.bytes.toString());
    expect(json(await readFile(join(layout, 'oci-layout')))).toEqual({
      imageLayoutVersion: '1.0.0',
    });
  });

  it('adds to an existing layout and replaces an entry with the same tag', async () => {
    const layout = join(dir, 'layout');
    const one = buildImage({ layers: [{ entries: files }] });
    const two = buildImage({ layers: [{ entries: [{ path: 'x', content: 'x' }] }] });
    await writeOciLayout(layout, one, 'a');
    await writeOciLayout(layout, one, 'b');
    await writeOciLayout(layout, two, 'a');
    const index = json(await readFile(join(layout, 'index.json'))) as {
      manifests: { digest: string; annotations: Record<string, string> }[];
    };
    expect(index.manifests.map((m) => [m.annotations[REF_NAME_ANNOTATION], m.digest])).toEqual([
      ['b', one.manifestDigest],
      ['a', two.manifestDigest],
    ]);
  });

  it('copies with skopeo, and reports its stderr when it fails', async () => {
    const layout = join(dir, 'layout');
    await writeOciLayout(layout, buildImage({ layers: [{ entries: files }] }), 'v1');
    await skopeoCopy(`oci:${layout}:v1`, `oci-archive:${join(dir, 'a.tar')}:v1`);
    await expect(readFile(join(dir, 'a.tar'))).resolves.toBeInstanceOf(Buffer);
    await expect(
      skopeoCopy(`oci:${layout}:missing`, `oci-archive:${join(dir, 'b.tar')}`),
    ).rejects.toThrow(/skopeo copy .* failed: .*missing/);
  });
});
