/**
 * The feeds as the engine shows them: the vulnerability database's feeds and groups (ecosystem
 * releases), each on unless turned off. A finding from a disabled feed or group is dropped when
 * an image is matched, so turning one off takes effect for stored images at the next sync.
 */
import type { Finding, MatchResult } from '../model/index.js';
import { feedStatus, withVulnDb, type FeedStatus } from '../vuln/db.js';
import { notFound } from './api-error.js';
import { vulnDbFile, type Engine } from './engine.js';

export interface FeedGroupMetadata {
  name: string;
  enabled: boolean;
  created_at: string;
  updated_at: string;
  last_sync: string;
  record_count: number;
}

export interface FeedMetadata {
  name: string;
  enabled: boolean;
  created_at: string;
  updated_at: string;
  last_full_sync: string;
  groups: FeedGroupMetadata[];
}

function storedFeeds(engine: Engine): Promise<FeedStatus[]> {
  return withVulnDb(vulnDbFile(engine), feedStatus, () => []);
}

/** `feed` → off, `feed\ngroup` → off. */
async function disabledKeys(engine: Engine): Promise<Set<string>> {
  const rows = await engine.db
    .selectFrom('feed_settings')
    .select(['feed', 'group_name'])
    .where('enabled', '=', 0)
    .execute();
  return new Set(rows.map((r) => (r.group_name === '' ? r.feed : `${r.feed}\n${r.group_name}`)));
}

export async function listFeeds(engine: Engine): Promise<FeedMetadata[]> {
  const [feeds, disabled] = await Promise.all([storedFeeds(engine), disabledKeys(engine)]);
  return feeds.map((feed) => ({
    name: feed.feed,
    enabled: !disabled.has(feed.feed),
    created_at: feed.lastSync,
    updated_at: feed.lastSync,
    last_full_sync: feed.lastSync,
    groups: Object.entries(feed.ecosystems).map(([name, records]) => ({
      name,
      enabled: !disabled.has(`${feed.feed}\n${name}`),
      created_at: feed.lastSync,
      updated_at: feed.lastSync,
      last_sync: feed.lastSync,
      record_count: records,
    })),
  }));
}

/** Turns a feed (or one of its groups) on or off; returns it as listed. */
export async function setFeedEnabled(
  engine: Engine,
  feedName: string,
  group: string | undefined,
  enabled: boolean,
): Promise<FeedMetadata | FeedGroupMetadata> {
  const feed = (await listFeeds(engine)).find((f) => f.name === feedName);
  if (feed === undefined) throw notFound(`feed ${feedName} not found`);
  if (group !== undefined && !feed.groups.some((g) => g.name === group))
    throw notFound(`feed ${feedName} has no group ${group}`);
  await engine.db
    .insertInto('feed_settings')
    .values({ feed: feedName, group_name: group ?? '', enabled: enabled ? 1 : 0 })
    .onConflict((oc) =>
      oc.columns(['feed', 'group_name']).doUpdateSet({ enabled: enabled ? 1 : 0 }),
    )
    .execute();
  const updated = (await listFeeds(engine)).find((f) => f.name === feedName) ?? feed;
  return group === undefined ? updated : (updated.groups.find((g) => g.name === group) ?? feed);
}

/** The match without the findings of disabled feeds and groups. */
export async function withoutDisabledFeeds(
  engine: Engine,
  match: MatchResult,
): Promise<MatchResult> {
  const disabled = await disabledKeys(engine);
  if (disabled.size === 0) return match;
  const enabled = (f: Finding): boolean =>
    !disabled.has(f.feed) && !disabled.has(`${f.feed}\n${f.group}`);
  return { ...match, findings: match.findings.filter(enabled) };
}
