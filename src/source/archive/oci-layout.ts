/**
 * OCI image layouts (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`), read from a directory or,
 * through `LayoutFiles`, from anywhere else that holds the same files (an OCI archive's members).
 * Every manifest, index and config is verified against its digest; layers verify as they stream.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { addAbortSignal, pipeline, type Readable } from 'node:stream';
import { DrydockError, limitExceeded } from '../../model/index.js';
import type {
  Descriptor,
  Digest,
  ImageConfigFile,
  ImageSource,
  LayerDescriptor,
  Limits,
  PlatformSelector,
  SourceImage,
} from '../../model/index.js';
import { formatReference, parseReference } from '../../reference/reference.js';
import { DigestVerifier, parseDigest, verifyBuffer } from '../digest.js';
import { selectManifests } from '../platform.js';

/** Blob access by digest; the layout reader needs nothing else from where the blobs live. */
export interface BlobStore {
  readBlob(digest: Digest, maxBytes: number): Promise<Buffer>;
  openBlob(digest: Digest): Promise<Readable>;
}

/** The files of an OCI layout, by path relative to its root (`index.json`, `blobs/sha256/…`). */
export interface LayoutFiles {
  /** Throws DrydockError `not-found` when missing, `limit-exceeded` when over `maxBytes`. */
  readFile(path: string, maxBytes: number): Promise<Buffer>;
  openFile(path: string): Promise<Readable>;
}

export interface SourceOptions {
  limits: Limits;
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const MANIFEST_TYPES = new Set([OCI_MANIFEST, DOCKER_MANIFEST]);
const INDEX_TYPES = new Set([OCI_INDEX, DOCKER_MANIFEST_LIST]);

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
/** containerd and Docker 25+ also record the full `registry/repo:tag` name. */
export const CONTAINERD_NAME_ANNOTATION = 'io.containerd.image.name';
/** An index pointing at an index pointing at manifests is the deepest real nesting; allow some slack. */
const MAX_INDEX_DEPTH = 4;

function blobPath(digest: Digest): string {
  const { algorithm, hex } = parseDigest(digest);
  return `blobs/${algorithm}/${hex}`;
}

function layoutBlobs(files: LayoutFiles): BlobStore {
  return {
    readBlob: (digest, maxBytes) => files.readFile(blobPath(digest), maxBytes),
    openBlob: (digest) => files.openFile(blobPath(digest)),
  };
}

/** A layout in a directory. Files are opened before streaming so a missing one fails early. */
export function directoryLayoutFiles(dir: string): LayoutFiles {
  const openOrExplain = async (path: string) => {
    try {
      return await open(join(dir, path), 'r');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new DrydockError('not-found', `${dir} has no ${path}`);
      throw new DrydockError('invalid-argument', `cannot read ${join(dir, path)}: ${String(e)}`);
    }
  };
  return {
    async readFile(path, maxBytes) {
      const handle = await openOrExplain(path);
      try {
        const { size } = await handle.stat();
        if (size > maxBytes) throw limitExceeded(join(dir, path), `${maxBytes} bytes`);
        return await handle.readFile();
      } finally {
        await handle.close();
      }
    },
    async openFile(path) {
      return (await openOrExplain(path)).createReadStream();
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function malformed(what: string, why: string): DrydockError {
  return new DrydockError('invalid-argument', `${what} is malformed: ${why}`);
}

export function parseJsonObject(what: string, bytes: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw malformed(what, `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isObject(value)) throw malformed(what, 'expected a JSON object');
  return value;
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return isObject(value) && Object.values(value).every((v) => typeof v === 'string');
}

/** Checks the fields drydock relies on; the rest of the descriptor is passed along untouched. */
function parseDescriptor(what: string, value: unknown): Descriptor {
  if (!isObject(value)) throw malformed(what, 'a descriptor is not an object');
  const { mediaType, digest, size, annotations, platform } = value;
  if (typeof mediaType !== 'string') throw malformed(what, 'a descriptor has no mediaType');
  if (typeof digest !== 'string') throw malformed(what, 'a descriptor has no digest');
  parseDigest(digest);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw malformed(what, `descriptor ${digest} has no valid size`);
  }
  if (annotations !== undefined && !isStringRecord(annotations)) {
    throw malformed(what, `descriptor ${digest} has invalid annotations`);
  }
  if (
    platform !== undefined &&
    !(
      isObject(platform) &&
      typeof platform.os === 'string' &&
      typeof platform.architecture === 'string'
    )
  ) {
    throw malformed(what, `descriptor ${digest} has an invalid platform`);
  }
  return value as unknown as Descriptor;
}

function parseDescriptorList(what: string, value: unknown): Descriptor[] {
  if (!Array.isArray(value)) throw malformed(what, 'expected an array of descriptors');
  return value.map((d) => parseDescriptor(what, d));
}

/** Checks the config fields drydock reads by type; everything else is carried as is. */
export function parseImageConfig(what: string, bytes: Buffer): ImageConfigFile {
  const config = parseJsonObject(what, bytes);
  for (const key of ['architecture', 'os', 'variant', 'created'] as const) {
    if (config[key] !== undefined && typeof config[key] !== 'string') {
      throw malformed(what, `"${key}" is not a string`);
    }
  }
  if (config.config !== undefined && config.config !== null && !isObject(config.config)) {
    throw malformed(what, '"config" is not an object');
  }
  if (config.history !== undefined && !Array.isArray(config.history)) {
    throw malformed(what, '"history" is not an array');
  }
  const rootfs = config.rootfs;
  if (rootfs !== undefined) {
    const diffIds = isObject(rootfs) ? rootfs.diff_ids : undefined;
    if (!Array.isArray(diffIds) || !diffIds.every((d) => typeof d === 'string')) {
      throw malformed(what, '"rootfs.diff_ids" is not an array of digests');
    }
  }
  return config;
}

/** The config's diff_ids, one per layer; a config that disagrees with the manifest is broken. */
export function diffIdsFor(what: string, config: ImageConfigFile, layerCount: number): Digest[] {
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== layerCount) {
    throw malformed(what, `the config lists ${diffIds.length} diff_ids for ${layerCount} layers`);
  }
  return diffIds;
}

/**
 * Passes a blob through a DigestVerifier; errors of the blob stream surface on the returned
 * stream, and destroying the returned stream (or aborting) closes the blob.
 */
export function verifiedStream(
  what: string,
  blob: Readable,
  digest: Digest,
  size?: number,
  signal?: AbortSignal,
): Readable {
  const verifier = new DigestVerifier(what, digest, size);
  pipeline(blob, verifier, () => {
    // Errors reach the consumer through `verifier`, which pipeline destroys with them.
  });
  if (signal) addAbortSignal(signal, verifier);
  return verifier;
}

/** `name` as Docker normalises it (`alpine` → `docker.io/library/alpine:latest`), if it parses. */
function normalizedName(name: string): string | undefined {
  try {
    return formatReference(parseReference(name));
  } catch {
    return undefined;
  }
}

/**
 * Whether two image names are the same image: `example/app:v1` (what `docker save` records)
 * is `docker.io/example/app:v1` (what skopeo and containerd record).
 */
export function sameImageName(a: string, b: string): boolean {
  if (a === b) return true;
  const normalized = normalizedName(a);
  return normalized !== undefined && normalized === normalizedName(b);
}

function entryName(d: Descriptor): string {
  return (
    d.annotations?.[REF_NAME_ANNOTATION] ?? d.annotations?.[CONTAINERD_NAME_ANNOTATION] ?? d.digest
  );
}

function looksLikeDigest(selector: string): boolean {
  return /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}$/.test(selector);
}

/** Picks the index.json entry the user named, or the only one. */
function pickEntry(name: string, entries: Descriptor[], selector: string | undefined): Descriptor {
  const available = entries.map(entryName).join(', ') || 'none';
  if (selector === undefined) {
    const [only, ...others] = entries;
    if (only && others.length === 0) return only;
    throw new DrydockError(
      entries.length === 0 ? 'not-found' : 'invalid-argument',
      entries.length === 0
        ? `${name} holds no images`
        : `${name} holds ${entries.length} images (${available}); name one with ${name}:<tag or digest>`,
    );
  }
  const matches = looksLikeDigest(selector)
    ? (d: Descriptor) => d.digest === selector.toLowerCase()
    : (d: Descriptor) =>
        d.annotations?.[REF_NAME_ANNOTATION] === selector ||
        sameImageName(d.annotations?.[CONTAINERD_NAME_ANNOTATION] ?? '', selector);
  const found = entries.find(matches);
  if (found) return found;
  throw new DrydockError(
    'not-found',
    `${name} has no image "${selector}" (it holds: ${available})`,
  );
}

/** Reads images out of a layout once its files are reachable. */
class LayoutReader {
  private readonly blobs: BlobStore;

  constructor(
    private readonly name: string,
    private readonly files: LayoutFiles,
    private readonly limits: Limits,
  ) {
    this.blobs = layoutBlobs(files);
  }

  async entries(): Promise<Descriptor[]> {
    const layout = parseJsonObject(
      `${this.name}: oci-layout`,
      await this.readLayoutFile('oci-layout'),
    );
    const version = layout.imageLayoutVersion;
    if (typeof version !== 'string' || !version.startsWith('1.')) {
      throw new DrydockError(
        'unsupported',
        `${this.name}: image layout version ${JSON.stringify(version)} is not supported (drydock reads 1.x)`,
      );
    }
    const what = `${this.name}: index.json`;
    const index = parseJsonObject(what, await this.readLayoutFile('index.json'));
    return parseDescriptorList(what, index.manifests);
  }

  private async readLayoutFile(path: string): Promise<Buffer> {
    try {
      return await this.files.readFile(path, this.limits.maxManifestBytes);
    } catch (e) {
      if (!(e instanceof DrydockError) || e.code !== 'not-found') throw e;
      throw new DrydockError(
        'not-found',
        `${this.name} is not an OCI image layout: it has no ${path}`,
        { cause: e },
      );
    }
  }

  private async readVerified(what: string, digest: Digest): Promise<Buffer> {
    const bytes = await this.blobs.readBlob(digest, this.limits.maxManifestBytes);
    verifyBuffer(what, bytes, digest);
    return bytes;
  }

  /** An image manifest yields one image; an index yields those matching `platform`. */
  async resolve(
    descriptor: Descriptor,
    platform: PlatformSelector,
    indexDigest?: Digest,
    depth = 0,
  ): Promise<SourceImage[]> {
    if (MANIFEST_TYPES.has(descriptor.mediaType)) {
      return [await this.image(descriptor, indexDigest)];
    }
    if (!INDEX_TYPES.has(descriptor.mediaType)) {
      throw new DrydockError(
        'unsupported',
        `${this.name}: ${descriptor.digest} has media type ${descriptor.mediaType}, which is neither an image manifest nor an index`,
      );
    }
    if (depth >= MAX_INDEX_DEPTH) {
      throw limitExceeded(`${this.name}: nesting of image indexes`, `${MAX_INDEX_DEPTH}`);
    }
    const what = `${this.name}: index ${descriptor.digest}`;
    const index = parseJsonObject(what, await this.readVerified(what, descriptor.digest));
    const children = selectManifests(
      this.name,
      parseDescriptorList(what, index.manifests),
      platform,
    );
    const images = [];
    for (const child of children) {
      images.push(...(await this.resolve(child, platform, descriptor.digest, depth + 1)));
    }
    return images;
  }

  private async image(descriptor: Descriptor, indexDigest?: Digest): Promise<SourceImage> {
    const what = `${this.name}: manifest ${descriptor.digest}`;
    const rawManifest = await this.readVerified(what, descriptor.digest);
    const manifest = parseJsonObject(what, rawManifest);
    if (manifest.schemaVersion !== 2) {
      throw new DrydockError(
        'unsupported',
        `${what} has schemaVersion ${String(manifest.schemaVersion)}; drydock reads version 2`,
      );
    }
    const configDescriptor = parseDescriptor(what, manifest.config);
    const layerDescriptors = parseDescriptorList(what, manifest.layers);
    const configWhat = `${this.name}: config ${configDescriptor.digest}`;
    const rawConfig = await this.readVerified(configWhat, configDescriptor.digest);
    const config = parseImageConfig(configWhat, rawConfig);
    const diffIds = diffIdsFor(configWhat, config, layerDescriptors.length);
    const layers: LayerDescriptor[] = layerDescriptors.map((d, index) => ({
      index,
      digest: d.digest,
      diffId: diffIds[index],
      mediaType: d.mediaType,
      size: d.size,
    }));
    return {
      name: this.name,
      manifestDigest: descriptor.digest,
      manifestMediaType: descriptor.mediaType,
      rawManifest,
      ...(indexDigest ? { indexDigest } : {}),
      configDigest: configDescriptor.digest,
      config,
      rawConfig,
      layers,
      openLayer: (layer, signal) => this.openLayer(layer, signal),
    };
  }

  private async openLayer(layer: LayerDescriptor, signal?: AbortSignal): Promise<Readable> {
    signal?.throwIfAborted();
    const digest = layer.digest;
    if (digest === undefined) {
      throw new DrydockError(
        'invalid-argument',
        `${this.name}: layer ${layer.index} has no digest`,
      );
    }
    const what = `${this.name}: layer ${layer.index} (${digest})`;
    return verifiedStream(what, await this.blobs.openBlob(digest), digest, layer.size, signal);
  }
}

/**
 * An ImageSource over any layout: `loadFiles` runs once, on the first resolve (the OCI archive
 * indexes its tar there).
 */
export function openLayoutSource(
  name: string,
  loadFiles: () => Promise<LayoutFiles>,
  selector: string | undefined,
  options: SourceOptions,
): ImageSource {
  let files: Promise<LayoutFiles> | undefined;
  return {
    name,
    async resolve(platform, signal) {
      signal?.throwIfAborted();
      files ??= loadFiles();
      const reader = new LayoutReader(name, await files, options.limits);
      const entry = pickEntry(name, await reader.entries(), selector);
      return reader.resolve(entry, platform);
    },
    close: () => Promise.resolve(),
  };
}

/** `selector` is a tag (`org.opencontainers.image.ref.name`), a full image name, or a digest. */
export function openOciLayout(
  dir: string,
  selector: string | undefined,
  options: SourceOptions,
): ImageSource {
  const name = `oci-dir:${dir}${selector ? `:${selector}` : ''}`;
  return openLayoutSource(
    name,
    () => Promise.resolve(directoryLayoutFiles(dir)),
    selector,
    options,
  );
}
