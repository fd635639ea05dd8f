/**
 * Manifests, indexes and image configs as every source reads them (registry, OCI layout, OCI
 * and Docker archives): strict shape checks on untrusted JSON, the one rule tying layers to
 * diff_ids, and the SourceImage built from a verified manifest and config.
 */
import { addAbortSignal, pipeline, type Readable } from 'node:stream';
import { DrydockError, limitExceeded } from '../model/index.js';
import type {
  Descriptor,
  Digest,
  ErrorCode,
  ImageConfigFile,
  ImageReference,
  LayerDescriptor,
  SourceImage,
} from '../model/index.js';
import { DigestVerifier, parseDigest } from './digest.js';
import { printable } from '../util/text.js';

export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/** The manifest and index types drydock reads, e.g. for an HTTP Accept header. */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.dockerManifest,
  MEDIA_TYPES.dockerList,
];
const INDEX_TYPES = new Set<string>([MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerList]);
const IMAGE_TYPES = new Set<string>([MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest]);
const CONFIG_TYPES = new Set<string>([MEDIA_TYPES.ociConfig, MEDIA_TYPES.dockerConfig]);
const SCHEMA1_TYPES = new Set<string>([MEDIA_TYPES.dockerSchema1, MEDIA_TYPES.dockerSchema1Signed]);

/** Far beyond real images (Docker stops at 127 layers), small enough to bound the work. */
export const MAX_LAYERS = 1000;
const MAX_INDEX_ENTRIES = 1000;

export interface IndexManifest {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
}

export interface ImageManifest {
  kind: 'image';
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

export type ParsedManifest = IndexManifest | ImageManifest;

/** Where a document came from: decides the error code and what the user is told to do. */
export type Origin = 'registry' | 'archive';

const BROKEN: Record<Origin, { code: ErrorCode; hint: string }> = {
  registry: { code: 'registry-error', hint: 'the registry serves a broken document' },
  archive: {
    code: 'invalid-argument',
    hint: 'the image files are damaged; write them again (docker save, skopeo copy)',
  },
};

/** `what is malformed: path why; hint`: `path` names the field, as `layers[2].digest`. */
export function malformed(what: string, path: string, why: string, origin: Origin): DrydockError {
  const { code, hint } = BROKEN[origin];
  return new DrydockError(code, `${what} is malformed: ${path} ${why}; ${hint}`);
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
export const isStringArray = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((s) => typeof s === 'string');
const isStringRecord = (v: unknown): v is Record<string, string> =>
  isObject(v) && Object.values(v).every((s) => typeof s === 'string');
const isObjectRecord = (v: unknown): v is Record<string, object> =>
  isObject(v) && Object.values(v).every(isObject);

function isDigest(text: string): boolean {
  try {
    parseDigest(text);
    return true;
  } catch {
    return false;
  }
}

/** `application/json; charset=utf-8` → `application/json`. */
function bareType(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]?.trim().toLowerCase();
}

/** Parses a JSON document, refusing anything else. */
export function parseJsonDocument(bytes: Buffer, what: string, origin: Origin): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    const detail = e instanceof Error ? ` (${printable(e.message, 100)})` : '';
    throw malformed(what, 'the document', `is not JSON${detail}`, origin);
  }
}

/**
 * Parses manifest bytes far enough to refuse Docker schema 1 — whose digests cover a different
 * form of the document, so this must come before digest verification. Returns the JSON, or
 * undefined when it is not JSON (which digest verification or interpretManifest then reports).
 * `declaredType` is the type the manifest was served as or its descriptor names.
 */
export function readManifestJson(
  bytes: Buffer,
  declaredType: string | undefined,
  what: string,
): unknown {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    doc = undefined;
  }
  const type = bareType(declaredType);
  if ((type && SCHEMA1_TYPES.has(type)) || (isObject(doc) && doc.schemaVersion === 1)) {
    throw new DrydockError(
      'unsupported',
      `${what} uses Docker image manifest schema 1, which drydock does not support; push it again with a current Docker or skopeo`,
    );
  }
  return doc;
}

function checkDescriptor(value: unknown, path: string, what: string, origin: Origin): Descriptor {
  const fail = (field: string, why: string) => malformed(what, `${path}.${field}`, why, origin);
  if (!isObject(value)) throw malformed(what, path, 'is not an object', origin);
  const { mediaType, digest, size, annotations, platform, urls } = value;
  if (typeof mediaType !== 'string') throw fail('mediaType', 'is not a string');
  if (typeof digest !== 'string' || !isDigest(digest))
    throw fail('digest', 'is not a valid digest');
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw fail('size', 'is not a byte count');
  }
  if (annotations !== undefined && !isStringRecord(annotations)) {
    throw fail('annotations', 'is not a map of strings');
  }
  if (urls !== undefined && !isStringArray(urls)) throw fail('urls', 'is not a list of strings');
  if (
    platform !== undefined &&
    !(
      isObject(platform) &&
      typeof platform.os === 'string' &&
      typeof platform.architecture === 'string' &&
      ['undefined', 'string'].includes(typeof platform.variant)
    )
  ) {
    throw fail('platform', 'lacks os/architecture');
  }
  return value as unknown as Descriptor;
}

function checkDescriptors(
  value: unknown,
  path: string,
  max: number,
  what: string,
  origin: Origin,
): Descriptor[] {
  if (!Array.isArray(value)) throw malformed(what, path, 'is not a list', origin);
  if (value.length > max) throw limitExceeded(`${what}: ${path}`, `${max} entries`);
  return value.map((d, i) => checkDescriptor(d, `${path}[${i}]`, what, origin));
}

/** A config of another type is an artifact (a Helm chart, a signature), not a container image. */
function checkConfigType(config: Descriptor, what: string): void {
  if (!CONFIG_TYPES.has(config.mediaType)) {
    throw new DrydockError(
      'unsupported',
      `${what} is not a container image: its config has media type "${printable(config.mediaType, 100)}"`,
    );
  }
}

/**
 * Checks the shape of a schema 2 / OCI image manifest or index (already parsed as JSON). The
 * document's own mediaType wins over `declaredType`; with neither, its fields tell.
 */
export function interpretManifest(
  doc: unknown,
  declaredType: string | undefined,
  what: string,
  origin: Origin,
): ParsedManifest {
  if (!isObject(doc)) throw malformed(what, 'the document', 'is not a JSON object', origin);
  const mediaType =
    typeof doc.mediaType === 'string' ? doc.mediaType : (bareType(declaredType) ?? '');
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
      manifests: checkDescriptors(doc.manifests, 'manifests', MAX_INDEX_ENTRIES, what, origin),
    };
  }
  const config = checkDescriptor(doc.config, 'config', what, origin);
  checkConfigType(config, what);
  return {
    kind: 'image',
    mediaType: mediaType || MEDIA_TYPES.ociManifest,
    config,
    layers: checkDescriptors(doc.layers, 'layers', MAX_LAYERS, what, origin),
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
function checkFields(
  obj: Json,
  fields: Record<string, FieldKind>,
  path: string,
  what: string,
  origin: Origin,
): void {
  for (const [name, kind] of Object.entries(fields)) {
    const v = obj[name];
    if (v !== undefined && v !== null && !FIELD_CHECKS[kind](v)) {
      throw malformed(what, `${path}${name}`, `is not of type ${kind}`, origin);
    }
  }
}

function checkContainerConfig(config: Json, what: string, origin: Origin): void {
  checkFields(config, CONTAINER_FIELDS, 'config.', what, origin);
  if (isObject(config.Healthcheck)) {
    checkFields(config.Healthcheck, HEALTHCHECK_FIELDS, 'config.Healthcheck.', what, origin);
  }
  for (const name of ['ExposedPorts', 'Volumes']) {
    if (config[name] != null && !isObjectRecord(config[name])) {
      throw malformed(what, `config.${name}`, 'is not a map of objects', origin);
    }
  }
  if (config.Labels != null && !isStringRecord(config.Labels)) {
    throw malformed(what, 'config.Labels', 'is not a map of strings', origin);
  }
}

function checkHistory(history: unknown, what: string, origin: Origin): void {
  if (history == null) return;
  if (!Array.isArray(history)) throw malformed(what, 'history', 'is not a list', origin);
  history.forEach((h, i) => {
    if (!isObject(h)) throw malformed(what, `history[${i}]`, 'is not an object', origin);
    checkFields(h, HISTORY_FIELDS, `history[${i}].`, what, origin);
  });
}

/** Parses an image config blob, checking the type of every field drydock reads. */
export function parseImageConfig(bytes: Buffer, what: string, origin: Origin): ImageConfigFile {
  const doc = parseJsonDocument(bytes, what, origin);
  if (!isObject(doc)) throw malformed(what, 'the document', 'is not a JSON object', origin);
  checkFields(doc, CONFIG_FIELDS, '', what, origin);
  const { config, rootfs, history } = doc;
  if (isObject(config)) checkContainerConfig(config, what, origin);
  if (isObject(rootfs) && !(isStringArray(rootfs.diff_ids) && rootfs.diff_ids.every(isDigest))) {
    throw malformed(what, 'rootfs.diff_ids', 'is not a list of digests', origin);
  }
  checkHistory(history, what, origin);
  return doc;
}

/**
 * The config's diff_ids, one per layer. A config that disagrees with its manifest is broken:
 * a layer without its diff_id could not be tied to the image.
 */
export function diffIdsFor(
  config: ImageConfigFile,
  layerCount: number,
  what: string,
  origin: Origin,
): Digest[] {
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== layerCount) {
    const why = `lists ${diffIds.length} layers but the manifest has ${layerCount}`;
    throw malformed(what, 'rootfs.diff_ids', why, origin);
  }
  return diffIds;
}

/** A descriptor's size is part of what the digest vouches for: a blob of another size is wrong. */
export function checkSize(what: string, bytes: Buffer, expected: number, claimedBy: string): void {
  if (bytes.length !== expected) {
    throw new DrydockError(
      'digest-mismatch',
      `${what}: ${bytes.length} bytes, but ${claimedBy} says ${expected}`,
    );
  }
}

/** An image manifest and its config, both already verified against their digests. */
export interface VerifiedImage {
  /** What the user named, for SourceImage.name. */
  name: string;
  reference?: ImageReference;
  manifestDigest: Digest;
  rawManifest: Buffer;
  manifest: ImageManifest;
  indexDigest?: Digest;
  rawConfig: Buffer;
  /** Names the config in messages. */
  configWhat: string;
  origin: Origin;
  openLayer: SourceImage['openLayer'];
}

/** Parses the config and pairs each manifest layer with its diff_id. */
export function sourceImage(image: VerifiedImage): SourceImage {
  const { manifest, rawConfig, configWhat, origin } = image;
  const config = parseImageConfig(rawConfig, configWhat, origin);
  const diffIds = diffIdsFor(config, manifest.layers.length, configWhat, origin);
  const layers: LayerDescriptor[] = manifest.layers.map((d, index) => ({
    index,
    digest: d.digest,
    diffId: diffIds[index],
    mediaType: d.mediaType,
    size: d.size,
  }));
  return {
    name: image.name,
    reference: image.reference,
    manifestDigest: image.manifestDigest,
    manifestMediaType: manifest.mediaType,
    rawManifest: image.rawManifest,
    indexDigest: image.indexDigest,
    configDigest: manifest.config.digest,
    config,
    rawConfig,
    layers,
    openLayer: image.openLayer,
  };
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
