/** Builds an image's metadata from what the source resolved and what its layers held. */
import { dockerfileFrom, instructionsFor } from '../catalog/dockerfile.js';
import type {
  Dockerfile,
  HistoryEntry,
  ImageMetadata,
  LayerAnalysis,
  LayerSummary,
  SourceImage,
} from '../model/index.js';

export interface MetadataResult {
  metadata: ImageMetadata;
  /** Inconsistencies worth telling the user (history that does not match the layers). */
  warnings: string[];
}

/**
 * `layers` holds the analysis of each of `image.layers`, in the same order. `dockerfile` is the
 * text the user supplied; without it the Dockerfile is rebuilt from the history.
 */
export function buildMetadata(
  image: SourceImage,
  layers: readonly LayerAnalysis[],
  dockerfile?: string,
): MetadataResult {
  const history = image.config.history ?? [];
  // Each history entry is parsed once, for both the layers' `createdBy` and the Dockerfile.
  const instructions = instructionsFor(history);
  const createdBy = layerCreatedBy(history, instructions, image.layers.length);
  const summaries = image.layers.map((layer, i) =>
    layerSummary(image, i, layers[i], createdBy?.[i]),
  );
  const ref = image.reference;
  const metadata: ImageMetadata = {
    source: image.name,
    ...(ref ? { registry: ref.registry, repository: ref.repository, tag: ref.tag } : {}),
    manifestDigest: image.manifestDigest,
    manifestMediaType: image.manifestMediaType,
    indexDigest: image.indexDigest,
    imageId: image.configDigest,
    architecture: image.config.architecture ?? 'unknown',
    os: image.config.os ?? 'unknown',
    variant: image.config.variant,
    created: image.config.created,
    size: sum(summaries.map((s) => s.size)),
    uncompressedSize: sum(summaries.map((s) => s.uncompressedSize)),
    layerCount: summaries.length,
    layers: summaries,
    config: image.config.config ?? {},
    history,
    dockerfile: dockerfileOf(instructions, dockerfile),
  };
  // An image without history (a plain directory, some tools' output) is normal, not a warning.
  const warnings =
    createdBy || history.length === 0
      ? []
      : [historyMismatch(image.name, history, image.layers.length)];
  return { metadata, warnings };
}

function layerSummary(
  image: SourceImage,
  index: number,
  analysis: LayerAnalysis | undefined,
  createdBy: string | undefined,
): LayerSummary {
  const layer = image.layers[index];
  if (!layer || !analysis) {
    throw new Error(`buildMetadata: no analysis for layer ${index} of ${image.name}`);
  }
  return {
    index,
    // A generated layer (a directory) is named by the digest of its tar, as its files are.
    digest: layer.digest ?? analysis.digest,
    diffId: layer.diffId,
    mediaType: layer.mediaType,
    size: layer.size ?? analysis.compressedSize,
    uncompressedSize: analysis.uncompressedSize,
    entryCount: analysis.entries.length,
    createdBy,
  };
}

/**
 * The Dockerfile instruction that made each layer, from `instructions` (one per history entry).
 * History entries marked `empty_layer` made none; every other entry made the next layer. When the
 * counts disagree the pairing cannot be trusted, so none is given (undefined) rather than a wrong
 * one.
 */
export function layerCreatedBy(
  history: readonly HistoryEntry[],
  instructions: readonly string[],
  layerCount: number,
): string[] | undefined {
  const layerMaking = instructions.filter((_, i) => history[i]?.empty_layer !== true);
  return layerMaking.length === layerCount ? layerMaking : undefined;
}

function historyMismatch(name: string, history: readonly HistoryEntry[], layers: number): string {
  const steps = history.filter((entry) => entry.empty_layer !== true).length;
  return `${name}: the history records ${steps} layer-making steps but the image has ${layers} layers; layers are shown without the step that made them`;
}

function dockerfileOf(instructions: readonly string[], supplied?: string): Dockerfile {
  if (supplied !== undefined) return { text: supplied, origin: 'supplied' };
  return { text: dockerfileFrom(instructions), origin: 'reconstructed' };
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
