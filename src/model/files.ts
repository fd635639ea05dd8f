/** Types for what a layer holds and for the squashed file tree. */
import type { Digest } from './image.js';

export type FileType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

/** One entry of a layer's tar stream, after path normalisation. Whiteouts are not entries. */
export interface LayerFileEntry {
  /** Absolute, normalised path inside the image root: `/usr/bin/env`. */
  path: string;
  type: FileType;
  /** Permission bits including suid (0o4000), sgid (0o2000) and sticky (0o1000). */
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of content for regular files (and hard links once resolved); 0 otherwise. */
  size: number;
  /** Symlink target as written in the tar; for hard links, the normalised absolute target path. */
  linkTarget?: string;
  /** Lowercase hex sha256 of the content of regular files (and resolved hard links). */
  sha256?: string;
  /** Lowercase hex md5, only when asked for. */
  md5?: string;
  /** Modification time, seconds since the epoch. */
  mtime?: number;
  /** Device major/minor for char and block devices. */
  devMajor?: number;
  devMinor?: number;
}

/** Content of a file that a collector asked the layer reader to keep. */
export interface CapturedFile {
  path: string;
  /** The bytes, up to the collector's limit. */
  data: Buffer;
  /** True when the file was larger than the limit and `data` holds only its start. */
  truncated: boolean;
}

/**
 * Asks the layer reader to keep the contents of some files while they stream past, so that
 * catalogers can parse them later without the layer. Its version is part of the layer cache key.
 */
export interface FileCollector {
  /** Stable name, e.g. `dpkg-status`. */
  readonly name: string;
  /** Bump when `wants` or the kept bytes change, so cached layer results are not reused. */
  readonly version: number;
  /** Whether to keep the file at this normalised absolute path (size is the tar entry size). */
  wants(path: string, size: number): boolean;
  /** Most bytes kept of one file. */
  readonly maxBytes: number;
}

/** What reading one layer yields: small, cacheable by layer digest and analyser versions. */
export interface LayerAnalysis {
  /** Blob digest, or for generated layers the sha256 of the generated tar stream. */
  digest: Digest;
  mediaType: string;
  /** Bytes read from the source (compressed size). */
  compressedSize: number;
  /** Bytes of the uncompressed tar stream. */
  uncompressedSize: number;
  /** Entries in tar order; later duplicates of the same path replace earlier ones when squashing. */
  entries: LayerFileEntry[];
  /** Paths this layer deletes from lower layers (`.wh.name` files). */
  whiteouts: string[];
  /** Directories whose lower-layer contents this layer hides (`.wh..wh..opq`). */
  opaqueDirs: string[];
  /** Files kept for collectors, keyed by path. */
  captured: CapturedFile[];
  /** Things worth telling the user that did not stop the analysis (e.g. a `..` path clamped). */
  warnings: string[];
}

/** A file in the squashed view: the layer entry that is visible at the top of the image. */
export interface FileEntry extends LayerFileEntry {
  /** Digest of the layer that last wrote this path. */
  layerDigest: Digest;
  /** Index of that layer, 0 = base. */
  layerIndex: number;
}
