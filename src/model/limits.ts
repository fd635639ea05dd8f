/** Bounds on untrusted input. Every reader of image bytes takes these. */
export interface Limits {
  /** Most tar entries in one layer. */
  maxEntriesPerLayer: number;
  /** Most decompressed bytes in one image (all layers together). */
  maxImageBytes: number;
  /** Most decompressed/compressed ratio of one layer, checked once past `ratioGraceBytes`. */
  maxCompressionRatio: number;
  /** Decompressed bytes of a layer before the ratio is checked (small layers compress well). */
  ratioGraceBytes: number;
  /** Most bytes of a manifest, index or config document. */
  maxManifestBytes: number;
  /** Most symlinks followed while resolving one path (Linux uses 40). */
  maxSymlinkHops: number;
  /** Longest path accepted from a tar entry, in bytes. */
  maxPathBytes: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxEntriesPerLayer: 2_000_000,
  maxImageBytes: 64 * 1024 ** 3,
  maxCompressionRatio: 200,
  ratioGraceBytes: 256 * 1024 ** 2,
  maxManifestBytes: 4 * 1024 ** 2,
  maxSymlinkHops: 40,
  maxPathBytes: 4096,
};
