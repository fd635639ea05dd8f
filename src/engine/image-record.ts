/**
 * The image record the API returns (Anchore's AnchoreImage): the engine's own fields, one
 * image_detail per tag the image was added as, and — once analysed — image_content.metadata,
 * which anchore-cli's `image get` prints (distro, size, layer count, dockerfile mode).
 */
import type { ImageAnalysis } from '../model/index.js';
import type { EngineSchema } from './store/schema.js';

type ImageRow = Pick<
  EngineSchema['images'],
  | 'account_name'
  | 'image_digest'
  | 'parent_digest'
  | 'image_id'
  | 'analysis_status'
  | 'image_status'
  | 'annotations'
  | 'dockerfile'
  | 'created_at'
  | 'last_updated'
  | 'analyzed_at'
>;
type TagRow = Pick<
  EngineSchema['image_tags'],
  'fulltag' | 'registry' | 'repo' | 'tag' | 'tag_detected_at' | 'created_at'
>;

export interface AnchoreImageDetail {
  created_at: string;
  last_updated: string;
  fulltag: string;
  fulldigest: string;
  userId: string;
  imageId: string;
  imageDigest: string;
  registry: string;
  repo: string;
  tag: string;
  tag_detected_at: string;
  dockerfile: string | null;
}

export interface AnchoreImageMetadata {
  arch: string;
  distro: string;
  distro_version: string;
  dockerfile_mode: 'Actual' | 'Guessed';
  image_size: number;
  layer_count: number;
}

export interface AnchoreImage {
  imageDigest: string;
  parentDigest: string;
  userId: string;
  analysis_status: string;
  image_status: string;
  image_type: 'docker';
  analyzed_at: string | null;
  created_at: string;
  last_updated: string;
  annotations: Record<string, string>;
  image_content: { metadata: AnchoreImageMetadata | null };
  image_detail: AnchoreImageDetail[];
  record_version: '0';
}

/** Anchore's summary of an analysis: what `image get` prints beside the digest. */
export function anchoreImageMetadata(analysis: ImageAnalysis): AnchoreImageMetadata {
  const { metadata, content } = analysis;
  return {
    arch: metadata.architecture,
    distro: content?.distro?.id ?? 'unknown',
    distro_version: content?.distro?.versionId ?? 'unknown',
    dockerfile_mode: metadata.dockerfile.origin === 'supplied' ? 'Actual' : 'Guessed',
    image_size: metadata.uncompressedSize,
    layer_count: metadata.layerCount,
  };
}

export function anchoreImage(
  image: ImageRow,
  tags: readonly TagRow[],
  metadata: AnchoreImageMetadata | null,
): AnchoreImage {
  const imageId = (image.image_id ?? '').replace(/^sha256:/, '');
  const dockerfile =
    image.dockerfile === null ? null : Buffer.from(image.dockerfile).toString('base64');
  return {
    imageDigest: image.image_digest,
    parentDigest: image.parent_digest,
    userId: image.account_name,
    analysis_status: image.analysis_status,
    image_status: image.image_status,
    image_type: 'docker',
    analyzed_at: image.analyzed_at,
    created_at: image.created_at,
    last_updated: image.last_updated,
    annotations: JSON.parse(image.annotations) as Record<string, string>,
    image_content: { metadata },
    image_detail: tags.map((tag) => ({
      created_at: tag.created_at,
      last_updated: image.last_updated,
      fulltag: tag.fulltag,
      fulldigest: `${tag.registry}/${tag.repo}@${image.image_digest}`,
      userId: image.account_name,
      imageId,
      imageDigest: image.image_digest,
      registry: tag.registry,
      repo: tag.repo,
      tag: tag.tag,
      tag_detected_at: tag.tag_detected_at,
      dockerfile,
    })),
    record_version: '0',
  };
}
