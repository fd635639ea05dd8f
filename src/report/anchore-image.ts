/**
 * The image record Anchore Engine answers for `GET /v1/images/{digest}` and `GET /v1/images`
 * (AnchoreImage; `anchore-cli --json image get` prints a list of them), filled as the engine fills
 * it: the catalog's image row with the analyser's summary moved under `image_content.metadata`
 * (`make_response_image`, apiext images controller), one `image_detail` entry per tag with its
 * full tag and digest strings, times as `2024-05-01T12:00:00Z`, and the Dockerfile base64-encoded
 * with its mode, `Actual` when the user supplied it and `Guessed` when rebuilt from the history.
 *
 * The analysis gives what the image is; the engine-side state (owner, statuses, times,
 * annotations) is passed in, so `drydock ci` and the engine API build the same record.
 */
import type { ImageAnalysis } from '../model/index.js';

export type AnchoreAnalysisStatus = 'not_analyzed' | 'analyzing' | 'analyzed' | 'analysis_failed';
export type AnchoreImageStatus = 'active' | 'inactive' | 'disabled';

/** What the engine knows about an image beyond its analysis. */
export interface AnchoreImageState {
  /** The account that owns the record (`admin`). */
  userId: string;
  analysisStatus: AnchoreAnalysisStatus;
  imageStatus: AnchoreImageStatus;
  /** When the image was added. */
  createdAt: Date;
  lastUpdated: Date;
  /** When its analysis finished; absent until then. */
  analyzedAt?: Date;
  /** When the tag was last seen pointing at this digest. */
  tagDetectedAt: Date;
  /** Free-form labels given when the image was added. */
  annotations?: Record<string, string>;
}

/** The analyser's summary, under `image_content.metadata`. */
export interface AnchoreImageMetadata {
  arch: string;
  distro: string;
  distro_version: string;
  dockerfile_mode: 'Actual' | 'Guessed';
  /** Bytes: the layers as the registry stores them. */
  image_size: number;
  layer_count: number;
}

/** One tag of the image (`catalog_image_docker`). */
export interface AnchoreImageDetail {
  created_at: string;
  /** The manifest digest. */
  digest: string;
  /** The Dockerfile, base64. */
  dockerfile: string | null;
  /** `registry/repo@digest`; null when a part is unknown. */
  fulldigest: string | null;
  /** `registry/repo:tag`; null when a part is unknown. */
  fulltag: string | null;
  imageDigest: string;
  /** The config digest's hex, as Docker's image ID. */
  imageId: string;
  last_updated: string;
  registry: string;
  repo: string;
  tag: string;
  tag_detected_at: string;
  userId: string;
}

export interface AnchoreImage {
  analysis_status: AnchoreAnalysisStatus;
  analyzed_at: string | null;
  annotations: Record<string, string>;
  created_at: string;
  imageDigest: string;
  /** Null until the image is analysed. */
  image_content: { metadata: AnchoreImageMetadata | null };
  image_detail: AnchoreImageDetail[];
  image_status: AnchoreImageStatus;
  image_type: 'docker';
  last_updated: string;
  /** The digest the image was added by: the index it was picked from, else its own. */
  parentDigest: string;
  userId: string;
}

/** What the record is built from: the analysed image (its metadata names the tag). */
export type AnchoreImageInput = Pick<ImageAnalysis, 'metadata' | 'content'>;

/** The catalog's row for an image: what the engine stores, times already formatted. */
export interface AnchoreImageRow {
  imageDigest: string;
  parentDigest: string;
  /** The config digest, with or without `sha256:`. */
  imageId: string;
  userId: string;
  analysisStatus: AnchoreAnalysisStatus;
  imageStatus: AnchoreImageStatus;
  createdAt: string;
  lastUpdated: string;
  analyzedAt: string | null;
  annotations: Record<string, string>;
  /** The Dockerfile text, if known. */
  dockerfile: string | null;
}

/** One tag the image was added or seen as. */
export interface AnchoreImageTag {
  registry: string;
  repo: string;
  tag: string;
  createdAt: string;
  tagDetectedAt: string;
}

/** The distribution as Anchore names it when none was recognised. */
const UNKNOWN = 'N/A';

/** The record of an image as `drydock ci` analysed it: one tag, the one its metadata names. */
export function anchoreImageRecord(
  analysis: AnchoreImageInput,
  state: AnchoreImageState,
): AnchoreImage {
  const { metadata } = analysis;
  const imageDigest = metadata.manifestDigest ?? metadata.imageId ?? '';
  const created = anchoreTimestamp(state.createdAt);
  return anchoreImage(
    {
      imageDigest,
      parentDigest: metadata.indexDigest ?? imageDigest,
      imageId: metadata.imageId ?? '',
      userId: state.userId,
      analysisStatus: state.analysisStatus,
      imageStatus: state.imageStatus,
      createdAt: created,
      lastUpdated: anchoreTimestamp(state.lastUpdated),
      analyzedAt: state.analyzedAt === undefined ? null : anchoreTimestamp(state.analyzedAt),
      annotations: { ...state.annotations },
      dockerfile: metadata.dockerfile.text === '' ? null : metadata.dockerfile.text,
    },
    [
      {
        registry: metadata.registry ?? '',
        repo: metadata.repository ?? '',
        tag: metadata.tag ?? '',
        createdAt: created,
        tagDetectedAt: anchoreTimestamp(state.tagDetectedAt),
      },
    ],
    anchoreImageMetadata(analysis),
  );
}

/** The record from the catalog's row, its tags and (once analysed) the analyser's summary. */
export function anchoreImage(
  row: AnchoreImageRow,
  tags: readonly AnchoreImageTag[],
  metadata: AnchoreImageMetadata | null,
): AnchoreImage {
  return {
    analysis_status: row.analysisStatus,
    analyzed_at: row.analyzedAt,
    annotations: row.annotations,
    created_at: row.createdAt,
    imageDigest: row.imageDigest,
    image_content: { metadata },
    image_detail: tags.map((tag) => imageDetail(row, tag)),
    image_status: row.imageStatus,
    image_type: 'docker',
    last_updated: row.lastUpdated,
    parentDigest: row.parentDigest,
    userId: row.userId,
  };
}

export function anchoreImageMetadata({
  metadata,
  content,
}: AnchoreImageInput): AnchoreImageMetadata {
  return {
    arch: metadata.architecture,
    distro: content?.distro?.id ?? UNKNOWN,
    distro_version: content?.distro?.versionId ?? UNKNOWN,
    dockerfile_mode: metadata.dockerfile.origin === 'supplied' ? 'Actual' : 'Guessed',
    image_size: metadata.size,
    layer_count: metadata.layerCount,
  };
}

function imageDetail(row: AnchoreImageRow, tag: AnchoreImageTag): AnchoreImageDetail {
  const named = tag.registry !== '' && tag.repo !== '';
  const digest = row.imageDigest;
  return {
    created_at: tag.createdAt,
    digest,
    dockerfile:
      row.dockerfile === null ? null : Buffer.from(row.dockerfile, 'utf8').toString('base64'),
    fulldigest: named && digest !== '' ? `${tag.registry}/${tag.repo}@${digest}` : null,
    fulltag: named && tag.tag !== '' ? `${tag.registry}/${tag.repo}:${tag.tag}` : null,
    imageDigest: digest,
    imageId: row.imageId.replace(/^sha256:/, ''),
    last_updated: row.lastUpdated,
    registry: tag.registry,
    repo: tag.repo,
    tag: tag.tag,
    tag_detected_at: tag.tagDetectedAt,
    userId: row.userId,
  };
}

/** `2024-05-01T12:00:00Z`: whole seconds, UTC, as the engine formats its integer timestamps. */
export function anchoreTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}
