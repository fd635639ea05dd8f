/**
 * Subscriptions: an account's wish to hear about a tag. `tag_update` makes the watcher analyse
 * new digests of the tag; `vuln_update` records an event when a feed sync changes the tag's
 * findings; `policy_eval` when its verdict changes; `analysis_update` when an analysis ends.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { badRequest, notFound } from './api-error.js';
import type { Engine } from './engine.js';
import { normalTag } from './images.js';
import { nowText, type EngineSchema } from './store/schema.js';

export const SUBSCRIPTION_TYPES = [
  'tag_update',
  'policy_eval',
  'vuln_update',
  'analysis_update',
] as const;
export type SubscriptionType = (typeof SUBSCRIPTION_TYPES)[number];

export interface Subscription {
  subscription_id: string;
  subscription_key: string;
  subscription_type: string;
  subscription_value: string | null;
  userId: string;
  active: boolean;
  created_at: string;
  last_updated: string;
}

type Row = EngineSchema['subscriptions'];

/** Anchore's id: a digest of who, what and which key, so the same subscription has one id. */
const subscriptionId = (account: string, type: string, key: string): string =>
  createHash('md5').update(`${account}${type}${key}`).digest('hex');

const toSubscription = (row: Row): Subscription => ({
  subscription_id: row.subscription_id,
  subscription_key: row.subscription_key,
  subscription_type: row.subscription_type,
  subscription_value: row.subscription_value,
  userId: row.account_name,
  active: row.active === 1,
  created_at: row.created_at,
  last_updated: row.last_updated,
});

function parseType(value: unknown): SubscriptionType {
  if (typeof value !== 'string' || !(SUBSCRIPTION_TYPES as readonly string[]).includes(value))
    throw badRequest(
      `subscription_type must be one of ${SUBSCRIPTION_TYPES.join(', ')}; got ${String(value)}`,
    );
  return value as SubscriptionType;
}

/** An image added as `fulltag` gets every type (absent ones), tag_update active if asked. */
export async function ensureTagSubscriptions(
  db: Kysely<EngineSchema>,
  account: string,
  fulltag: string,
  autosubscribe: boolean,
): Promise<void> {
  const now = nowText();
  for (const type of SUBSCRIPTION_TYPES) {
    await db
      .insertInto('subscriptions')
      .values({
        subscription_id: subscriptionId(account, type, fulltag),
        account_name: account,
        subscription_type: type,
        subscription_key: fulltag,
        subscription_value: null,
        active: type === 'tag_update' && autosubscribe ? 1 : 0,
        created_at: now,
        last_updated: now,
      })
      .onConflict((oc) => oc.column('subscription_id').doNothing())
      .execute();
    if (type === 'tag_update' && autosubscribe)
      await db
        .updateTable('subscriptions')
        .set({ active: 1, last_updated: now })
        .where('subscription_id', '=', subscriptionId(account, type, fulltag))
        .execute();
  }
}

export async function listSubscriptions(
  engine: Engine,
  account: string,
  filter: { key?: string; type?: string },
): Promise<Subscription[]> {
  let query = engine.db.selectFrom('subscriptions').selectAll().where('account_name', '=', account);
  if (filter.type !== undefined) query = query.where('subscription_type', '=', filter.type);
  if (filter.key !== undefined)
    query = query.where('subscription_key', 'in', [filter.key, normalTag(filter.key)]);
  const rows = await query.orderBy('created_at').orderBy('subscription_type').execute();
  return rows.map(toSubscription);
}

export async function getSubscription(
  engine: Engine,
  account: string,
  id: string,
): Promise<Subscription> {
  const row = await engine.db
    .selectFrom('subscriptions')
    .selectAll()
    .where('account_name', '=', account)
    .where('subscription_id', '=', id)
    .executeTakeFirst();
  if (row === undefined) throw notFound(`subscription ${id} not found`);
  return toSubscription(row);
}

export async function addSubscription(
  engine: Engine,
  account: string,
  body: Record<string, unknown>,
): Promise<Subscription> {
  const type = parseType(body.subscription_type);
  if (typeof body.subscription_key !== 'string' || body.subscription_key === '')
    throw badRequest('subscription_key is required: the full tag (registry/repo:tag)');
  const key = normalTag(body.subscription_key);
  const id = subscriptionId(account, type, key);
  const now = nowText();
  await engine.db
    .insertInto('subscriptions')
    .values({
      subscription_id: id,
      account_name: account,
      subscription_type: type,
      subscription_key: key,
      subscription_value:
        typeof body.subscription_value === 'string' ? body.subscription_value : null,
      active: body.active === false ? 0 : 1,
      created_at: now,
      last_updated: now,
    })
    .onConflict((oc) =>
      oc
        .column('subscription_id')
        .doUpdateSet({ active: body.active === false ? 0 : 1, last_updated: now }),
    )
    .execute();
  return getSubscription(engine, account, id);
}

export async function updateSubscription(
  engine: Engine,
  account: string,
  id: string,
  body: Record<string, unknown>,
): Promise<Subscription> {
  await getSubscription(engine, account, id);
  if (body.active !== undefined && typeof body.active !== 'boolean')
    throw badRequest('active must be true or false');
  await engine.db
    .updateTable('subscriptions')
    .set({
      last_updated: nowText(),
      ...(body.active === undefined ? {} : { active: body.active ? 1 : 0 }),
      ...(typeof body.subscription_value === 'string'
        ? { subscription_value: body.subscription_value }
        : {}),
    })
    .where('account_name', '=', account)
    .where('subscription_id', '=', id)
    .execute();
  return getSubscription(engine, account, id);
}

export async function deleteSubscription(
  engine: Engine,
  account: string,
  id: string,
): Promise<void> {
  await getSubscription(engine, account, id);
  await engine.db
    .deleteFrom('subscriptions')
    .where('account_name', '=', account)
    .where('subscription_id', '=', id)
    .execute();
}

/** Accounts and tags with an active subscription of `type`, for the watchers. */
export async function activeSubscriptions(
  engine: Engine,
  type: SubscriptionType,
): Promise<{ account: string; key: string }[]> {
  const rows = await engine.db
    .selectFrom('subscriptions')
    .select(['account_name', 'subscription_key'])
    .where('subscription_type', '=', type)
    .where('active', '=', 1)
    .execute();
  return rows.map((row) => ({ account: row.account_name, key: row.subscription_key }));
}
