/**
 * The engine's rows as Anchore's image record (src/report/anchore-image.ts builds it, for
 * `drydock ci` too): the image row, one image_detail per tag it was added as, and — once
 * analysed — the stored analyser summary.
 */
import {
  anchoreImage,
  type AnchoreImage,
  type AnchoreImageMetadata,
} from '../report/anchore-image.js';
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
  | 'content_metadata'
>;
type TagRow = Pick<
  EngineSchema['image_tags'],
  'registry' | 'repo' | 'tag' | 'tag_detected_at' | 'created_at'
>;

export function imageRecordOf(image: ImageRow, tags: readonly TagRow[]): AnchoreImage {
  return anchoreImage(
    {
      imageDigest: image.image_digest,
      parentDigest: image.parent_digest,
      imageId: image.image_id ?? '',
      userId: image.account_name,
      analysisStatus: image.analysis_status,
      imageStatus: image.image_status === 'deleting' ? 'inactive' : image.image_status,
      createdAt: image.created_at,
      lastUpdated: image.last_updated,
      analyzedAt: image.analyzed_at,
      annotations: JSON.parse(image.annotations) as Record<string, string>,
      dockerfile: image.dockerfile,
    },
    tags.map((tag) => ({
      registry: tag.registry,
      repo: tag.repo,
      tag: tag.tag,
      createdAt: tag.created_at,
      tagDetectedAt: tag.tag_detected_at,
    })),
    image.content_metadata === null
      ? null
      : (JSON.parse(image.content_metadata) as AnchoreImageMetadata),
  );
}
