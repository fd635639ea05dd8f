/** Types describing images as registries and archives present them (OCI image spec shapes). */

/** A content digest, `algorithm:hex`, e.g. `sha256:e3b0c4…`. */
export type Digest = string;

/** A parsed, normalised image reference: `docker.io/library/alpine:3.19@sha256:…`. */
export interface ImageReference {
  /** Registry host with optional port, normalised (`docker.io`, `127.0.0.1:5000`). */
  registry: string;
  /** Repository path inside the registry (`library/alpine`). */
  repository: string;
  /** Tag; `latest` is filled in only when neither tag nor digest was given. */
  tag?: string;
  digest?: Digest;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** `linux/amd64`, `linux/arm64/v8`, or `all` (every platform of an index). */
export type PlatformSelector = Platform | 'all';

/** An OCI content descriptor. */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform & { 'os.version'?: string; 'os.features'?: string[] };
  urls?: string[];
}

/** The image configuration JSON (OCI image-spec `config.json`, Docker's image JSON). */
export interface ImageConfigFile {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  author?: string;
  config?: ContainerConfig;
  rootfs?: { type: string; diff_ids: Digest[] };
  history?: HistoryEntry[];
}

export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  Shell?: string[];
  Healthcheck?: {
    Test?: string[];
    Interval?: number;
    Timeout?: number;
    StartPeriod?: number;
    Retries?: number;
  };
  OnBuild?: string[] | null;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** One layer of an image as its manifest lists it. */
export interface LayerDescriptor {
  /** Position in the image, 0 = base. */
  index: number;
  /**
   * Digest of the blob as stored (compressed). Undefined for layers a source makes on the fly
   * (a plain directory): those are neither verified nor cached.
   */
  digest?: Digest;
  /** Uncompressed digest from the config's `rootfs.diff_ids`, when known. */
  diffId?: Digest;
  /**
   * The blob digest does not tie this layer to the image (a compressed member of a docker
   * archive): the analyser checks the uncompressed stream against `diffId` instead.
   */
  verifyDiffId?: boolean;
  mediaType: string;
  /** Compressed size in bytes, when known. */
  size?: number;
}
