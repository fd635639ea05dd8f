/**
 * Reads one layer blob in a single pass: decompress, parse the tar, hash every regular file while
 * it streams, keep the few files collectors asked for, and note whiteouts. The result is small
 * and is what the layer cache stores.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type {
  CollectedFile,
  CollectorSink,
  FileCollector,
  LayerAnalysis,
  LayerDescriptor,
  LayerFileEntry,
  Limits,
} from '../../model/index.js';
import { digestMismatch } from '../../model/index.js';
import { BoundedMessages } from '../../util/bounded-messages.js';
import { parseDigest } from '../digest.js';
import { LayerDecompressor, type ByteBudget } from './decompress.js';
import { baseName, childPath, normalizeEntryPath, parentPath } from './paths.js';
import { readTar, type TarContentSink, type TarHeader, type TarVisitor } from './tar-reader.js';

/** Bump whenever the analysis of the same bytes would come out different; it keys the cache. */
export const LAYER_ANALYZER_VERSION = 3;

export interface AnalyzeLayerOptions {
  limits: Limits;
  collectors: readonly FileCollector[];
  /** Also compute md5 of regular files. */
  md5?: boolean;
  /** Shared by all layers of one image (limits.maxImageBytes). */
  budget: ByteBudget;
  /** Progress: compressed bytes read so far. */
  onBytes?: (compressedBytesSoFar: number) => void;
}

/** Warnings beyond this many are counted, not kept: a hostile layer could make millions. */
const MAX_WARNINGS = 100;
const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
/** Other `.wh..wh.` names are AUFS bookkeeping (hard-link dirs and the like), not deletions. */
const AUFS_META_PREFIX = '.wh..wh.';

export async function analyzeLayer(
  input: Readable,
  layer: LayerDescriptor,
  options: AnalyzeLayerOptions,
): Promise<LayerAnalysis> {
  const layerName = layer.digest ?? `#${layer.index} (generated)`;
  // Generated layers have no digest of their own: name them by the bytes read.
  const blobHash = layer.digest === undefined ? createHash('sha256') : undefined;
  const decompressed = new LayerDecompressor(input as AsyncIterable<Buffer>, {
    layerName,
    limits: options.limits,
    budget: options.budget,
    onCompressed: (chunk, total) => {
      blobHash?.update(chunk);
      options.onBytes?.(total);
    },
  });
  const reader = new LayerReader(options);
  // Only layers whose blob digest does not tie them to the image pay for a second hash.
  const diffIdCheck =
    layer.verifyDiffId === true && layer.diffId !== undefined
      ? { expected: layer.diffId, hash: createHash(parseDigest(layer.diffId).algorithm) }
      : undefined;
  const tar = diffIdCheck === undefined ? decompressed : hashed(decompressed, diffIdCheck.hash);
  await readTar(tar, reader, { layerName, limits: options.limits });
  if (diffIdCheck !== undefined) checkDiffId(layerName, diffIdCheck.expected, diffIdCheck.hash);
  return {
    digest: layer.digest ?? `sha256:${blobHash?.digest('hex') ?? ''}`,
    mediaType: layer.mediaType,
    compressedSize: decompressed.compressedBytes,
    uncompressedSize: decompressed.decompressedBytes,
    ...reader.result(),
  };
}

/** Passes the chunks on, hashing each before the tar reader (which may reuse it) sees it. */
async function* hashed(chunks: AsyncIterable<Buffer>, hash: Hash): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) {
    hash.update(chunk);
    yield chunk;
  }
}

/** The whole uncompressed stream, end-of-archive blocks and trailing bytes included. */
function checkDiffId(layerName: string, expected: string, hash: Hash): void {
  const actual = `${parseDigest(expected).algorithm}:${hash.digest('hex')}`;
  if (actual !== expected.toLowerCase()) {
    throw digestMismatch(
      `layer ${layerName} does not match the image config's diff_id`,
      expected,
      actual,
    );
  }
}

type LayerContents = Pick<
  LayerAnalysis,
  'entries' | 'whiteouts' | 'opaqueDirs' | 'collected' | 'warnings'
>;

/** Turns tar entries into layer entries, whiteouts and what collectors kept. */
class LayerReader implements TarVisitor {
  private readonly entries: LayerFileEntry[] = [];
  private readonly whiteouts: string[] = [];
  private readonly opaqueDirs: string[] = [];
  /** By path; a later entry for the same path drops what was kept of an earlier one. */
  private readonly collected = new Map<string, CollectedFile[]>();
  private readonly warnings = new BoundedMessages(MAX_WARNINGS);

  constructor(private readonly options: AnalyzeLayerOptions) {}

  entry(header: TarHeader): TarContentSink | undefined {
    const path = this.normalize(header.name);
    const name = baseName(path);
    if (name.startsWith(WHITEOUT_PREFIX)) {
      this.whiteout(path, name);
      return undefined;
    }
    if (path === '/' && header.type !== 'dir') {
      // Replacing the root with a file would hide the whole image; no runtime can apply it.
      this.warning(`tar entry "${header.name}" is a ${header.type} in place of the root; skipped`);
      return undefined;
    }
    const entry = this.toEntry(path, header);
    this.entries.push(entry);
    this.collected.delete(path);
    // Hard links keep size 0 and no digest here: the squash resolves them all, this layer's too.
    return entry.type === 'file' ? this.contentSink(entry) : undefined;
  }

  warning(message: string): void {
    this.warnings.add(message);
  }

  result(): LayerContents {
    return {
      entries: this.entries,
      whiteouts: this.whiteouts,
      opaqueDirs: this.opaqueDirs,
      collected: [...this.collected.values()].flat(),
      warnings: this.warnings.list('warnings'),
    };
  }

  private normalize(name: string): string {
    const { path, clamped, absolute } = normalizeEntryPath(name);
    if (clamped)
      this.warning(`tar entry "${name}" climbs above the root with '..'; read as ${path}`);
    else if (absolute) this.warning(`tar entry "${name}" has an absolute name; read as ${path}`);
    return path;
  }

  private toEntry(path: string, header: TarHeader): LayerFileEntry {
    const entry: LayerFileEntry = {
      path,
      type: header.type,
      mode: header.mode & 0o7777,
      uid: header.uid,
      gid: header.gid,
      size: header.size,
      mtime: header.mtime,
    };
    if (header.type === 'symlink') entry.linkTarget = header.linkName;
    if (header.type === 'hardlink') entry.linkTarget = this.normalize(header.linkName);
    if (header.type === 'char' || header.type === 'block') {
      entry.devMajor = header.devMajor;
      entry.devMinor = header.devMinor;
    }
    return entry;
  }

  private whiteout(path: string, name: string): void {
    const dir = parentPath(path);
    if (name === OPAQUE_MARKER) this.opaqueDirs.push(dir);
    else if (name.startsWith(AUFS_META_PREFIX)) return;
    else {
      const hidden = name.slice(WHITEOUT_PREFIX.length);
      if (hidden === '' || hidden === '.' || hidden === '..') {
        this.warning(`whiteout ${path} names no file; ignored`);
      } else {
        this.whiteouts.push(childPath(dir, hidden));
      }
    }
  }

  private contentSink(entry: LayerFileEntry): TarContentSink {
    const sinks: NamedSink[] = [];
    for (const collector of this.options.collectors) {
      try {
        const sink = collector.open({ path: entry.path, size: entry.size, mode: entry.mode });
        if (sink !== undefined) sinks.push({ name: collector.name, sink });
      } catch (error) {
        this.collectorFailed(collector.name, entry.path, error);
      }
    }
    return new FileContentSink(entry, this.options.md5 === true, sinks, this);
  }

  /** A collector that throws loses that file, not the layer; the warning is its only trace. */
  collectorFailed(collector: string, path: string, error: unknown): void {
    const why = error instanceof Error ? error.message : String(error);
    this.warning(`collector ${collector} could not read ${path}: ${why}`);
  }

  keep(file: CollectedFile): void {
    const kept = this.collected.get(file.path);
    if (kept === undefined) this.collected.set(file.path, [file]);
    else kept.push(file);
  }
}

interface NamedSink {
  name: string;
  sink: CollectorSink;
}

/** Where a file's sinks report: the layer reader. */
interface SinkOwner {
  collectorFailed(collector: string, path: string, error: unknown): void;
  keep(file: CollectedFile): void;
}

/** Hashes one regular file as it streams and hands it to the collectors that want it. */
class FileContentSink implements TarContentSink {
  private readonly sha256 = createHash('sha256');
  private readonly md5: Hash | undefined;

  constructor(
    private readonly entry: LayerFileEntry,
    md5: boolean,
    private sinks: NamedSink[],
    private readonly owner: SinkOwner,
  ) {
    this.md5 = md5 ? createHash('md5') : undefined;
  }

  write(chunk: Buffer): void {
    this.sha256.update(chunk);
    this.md5?.update(chunk);
    let failed: Set<NamedSink> | undefined;
    for (const named of this.sinks) {
      try {
        named.sink.write(chunk);
      } catch (error) {
        this.owner.collectorFailed(named.name, this.entry.path, error);
        (failed ??= new Set()).add(named);
      }
    }
    // Rare: only then is the list rebuilt, without the sinks that threw.
    if (failed !== undefined) this.sinks = this.sinks.filter((named) => !failed.has(named));
  }

  end(): void {
    this.entry.sha256 = this.sha256.digest('hex');
    if (this.md5 !== undefined) this.entry.md5 = this.md5.digest('hex');
    for (const { name, sink } of this.sinks) {
      try {
        const value = sink.end();
        if (value !== undefined) this.owner.keep({ path: this.entry.path, collector: name, value });
      } catch (error) {
        this.owner.collectorFailed(name, this.entry.path, error);
      }
    }
  }
}
