import { describe, expect, it, vi } from 'vitest';
import * as dockerfile from '../catalog/dockerfile.js';
import type { LayerAnalysis, SourceImage } from '../model/index.js';
import { buildMetadata, layerCreatedBy } from './metadata.js';

// The real functions, watched: the history must be parsed once per image.
vi.mock('../catalog/dockerfile.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../catalog/dockerfile.js')>();
  return {
    ...real,
    instructionsFor: vi.fn(real.instructionsFor),
    dockerfileFrom: vi.fn(real.dockerfileFrom),
  };
});

const BASE = 'sha256:' + 'a'.repeat(64);
const APP = 'sha256:' + 'b'.repeat(64);
const CONFIG = 'sha256:' + 'c'.repeat(64);
const MANIFEST = 'sha256:' + 'd'.repeat(64);
const INDEX = 'sha256:' + 'e'.repeat(64);
const GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

function analysis(digest: string, compressedSize: number, uncompressedSize: number, files: number) {
  const entries = Array.from({ length: files }, (_, i) => ({
    path: `/f${i}`,
    type: 'file' as const,
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: 1,
  }));
  const result: LayerAnalysis = {
    digest,
    mediaType: GZIP,
    compressedSize,
    uncompressedSize,
    entries,
    whiteouts: [],
    opaqueDirs: [],
    collected: [],
    warnings: [],
  };
  return result;
}

function image(overrides: Partial<SourceImage> = {}): SourceImage {
  return {
    name: 'docker.io/library/nginx:1.25',
    reference: { registry: 'docker.io', repository: 'library/nginx', tag: '1.25' },
    manifestDigest: MANIFEST,
    manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
    indexDigest: INDEX,
    configDigest: CONFIG,
    config: {
      architecture: 'arm64',
      os: 'linux',
      variant: 'v8',
      created: '2024-05-20T07:21:20Z',
      config: {
        User: 'nginx',
        Cmd: ['nginx', '-g', 'daemon off;'],
        ExposedPorts: { '80/tcp': {} },
      },
      history: [
        { created_by: '/bin/sh -c #(nop) ADD file:abc in / ' },
        { created_by: '/bin/sh -c #(nop)  CMD ["bash"]', empty_layer: true },
        { created_by: 'ENV NGINX_VERSION=1.25.0', empty_layer: true },
        { created_by: 'RUN /bin/sh -c apt-get install -y nginx # buildkit' },
      ],
    },
    layers: [
      { index: 0, digest: BASE, diffId: 'sha256:' + '1'.repeat(64), mediaType: GZIP, size: 1000 },
      { index: 1, digest: APP, mediaType: GZIP, size: 300 },
    ],
    openLayer: () => Promise.reject(new Error('metadata never reads layers')),
    ...overrides,
  };
}

const LAYERS = [analysis(BASE, 1000, 4000, 3), analysis(APP, 300, 900, 2)];

describe('buildMetadata', () => {
  it('takes names and digests from the source and sizes from the layers', () => {
    const { metadata, warnings } = buildMetadata(image(), LAYERS);
    expect(warnings).toEqual([]);
    expect(metadata).toMatchObject({
      source: 'docker.io/library/nginx:1.25',
      registry: 'docker.io',
      repository: 'library/nginx',
      tag: '1.25',
      manifestDigest: MANIFEST,
      indexDigest: INDEX,
      imageId: CONFIG,
      architecture: 'arm64',
      os: 'linux',
      variant: 'v8',
      created: '2024-05-20T07:21:20Z',
      size: 1300,
      uncompressedSize: 4900,
      layerCount: 2,
      config: { User: 'nginx' },
    });
    expect(metadata.history).toHaveLength(4);
  });

  it('pairs each layer with the step that made it, skipping empty_layer steps', () => {
    const { metadata } = buildMetadata(image(), LAYERS);
    expect(metadata.layers).toEqual([
      {
        index: 0,
        digest: BASE,
        diffId: 'sha256:' + '1'.repeat(64),
        mediaType: GZIP,
        size: 1000,
        uncompressedSize: 4000,
        entryCount: 3,
        createdBy: 'ADD file:abc /',
      },
      {
        index: 1,
        digest: APP,
        mediaType: GZIP,
        size: 300,
        uncompressedSize: 900,
        entryCount: 2,
        createdBy: 'RUN apt-get install -y nginx',
      },
    ]);
  });

  it('uses the bytes read when the source does not know a layer size', () => {
    const img = image();
    img.layers = img.layers.map(({ size: _size, ...layer }) => layer);
    expect(buildMetadata(img, LAYERS).metadata.size).toBe(1300);
  });

  it('rebuilds the Dockerfile from history unless one is supplied', () => {
    const rebuilt = buildMetadata(image(), LAYERS).metadata.dockerfile;
    expect(rebuilt.origin).toBe('reconstructed');
    expect(rebuilt.text).toBe(
      'FROM scratch\nADD file:abc /\nCMD ["bash"]\nENV NGINX_VERSION=1.25.0\nRUN apt-get install -y nginx\n',
    );
    const supplied = buildMetadata(image(), LAYERS, 'FROM nginx\n').metadata.dockerfile;
    expect(supplied).toEqual({ text: 'FROM nginx\n', origin: 'supplied' });
  });

  it('parses the history once, and rebuilds no Dockerfile when one is supplied', () => {
    vi.mocked(dockerfile.instructionsFor).mockClear();
    vi.mocked(dockerfile.dockerfileFrom).mockClear();
    const { metadata } = buildMetadata(image(), LAYERS, 'FROM nginx\n');
    expect(metadata.layers.map((l) => l.createdBy)).toEqual([
      'ADD file:abc /',
      'RUN apt-get install -y nginx',
    ]);
    expect(dockerfile.instructionsFor).toHaveBeenCalledTimes(1);
    expect(dockerfile.dockerfileFrom).not.toHaveBeenCalled();
  });

  it('warns and pairs nothing when history and layers disagree', () => {
    const img = image();
    img.config = { ...img.config, history: [{ created_by: 'RUN /bin/sh -c make # buildkit' }] };
    const { metadata, warnings } = buildMetadata(img, LAYERS);
    expect(metadata.layers.map((l) => l.createdBy)).toEqual([undefined, undefined]);
    expect(warnings).toEqual([
      'docker.io/library/nginx:1.25: the history records 1 layer-making steps but the image has 2 layers; layers are shown without the step that made them',
    ]);
  });

  it('describes an image without a reference, history or platform fields (a directory)', () => {
    const { metadata, warnings } = buildMetadata(
      image({
        name: 'dir:/srv/rootfs',
        reference: undefined,
        manifestDigest: undefined,
        indexDigest: undefined,
        configDigest: undefined,
        config: {},
        layers: [{ index: 0, mediaType: 'application/vnd.oci.image.layer.v1.tar' }],
      }),
      [analysis('sha256:' + 'f'.repeat(64), 500, 500, 1)],
    );
    expect(warnings).toEqual([]);
    expect(metadata).toMatchObject({
      source: 'dir:/srv/rootfs',
      architecture: 'unknown',
      os: 'unknown',
      size: 500,
      config: {},
      history: [],
    });
    expect(metadata.registry).toBeUndefined();
    expect(metadata.layers[0]?.digest).toBe('sha256:' + 'f'.repeat(64));
    expect(metadata.layers[0]?.createdBy).toBeUndefined();
  });
});

describe('layerCreatedBy', () => {
  it('gives nothing for a mismatch and an empty list for an empty image', () => {
    expect(layerCreatedBy([{ created_by: 'x', empty_layer: true }], ['# x'], 1)).toBeUndefined();
    expect(layerCreatedBy([], [], 0)).toEqual([]);
  });
});
