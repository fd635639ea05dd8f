/**
 * Builds container images in memory from fixture trees, for tests and benchmarks: layers, config,
 * manifests and indexes with real digests, in OCI or Docker media types. Output is deterministic
 * (fixed timestamps, stable JSON), so the same spec always yields the same digests.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { compress as zstdCompress } from 'zstd-napi';
import type {
  ContainerConfig,
  Descriptor,
  HistoryEntry,
  ImageConfigFile,
  Platform,
} from '../../src/model/index.js';
import { digestOf } from '../../src/source/digest.js';
import { tarBuffer, type TarEntry } from './tar-writer.js';

export type LayerCompression = 'gzip' | 'zstd' | 'none';
export type ImageFormat = 'oci' | 'docker';

export interface LayerSpec {
  entries: TarEntry[];
  /** Default gzip. */
  compression?: LayerCompression;
}

export interface ImageSpec {
  layers: LayerSpec[];
  /** Default linux/amd64. */
  platform?: Platform;
  config?: Partial<ContainerConfig>;
  /** Default: one entry per layer, `created_by` naming the layer. */
  history?: HistoryEntry[];
  /** Default 2024-01-01T00:00:00Z. */
  created?: string;
  /** Media types to use; default oci. */
  format?: ImageFormat;
}

export interface BuiltManifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

/**
 * An image (or an index with its images) ready to be written to a layout or pushed. `manifests`
 * holds children first and the top manifest (the one to tag) last.
 */
export interface BuiltImage {
  /** Configs and layers, by digest. */
  blobs: Map<string, Buffer>;
  manifests: BuiltManifest[];
  /** Digest of the top manifest (the image manifest, or the index). */
  manifestDigest: string;
  /** Config digest; empty for an index, whose images each have their own. */
  configDigest: string;
  /** Layer blob digests in order; empty for an index. */
  layerDigests: string[];
  /** Uncompressed layer digests in order; empty for an index. */
  diffIds: string[];
}

export const MEDIA_TYPES = {
  oci: {
    manifest: 'application/vnd.oci.image.manifest.v1+json',
    index: 'application/vnd.oci.image.index.v1+json',
    config: 'application/vnd.oci.image.config.v1+json',
    layer: {
      gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
      zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
      none: 'application/vnd.oci.image.layer.v1.tar',
    },
  },
  docker: {
    manifest: 'application/vnd.docker.distribution.manifest.v2+json',
    index: 'application/vnd.docker.distribution.manifest.list.v2+json',
    config: 'application/vnd.docker.container.image.v1+json',
    layer: {
      gzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
      zstd: undefined,
      none: 'application/vnd.docker.image.rootfs.diff.tar',
    },
  },
} as const;

const DEFAULT_CREATED = '2024-01-01T00:00:00Z';
const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

function compressLayer(tar: Buffer, compression: LayerCompression): Buffer {
  switch (compression) {
    case 'gzip':
      return gzipSync(tar);
    case 'zstd':
      return zstdCompress(tar);
    case 'none':
      return tar;
  }
}

function layerMediaType(format: ImageFormat, compression: LayerCompression): string {
  const mediaType = MEDIA_TYPES[format].layer[compression];
  if (mediaType === undefined) {
    throw new Error(`image-builder: ${format} images cannot have ${compression} layers`);
  }
  return mediaType;
}

function jsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

function descriptorOf(mediaType: string, bytes: Buffer): Descriptor {
  return { mediaType, digest: digestOf(bytes), size: bytes.length };
}

export function buildImage(spec: ImageSpec): BuiltImage {
  const format = spec.format ?? 'oci';
  const platform = spec.platform ?? DEFAULT_PLATFORM;
  const created = spec.created ?? DEFAULT_CREATED;
  const blobs = new Map<string, Buffer>();
  const layerDescriptors: Descriptor[] = [];
  const diffIds: string[] = [];
  for (const layer of spec.layers) {
    const compression = layer.compression ?? 'gzip';
    const mediaType = layerMediaType(format, compression);
    const tar = tarBuffer(layer.entries);
    const blob = compressLayer(tar, compression);
    const descriptor = descriptorOf(mediaType, blob);
    blobs.set(descriptor.digest, blob);
    layerDescriptors.push(descriptor);
    diffIds.push(digestOf(tar));
  }
  const config: ImageConfigFile = {
    created,
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: { ...spec.config },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: spec.history ?? spec.layers.map((_, i) => ({ created, created_by: `layer ${i}` })),
  };
  const configBytes = jsonBytes(config);
  const configDescriptor = descriptorOf(MEDIA_TYPES[format].config, configBytes);
  blobs.set(configDescriptor.digest, configBytes);
  const manifestBytes = jsonBytes({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES[format].manifest,
    config: configDescriptor,
    layers: layerDescriptors,
  });
  const manifest = descriptorOf(MEDIA_TYPES[format].manifest, manifestBytes);
  return {
    blobs,
    manifests: [{ digest: manifest.digest, mediaType: manifest.mediaType, bytes: manifestBytes }],
    manifestDigest: manifest.digest,
    configDigest: configDescriptor.digest,
    layerDigests: layerDescriptors.map((d) => d.digest),
    diffIds,
  };
}

/** The platform an image was built for, read back from its config blob. */
function platformOf(image: BuiltImage): Platform {
  const bytes = image.blobs.get(image.configDigest);
  if (!bytes) throw new Error('image-builder: buildIndex takes images, not indexes');
  const config = JSON.parse(bytes.toString()) as ImageConfigFile;
  return {
    os: config.os ?? 'linux',
    architecture: config.architecture ?? 'amd64',
    ...(config.variant ? { variant: config.variant } : {}),
  };
}

function topManifest(image: BuiltImage): BuiltManifest {
  const top = image.manifests.at(-1);
  if (!top) throw new Error('image-builder: image has no manifest');
  return top;
}

/** An OCI index (or Docker manifest list) over `images`, each listed with its platform. */
export function buildIndex(images: BuiltImage[], format: ImageFormat = 'oci'): BuiltImage {
  const manifests = images.map((image) => {
    const top = topManifest(image);
    return { ...descriptorOf(top.mediaType, top.bytes), platform: platformOf(image) };
  });
  const indexMediaType = MEDIA_TYPES[format].index;
  const bytes = jsonBytes({ schemaVersion: 2, mediaType: indexMediaType, manifests });
  const digest = digestOf(bytes);
  const blobs = new Map<string, Buffer>();
  for (const image of images) for (const [d, b] of image.blobs) blobs.set(d, b);
  return {
    blobs,
    manifests: [
      ...images.flatMap((image) => image.manifests),
      { digest, mediaType: indexMediaType, bytes },
    ],
    manifestDigest: digest,
    configDigest: '',
    layerDigests: [],
    diffIds: [],
  };
}

interface LayoutIndex {
  schemaVersion: number;
  mediaType?: string;
  manifests: Descriptor[];
}

async function readLayoutIndex(dir: string): Promise<LayoutIndex> {
  try {
    return JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as LayoutIndex;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    return { schemaVersion: 2, mediaType: MEDIA_TYPES.oci.index, manifests: [] };
  }
}

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

/**
 * Writes `image` into an OCI image layout at `dir` (created if needed), tagged `tag`. Like skopeo,
 * it adds to an existing layout; an entry with the same tag is replaced. skopeo 1.9 cannot read
 * back entries with Docker media types (`format: 'docker'`); drydock's own reader can.
 */
export async function writeOciLayout(dir: string, image: BuiltImage, tag?: string): Promise<void> {
  const blobDir = join(dir, 'blobs', 'sha256');
  await mkdir(blobDir, { recursive: true });
  const contents = [...image.blobs, ...image.manifests.map((m) => [m.digest, m.bytes] as const)];
  for (const [digest, bytes] of contents) {
    await writeFile(join(blobDir, digest.slice('sha256:'.length)), bytes);
  }
  await writeFile(join(dir, 'oci-layout'), jsonBytes({ imageLayoutVersion: '1.0.0' }));
  const top = topManifest(image);
  const entry: Descriptor = {
    ...descriptorOf(top.mediaType, top.bytes),
    ...(tag ? { annotations: { [REF_NAME_ANNOTATION]: tag } } : {}),
  };
  const index = await readLayoutIndex(dir);
  index.manifests = index.manifests.filter(
    (m) => !tag || m.annotations?.[REF_NAME_ANNOTATION] !== tag,
  );
  index.manifests.push(entry);
  await writeFile(join(dir, 'index.json'), jsonBytes(index));
}

/**
 * Runs `skopeo copy --insecure-policy [extraArgs] from to`, e.g. from `oci:DIR:tag` to
 * `docker-archive:FILE:repo:tag` or `oci-archive:FILE:tag`.
 */
export function skopeoCopy(from: string, to: string, extraArgs: string[] = []): Promise<void> {
  const args = ['copy', '--insecure-policy', '--quiet', ...extraArgs, from, to];
  return new Promise((resolve, reject) => {
    execFile('skopeo', args, { timeout: 60_000 }, (error, _stdout, stderr) => {
      if (!error) {
        resolve();
        return;
      }
      const why = stderr.trim() || error.message;
      reject(new Error(`skopeo ${args.join(' ')} failed: ${why}`, { cause: error }));
    });
  });
}
