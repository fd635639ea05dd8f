/**
 * OCI image layouts (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`), read from a directory or,
 * through `LayoutFiles`, from anywhere else that holds the same files (an OCI archive's members).
 * Every manifest, index and config is verified against its digest; layers verify as they stream.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { DrydockError, limitExceeded } from '../../model/index.js';
import type {
  Descriptor,
  Digest,
  ImageSource,
  LayerDescriptor,
  Limits,
  PlatformSelector,
  SourceImage,
} from '../../model/index.js';
import { formatReference, parseReference } from '../../reference/reference.js';
import { parseDigest, verifyBuffer } from '../digest.js';
import {
  checkSize,
  interpretManifest,
  malformed,
  parseJsonDocument,
  readManifestJson,
  sourceImage,
  verifiedStream,
  type ImageManifest,
  type ParsedManifest,
} from '../manifest.js';
import { selectManifests } from '../platform.js';
import { BLOB_READ_CHUNK_BYTES } from './tar-index.js';

/** The files of an OCI layout, by path relative to its root (`index.json`, `blobs/sha256/…`). */
export interface LayoutFiles {
  /** Throws DrydockError `not-found` when missing, `limit-exceeded` when over `maxBytes`. */
  readFile(path: string, maxBytes: number): Promise<Buffer>;
  openFile(path: string): Promise<Readable>;
}

export interface SourceOptions {
  limits: Limits;
}

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
/** containerd and Docker 25+ also record the full `registry/repo:tag` name. */
export const CONTAINERD_NAME_ANNOTATION = 'io.containerd.image.name';
/** An index pointing at an index pointing at manifests is the deepest real nesting; allow some slack. */
const MAX_INDEX_DEPTH = 4;
/** Most images one resolve returns (`--platform all`); real indexes list a few dozen at most. */
const MAX_IMAGES = 256;

function blobPath(digest: Digest): string {
  const { algorithm, hex } = parseDigest(digest);
  return `blobs/${algorithm}/${hex}`;
}

/** A layout in a directory. Files are opened before streaming so a missing one fails early. */
function directoryLayoutFiles(dir: string): LayoutFiles {
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
      return (await openOrExplain(path)).createReadStream({ highWaterMark: BLOB_READ_CHUNK_BYTES });
    },
  };
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

/** A manifest or index read from the layout and verified against its descriptor. */
interface LayoutManifest {
  raw: Buffer;
  parsed: ParsedManifest;
}

/** Reads images out of a layout once its files are reachable. */
class LayoutReader {
  constructor(
    private readonly name: string,
    private readonly files: LayoutFiles,
    private readonly limits: Limits,
  ) {}

  async entries(): Promise<Descriptor[]> {
    const layoutWhat = `${this.name}: oci-layout`;
    const layout = parseJsonDocument(
      await this.readLayoutFile('oci-layout'),
      layoutWhat,
      'archive',
    );
    const version = (layout as { imageLayoutVersion?: unknown } | null)?.imageLayoutVersion;
    if (typeof version !== 'string' || !version.startsWith('1.')) {
      throw new DrydockError(
        'unsupported',
        `${this.name}: image layout version ${JSON.stringify(version)} is not supported (drydock reads 1.x)`,
      );
    }
    const what = `${this.name}: index.json`;
    const doc = parseJsonDocument(await this.readLayoutFile('index.json'), what, 'archive');
    const index = interpretManifest(doc, undefined, what, 'archive');
    if (index.kind !== 'index') {
      throw malformed(what, 'the document', 'is an image manifest, not an index', 'archive');
    }
    return index.manifests;
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

  /** A blob of the size `claimedBy` (an index, a manifest) gives it; its digest is up to the caller. */
  private async readSized(
    what: string,
    descriptor: Descriptor,
    claimedBy: string,
  ): Promise<Buffer> {
    const bytes = await this.files.readFile(
      blobPath(descriptor.digest),
      this.limits.maxManifestBytes,
    );
    checkSize(what, bytes, descriptor.size, claimedBy);
    return bytes;
  }

  /** Schema 1 is refused before verification: its digest covers another form of the document. */
  private async readManifest(what: string, descriptor: Descriptor): Promise<LayoutManifest> {
    const raw = await this.readSized(what, descriptor, 'the index');
    const doc = readManifestJson(raw, descriptor.mediaType, what);
    verifyBuffer(what, raw, descriptor.digest);
    return { raw, parsed: interpretManifest(doc, descriptor.mediaType, what, 'archive') };
  }

  /**
   * An image manifest yields one image; an index yields those matching `platform`. Each digest is
   * read once per resolve (indexes may list the same child many times, at every level) and the
   * images are capped, so `--platform all` on a hostile layout stays bounded work.
   */
  async resolve(descriptor: Descriptor, platform: PlatformSelector): Promise<SourceImage[]> {
    const images: SourceImage[] = [];
    await this.collect(descriptor, platform, { seen: new Set(), images }, undefined, 0);
    return images;
  }

  private async collect(
    descriptor: Descriptor,
    platform: PlatformSelector,
    walk: { seen: Set<Digest>; images: SourceImage[] },
    indexDigest: Digest | undefined,
    depth: number,
  ): Promise<void> {
    if (walk.seen.has(descriptor.digest)) return;
    walk.seen.add(descriptor.digest);
    const what = `${this.name}: manifest ${descriptor.digest}`;
    const { raw, parsed } = await this.readManifest(what, descriptor);
    if (parsed.kind === 'image') {
      if (walk.images.length >= MAX_IMAGES) {
        throw limitExceeded(`${this.name}: the number of images to read`, `${MAX_IMAGES}`);
      }
      walk.images.push(await this.image(descriptor, raw, parsed, indexDigest));
      return;
    }
    if (depth >= MAX_INDEX_DEPTH) {
      throw limitExceeded(`${this.name}: nesting of image indexes`, `${MAX_INDEX_DEPTH}`);
    }
    for (const child of selectManifests(this.name, parsed.manifests, platform)) {
      await this.collect(child, platform, walk, descriptor.digest, depth + 1);
    }
  }

  private async image(
    descriptor: Descriptor,
    rawManifest: Buffer,
    manifest: ImageManifest,
    indexDigest?: Digest,
  ): Promise<SourceImage> {
    const configWhat = `${this.name}: config ${manifest.config.digest}`;
    const rawConfig = await this.readSized(configWhat, manifest.config, 'the manifest');
    verifyBuffer(configWhat, rawConfig, manifest.config.digest);
    return sourceImage({
      name: this.name,
      manifestDigest: descriptor.digest,
      rawManifest,
      manifest,
      indexDigest,
      rawConfig,
      configWhat,
      origin: 'archive',
      openLayer: (layer, signal) => this.openLayer(layer, signal),
    });
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
    const stream = await this.files.openFile(blobPath(digest));
    return verifiedStream(what, stream, digest, layer.size, signal);
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

/** `scheme:location[:selector]`, the name the user gave the image, for messages. */
export function sourceName(scheme: string, location: string, selector: string | undefined): string {
  return `${scheme}:${location}${selector ? `:${selector}` : ''}`;
}

/**
 * `oci-dir:DIR[:selector]`; `selector` is a tag (`org.opencontainers.image.ref.name`), a full
 * image name, or a digest.
 */
export function openOciLayout(
  dir: string,
  selector: string | undefined,
  options: SourceOptions,
): ImageSource {
  return openLayoutSource(
    sourceName('oci-dir', dir, selector),
    () => Promise.resolve(directoryLayoutFiles(dir)),
    selector,
    options,
  );
}
