/**
 * Archives written by the real tool: images built in memory, written as an OCI layout, copied by
 * skopeo into docker-archive and oci-archive files, and read back by drydock's sources.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, type SourceImage } from '../src/model/index.js';
import { openDockerArchive } from '../src/source/archive/docker-archive.js';
import { openOciArchive } from '../src/source/archive/oci-archive.js';
import { digestOf } from '../src/source/digest.js';
import {
  buildImage,
  buildIndex,
  skopeoCopy,
  writeOciLayout,
  type BuiltImage,
} from './harness/image-builder.js';

const options = { limits: DEFAULT_LIMITS };
const amd64 = { os: 'linux', architecture: 'amd64' };

function image(architecture: string): BuiltImage {
  return buildImage({
    platform: { os: 'linux', architecture },
    layers: [
      {
        entries: [
          { path: 'etc/', type: 'dir' },
          { path: 'etc/os-release', content: `ID=${architecture}\n` },
        ],
      },
      { entries: [{ path: 'usr/bin/tool', content: 't'.repeat(10_000), mode: 0o755 }] },
      { entries: [{ path: 'etc/os-release', content: 'ID=top\n' }], compression: 'none' },
    ],
    config: { Env: ['PATH=/usr/bin'], Cmd: ['/usr/bin/tool'], Labels: { architecture } },
  });
}

function configOf(built: BuiltImage): unknown {
  return JSON.parse(built.blobs.get(built.configDigest)?.toString() ?? 'null');
}

async function layerBytes(resolved: SourceImage): Promise<Buffer[]> {
  const contents: Buffer[] = [];
  for (const layer of resolved.layers) contents.push(await buffer(await resolved.openLayer(layer)));
  return contents;
}

async function only(images: Promise<SourceImage[]>): Promise<SourceImage> {
  const [first, ...rest] = await images;
  if (!first || rest.length > 0) throw new Error('expected one image');
  return first;
}

let dir: string;
// OCI media types only: skopeo 1.9 ignores Docker-typed entries of an OCI layout's index.json.
const oci = image('amd64');
const arm = image('arm64');
const multi = buildIndex([oci, arm]);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drydock-archives-'));
  const layout = join(dir, 'layout');
  await writeOciLayout(layout, oci, 'oci');
  await writeOciLayout(layout, multi, 'multi');
  await Promise.all([
    skopeoCopy(`oci:${layout}:oci`, `docker-archive:${join(dir, 'oci.docker.tar')}:example/app:v1`),
    // --preserve-digests: skopeo would otherwise gzip the uncompressed layer.
    skopeoCopy(`oci:${layout}:oci`, `oci-archive:${join(dir, 'oci.oci.tar')}:v1`, [
      '--preserve-digests',
    ]),
    skopeoCopy(`oci:${layout}:multi`, `oci-archive:${join(dir, 'multi.oci.tar')}:multi`, [
      '--all',
      '--preserve-digests',
    ]),
  ]);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('docker-archive written by skopeo', () => {
  it('has the same config and layer contents, verified by diff_id', async () => {
    const archive = join(dir, 'oci.docker.tar');
    const resolved = await only(
      openDockerArchive(archive, 'example/app:v1', options).resolve(amd64),
    );
    expect(resolved.config).toMatchObject(configOf(oci) as object);
    expect(resolved.layers.map((l) => l.diffId)).toEqual(oci.diffIds);
    // skopeo stores docker-archive layers uncompressed: their digests are the diff_ids.
    expect(resolved.layers.map((l) => l.digest)).toEqual(oci.diffIds);
    const contents = await layerBytes(resolved);
    expect(contents.map((c) => digestOf(c))).toEqual(oci.diffIds);
    // Without a selector the only image is taken; an unknown tag lists what is there.
    expect(
      (await only(openDockerArchive(archive, undefined, options).resolve(amd64))).configDigest,
    ).toBe(resolved.configDigest);
    await expect(openDockerArchive(archive, 'nope:1', options).resolve(amd64)).rejects.toThrow(
      '(it holds: docker.io/example/app:v1)',
    );
  });

  it('refuses the archive gzipped, and truncated', async () => {
    const bytes = await readFile(join(dir, 'oci.docker.tar'));
    const gzipped = join(dir, 'image.tar.gz');
    await writeFile(gzipped, gzipSync(bytes));
    await expect(openDockerArchive(gzipped, undefined, options).resolve(amd64)).rejects.toThrow(
      `${gzipped} is compressed; decompress it first (gunzip) — drydock needs random access to the archive`,
    );
    const truncated = join(dir, 'truncated.tar');
    await writeFile(truncated, bytes.subarray(0, bytes.length - 4096));
    await expect(openDockerArchive(truncated, undefined, options).resolve(amd64)).rejects.toThrow(
      /is truncated/,
    );
  });
});

describe('oci-archive written by skopeo', () => {
  it('keeps manifest, config and layer digests', async () => {
    const archive = join(dir, 'oci.oci.tar');
    const resolved = await only(openOciArchive(archive, 'v1', options).resolve(amd64));
    expect(resolved).toMatchObject({
      manifestDigest: oci.manifestDigest,
      configDigest: oci.configDigest,
      config: configOf(oci) as object,
    });
    const contents = await layerBytes(resolved);
    expect(contents.map((c) => digestOf(c))).toEqual(oci.layerDigests);
  });

  it('selects platforms of a copied index', async () => {
    const source = openOciArchive(join(dir, 'multi.oci.tar'), 'multi', options);
    const arm64 = await only(source.resolve({ os: 'linux', architecture: 'arm64' }));
    expect(arm64).toMatchObject({
      indexDigest: multi.manifestDigest,
      manifestDigest: arm.manifestDigest,
    });
    expect((await layerBytes(arm64)).map((c) => digestOf(c))).toEqual(arm.layerDigests);
    const all = await source.resolve('all');
    expect(all.map((i) => i.manifestDigest)).toEqual([oci.manifestDigest, arm.manifestDigest]);
  });
});
