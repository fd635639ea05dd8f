import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  buildImage,
  buildIndex,
  MEDIA_TYPES,
  writeOciLayout,
  type BuiltImage,
} from '../../../test/harness/image-builder.js';
import { DEFAULT_LIMITS, type Descriptor, type SourceImage } from '../../model/index.js';
import { digestOf } from '../digest.js';
import { CONTAINERD_NAME_ANNOTATION, openOciLayout } from './oci-layout.js';

const options = { limits: DEFAULT_LIMITS };
const amd64 = { os: 'linux', architecture: 'amd64' };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drydock-oci-layout-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function image(marker: string, extra: Partial<Parameters<typeof buildImage>[0]> = {}): BuiltImage {
  return buildImage({
    layers: [
      {
        entries: [
          { path: 'etc/', type: 'dir' },
          { path: 'etc/marker', content: marker },
        ],
      },
      {
        entries: [{ path: 'bin/tool', content: 'z'.repeat(5000), mode: 0o755 }],
        compression: 'zstd',
      },
      { entries: [{ path: 'plain', content: marker }], compression: 'none' },
    ],
    config: { Env: [`MARKER=${marker}`] },
    ...extra,
  });
}

function blobFile(digest: string): string {
  return join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
}

async function flipByte(digest: string): Promise<void> {
  const bytes = await readFile(blobFile(digest));
  const at = bytes.length >> 1;
  bytes.writeUInt8(bytes.readUInt8(at) ^ 0xff, at);
  await writeFile(blobFile(digest), bytes);
}

async function readLayers(resolved: SourceImage): Promise<Buffer[]> {
  const contents: Buffer[] = [];
  for (const layer of resolved.layers) contents.push(await buffer(await resolved.openLayer(layer)));
  return contents;
}

async function resolveOne(selector?: string): Promise<SourceImage> {
  const [resolved, ...rest] = await openOciLayout(dir, selector, options).resolve(amd64);
  expect(rest).toEqual([]);
  if (!resolved) throw new Error('no image');
  return resolved;
}

describe('openOciLayout', () => {
  it('resolves the only image, verified, and streams every layer as stored', async () => {
    const built = image('one');
    await writeOciLayout(dir, built, 'v1');
    const resolved = await resolveOne();
    expect(resolved).toMatchObject({
      name: `oci-dir:${dir}`,
      manifestDigest: built.manifestDigest,
      manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
      configDigest: built.configDigest,
      config: { architecture: 'amd64', os: 'linux', config: { Env: ['MARKER=one'] } },
    });
    expect(resolved.rawManifest).toEqual(built.manifests[0]?.bytes);
    expect(resolved.rawConfig).toEqual(built.blobs.get(built.configDigest));
    expect(resolved.layers).toEqual(
      built.layerDigests.map((digest, index) => ({
        index,
        digest,
        diffId: built.diffIds[index],
        mediaType: expect.stringMatching(/^application\/vnd\.oci\.image\.layer\.v1\.tar/) as string,
        size: built.blobs.get(digest)?.length,
      })),
    );
    const contents = await readLayers(resolved);
    expect(contents.map((c) => digestOf(c))).toEqual(built.layerDigests);
  });

  it('reads Docker media types too', async () => {
    const built = image('docker', {
      format: 'docker',
      layers: [{ entries: [{ path: 'a', content: 'a' }] }],
    });
    await writeOciLayout(dir, built, 'v1');
    const resolved = await resolveOne('v1');
    expect(resolved.manifestMediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect((await readLayers(resolved)).map((c) => digestOf(c))).toEqual(built.layerDigests);
  });

  it('picks by tag, full image name or digest, and lists the images otherwise', async () => {
    const one = image('one');
    const two = image('two');
    await writeOciLayout(dir, one, 'one');
    await writeOciLayout(dir, two, 'two');
    expect((await resolveOne('two')).manifestDigest).toBe(two.manifestDigest);
    expect((await resolveOne(one.manifestDigest)).manifestDigest).toBe(one.manifestDigest);

    await expect(openOciLayout(dir, undefined, options).resolve(amd64)).rejects.toThrow(
      /holds 2 images \(one, two\); name one with/,
    );
    await expect(openOciLayout(dir, 'three', options).resolve(amd64)).rejects.toMatchObject({
      code: 'not-found',
      message: `oci-dir:${dir}:three has no image "three" (it holds: one, two)`,
    });

    const indexJson = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as {
      manifests: { annotations: Record<string, string> }[];
    };
    const entry = indexJson.manifests[1];
    if (entry) entry.annotations[CONTAINERD_NAME_ANNOTATION] = 'docker.io/example/two:latest';
    await writeFile(join(dir, 'index.json'), JSON.stringify(indexJson));
    for (const name of ['docker.io/example/two:latest', 'example/two']) {
      expect((await resolveOne(name)).manifestDigest).toBe(two.manifestDigest);
    }
  });

  it('selects platforms from an index', async () => {
    const amd = image('amd');
    const arm = image('arm', { platform: { os: 'linux', architecture: 'arm64' } });
    const index = buildIndex([amd, arm]);
    await writeOciLayout(dir, index, 'multi');
    const source = openOciLayout(dir, 'multi', options);

    const [arm64] = await source.resolve({ os: 'linux', architecture: 'arm64' });
    expect(arm64).toMatchObject({
      manifestDigest: arm.manifestDigest,
      indexDigest: index.manifestDigest,
      config: { architecture: 'arm64' },
    });
    const all = await source.resolve('all');
    expect(all.map((i) => i.manifestDigest)).toEqual([amd.manifestDigest, arm.manifestDigest]);
    await expect(source.resolve({ os: 'linux', architecture: 's390x' })).rejects.toThrow(
      /no image for platform linux\/s390x \(it offers: linux\/amd64, linux\/arm64\)/,
    );
  });

  it('reads each digest once and caps the images of --platform all', async () => {
    const built = image('leaf');
    await writeOciLayout(dir, built, 'leaf');
    const platform = { os: 'linux', architecture: 'amd64' };
    const leaf: Descriptor = {
      mediaType: MEDIA_TYPES.oci.manifest,
      digest: built.manifestDigest,
      size: (await readFile(blobFile(built.manifestDigest))).length,
      platform,
    };
    const writeBlob = async (mediaType: string, doc: object): Promise<Descriptor> => {
      const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, ...doc }));
      await writeFile(blobFile(digestOf(bytes)), bytes);
      return { mediaType, digest: digestOf(bytes), size: bytes.length, platform };
    };
    const indexOf = (manifests: Descriptor[]) => writeBlob(MEDIA_TYPES.oci.index, { manifests });
    const writeTop = (top: Descriptor) =>
      writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [top] }));

    // 1000 × 1000 × 1000 paths to the same image: read once, returned once.
    let nested = leaf;
    for (let level = 0; level < 3; level++)
      nested = await indexOf(Array<Descriptor>(1000).fill(nested));
    await writeTop(nested);
    const once = await openOciLayout(dir, undefined, options).resolve('all');
    expect(once.map((i) => i.manifestDigest)).toEqual([built.manifestDigest]);

    // Distinct manifests (the same image, annotated apart) beyond the cap.
    const manifest = JSON.parse(String(await readFile(blobFile(built.manifestDigest)))) as object;
    const many: Descriptor[] = [];
    for (let i = 0; i < 300; i++) {
      many.push(
        await writeBlob(MEDIA_TYPES.oci.manifest, { ...manifest, annotations: { n: String(i) } }),
      );
    }
    await writeTop(await indexOf(many));
    await expect(openOciLayout(dir, undefined, options).resolve('all')).rejects.toMatchObject({
      code: 'limit-exceeded',
      message: expect.stringContaining('the number of images to read') as string,
    });
  });

  it('says what is missing when the directory is not a layout', async () => {
    await expect(openOciLayout(dir, undefined, options).resolve(amd64)).rejects.toMatchObject({
      code: 'not-found',
      message: `oci-dir:${dir} is not an OCI image layout: it has no oci-layout`,
    });
    await writeOciLayout(dir, image('x'), 'v1');
    await rm(join(dir, 'index.json'));
    await expect(openOciLayout(dir, undefined, options).resolve(amd64)).rejects.toThrow(
      /is not an OCI image layout: it has no index.json/,
    );
  });

  it('refuses unknown layout versions', async () => {
    await writeOciLayout(dir, image('x'), 'v1');
    await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"2.0.0"}');
    await expect(openOciLayout(dir, undefined, options).resolve(amd64)).rejects.toMatchObject({
      code: 'unsupported',
    });
  });

  it('fails a corrupt layer when it is read, and a corrupt config when resolving', async () => {
    const built = image('x');
    await writeOciLayout(dir, built, 'v1');
    await flipByte(built.layerDigests[1] ?? '');
    const resolved = await resolveOne();
    const layer = resolved.layers[1];
    if (!layer) throw new Error('no layer');
    await expect(buffer(await resolved.openLayer(layer))).rejects.toMatchObject({
      code: 'digest-mismatch',
    });

    await flipByte(built.configDigest);
    await expect(resolveOne()).rejects.toMatchObject({
      code: 'digest-mismatch',
      message: expect.stringContaining(`config ${built.configDigest}`) as string,
    });
  });

  it('reports a missing layer blob when it is opened', async () => {
    const built = image('x');
    await writeOciLayout(dir, built, 'v1');
    await rm(blobFile(built.layerDigests[0] ?? ''));
    const resolved = await resolveOne();
    const layer = resolved.layers[0];
    if (!layer) throw new Error('no layer');
    await expect(resolved.openLayer(layer)).rejects.toMatchObject({ code: 'not-found' });
  });

  /** Points the layout's only index.json entry at `bytes`, stored as a blob. */
  async function entryFor(bytes: Buffer, size = bytes.length): Promise<void> {
    const digest = digestOf(bytes);
    await writeFile(blobFile(digest), bytes);
    const index = {
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size }],
    };
    await writeFile(join(dir, 'index.json'), JSON.stringify(index));
  }

  it('refuses malformed manifests even when their digest matches', async () => {
    await writeOciLayout(dir, image('x'), 'v1');
    await entryFor(Buffer.from(JSON.stringify({ schemaVersion: 2, config: {}, layers: [] })));
    await expect(resolveOne()).rejects.toMatchObject({
      code: 'invalid-argument',
      message: expect.stringMatching(
        /: manifest sha256:[0-9a-f]{64} is malformed: config.mediaType is not a string; the image files are damaged/,
      ) as string,
    });
  });

  it('refuses a blob whose size differs from its descriptor', async () => {
    const built = image('x');
    await writeOciLayout(dir, built, 'v1');
    const manifest = built.manifests[0]?.bytes ?? Buffer.alloc(0);
    await entryFor(manifest, manifest.length + 1);
    await expect(resolveOne()).rejects.toMatchObject({
      code: 'digest-mismatch',
      message: expect.stringContaining(
        `${manifest.length} bytes, but the index says ${manifest.length + 1}`,
      ) as string,
    });
  });

  it('refuses a config whose diff_ids disagree with the manifest layers', async () => {
    const built = image('x');
    await writeOciLayout(dir, built, 'v1');
    const manifest = JSON.parse(built.manifests[0]?.bytes.toString() ?? '') as { layers: [] };
    manifest.layers.pop();
    await entryFor(Buffer.from(JSON.stringify(manifest)));
    await expect(resolveOne()).rejects.toThrow(
      `config ${built.configDigest} is malformed: rootfs.diff_ids lists 3 layers but the manifest has 2`,
    );
  });

  it('refuses an artifact that is not a container image', async () => {
    const config = Buffer.from('{}');
    await writeOciLayout(dir, image('x'), 'v1');
    await writeFile(blobFile(digestOf(config)), config);
    const helm = 'application/vnd.cncf.helm.config.v1+json';
    const manifest = {
      schemaVersion: 2,
      config: { mediaType: helm, digest: digestOf(config), size: config.length },
      layers: [],
    };
    await entryFor(Buffer.from(JSON.stringify(manifest)));
    await expect(resolveOne()).rejects.toMatchObject({
      code: 'unsupported',
      message: expect.stringContaining(
        `is not a container image: its config has media type "${helm}"`,
      ) as string,
    });
  });

  it('refuses an index.json that is not an index', async () => {
    await writeOciLayout(dir, image('x'), 'v1');
    await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 1, manifests: [] }));
    await expect(resolveOne()).rejects.toMatchObject({ code: 'unsupported' });
    await writeFile(join(dir, 'index.json'), '{"schemaVersion": 2, "manifests": [');
    await expect(resolveOne()).rejects.toThrow(/index.json is malformed: the document is not JSON/);
  });

  it('bounds the manifest and config sizes it loads', async () => {
    await writeOciLayout(dir, image('x'), 'v1');
    const small = { limits: { ...DEFAULT_LIMITS, maxManifestBytes: 100 } };
    await expect(openOciLayout(dir, undefined, small).resolve(amd64)).rejects.toMatchObject({
      code: 'limit-exceeded',
    });
  });

  it('stops reading a layer when the signal aborts', async () => {
    await writeOciLayout(dir, image('x'), 'v1');
    const resolved = await resolveOne();
    const layer = resolved.layers[0];
    if (!layer) throw new Error('no layer');
    const controller = new AbortController();
    const stream = await resolved.openLayer(layer, controller.signal);
    controller.abort();
    await expect(buffer(stream)).rejects.toMatchObject({ name: 'AbortError' });
    await expect(resolved.openLayer(layer, controller.signal)).rejects.toMatchObject({
      name: 'AbortError',
    });
  });
});
