/**
 * The common shapes of FileCollector, so a cataloger states only which files it wants and how
 * to read them: keep the bytes (a dpkg status file), or parse them while the layer streams and
 * keep only the result (the packages inside a jar).
 */
import type { CollectableFile, CollectorSink, FileCollector } from '../model/index.js';
import type { FileTree } from '../source/squash.js';

/** The start of a file, up to a collector's limit. */
export interface KeptBytes {
  data: Buffer;
  /** True when the file was larger than the limit and `data` holds only its start. */
  truncated: boolean;
}

/** A collector whose kept values have type T (the cache holds only what the collector made). */
export interface TypedCollector<T> extends FileCollector {
  /** Never set: carries T for `collectedValues`. */
  readonly valueType?: T;
}

export interface BytesCollectorSpec<T> {
  name: string;
  version: number;
  /** Most bytes kept of one file. */
  maxBytes: number;
  wants(file: CollectableFile): boolean;
  /**
   * Decides from the file's first bytes (up to `bytes` of them) that it is not wanted after all,
   * so the rest is never copied: a scanner of text files drops binaries this way.
   */
  rejectByStart?: { bytes: number; test(start: Buffer): boolean };
  /** Turns the bytes into the value kept; may return undefined to keep nothing. */
  parse(bytes: KeptBytes, path: string): T | undefined;
}

/** Keeps up to `maxBytes` of each wanted file and keeps what `parse` makes of them. */
export function bytesCollector<T>(spec: BytesCollectorSpec<T>): TypedCollector<T> {
  return {
    name: spec.name,
    version: spec.version,
    open(file) {
      return spec.wants(file) ? new KeepBytesSink(file, spec) : undefined;
    },
  };
}

/** A collector that reads the stream itself (e.g. scanning a binary for a marker). */
export function streamCollector<T>(spec: {
  name: string;
  version: number;
  open(file: CollectableFile): CollectorSink | undefined;
}): TypedCollector<T> {
  return spec;
}

class KeepBytesSink<T> implements CollectorSink {
  /** Sized from the tar header, so bytes are copied once and never concatenated. */
  private readonly data: Buffer;
  private filled = 0;
  /** Set once the start has been tested (true: rejected, nothing more is copied). */
  private rejected: boolean | undefined;

  constructor(
    private readonly file: CollectableFile,
    private readonly spec: BytesCollectorSpec<T>,
  ) {
    this.data = Buffer.allocUnsafe(Math.min(file.size, spec.maxBytes));
  }

  write(chunk: Buffer): void {
    if (this.rejected === true || this.filled >= this.data.length) return;
    this.filled += chunk.copy(this.data, this.filled);
    const check = this.spec.rejectByStart;
    if (check !== undefined && this.rejected === undefined && this.filled >= check.bytes)
      this.rejected = check.test(this.data.subarray(0, check.bytes));
  }

  end(): T | undefined {
    // A file shorter than the sniffed length is tested whole.
    this.rejected ??= this.spec.rejectByStart?.test(this.data.subarray(0, this.filled)) ?? false;
    if (this.rejected) return undefined;
    const bytes = {
      data: this.data.subarray(0, this.filled),
      truncated: this.file.size > this.spec.maxBytes,
    };
    return this.spec.parse(bytes, this.file.path);
  }
}

/** What `collector` kept of the visible files of `tree`, sorted by path. */
export function collectedValues<T>(
  tree: FileTree,
  collector: TypedCollector<T>,
): { path: string; value: T }[] {
  return tree.collectedBy(collector.name).map((file) => ({
    path: file.path,
    value: file.value as T,
  }));
}

/** What `collector` kept of the file `path` leads to (symlinks followed). */
export function collectedAt<T>(
  tree: FileTree,
  path: string,
  collector: TypedCollector<T>,
): T | undefined {
  return tree.collectedResolved(path, collector.name) as T | undefined;
}
