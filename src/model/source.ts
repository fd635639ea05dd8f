/** The contract between image sources (registry, archives, directories) and the analyser. */
import type { Readable } from 'node:stream';
import type {
  Descriptor,
  Digest,
  ImageConfigFile,
  ImageReference,
  LayerDescriptor,
  PlatformSelector,
} from './image.js';

/** One image (one platform) that a source resolved, ready to have its layers read. */
export interface SourceImage {
  /** What the user named, for messages: `docker.io/library/alpine:3.19`, `oci-dir:/x:tag`. */
  name: string;
  /** Set when the image came from a registry. */
  reference?: ImageReference;
  /** Digest of the image manifest (absent for plain directories). */
  manifestDigest?: Digest;
  manifestMediaType?: string;
  /** The manifest bytes exactly as served, verified against `manifestDigest`. */
  rawManifest?: Buffer;
  /** Digest of the manifest list / index this image was selected from, if any. */
  indexDigest?: Digest;
  /** Digest of the config blob: the image ID. */
  configDigest?: Digest;
  config: ImageConfigFile;
  /** The config bytes as stored, verified against `configDigest`. */
  rawConfig?: Buffer;
  layers: LayerDescriptor[];
  /**
   * Opens the layer blob as stored (possibly compressed). The stream errors with a
   * DigestMismatchError at its end if the bytes do not match `layer.digest`.
   */
  openLayer(layer: LayerDescriptor, signal?: AbortSignal): Promise<Readable>;
}

/** Something that can name one or more images: a registry reference, an archive, a directory. */
export interface ImageSource {
  /** What the user named, for messages. */
  readonly name: string;
  /** Resolves to one image per selected platform (`all` picks every platform of an index). */
  resolve(platform: PlatformSelector, signal?: AbortSignal): Promise<SourceImage[]>;
  /** Releases files or connections. Safe to call twice. */
  close(): Promise<void>;
}

/** Registry credentials for one registry host. Never logged, never returned by the API. */
export type Credentials =
  | { kind: 'basic'; username: string; password: string }
  /** An identity token (Docker's `identitytoken`), exchanged as an OAuth2 refresh token. */
  | { kind: 'identity-token'; token: string; username?: string };

/** Finds credentials for a registry host (`docker.io`, `127.0.0.1:5000`). */
export interface CredentialStore {
  lookup(registry: string): Promise<Credentials | undefined>;
}

/** How to reach one registry. Defaults come from the registry host (loopback → plain HTTP). */
export interface RegistryConnection {
  /** Use plain HTTP (and fall back to it from HTTPS), as Docker's `insecure-registries`. */
  insecure?: boolean;
  /** Accept any TLS certificate. */
  skipTlsVerify?: boolean;
  /** PEM file with extra CA certificates, added to the system ones. */
  caFile?: string;
}

/** Progress events while layers are read; the CLI draws them on stderr. */
export interface ProgressListener {
  layerStart?(image: string, layer: LayerDescriptor): void;
  layerBytes?(image: string, layer: LayerDescriptor, bytesRead: number): void;
  layerDone?(image: string, layer: LayerDescriptor, fromCache: boolean): void;
}

export type { Descriptor };
