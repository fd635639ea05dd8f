/**
 * Ties a source, the layer pipeline and the layer cache into one ImageAnalysis: read the layers
 * (a few at a time, cached ones not at all), squash them, describe the image.
 */
import { limitExceeded } from '../model/index.js';
import type {
  FileCollector,
  ImageAnalysis,
  ImageSource,
  LayerAnalysis,
  LayerDescriptor,
  Limits,
  PlatformSelector,
  ProgressListener,
  SourceImage,
} from '../model/index.js';
import type { ImageCataloger } from '../catalog/catalog-image.js';
import { analyzerKey, type LayerCache } from '../source/layer-cache.js';
import { analyzeLayer } from '../source/layers/analyze-layer.js';
import type { ByteBudget } from '../source/layers/decompress.js';
import { squashLayers, type FileTree } from '../source/squash.js';
import { buildMetadata } from './metadata.js';

const DEFAULT_LAYER_CONCURRENCY = 3;

export interface AnalyzeOptions {
  limits: Limits;
  /** Collectors to run besides the cataloger's. */
  collectors: readonly FileCollector[];
  /** Content analysis (packages, distro, secrets); without it only files and metadata. */
  cataloger?: ImageCataloger;
  /** Layer results by digest; without it every layer is read. */
  cache?: LayerCache;
  /** Also compute md5 of regular files. */
  md5?: boolean;
  /** Layers read at the same time. Default 3. */
  concurrency?: number;
  progress?: ProgressListener;
  /** Dockerfile text the user supplied; without it one is rebuilt from the history. */
  dockerfile?: string;
  /** Stops the analysis (the reads in flight are aborted). */
  signal?: AbortSignal;
}

export interface ImageResult {
  analysis: ImageAnalysis;
  /** The squashed tree, for catalogers that look files up by path. */
  tree: FileTree;
}

export async function analyzeImage(
  image: SourceImage,
  options: AnalyzeOptions,
): Promise<ImageResult> {
  const { cataloger } = options;
  const collectors = cataloger
    ? [...options.collectors, ...cataloger.collectors]
    : options.collectors;
  const { layers, warnings } = await readLayers(image, { ...options, collectors });
  const tree = squashLayers(
    layers.map((analysis, index) => ({ analysis, index })),
    options.limits,
  );
  const metadata = buildMetadata(image, layers, options.dockerfile);
  const layerWarnings = layers.flatMap((layer, index) =>
    layer.warnings.map((w) => `${image.name}: layer ${index} (${layer.digest}): ${w}`),
  );
  const catalogued = cataloger?.catalog(tree);
  return {
    analysis: {
      metadata: metadata.metadata,
      files: [...tree.entries()],
      content: catalogued?.content,
      warnings: [
        ...layerWarnings,
        ...metadata.warnings,
        ...warnings,
        ...(catalogued?.warnings.map((w) => `${image.name}: ${w}`) ?? []),
      ],
    },
    tree,
  };
}

export interface AnalyzeSourceOptions extends AnalyzeOptions {
  /** Progress per image (the CLI numbers layers per image); wins over `progress`. */
  progressFor?: (image: SourceImage) => ProgressListener | undefined;
}

/** Resolves every image `platform` selects (`all`: each of an index) and analyses each in turn. */
export async function analyzeSource(
  source: ImageSource,
  platform: PlatformSelector,
  options: AnalyzeSourceOptions,
): Promise<ImageResult[]> {
  const images = await source.resolve(platform, options.signal);
  const results: ImageResult[] = [];
  for (const image of images) {
    const progress = options.progressFor?.(image) ?? options.progress;
    results.push(await analyzeImage(image, { ...options, progress }));
  }
  return results;
}

/** What every layer read of one image shares. */
interface ReadContext {
  image: SourceImage;
  options: AnalyzeOptions;
  cacheKey: string;
  /** One decompressed-byte budget for the whole image (limits.maxImageBytes). */
  budget: ByteBudget;
  signal: AbortSignal;
  warnings: string[];
}

/**
 * Reads the layers with at most `concurrency` in flight. The first failure aborts the reads
 * still running and is the error thrown; the aborts it causes are not.
 */
async function readLayers(
  image: SourceImage,
  options: AnalyzeOptions,
): Promise<{ layers: LayerAnalysis[]; warnings: string[] }> {
  const controller = new AbortController();
  const stop = (): void => {
    controller.abort(options.signal?.reason);
  };
  options.signal?.throwIfAborted();
  options.signal?.addEventListener('abort', stop, { once: true });
  const context: ReadContext = {
    image,
    options,
    cacheKey: analyzerKey(options.collectors, { md5: options.md5 }),
    budget: { remainingBytes: options.limits.maxImageBytes },
    signal: controller.signal,
    warnings: [],
  };
  const layers: LayerAnalysis[] = [];
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < image.layers.length && !failure; i = next++) {
      const layer = image.layers[i];
      if (!layer) continue;
      try {
        layers[i] = await readLayer(layer, context);
      } catch (error) {
        failure ??= { error };
        controller.abort(error);
      }
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? DEFAULT_LAYER_CONCURRENCY, 64));
  try {
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    options.signal?.removeEventListener('abort', stop);
  }
  if (failure) throw failure.error;
  return { layers, warnings: context.warnings };
}

/** One layer: from the cache when it is there, else streamed, analysed and then cached. */
async function readLayer(layer: LayerDescriptor, context: ReadContext): Promise<LayerAnalysis> {
  const { image, options, signal } = context;
  const progress = options.progress;
  progress?.layerStart?.(image.name, layer);
  const cached = await cachedLayer(layer, context);
  if (cached) {
    progress?.layerDone?.(image.name, layer, true);
    return cached;
  }
  const input = await image.openLayer(layer, signal);
  const abort = (): void => {
    input.destroy(signal.reason instanceof Error ? signal.reason : undefined);
  };
  signal.addEventListener('abort', abort, { once: true });
  let analysis: LayerAnalysis;
  try {
    analysis = await analyzeLayer(input, layer, {
      limits: options.limits,
      collectors: options.collectors,
      md5: options.md5,
      budget: context.budget,
      onBytes: (bytes) => progress?.layerBytes?.(image.name, layer, bytes),
    });
  } finally {
    signal.removeEventListener('abort', abort);
    input.destroy();
  }
  await storeLayer(layer, analysis, context);
  progress?.layerDone?.(image.name, layer, false);
  return analysis;
}

/**
 * A cached layer still counts against the image's byte budget, so an image too big to read is
 * too big whether or not some of its layers were read before.
 */
async function cachedLayer(
  layer: LayerDescriptor,
  { options, cacheKey, budget }: ReadContext,
): Promise<LayerAnalysis | undefined> {
  if (!options.cache || layer.digest === undefined) return undefined;
  const cached = await options.cache.get(layer.digest, cacheKey);
  if (!cached) return undefined;
  budget.remainingBytes -= cached.uncompressedSize;
  if (budget.remainingBytes < 0) {
    throw limitExceeded(
      `the image's uncompressed size (reached at cached layer ${layer.digest})`,
      `${options.limits.maxImageBytes} bytes (limits.maxImageBytes)`,
    );
  }
  return cached;
}

/** Only layers with a digest of their own are cached; a cache that cannot be written is a warning. */
async function storeLayer(
  layer: LayerDescriptor,
  analysis: LayerAnalysis,
  { options, cacheKey, warnings }: ReadContext,
): Promise<void> {
  const cache = options.cache;
  if (!cache || layer.digest === undefined) return;
  try {
    await cache.put(layer.digest, cacheKey, analysis);
  } catch (e) {
    if (warnings.some((w) => w.startsWith('layer cache'))) return;
    const why = e instanceof Error ? e.message : String(e);
    warnings.push(
      `layer cache ${cache.dir} cannot be written (${why}); layers will be read again next time`,
    );
  }
}
