/**
 * An ImageSource for an image in an OCI distribution registry: resolves a tag or digest to one
 * image per selected platform (following indexes / manifest lists), verifies every manifest and
 * config against its digest, and streams layers through a digest check.
 */
import type { Readable } from 'node:stream';
import {
  DEFAULT_LIMITS,
  DrydockError,
  digestMismatch,
  invalidReference,
  limitExceeded,
} from '../../model/index.js';
import type {
  CredentialStore,
  Descriptor,
  Digest,
  ImageConfigFile,
  ImageReference,
  ImageSource,
  LayerDescriptor,
  Limits,
  PlatformSelector,
  RegistryConnection,
  SourceImage,
} from '../../model/index.js';
import { digestOf, parseDigest, verifyBuffer } from '../digest.js';
import { selectManifests } from '../platform.js';
import { RegistryClient, type FetchedManifest } from './client.js';
import { printable, type HttpClientOptions } from './http.js';

export interface RegistrySourceOptions {
  credentials?: CredentialStore;
  connection?: RegistryConnection;
  limits?: Limits;
  /** Headers timeout and body idle timeout of each request. Default 60 s. */
  requestTimeoutMs?: number;
  /** Retries of 429/502/503/504 and dropped connections. Default 4. */
  maxRetries?: number;
  userAgent?: string;
  /** See HttpClientOptions.sleep; for tests. */
  sleep?: HttpClientOptions['sleep'];
}

export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
} as const;

const ACCEPT = [
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.dockerManifest,
  MEDIA_TYPES.dockerList,
];
const INDEX_TYPES = new Set<string>([MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerList]);
const IMAGE_TYPES = new Set<string>([MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest]);
const CONFIG_TYPES = new Set<string>([MEDIA_TYPES.ociConfig, MEDIA_TYPES.dockerConfig]);
const SCHEMA1_TYPES = new Set([
  'application/vnd.docker.distribution.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
]);

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_RETRIES = 4;
const DEFAULT_USER_AGENT = 'drydock';
/** Far beyond real images (Docker stops at 127 layers), small enough to bound the work. */
const MAX_LAYERS = 1000;
const MAX_INDEX_ENTRIES = 1000;

const REPOSITORY_RE =
  /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG_RE = /^\w[\w.-]{0,127}$/;

export type ParsedManifest =
  | { kind: 'index'; mediaType: string; manifests: Descriptor[] }
  | { kind: 'image'; mediaType: string; config: Descriptor; layers: Descriptor[] };

interface VerifiedManifest {
  digest: Digest;
  raw: Buffer;
  parsed: ParsedManifest;
}

export function formatReference(ref: ImageReference): string {
  const tag = ref.tag ? `:${ref.tag}` : '';
  const digest = ref.digest ? `@${ref.digest}` : '';
  return `${ref.registry}/${ref.repository}${tag}${digest}`;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((s) => typeof s === 'string');
const isStringRecord = (v: unknown): v is Record<string, string> =>
  isObject(v) && Object.values(v).every((s) => typeof s === 'string');
const isObjectRecord = (v: unknown): v is Record<string, object> =>
  isObject(v) && Object.values(v).every(isObject);

function malformed(what: string, path: string, why: string): DrydockError {
  return new DrydockError(
    'registry-error',
    `${what} is malformed: ${path} ${why}; the registry serves a broken document`,
  );
}

/**
 * Parses manifest bytes far enough to refuse Docker schema 1 — whose digests cover a different
 * form of the document, so this must come before digest verification. Returns the JSON.
 */
export function readManifestJson(
  bytes: Buffer,
  contentType: string | undefined,
  what: string,
): unknown {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    doc = undefined;
  }
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if ((type && SCHEMA1_TYPES.has(type)) || (isObject(doc) && doc.schemaVersion === 1)) {
    throw new DrydockError(
      'unsupported',
      `${what} uses Docker image manifest schema 1, which drydock does not support; push it again with a current Docker or skopeo`,
    );
  }
  return doc;
}

function checkDescriptor(value: unknown, path: string, what: string): Descriptor {
  if (!isObject(value)) throw malformed(what, path, 'is not an object');
  const { mediaType, digest, size, annotations, platform, urls } = value;
  if (typeof mediaType !== 'string') throw malformed(what, `${path}.mediaType`, 'is not a string');
  if (typeof digest !== 'string' || !isDigest(digest)) {
    throw malformed(what, `${path}.digest`, 'is not a valid digest');
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw malformed(what, `${path}.size`, 'is not a byte count');
  }
  if (annotations !== undefined && !isStringRecord(annotations)) {
    throw malformed(what, `${path}.annotations`, 'is not a map of strings');
  }
  if (urls !== undefined && !isStringArray(urls)) {
    throw malformed(what, `${path}.urls`, 'is not a list of strings');
  }
  if (
    platform !== undefined &&
    !(
      isObject(platform) &&
      typeof platform.os === 'string' &&
      typeof platform.architecture === 'string' &&
      ['undefined', 'string'].includes(typeof platform.variant)
    )
  ) {
    throw malformed(what, `${path}.platform`, 'lacks os/architecture');
  }
  return value as unknown as Descriptor;
}

function checkDescriptors(value: unknown, path: string, max: number, what: string): Descriptor[] {
  if (!Array.isArray(value)) throw malformed(what, path, 'is not a list');
  if (value.length > max) throw limitExceeded(`${what}: ${path}`, `${max} entries`);
  return value.map((d, i) => checkDescriptor(d, `${path}[${i}]`, what));
}

/** Checks the shape of a schema 2 / OCI manifest or index (already parsed as JSON). */
export function interpretManifest(
  doc: unknown,
  contentType: string | undefined,
  what: string,
): ParsedManifest {
  if (!isObject(doc)) throw malformed(what, 'the document', 'is not a JSON object');
  const mediaType =
    typeof doc.mediaType === 'string'
      ? doc.mediaType
      : (contentType?.split(';')[0]?.trim().toLowerCase() ?? '');
  const isIndex = INDEX_TYPES.has(mediaType) || (!mediaType && 'manifests' in doc);
  const isImage = IMAGE_TYPES.has(mediaType) || (!mediaType && 'config' in doc);
  if (doc.schemaVersion !== 2 || !(isIndex || isImage)) {
    throw new DrydockError(
      'unsupported',
      `${what} has media type "${printable(mediaType, 100) || 'none'}" (schema version ${printable(String(doc.schemaVersion), 20)}), which is not a container image drydock can read`,
    );
  }
  if (isIndex) {
    return {
      kind: 'index',
      mediaType: mediaType || MEDIA_TYPES.ociIndex,
      manifests: checkDescriptors(doc.manifests, 'manifests', MAX_INDEX_ENTRIES, what),
    };
  }
  return {
    kind: 'image',
    mediaType: mediaType || MEDIA_TYPES.ociManifest,
    config: checkDescriptor(doc.config, 'config', what),
    layers: checkDescriptors(doc.layers, 'layers', MAX_LAYERS, what),
  };
}

type FieldKind = 'string' | 'strings' | 'strings-or-null' | 'number' | 'boolean' | 'object';

const FIELD_CHECKS: Record<FieldKind, (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  strings: isStringArray,
  'strings-or-null': (v) => v === null || isStringArray(v),
  number: (v) => typeof v === 'number',
  boolean: (v) => typeof v === 'boolean',
  object: isObject,
};

const CONFIG_FIELDS: Record<string, FieldKind> = {
  architecture: 'string',
  os: 'string',
  variant: 'string',
  created: 'string',
  author: 'string',
  config: 'object',
  rootfs: 'object',
};
const CONTAINER_FIELDS: Record<string, FieldKind> = {
  User: 'string',
  Env: 'strings',
  Entrypoint: 'strings-or-null',
  Cmd: 'strings-or-null',
  WorkingDir: 'string',
  StopSignal: 'string',
  Shell: 'strings',
  OnBuild: 'strings-or-null',
  Healthcheck: 'object',
};
const HEALTHCHECK_FIELDS: Record<string, FieldKind> = {
  Test: 'strings',
  Interval: 'number',
  Timeout: 'number',
  StartPeriod: 'number',
  Retries: 'number',
};
const HISTORY_FIELDS: Record<string, FieldKind> = {
  created: 'string',
  created_by: 'string',
  author: 'string',
  comment: 'string',
  empty_layer: 'boolean',
};

/** Checks the listed fields' types; absent and null fields (Docker writes nulls) pass. */
function checkFields(obj: Json, fields: Record<string, FieldKind>, path: string, what: string) {
  for (const [name, kind] of Object.entries(fields)) {
    const v = obj[name];
    if (v !== undefined && v !== null && !FIELD_CHECKS[kind](v)) {
      throw malformed(what, `${path}${name}`, `is not of type ${kind}`);
    }
  }
}

/** Parses an image config blob, checking the type of every field drydock reads. */
export function parseImageConfig(bytes: Buffer, what: string): ImageConfigFile {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw malformed(what, 'the document', 'is not JSON');
  }
  if (!isObject(doc)) throw malformed(what, 'the document', 'is not a JSON object');
  checkFields(doc, CONFIG_FIELDS, '', what);
  const { config, rootfs, history } = doc;
  if (isObject(config)) {
    checkFields(config, CONTAINER_FIELDS, 'config.', what);
    if (isObject(config.Healthcheck)) {
      checkFields(config.Healthcheck, HEALTHCHECK_FIELDS, 'config.Healthcheck.', what);
    }
    for (const name of ['ExposedPorts', 'Volumes']) {
      if (config[name] != null && !isObjectRecord(config[name])) {
        throw malformed(what, `config.${name}`, 'is not a map of objects');
      }
    }
    if (config.Labels != null && !isStringRecord(config.Labels)) {
      throw malformed(what, 'config.Labels', 'is not a map of strings');
    }
  }
  if (isObject(rootfs) && !(isStringArray(rootfs.diff_ids) && rootfs.diff_ids.every(isDigest))) {
    throw malformed(what, 'rootfs.diff_ids', 'is not a list of digests');
  }
  if (history != null) {
    if (!Array.isArray(history)) throw malformed(what, 'history', 'is not a list');
    history.forEach((h, i) => {
      if (!isObject(h)) throw malformed(what, `history[${i}]`, 'is not an object');
      checkFields(h, HISTORY_FIELDS, `history[${i}].`, what);
    });
  }
  return doc;
}

function isDigest(text: string): boolean {
  try {
    parseDigest(text);
    return true;
  } catch {
    return false;
  }
}

function checkReference(ref: ImageReference, name: string): void {
  if (!REPOSITORY_RE.test(ref.repository)) throw invalidReference(name, 'bad repository name');
  if (ref.tag !== undefined && !TAG_RE.test(ref.tag)) throw invalidReference(name, 'bad tag');
  if (ref.digest !== undefined) parseDigest(ref.digest);
}

/** The manifest's digest: the pinned one, else ours (checked against the registry's header). */
function manifestDigest(what: string, fetched: FetchedManifest, pinned?: Digest): Digest {
  if (pinned) {
    verifyBuffer(what, fetched.bytes, pinned);
    return pinned;
  }
  const claimed = fetched.digestHeader?.trim();
  const actual = digestOf(fetched.bytes, claimed ? parseDigest(claimed).algorithm : 'sha256');
  if (claimed && actual !== claimed.toLowerCase()) throw digestMismatch(what, claimed, actual);
  return actual;
}

/** A descriptor's size is part of what the digest vouches for: a blob of another size is wrong. */
function checkSize(what: string, bytes: Buffer, expected: number, claimedBy: string): void {
  if (bytes.length !== expected) {
    throw new DrydockError(
      'digest-mismatch',
      `${what}: ${bytes.length} bytes, but ${claimedBy} says ${expected}`,
    );
  }
}

export class RegistrySource implements ImageSource {
  readonly name: string;
  private readonly client: RegistryClient;
  private readonly limits: Limits;

  constructor(
    private readonly ref: ImageReference,
    options: RegistrySourceOptions = {},
  ) {
    this.name = formatReference(ref);
    checkReference(ref, this.name);
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.client = new RegistryClient({
      registry: ref.registry,
      repository: ref.repository,
      image: this.name,
      connection: options.connection,
      credentials: options.credentials,
      timeoutMs: options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
      userAgent: options.userAgent ?? DEFAULT_USER_AGENT,
      sleep: options.sleep,
    });
  }

  async resolve(platform: PlatformSelector, signal?: AbortSignal): Promise<SourceImage[]> {
    const reference = this.ref.digest ?? this.ref.tag ?? 'latest';
    const top = await this.fetchManifest(reference, `image ${this.name}`, this.ref.digest, signal);
    if (top.parsed.kind === 'image') return [await this.image(top, undefined, signal)];
    const picked = selectManifests(`image ${this.name}`, top.parsed.manifests, platform);
    const images: SourceImage[] = [];
    for (const descriptor of picked) {
      const what = `manifest ${descriptor.digest} of image ${this.name}`;
      const child = await this.fetchManifest(descriptor.digest, what, descriptor.digest, signal);
      checkSize(what, child.raw, descriptor.size, 'the index');
      images.push(await this.image(child, top.digest, signal));
    }
    return images;
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private async fetchManifest(
    reference: string,
    what: string,
    pinned: Digest | undefined,
    signal?: AbortSignal,
  ): Promise<VerifiedManifest> {
    const fetched = await this.client.fetchManifest(
      reference,
      ACCEPT,
      this.limits.maxManifestBytes,
      what,
      signal,
    );
    const doc = readManifestJson(fetched.bytes, fetched.contentType, what);
    const digest = manifestDigest(what, fetched, pinned);
    return {
      digest,
      raw: fetched.bytes,
      parsed: interpretManifest(doc, fetched.contentType, what),
    };
  }

  private async image(
    manifest: VerifiedManifest,
    indexDigest: Digest | undefined,
    signal?: AbortSignal,
  ): Promise<SourceImage> {
    const { parsed } = manifest;
    if (parsed.kind !== 'image') {
      throw new DrydockError(
        'unsupported',
        `image ${this.name}: an index inside an index is not supported`,
      );
    }
    const rawConfig = await this.fetchConfig(parsed.config, signal);
    const config = parseImageConfig(rawConfig, `config of image ${this.name}`);
    const diffIds = config.rootfs?.diff_ids ?? [];
    const layers: LayerDescriptor[] = parsed.layers.map((d, index) => ({
      index,
      digest: d.digest,
      diffId: diffIds[index],
      mediaType: d.mediaType,
      size: d.size,
    }));
    return {
      name: this.name,
      reference: this.ref,
      manifestDigest: manifest.digest,
      manifestMediaType: parsed.mediaType,
      rawManifest: manifest.raw,
      indexDigest,
      configDigest: parsed.config.digest,
      config,
      rawConfig,
      layers,
      openLayer: (layer, layerSignal) => this.openLayer(layer, layerSignal),
    };
  }

  private async fetchConfig(descriptor: Descriptor, signal?: AbortSignal): Promise<Buffer> {
    const what = `config ${descriptor.digest} of image ${this.name}`;
    if (!CONFIG_TYPES.has(descriptor.mediaType)) {
      throw new DrydockError(
        'unsupported',
        `image ${this.name} is not a container image: its config has media type "${printable(descriptor.mediaType, 100)}"`,
      );
    }
    if (descriptor.size > this.limits.maxManifestBytes) {
      throw limitExceeded(
        `${what} (${descriptor.size} bytes)`,
        `${this.limits.maxManifestBytes} bytes`,
      );
    }
    const bytes = await this.client.fetchBlob(
      descriptor.digest,
      this.limits.maxManifestBytes,
      what,
      signal,
    );
    checkSize(what, bytes, descriptor.size, 'the manifest');
    return bytes;
  }

  private async openLayer(layer: LayerDescriptor, signal?: AbortSignal): Promise<Readable> {
    if (!layer.digest) {
      throw new DrydockError(
        'invalid-argument',
        `layer ${layer.index} of ${this.name} has no digest`,
      );
    }
    const what = `layer ${layer.index} (${layer.digest}) of image ${this.name}`;
    return this.client.openBlob(layer.digest, layer.size, what, signal);
  }
}
