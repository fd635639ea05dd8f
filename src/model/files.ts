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

/** What a collector is told about a regular file before its content streams past. */
export interface CollectableFile {
  /** Absolute, normalised path inside the image root. */
  readonly path: string;
  /** Content size from the tar header. */
  readonly size: number;
  /** Permission bits (0o755, suid 0o4000 …). */
  readonly mode: number;
}

/** Reads one file's content as it streams past (chunks are views: copy what you keep). */
export interface CollectorSink {
  write(chunk: Buffer): void;
  /**
   * What to keep of this file: any value `structuredClone` can copy (it is cached with the
   * layer), or undefined for nothing. Runs while the layer is read, so keep it small.
   */
  end(): unknown;
}

/**
 * Asks the layer reader to look at some files while they stream past and keep what it learns
 * (the bytes of a dpkg status file, the packages inside a jar), so catalogers can work later
 * without the layer. Its name and version are part of the layer cache key.
 */
export interface FileCollector {
  /** Stable name, e.g. `dpkg-status`. */
  readonly name: string;
  /** Bump when what is kept changes, so cached layer results are not reused. */
  readonly version: number;
  /** A sink for a file this collector wants, or undefined. Called for every regular file. */
  open(file: CollectableFile): CollectorSink | undefined;
}

/** What one collector kept of one file. */
export interface CollectedFile {
  path: string;
  collector: string;
  value: unknown;
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
  /** What collectors kept, for the last entry of each path in this layer. */
  collected: CollectedFile[];
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
