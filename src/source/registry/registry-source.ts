/**
 * An ImageSource for an image in an OCI distribution registry: resolves a tag or digest to one
 * image per selected platform (following indexes / manifest lists), verifies every manifest and
 * config against its digest, and streams layers through a digest check.
 */
import type { Readable } from 'node:stream';
import { DEFAULT_LIMITS, DrydockError, digestMismatch, limitExceeded } from '../../model/index.js';
import type {
  CredentialStore,
  Descriptor,
  Digest,
  ImageReference,
  ImageSource,
  LayerDescriptor,
  Limits,
  PlatformSelector,
  RegistryConnection,
  SourceImage,
} from '../../model/index.js';
import { formatReference, validateReference } from '../../reference/reference.js';
import { digestOf, parseDigest, verifyBuffer } from '../digest.js';
import {
  MANIFEST_MEDIA_TYPES,
  checkSize,
  interpretManifest,
  readManifestJson,
  sourceImage,
  type ParsedManifest,
} from '../manifest.js';
import { selectManifests } from '../platform.js';
import { RegistryClient, type FetchedManifest } from './client.js';
import type { HttpClientOptions } from './http.js';

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

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_RETRIES = 4;
const DEFAULT_USER_AGENT = 'drydock';

interface VerifiedManifest {
  digest: Digest;
  raw: Buffer;
  parsed: ParsedManifest;
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

export class RegistrySource implements ImageSource {
  readonly name: string;
  private readonly client: RegistryClient;
  private readonly limits: Limits;

  constructor(
    private readonly ref: ImageReference,
    options: RegistrySourceOptions = {},
  ) {
    this.name = formatReference(ref);
    // The reference may be built in code: its parts go into URLs, so check them first.
    validateReference(ref, this.name);
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
    // Each platform's manifest and config are independent requests: fetch them in parallel.
    return Promise.all(
      picked.map(async (descriptor) => {
        const what = `manifest ${descriptor.digest} of image ${this.name}`;
        const child = await this.fetchManifest(descriptor.digest, what, descriptor.digest, signal);
        checkSize(what, child.raw, descriptor.size, 'the index');
        return this.image(child, top.digest, signal);
      }),
    );
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
      MANIFEST_MEDIA_TYPES,
      this.limits.maxManifestBytes,
      what,
      signal,
    );
    const doc = readManifestJson(fetched.bytes, fetched.contentType, what);
    const digest = manifestDigest(what, fetched, pinned);
    return {
      digest,
      raw: fetched.bytes,
      parsed: interpretManifest(doc, fetched.contentType, what, 'registry'),
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
    const configWhat = `config ${parsed.config.digest} of image ${this.name}`;
    return sourceImage({
      name: this.name,
      reference: this.ref,
      manifestDigest: manifest.digest,
      rawManifest: manifest.raw,
      manifest: parsed,
      indexDigest,
      rawConfig: await this.fetchConfig(parsed.config, configWhat, signal),
      configWhat,
      origin: 'registry',
      openLayer: (layer, layerSignal) => this.openLayer(layer, layerSignal),
    });
  }

  private async fetchConfig(
    descriptor: Descriptor,
    what: string,
    signal?: AbortSignal,
  ): Promise<Buffer> {
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
