/**
 * The engine's background checks, each also callable on demand:
 * - tags: every active `tag_update` subscription's tag is resolved again; a new digest is added
 *   (and so analysed) and recorded as an event;
 * - feeds: after the vulnerability data changed, every analysed image is matched again; an image
 *   whose findings changed gets an event when one of its tags has `vuln_update` active, and a
 *   tag with `policy_eval` active is evaluated again, with an event when the verdict changed.
 */
import type { ImageAnalysis, MatchResult } from '../model/index.js';
import { checkImage } from './checks.js';
import { recordEvent, type Engine } from './engine.js';
import { indexFindings } from './image-index.js';
import { addImage } from './images.js';
import { matchStored } from './matching.js';
import { activeSubscriptions } from './subscriptions.js';

/** Re-resolves watched tags; returns how many new digests were queued. */
export async function checkWatchedTags(engine: Engine): Promise<number> {
  let queued = 0;
  for (const { account, key } of await activeSubscriptions(engine, 'tag_update')) {
    const latest = await latestDigest(engine, account, key);
    try {
      const [record] = await addImage(
        engine,
        account,
        { tag: key },
        { force: false, autosubscribe: true },
      );
      if (record === undefined || record.imageDigest === latest) continue;
      queued++;
      await recordEvent(engine, {
        account,
        type: 'user.image.tag.updated',
        level: 'INFO',
        resourceType: 'tag',
        resourceId: key,
        message: `tag ${key} now names ${record.imageDigest}`,
        details: { old_digest: latest ?? null, new_digest: record.imageDigest },
      });
    } catch (error) {
      await recordEvent(engine, {
        account,
        type: 'user.image.tag.updated',
        level: 'ERROR',
        resourceType: 'tag',
        resourceId: key,
        message: `cannot check tag ${key}: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
  return queued;
}

async function latestDigest(
  engine: Engine,
  account: string,
  fulltag: string,
): Promise<string | undefined> {
  const row = await engine.db
    .selectFrom('image_tags')
    .select('image_digest')
    .where('account_name', '=', account)
    .where('fulltag', '=', fulltag)
    .orderBy('tag_detected_at', 'desc')
    .executeTakeFirst();
  return row?.image_digest;
}

/** Matches every analysed image again; returns how many images' findings changed. */
export async function rematchAll(engine: Engine): Promise<number> {
  const images = await engine.db
    .selectFrom('images')
    .select(['account_name', 'image_digest'])
    .where('analysis_status', '=', 'analyzed')
    .execute();
  const vulnWatched = subscribedTags(await activeSubscriptions(engine, 'vuln_update'));
  const evalWatched = subscribedTags(await activeSubscriptions(engine, 'policy_eval'));
  let changed = 0;
  for (const { account_name: account, image_digest: digest } of images) {
    const row = await engine.db
      .selectFrom('images')
      .select(['analysis', 'findings'])
      .where('account_name', '=', account)
      .where('image_digest', '=', digest)
      .executeTakeFirst();
    if (row?.analysis == null || row.findings === null) continue;
    const before = JSON.parse(row.findings) as MatchResult;
    const analysis = JSON.parse(row.analysis) as ImageAnalysis;
    const after = await matchStored(engine, analysis.content);
    const [was, now] = [findingKeys(before), findingKeys(after)];
    const added = [...now].filter((k) => !was.has(k));
    const removed = [...was].filter((k) => !now.has(k));
    if (added.length === 0 && removed.length === 0) continue;
    changed++;
    await engine.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('images')
        .set({ findings: JSON.stringify(after) })
        .where('account_name', '=', account)
        .where('image_digest', '=', digest)
        .execute();
      await indexFindings(trx, account, digest, analysis, after);
    });
    const tags = await tagsOf(engine, account, digest);
    if (tags.some((tag) => vulnWatched.has(`${account}\n${tag}`)))
      await recordEvent(engine, {
        account,
        type: 'user.image.vulnerabilities.updated',
        level: 'INFO',
        resourceType: 'image_digest',
        resourceId: digest,
        message: `vulnerabilities changed: ${String(added.length)} new, ${String(removed.length)} gone`,
        details: { added, removed, tags },
      });
    for (const tag of tags.filter((t) => evalWatched.has(`${account}\n${t}`)))
      await reevaluate(engine, account, digest, tag);
  }
  return changed;
}

/** Evaluates again and records an event when the verdict differs from the last one kept. */
async function reevaluate(
  engine: Engine,
  account: string,
  digest: string,
  tag: string,
): Promise<void> {
  const last = await engine.db
    .selectFrom('evaluations')
    .select('status')
    .where('account_name', '=', account)
    .where('image_digest', '=', digest)
    .where('tag', '=', tag)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  const [response] = await checkImage(engine, account, digest, {
    tag,
    detail: false,
    history: false,
  });
  const status = response?.[digest]?.[tag]?.[0]?.status;
  if (status === undefined || status === last?.status) return;
  await recordEvent(engine, {
    account,
    type: 'user.image.policy_eval.updated',
    level: 'INFO',
    resourceType: 'image_digest',
    resourceId: digest,
    message: `policy evaluation of ${tag} is now ${status}${last === undefined ? '' : ` (was ${last.status})`}`,
    details: { tag, previous: last?.status ?? null, current: status },
  });
}

const subscribedTags = (subscriptions: readonly { account: string; key: string }[]): Set<string> =>
  new Set(subscriptions.map((s) => `${s.account}\n${s.key}`));

const findingKeys = (match: MatchResult): Set<string> =>
  new Set(match.findings.map((f) => `${f.id} ${f.package.name} ${f.package.version}`));

async function tagsOf(engine: Engine, account: string, digest: string): Promise<string[]> {
  const rows = await engine.db
    .selectFrom('image_tags')
    .select('fulltag')
    .where('account_name', '=', account)
    .where('image_digest', '=', digest)
    .execute();
  return rows.map((r) => r.fulltag);
}

/** Runs the tag check every `intervalMs` until stopped. */
export function watchTags(engine: Engine, intervalMs: number): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void checkWatchedTags(engine)
      .catch((error: unknown) => {
        process.stderr.write(`drydock engine: tag watch failed: ${String(error)}\n`);
      })
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
  };
}
