/** The result of analysing one image: its metadata and its squashed file inventory. */
import type { ContainerConfig, Digest, HistoryEntry } from './image.js';
import type { FileEntry } from './files.js';
import type { ImageContent } from './packages.js';

export interface LayerSummary {
  index: number;
  digest?: Digest;
  diffId?: Digest;
  mediaType: string;
  /** Compressed size as stored. */
  size: number;
  /** Uncompressed tar size. */
  uncompressedSize: number;
  /** Files, directories and links this layer adds or replaces. */
  entryCount: number;
  /** The history line (Dockerfile instruction) that made this layer, when known. */
  createdBy?: string;
}

export interface Dockerfile {
  text: string;
  /** `supplied`: given by the user; `reconstructed`: rebuilt from the image history. */
  origin: 'supplied' | 'reconstructed';
}

export interface ImageMetadata {
  /** What the user named. */
  source: string;
  registry?: string;
  repository?: string;
  tag?: string;
  manifestDigest?: Digest;
  manifestMediaType?: string;
  /** Digest of the manifest list / index the image was picked from. */
  indexDigest?: Digest;
  /** The config digest, as Docker's image ID. */
  imageId?: Digest;
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  /** Sum of compressed layer sizes (as a registry stores them). */
  size: number;
  /** Sum of uncompressed layer sizes. */
  uncompressedSize: number;
  layerCount: number;
  layers: LayerSummary[];
  config: ContainerConfig;
  history: HistoryEntry[];
  dockerfile: Dockerfile;
}

export interface ImageAnalysis {
  metadata: ImageMetadata;
  /** The squashed tree, sorted by path. */
  files: FileEntry[];
  /** What the catalogers found; absent when none ran. */
  content?: ImageContent;
  warnings: string[];
}
