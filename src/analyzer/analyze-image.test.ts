import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  buildImage,
  buildIndex,
  writeOciLayout,
  type ImageSpec,
} from '../../test/harness/image-builder.js';
import type { LayerDescriptor, SourceImage } from '../model/index.js';
import { DEFAULT_LIMITS, DrydockError } from '../model/index.js';
import { openOciLayout } from '../source/archive/oci-layout.js';
import { openDirectory } from '../source/dir.js';
import { LayerCache } from '../source/layer-cache.js';
import { analyzeImage, analyzeSource } from './analyze-image.js';

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'drydock-analyze-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

const BASE_LAYER = {
  entries: [
    { path: 'bin/', type: 'dir' as const },
    { path: 'bin/su', mode: 0o4755, content: 'setuid binary' },
    { path: 'etc/', type: 'dir' as const },
    { path: 'etc/secret', content: 'removed later' },
    { path: 'etc/motd', content: 'hello' },
  ],
};
const APP_LAYER = {
  entries: [
    { path: 'etc/.wh.secret', content: '' },
    { path: 'etc/motd', content: 'hello again' },
    { path: 'app/', type: 'dir' as const },
    { path: 'app/run', mode: 0o755, content: '#!/bin/sh\n' },
  ],
};
const HISTORY = [
  { created_by: '/bin/sh -c #(nop) ADD file:abc in / ' },
  { created_by: '/bin/sh -c #(nop)  CMD ["sh"]', empty_layer: true },
  { created_by: 'COPY app /app # buildkit' },
];

async function layoutImage(
  spec: ImageSpec = { layers: [BASE_LAYER, APP_LAYER], history: HISTORY },
) {
  const built = buildImage(spec);
  const dir = join(work, 'layout');
  await writeOciLayout(dir, built, 'v1');
  const [image] = await openOciLayout(dir, 'v1', { limits: DEFAULT_LIMITS }).resolve({
    os: 'linux',
    architecture: 'amd64',
  });
  if (!image) throw new Error('layout resolved to nothing');
  return { built, image, dir };
}

/** Records which layers were opened, without changing what they yield. */
function observed(image: SourceImage): { image: SourceImage; opened: (string | undefined)[] } {
  const opened: (string | undefined)[] = [];
  return {
    opened,
    image: {
      ...image,
      openLayer: (layer, signal) => {
        opened.push(layer.digest);
        return image.openLayer(layer, signal);
      },
    },
  };
}

function progressLog() {
  const events: string[] = [];
  return {
    events,
    listener: {
      layerStart: (_: string, layer: LayerDescriptor) => events.push(`start ${layer.index}`),
      layerDone: (_: string, layer: LayerDescriptor, cached: boolean) =>
        events.push(`done ${layer.index}${cached ? ' cached' : ''}`),
    },
  };
}

const options = { limits: DEFAULT_LIMITS, collectors: [] };

describe('analyzeImage', () => {
  it('squashes the layers and describes the image', async () => {
    const { built, image } = await layoutImage();
    const { analysis, tree } = await analyzeImage(image, options);
    expect(analysis.files.map((f) => f.path)).toEqual([
      '/app',
      '/app/run',
      '/bin',
      '/bin/su',
      '/etc',
      '/etc/motd',
    ]);
    expect(tree.get('/etc/secret')).toBeUndefined();
    expect(tree.get('/etc/motd')).toMatchObject({ layerIndex: 1, size: 11 });
    expect(tree.get('/bin/su')).toMatchObject({ mode: 0o4755, layerIndex: 0 });
    const { metadata } = analysis;
    expect(metadata).toMatchObject({
      manifestDigest: built.manifestDigest,
      imageId: built.configDigest,
      layerCount: 2,
      architecture: 'amd64',
      os: 'linux',
    });
    expect(metadata.layers.map((l) => [l.digest, l.createdBy])).toEqual([
      [built.layerDigests[0], 'ADD file:abc /'],
      [built.layerDigests[1], 'COPY app /app'],
    ]);
    expect(metadata.size).toBe(sizeOfBlobs(built.blobs, built.layerDigests));
    expect(metadata.dockerfile.text).toContain('CMD ["sh"]');
    expect(analysis.warnings).toEqual([]);
  });

  it('reads cached layers from the cache without opening them', async () => {
    const { image } = await layoutImage();
    const cache = new LayerCache(join(work, 'cache'));
    const first = progressLog();
    const cold = await analyzeImage(image, { ...options, cache, progress: first.listener });
    expect(first.events.filter((e) => e.startsWith('done')).sort()).toEqual(['done 0', 'done 1']);

    const second = progressLog();
    const { image: watched, opened } = observed(image);
    const warm = await analyzeImage(watched, { ...options, cache, progress: second.listener });
    expect(opened).toEqual([]);
    expect(second.events.filter((e) => e.startsWith('done')).sort()).toEqual([
      'done 0 cached',
      'done 1 cached',
    ]);
    expect(warm.analysis).toEqual(cold.analysis);
  });

  it('keeps md5 results apart from results without md5', async () => {
    const { image } = await layoutImage();
    const cache = new LayerCache(join(work, 'cache'));
    await analyzeImage(image, { ...options, cache });
    const { image: watched, opened } = observed(image);
    const { tree } = await analyzeImage(watched, { ...options, cache, md5: true });
    expect(opened).toHaveLength(2);
    expect(tree.get('/etc/motd')?.md5).toMatch(/^[0-9a-f]{32}$/);
  });

  it('fails with the first error and aborts the layer reads still running', async () => {
    const { image } = await layoutImage();
    const corrupt = new DrydockError('corrupt-layer', 'layer 1 is corrupt');
    let hangingDestroyed = false;
    const broken: SourceImage = {
      ...image,
      openLayer: (layer) => {
        if (layer.index === 1) return Promise.reject(corrupt);
        // Never yields a byte: without the abort this read would wait forever.
        const hanging = new Readable({ read: () => undefined });
        hanging.on('close', () => (hangingDestroyed = true));
        return Promise.resolve(hanging);
      },
    };
    await expect(analyzeImage(broken, options)).rejects.toBe(corrupt);
    expect(hangingDestroyed).toBe(true);
  });

  it('holds all layers of an image to one decompressed-byte budget', async () => {
    const big = { entries: [{ path: 'big', content: Buffer.alloc(6000) }] };
    const { image } = await layoutImage({ layers: [big, big], history: [] });
    const limits = { ...DEFAULT_LIMITS, maxImageBytes: 10_000 };
    await expect(analyzeImage(image, { ...options, limits, concurrency: 1 })).rejects.toMatchObject(
      { code: 'limit-exceeded' },
    );
    await expect(
      analyzeImage(image, { ...options, limits: { ...limits, maxImageBytes: 20_000 } }),
    ).resolves.toBeDefined();
  });

  it('counts cached layers against the budget too', async () => {
    const big = { entries: [{ path: 'big', content: Buffer.alloc(6000) }] };
    const other = { entries: [{ path: 'other', content: Buffer.alloc(6000, 1) }] };
    const { image } = await layoutImage({ layers: [big, other], history: [] });
    const cache = new LayerCache(join(work, 'cache'));
    const onlyFirst = { ...image, layers: image.layers.slice(0, 1) };
    await analyzeImage(onlyFirst, { ...options, cache });
    const limits = { ...DEFAULT_LIMITS, maxImageBytes: 10_000 };
    await expect(
      analyzeImage(image, { ...options, cache, limits, concurrency: 1 }),
    ).rejects.toMatchObject({ code: 'limit-exceeded' });
  });

  it('stops when the caller aborts', async () => {
    const { image } = await layoutImage();
    const controller = new AbortController();
    controller.abort(new DrydockError('timeout', 'gave up'));
    await expect(
      analyzeImage(image, { ...options, signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'timeout' });
  });

  it('does not cache generated layers (a directory) and names layer warnings', async () => {
    const root = join(work, 'rootfs');
    await mkdir(join(root, 'etc'), { recursive: true });
    await writeFile(join(root, 'etc', 'hostname'), 'box\n');
    const source = openDirectory(root, { limits: DEFAULT_LIMITS });
    const [image] = await source.resolve('all');
    if (!image) throw new Error('directory resolved to nothing');
    const cacheDir = join(work, 'cache');
    const { analysis } = await analyzeImage(image, { ...options, cache: new LayerCache(cacheDir) });
    expect(analysis.files.map((f) => f.path)).toContain('/etc/hostname');
    await expect(readdir(cacheDir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('prefixes layer warnings with the image and layer', async () => {
    const hostile = { entries: [{ path: '../../escape', content: 'x' }] };
    const { image } = await layoutImage({ layers: [hostile], history: [] });
    const { analysis } = await analyzeImage(image, options);
    expect(analysis.warnings).toHaveLength(1);
    expect(analysis.warnings[0]).toMatch(
      /^oci-dir:.*:v1: layer 0 \(sha256:[0-9a-f]{64}\): tar entry/,
    );
  });
});

describe('analyzeSource', () => {
  it('analyses every platform of an index with --platform all', async () => {
    const amd64 = buildImage({ layers: [BASE_LAYER] });
    const arm64 = buildImage({
      layers: [APP_LAYER],
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    });
    const dir = join(work, 'multi');
    await writeOciLayout(dir, buildIndex([amd64, arm64]), 'multi');
    const source = openOciLayout(dir, 'multi', { limits: DEFAULT_LIMITS });
    const seen: string[] = [];
    const results = await analyzeSource(source, 'all', {
      ...options,
      progressFor: (image) => {
        seen.push(image.config.architecture ?? '?');
        return undefined;
      },
    });
    expect(results.map((r) => r.analysis.metadata.architecture)).toEqual(['amd64', 'arm64']);
    expect(seen).toEqual(['amd64', 'arm64']);
    expect(results[1]?.analysis.metadata.indexDigest).toMatch(/^sha256:/);
  });
});

function sizeOfBlobs(blobs: Map<string, Buffer>, digests: string[]): number {
  return digests.reduce((sum, d) => sum + (blobs.get(d)?.length ?? 0), 0);
}
