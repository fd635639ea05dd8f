import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildImage, writeOciLayout } from '../../../test/harness/image-builder.js';
import { tarBuffer, type TarEntry } from '../../../test/harness/tar-writer.js';
import { DEFAULT_LIMITS, type SourceImage } from '../../model/index.js';
import { digestOf } from '../digest.js';
import { DOCKER_LAYER_TAR, openDockerArchive } from './docker-archive.js';
import { TarIndex } from './tar-index.js';

const options = { limits: DEFAULT_LIMITS };
const amd64 = { os: 'linux', architecture: 'amd64' };

let dir: string;
let archive: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drydock-docker-archive-'));
  archive = join(dir, 'image.tar');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const base = tarBuffer([{ path: 'etc/os-release', content: 'ID=base\n' }]);
const top = tarBuffer([{ path: 'app/run.sh', content: '#!/bin/sh\n', mode: 0o755 }]);

function config(layers: Buffer[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/app/run.sh'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => digestOf(l)) },
    }),
  );
}

const hex = (bytes: Buffer) => digestOf(bytes).slice('sha256:'.length);
const file = (path: string, content: Buffer | string): TarEntry => ({ path, content });
const manifestJson = (images: object[]) => file('manifest.json', JSON.stringify(images));

/** An archive as old `docker save` writes it: the shared base layer is a symlink in image b. */
function oldDockerSave(): TarEntry[] {
  const configA = config([base]);
  const configB = config([base, top]);
  return [
    file(`${hex(configA)}.json`, configA),
    file(`${hex(configB)}.json`, configB),
    file('1111/layer.tar', base),
    { path: '2222/layer.tar', type: 'symlink', linkTarget: '../1111/layer.tar' },
    file('3333/layer.tar', top),
    manifestJson([
      { Config: `${hex(configA)}.json`, RepoTags: ['a:1'], Layers: ['1111/layer.tar'] },
      {
        Config: `${hex(configB)}.json`,
        RepoTags: ['b:latest'],
        Layers: ['2222/layer.tar', '3333/layer.tar'],
      },
    ]),
  ];
}

async function write(entries: TarEntry[]): Promise<void> {
  await writeFile(archive, tarBuffer(entries));
}

async function resolveOne(selector?: string): Promise<SourceImage> {
  const [image] = await openDockerArchive(archive, selector, options).resolve(amd64);
  if (!image) throw new Error('no image');
  return image;
}

async function readLayers(image: SourceImage): Promise<Buffer[]> {
  const contents: Buffer[] = [];
  for (const layer of image.layers) contents.push(await buffer(await image.openLayer(layer)));
  return contents;
}

describe('openDockerArchive', () => {
  it('reads an old docker save archive, layers verified against their diff_ids', async () => {
    await write(oldDockerSave());
    const image = await resolveOne('b:latest');
    expect(image).toMatchObject({
      name: `docker-archive:${archive}:b:latest`,
      configDigest: digestOf(config([base, top])),
      config: { config: { Cmd: ['/app/run.sh'] } },
      layers: [
        { index: 0, digest: digestOf(base), diffId: digestOf(base), mediaType: DOCKER_LAYER_TAR },
        { index: 1, digest: digestOf(top), diffId: digestOf(top), size: top.length },
      ],
    });
    expect(image.manifestDigest).toBeUndefined();
    expect(await readLayers(image)).toEqual([base, top]);
  });

  it('picks images by RepoTags (docker default tag too) or position, else lists them', async () => {
    await write(oldDockerSave());
    expect((await resolveOne('a:1')).layers).toHaveLength(1);
    expect((await resolveOne('b')).layers).toHaveLength(2);
    expect((await resolveOne('@0')).layers).toHaveLength(1);
    await expect(resolveOne()).rejects.toThrow(/holds 2 images \(a:1, b:latest\); name one/);
    await expect(resolveOne('c:2')).rejects.toMatchObject({
      code: 'not-found',
      message: `docker-archive:${archive}:c:2 has no image "c:2" (it holds: a:1, b:latest)`,
    });
  });

  it('fails a corrupt layer when it is read', async () => {
    await write(oldDockerSave());
    const member = (await TarIndex.open(archive)).resolve('3333/layer.tar');
    const bytes = await readFile(archive);
    const at = member.offset + 600;
    bytes.writeUInt8(bytes.readUInt8(at) ^ 0xff, at);
    await writeFile(archive, bytes);
    const image = await resolveOne('b');
    await expect(readLayers(image)).rejects.toMatchObject({ code: 'digest-mismatch' });
  });

  it('fails a config whose content does not match its name', async () => {
    const entries = oldDockerSave();
    const configA = entries[0];
    if (configA) configA.content = config([top]);
    await write(entries);
    await expect(resolveOne('a:1')).rejects.toMatchObject({ code: 'digest-mismatch' });
  });

  it('gives a compressed layer without a digest name the digest of its bytes', async () => {
    const gzipped = gzipSync(top);
    const cfg = config([top]);
    await write([
      file('cfg.json', cfg),
      file('x/layer.tar', gzipped),
      manifestJson([{ Config: 'cfg.json', RepoTags: null, Layers: ['x/layer.tar'] }]),
    ]);
    const image = await resolveOne();
    expect(image.layers).toEqual([
      {
        index: 0,
        digest: digestOf(gzipped),
        diffId: digestOf(top),
        size: gzipped.length,
        mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
        verifyDiffId: true,
      },
    ]);
    expect(await readLayers(image)).toEqual([gzipped]);
  });

  it('reads a Docker 25+ archive from manifest.json, taking blob names as digests', async () => {
    const gzipped = gzipSync(top);
    const cfg = config([base, top]);
    const blob = (bytes: Buffer) => `blobs/sha256/${hex(bytes)}`;
    await write([
      file('oci-layout', '{"imageLayoutVersion":"1.0.0"}'),
      file('index.json', 'not used: manifest.json wins'),
      file(blob(cfg), cfg),
      file(blob(base), base),
      file(blob(gzipped), gzipped),
      manifestJson([
        { Config: blob(cfg), RepoTags: ['new:1'], Layers: [blob(base), blob(gzipped)] },
      ]),
    ]);
    const image = await resolveOne('new:1');
    expect(image.layers.map((l) => l.digest)).toEqual([digestOf(base), digestOf(gzipped)]);
    // The blob name proves nothing about the image: only the diff_id ties the layer to it.
    expect(image.layers.map((l) => l.verifyDiffId)).toEqual([undefined, true]);
    expect(image.layers.map((l) => l.diffId)).toEqual([digestOf(base), digestOf(top)]);
    expect(image.configDigest).toBe(digestOf(cfg));
    expect(await readLayers(image)).toEqual([base, gzipped]);
  });

  it('falls back to the OCI layout when there is no manifest.json', async () => {
    const built = buildImage({ layers: [{ entries: [{ path: 'f', content: 'f' }] }] });
    await writeOciLayout(join(dir, 'layout'), built, 'v1');
    const entries: TarEntry[] = [
      file('oci-layout', await readFile(join(dir, 'layout', 'oci-layout'))),
      file('index.json', await readFile(join(dir, 'layout', 'index.json'))),
      ...[...built.blobs, ...built.manifests.map((m) => [m.digest, m.bytes] as const)].map(
        ([digest, bytes]) => file(`blobs/sha256/${digest.slice(7)}`, bytes),
      ),
    ];
    await write(entries);
    const image = await resolveOne('v1');
    expect(image.manifestDigest).toBe(built.manifestDigest);
    expect((await readLayers(image)).map((c) => digestOf(c))).toEqual(built.layerDigests);
  });

  it('explains archives it cannot read', async () => {
    await write([file('something', 'else')]);
    await expect(resolveOne()).rejects.toThrow(/is not a docker archive: it has no manifest.json/);

    const cfg = config([base]);
    await write([
      file('c.json', cfg),
      file('l.tar', Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0]), base])),
      manifestJson([{ Config: 'c.json', Layers: ['l.tar'] }]),
    ]);
    // Resolves; the layer reader refuses xz by name (see decompress.test.ts).
    expect((await resolveOne()).layers[0]).toMatchObject({
      mediaType: 'application/vnd.oci.image.layer.v1.tar+xz',
      verifyDiffId: true,
    });

    await write([manifestJson([])]);
    await expect(resolveOne()).rejects.toMatchObject({
      code: 'not-found',
      message: `docker-archive:${archive} holds no images`,
    });

    await write([file('c.json', cfg), manifestJson([{ Config: 'c.json', Layers: [] }])]);
    await expect(resolveOne()).rejects.toThrow(
      /rootfs.diff_ids lists 1 layers but the manifest has 0/,
    );

    await write([manifestJson([{ Config: 'c.json' }])]);
    await expect(resolveOne()).rejects.toThrow(/image 0 needs "Config" and "Layers"/);
  });

  it('never reads outside the archive', async () => {
    await write([
      file('c.json', config([base])),
      manifestJson([{ Config: 'c.json', Layers: ['../x'] }]),
    ]);
    await expect(resolveOne()).rejects.toThrow(/member path "..\/x" climbs out of the archive/);
    await write([...oldDockerSave(), file('../x', 'evil')]);
    await expect(resolveOne('a:1')).rejects.toThrow(/climbs out of the archive/);
  });

  it('refuses gzip-compressed and truncated archives', async () => {
    const tar = tarBuffer(oldDockerSave());
    await writeFile(archive, gzipSync(tar));
    await expect(resolveOne('a:1')).rejects.toThrow(
      /is compressed; decompress it first \(gunzip\)/,
    );
    await writeFile(archive, tar.subarray(0, tar.length - 1536));
    await expect(resolveOne('a:1')).rejects.toThrow(/is truncated/);
  });
});
