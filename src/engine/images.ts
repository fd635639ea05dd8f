/**
 * Images in an account: adding one (its tag resolved to a manifest digest at once, the analysis
 * queued for a worker), listing, looking up by digest, image id or tag, and deleting. Every
 * statement names the account: one account never sees another's images.
 */
import { openRegistryImage } from '../analyzer/open-source.js';
import { DrydockError, type ImageAnalysis, type MatchResult } from '../model/index.js';
import { formatReference, parseReference } from '../reference/reference.js';
import { DEFAULT_PLATFORM } from '../source/platform.js';
import { badRequest, conflict, notFound } from './api-error.js';
import { accountCredentials, type Engine } from './engine.js';
import type { AnchoreImage } from '../report/anchore-image.js';
import { imageRecordOf } from './image-record.js';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Kysely } from 'kysely';
import { IMAGE_TABLES, nowText, type AnalysisStatus, type EngineSchema } from './store/schema.js';
import { ensureTagSubscriptions } from './subscriptions.js';

export interface AddImageRequest {
  tag?: unknown;
  digest?: unknown;
  dockerfile?: unknown;
  annotations?: unknown;
}

export interface AddImageFlags {
  force: boolean;
  autosubscribe: boolean;
}

/** A Dockerfile is text of a few kilobytes; this bounds what a request may store. */
const MAX_DOCKERFILE_BYTES = 1024 * 1024;
const MAX_ANNOTATIONS = 100;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const IMAGE_ID = /^[0-9a-f]{64}$/;
/** How long resolving a tag may wait on its registry before the add fails. */
const RESOLVE_TIMEOUT_MS = 60_000;

type ImageRow = EngineSchema['images'];
type TagRow = EngineSchema['image_tags'];

/** The columns a record is built from: never the analysis or findings documents. */
const RECORD_COLUMNS = [
  'account_name',
  'image_digest',
  'parent_digest',
  'image_id',
  'analysis_status',
  'image_status',
  'annotations',
  'dockerfile',
  'created_at',
  'last_updated',
  'analyzed_at',
  'content_metadata',
] as const;
type RecordRow = Pick<ImageRow, (typeof RECORD_COLUMNS)[number]>;

export async function addImage(
  engine: Engine,
  account: string,
  request: AddImageRequest,
  flags: AddImageFlags,
): Promise<AnchoreImage[]> {
  const tag = parseTag(request.tag);
  const dockerfile = parseDockerfile(request.dockerfile);
  const annotations = parseAnnotations(request.annotations);
  const resolved =
    request.digest === undefined
      ? await resolveTag(engine, account, tag)
      : { digest: parseDigest(request.digest), parentDigest: undefined };
  const { db } = engine;
  const now = nowText();
  const fulltag = formatReference(tag);
  await db.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom('images')
      .select(['analysis_status', 'annotations'])
      .where('account_name', '=', account)
      .where('image_digest', '=', resolved.digest)
      .executeTakeFirst();
    if (existing === undefined) {
      await trx
        .insertInto('images')
        .values({
          account_name: account,
          image_digest: resolved.digest,
          parent_digest: resolved.parentDigest ?? resolved.digest,
          image_id: null,
          analysis_status: 'not_analyzed',
          image_status: 'active',
          pull_reference: `${tag.registry}/${tag.repository}@${resolved.digest}`,
          dockerfile: dockerfile ?? null,
          annotations: JSON.stringify(annotations),
          analysis_error: null,
          attempts: 0,
          lease_owner: null,
          lease_until: null,
          analysis: null,
          manifest: null,
          content_metadata: null,
          findings: null,
          created_at: now,
          last_updated: now,
          analyzed_at: null,
        })
        .execute();
    } else {
      // Adding an image again only merges annotations; `force` (or a Dockerfile) re-queues it.
      const requeue = flags.force || dockerfile !== undefined;
      await trx
        .updateTable('images')
        .set({
          image_status: 'active',
          annotations: JSON.stringify({
            ...(JSON.parse(existing.annotations) as Record<string, string>),
            ...annotations,
          }),
          last_updated: now,
          ...(dockerfile === undefined ? {} : { dockerfile }),
          ...(requeue
            ? {
                analysis_status: 'not_analyzed' as const,
                // The old analysis no longer describes the record: its summary goes with it.
                analyzed_at: null,
                content_metadata: null,
                analysis_error: null,
                attempts: 0,
                lease_owner: null,
                lease_until: null,
              }
            : {}),
        })
        .where('account_name', '=', account)
        .where('image_digest', '=', resolved.digest)
        .execute();
    }
    const tagRow: TagRow = {
      account_name: account,
      image_digest: resolved.digest,
      fulltag,
      registry: tag.registry,
      repo: tag.repository,
      tag: tag.tag ?? 'latest',
      tag_detected_at: now,
      created_at: now,
    };
    await trx
      .insertInto('image_tags')
      .values(tagRow)
      .onConflict((oc) =>
        oc
          .columns(['account_name', 'image_digest', 'fulltag'])
          .doUpdateSet({ tag_detected_at: now }),
      )
      .execute();
    await ensureTagSubscriptions(trx, account, fulltag, flags.autosubscribe);
    await touchImages(trx, account);
  });
  // The record as queued, read before a worker is woken to change it.
  const record = await imageRecord(engine, account, resolved.digest);
  engine.wake();
  return [record];
}

/** Anchore adds tags only: a digest needs the tag it was pushed as, for the policy mappings. */
function parseTag(value: unknown): ReturnType<typeof parseReference> & { tag?: string } {
  if (typeof value !== 'string' || value === '')
    throw badRequest('the request has no tag; add an image by its tag (registry/repo:tag)');
  let ref;
  try {
    ref = parseReference(value);
  } catch (error) {
    throw badRequest(error instanceof Error ? error.message : String(error));
  }
  if (ref.digest !== undefined && ref.tag === undefined)
    throw badRequest(
      `${value} names a digest only; give the tag as "tag" and the digest as "digest"`,
    );
  return { registry: ref.registry, repository: ref.repository, tag: ref.tag ?? 'latest' };
}

function parseDigest(value: unknown): string {
  const digest = typeof value === 'string' ? (value.split('@').pop() ?? '') : '';
  if (!DIGEST.test(digest))
    throw badRequest(`digest ${String(value)} is not a sha256 digest (sha256:<64 hex digits>)`);
  return digest;
}

function parseDockerfile(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/=\s]*$/.test(value))
    throw badRequest('dockerfile must be the Dockerfile encoded as base64');
  const text = Buffer.from(value, 'base64').toString('utf8');
  if (text.length > MAX_DOCKERFILE_BYTES)
    throw badRequest(`the Dockerfile is larger than ${String(MAX_DOCKERFILE_BYTES)} bytes`);
  return text;
}

function parseAnnotations(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw badRequest('annotations must be an object of key: value strings');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_ANNOTATIONS)
    throw badRequest(`at most ${String(MAX_ANNOTATIONS)} annotations per image`);
  for (const [key, text] of entries)
    if (typeof text !== 'string') throw badRequest(`annotation ${key} must be a string`);
  return Object.fromEntries(entries) as Record<string, string>;
}

/** The digest the tag names now (for linux/amd64 when it is a list), with the list's digest. */
async function resolveTag(
  engine: Engine,
  account: string,
  tag: { registry: string; repository: string; tag?: string },
): Promise<{ digest: string; parentDigest: string | undefined }> {
  const source = await openRegistryImage(
    formatReference(tag),
    { config: engine.config, requestTimeoutMs: RESOLVE_TIMEOUT_MS, userAgent: 'drydock-engine' },
    await accountCredentials(engine, account),
  );
  try {
    const [image] = await source.resolve(DEFAULT_PLATFORM);
    if (image?.manifestDigest === undefined)
      throw new DrydockError('not-found', `${formatReference(tag)}: the registry has no manifest`);
    return { digest: image.manifestDigest, parentDigest: image.indexDigest };
  } catch (error) {
    throw badRequest(
      `cannot fetch image digest/manifest from registry: ${error instanceof Error ? error.message : String(error)}`,
      { raw_exception_message: error instanceof Error ? error.message : String(error) },
    );
  } finally {
    await source.close();
  }
}

export interface ImageFilter {
  fulltag?: string;
  imageStatus?: string;
  analysisStatus?: string;
}

export async function listImages(
  engine: Engine,
  account: string,
  filter: ImageFilter,
): Promise<AnchoreImage[]> {
  let query = engine.db
    .selectFrom('images')
    .select(RECORD_COLUMNS)
    .where('account_name', '=', account);
  const status = filter.imageStatus ?? 'active';
  if (status !== 'all')
    query = query.where('image_status', '=', status as ImageRow['image_status']);
  if (filter.analysisStatus !== undefined)
    query = query.where('analysis_status', '=', filter.analysisStatus as AnalysisStatus);
  if (filter.fulltag !== undefined) {
    const fulltag = normalTag(filter.fulltag);
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('image_tags')
          .select('image_tags.fulltag')
          .whereRef('image_tags.account_name', '=', 'images.account_name')
          .whereRef('image_tags.image_digest', '=', 'images.image_digest')
          .where('image_tags.fulltag', '=', fulltag),
      ),
    );
  }
  const rows = await query.orderBy('created_at', 'desc').execute();
  return records(engine, account, rows);
}

/** A list as JSON, and gzipped once for the clients that accept it (python requests, curl). */
export interface ImageListJson {
  plain: Buffer;
  gzip: Buffer;
}

const gzipAsync = promisify(gzip);

/** Cached image lists per engine: key → the account's image revision and the JSON sent. */
const listCaches = new WeakMap<Engine, Map<string, { revision: number; json: ImageListJson }>>();
const MAX_CACHED_LISTS = 64;

/**
 * The image list as JSON. Lists are the API's largest answers (a record per image), and CI
 * pipelines poll them: the JSON is kept per account and filter and served again until the
 * account's image revision (bumped by every change to its records, in any process) moves on.
 */
export async function listImagesJson(
  engine: Engine,
  account: string,
  filter: ImageFilter,
): Promise<ImageListJson> {
  const revision = await imageRevision(engine.db, account);
  const key = JSON.stringify([account, filter.fulltag, filter.imageStatus, filter.analysisStatus]);
  let cache = listCaches.get(engine);
  if (cache === undefined) {
    cache = new Map<string, { revision: number; json: ImageListJson }>();
    listCaches.set(engine, cache);
  }
  const cached = cache.get(key);
  if (cached?.revision === revision) return cached.json;
  const plain = Buffer.from(JSON.stringify(await listImages(engine, account, filter)));
  const json = { plain, gzip: await gzipAsync(plain) };
  // Read again: a change while the list was built must not be cached under the older revision.
  if ((await imageRevision(engine.db, account)) === revision) {
    cache.delete(key);
    cache.set(key, { revision, json });
    for (const oldest of cache.keys()) {
      if (cache.size <= MAX_CACHED_LISTS) break;
      cache.delete(oldest);
    }
  }
  return json;
}

async function imageRevision(db: Kysely<EngineSchema>, account: string): Promise<number> {
  const row = await db
    .selectFrom('accounts')
    .select('image_revision')
    .where('name', '=', account)
    .executeTakeFirst();
  return row?.image_revision ?? 0;
}

/** Marks the account's image records changed: call in the transaction that changes them. */
export async function touchImages(db: Kysely<EngineSchema>, account: string): Promise<void> {
  await db
    .updateTable('accounts')
    .set((eb) => ({ image_revision: eb('image_revision', '+', 1) }))
    .where('name', '=', account)
    .execute();
}

/**
 * The image a tag names now: the one most recently added or detected as that tag. Like Anchore,
 * a bare image id (64 hex digits) names its image: anchore-cli looks ids up this way.
 */
export async function imageByTag(
  engine: Engine,
  account: string,
  tag: string,
): Promise<AnchoreImage[]> {
  if (IMAGE_ID.test(tag)) return imageById(engine, account, tag);
  const row = await engine.db
    .selectFrom('image_tags')
    .select('image_digest')
    .where('account_name', '=', account)
    .where('fulltag', '=', normalTag(tag))
    .orderBy('tag_detected_at', 'desc')
    .executeTakeFirst();
  if (row === undefined) throw notFound(`image not found for tag ${tag}`);
  return [await imageRecord(engine, account, row.image_digest)];
}

export async function imageById(
  engine: Engine,
  account: string,
  imageId: string,
): Promise<AnchoreImage[]> {
  const row = await engine.db
    .selectFrom('images')
    .select('image_digest')
    .where('account_name', '=', account)
    .where('image_id', '=', `sha256:${imageId.replace(/^sha256:/, '')}`)
    .executeTakeFirst();
  if (row === undefined) throw notFound(`image not found for image id ${imageId}`);
  return [await imageRecord(engine, account, row.image_digest)];
}

export async function imageRecord(
  engine: Engine,
  account: string,
  digest: string,
): Promise<AnchoreImage> {
  const row = await engine.db
    .selectFrom('images')
    .select(RECORD_COLUMNS)
    .where('account_name', '=', account)
    .where('image_digest', '=', digest)
    .executeTakeFirst();
  if (row === undefined) throw notFound(`image ${digest} not found`);
  const [record] = await records(engine, account, [row]);
  if (record === undefined) throw notFound(`image ${digest} not found`);
  return record;
}

async function records(
  engine: Engine,
  account: string,
  rows: readonly RecordRow[],
): Promise<AnchoreImage[]> {
  if (rows.length === 0) return [];
  const tags = await engine.db
    .selectFrom('image_tags')
    .selectAll()
    .where('account_name', '=', account)
    .where(
      'image_digest',
      'in',
      rows.map((row) => row.image_digest),
    )
    .orderBy('created_at')
    .execute();
  const byDigest = new Map<string, TagRow[]>();
  for (const tag of tags)
    byDigest.set(tag.image_digest, [...(byDigest.get(tag.image_digest) ?? []), tag]);
  return rows.map((row) => imageRecordOf(row, byDigest.get(row.image_digest) ?? []));
}

/** The tag as stored: `alpine` → `docker.io/library/alpine:latest`. Unparseable text stays. */
export function normalTag(text: string): string {
  try {
    const ref = parseReference(text);
    return formatReference({ ...ref, digest: undefined, tag: ref.tag ?? 'latest' });
  } catch {
    return text;
  }
}

/** 404 unless the image exists and is analysed, naming its status (anchore-cli reads it). */
function checkAnalysed<Row extends { analysis_status: AnalysisStatus }>(
  digest: string,
  row: Row | undefined,
): asserts row is Row {
  if (row === undefined) throw notFound(`image ${digest} not found`);
  if (row.analysis_status !== 'analyzed')
    throw notFound(`image is not analyzed - analysis_status: ${row.analysis_status}`);
}

/** The stored findings alone: the vulnerability routes need not parse the whole analysis. */
export async function analysedFindings(
  engine: Engine,
  account: string,
  digest: string,
): Promise<MatchResult> {
  const row = await engine.db
    .selectFrom('images')
    .select(['analysis_status', 'findings'])
    .where('account_name', '=', account)
    .where('image_digest', '=', digest)
    .executeTakeFirst();
  checkAnalysed(digest, row);
  if (row.findings === null) throw notFound(`image ${digest} has no stored findings`);
  return JSON.parse(row.findings) as MatchResult;
}

/** An analysed image's analysis and findings, for content, metadata and check; 404 until then. */
export async function analysedImage(
  engine: Engine,
  account: string,
  digest: string,
): Promise<{ row: RecordRow; analysis: ImageAnalysis; match: MatchResult; tags: TagRow[] }> {
  const row = await engine.db
    .selectFrom('images')
    .select([...RECORD_COLUMNS, 'analysis', 'findings'])
    .where('account_name', '=', account)
    .where('image_digest', '=', digest)
    .executeTakeFirst();
  checkAnalysed(digest, row);
  if (row.analysis === null || row.findings === null)
    throw notFound(`image ${digest} has no stored analysis`);
  const tags = await engine.db
    .selectFrom('image_tags')
    .selectAll()
    .where('account_name', '=', account)
    .where('image_digest', '=', digest)
    .orderBy('tag_detected_at', 'desc')
    .execute();
  return {
    row,
    analysis: JSON.parse(row.analysis) as ImageAnalysis,
    match: JSON.parse(row.findings) as MatchResult,
    tags,
  };
}

export interface DeleteImageResponse {
  digest: string;
  status: 'not_found' | 'deleting' | 'delete_failed';
  detail?: string;
}

/**
 * Deletes an image and what hangs off it. Refused (409) while one of its tags has an active
 * subscription, unless forced: a watched tag would otherwise bring the image straight back.
 */
export async function deleteImage(
  engine: Engine,
  account: string,
  digest: string,
  force: boolean,
): Promise<DeleteImageResponse> {
  return engine.db.transaction().execute(async (trx) => {
    const image = await trx
      .selectFrom('images')
      .select('image_digest')
      .where('account_name', '=', account)
      .where('image_digest', '=', digest)
      .executeTakeFirst();
    if (image === undefined) throw notFound(`image ${digest} not found`);
    const tags = await trx
      .selectFrom('image_tags')
      .select('fulltag')
      .where('account_name', '=', account)
      .where('image_digest', '=', digest)
      .execute();
    if (!force && tags.length > 0) {
      const active = await trx
        .selectFrom('subscriptions')
        .select(['subscription_type', 'subscription_key'])
        .where('account_name', '=', account)
        .where('active', '=', 1)
        .where(
          'subscription_key',
          'in',
          tags.map((t) => t.fulltag),
        )
        .execute();
      if (active.length > 0)
        throw conflict(
          'cannot delete image that is the latest of its tags, and has active subscription',
          {
            subscriptions: active.map((s) => ({
              subscription_type: s.subscription_type,
              subscription_key: s.subscription_key,
            })),
          },
        );
    }
    await touchImages(trx, account);
    for (const table of IMAGE_TABLES)
      await trx
        .deleteFrom(table)
        .where('account_name', '=', account)
        .where('image_digest', '=', digest)
        .execute();
    return { digest, status: 'deleting' as const };
  });
}
