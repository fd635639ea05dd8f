/**
 * An account's policy bundles (Anchore's "policies"): stored whole, validated on the way in,
 * exactly one active per account. Every new account starts with drydock's default bundle active,
 * as an Anchore account starts with the engine's.
 */
import type { Kysely } from 'kysely';
import type { PolicyBundle } from '../model/index.js';
import { PolicyBundleError, validateBundle } from '../policy/bundle.js';
import shipped from '../policy/default-bundle.json' with { type: 'json' };
import { badRequest, conflict, notFound } from './api-error.js';
import type { Engine } from './engine.js';
import { nowText, type EngineSchema } from './store/schema.js';

export interface PolicyBundleRecord {
  policyId: string;
  name: string;
  comment: string | null;
  active: boolean;
  userId: string;
  policy_source: 'local';
  created_at: string;
  last_updated: string;
  policybundle?: PolicyBundle;
}

type Row = EngineSchema['policies'];

const toRecord = (row: Row, detail: boolean): PolicyBundleRecord => ({
  policyId: row.policy_id,
  name: row.name,
  comment: row.comment,
  active: row.active === 1,
  userId: row.account_name,
  policy_source: 'local',
  created_at: row.created_at,
  last_updated: row.last_updated,
  ...(detail ? { policybundle: JSON.parse(row.bundle) as PolicyBundle } : {}),
});

function checkedBundle(value: unknown): PolicyBundle {
  try {
    return validateBundle(value, 'the request body');
  } catch (error) {
    if (error instanceof PolicyBundleError)
      throw badRequest(error.message, { problems: error.problems });
    throw error;
  }
}

export async function installDefaultBundle(
  db: Kysely<EngineSchema>,
  account: string,
): Promise<void> {
  const bundle = validateBundle(shipped, 'drydock-default-bundle (shipped)');
  await insertBundle(db, account, bundle, true);
}

async function insertBundle(
  db: Kysely<EngineSchema>,
  account: string,
  bundle: PolicyBundle,
  active: boolean,
): Promise<void> {
  const now = nowText();
  await db
    .insertInto('policies')
    .values({
      account_name: account,
      policy_id: bundle.id,
      name: bundle.name ?? bundle.id,
      comment: bundle.comment ?? null,
      active: active ? 1 : 0,
      bundle: JSON.stringify(bundle),
      created_at: now,
      last_updated: now,
    })
    .onConflict((oc) =>
      oc.columns(['account_name', 'policy_id']).doUpdateSet({
        name: bundle.name ?? bundle.id,
        comment: bundle.comment ?? null,
        bundle: JSON.stringify(bundle),
        last_updated: now,
      }),
    )
    .execute();
}

/** Adds a bundle, or replaces the bundle with the same id (as `anchore-cli policy add` again). */
export async function addPolicy(
  engine: Engine,
  account: string,
  body: unknown,
  detail: boolean,
): Promise<PolicyBundleRecord> {
  const bundle = checkedBundle(body);
  await insertBundle(engine.db, account, bundle, false);
  return getPolicy(engine, account, bundle.id, detail);
}

export async function listPolicies(
  engine: Engine,
  account: string,
  detail: boolean,
): Promise<PolicyBundleRecord[]> {
  const rows = await engine.db
    .selectFrom('policies')
    .selectAll()
    .where('account_name', '=', account)
    .orderBy('created_at')
    .execute();
  return rows.map((row) => toRecord(row, detail));
}

export async function getPolicy(
  engine: Engine,
  account: string,
  policyId: string,
  detail: boolean,
): Promise<PolicyBundleRecord> {
  const row = await engine.db
    .selectFrom('policies')
    .selectAll()
    .where('account_name', '=', account)
    .where('policy_id', '=', policyId)
    .executeTakeFirst();
  if (row === undefined) throw notFound(`policy ${policyId} not found`);
  return toRecord(row, detail);
}

/** The bundle evaluations use: the one named, else the account's active one. */
export async function bundleFor(
  engine: Engine,
  account: string,
  policyId: string | undefined,
): Promise<PolicyBundle> {
  let query = engine.db.selectFrom('policies').select('bundle').where('account_name', '=', account);
  query =
    policyId === undefined
      ? query.where('active', '=', 1)
      : query.where('policy_id', '=', policyId);
  const row = await query.executeTakeFirst();
  if (row === undefined)
    throw notFound(
      policyId === undefined
        ? 'no active policy bundle; add and activate one'
        : `policy ${policyId} not found`,
    );
  return JSON.parse(row.bundle) as PolicyBundle;
}

/**
 * Replaces a bundle with the record's `policybundle` and, when `active` is true, makes it the
 * one active bundle (the others are deactivated in the same transaction).
 */
export async function updatePolicy(
  engine: Engine,
  account: string,
  policyId: string,
  body: Record<string, unknown>,
): Promise<PolicyBundleRecord> {
  const current = await getPolicy(engine, account, policyId, false);
  const bundle = body.policybundle === undefined ? undefined : checkedBundle(body.policybundle);
  if (bundle !== undefined && bundle.id !== policyId)
    throw badRequest(`the bundle's id ${bundle.id} is not the policy id ${policyId} in the URL`);
  if (body.active === false && current.active)
    throw badRequest('activate another bundle instead: one bundle is always active');
  await engine.db.transaction().execute(async (trx) => {
    if (bundle !== undefined) await insertBundle(trx, account, bundle, current.active);
    if (body.active === true) {
      await trx
        .updateTable('policies')
        .set({ active: 0 })
        .where('account_name', '=', account)
        .execute();
      await trx
        .updateTable('policies')
        .set({ active: 1, last_updated: nowText() })
        .where('account_name', '=', account)
        .where('policy_id', '=', policyId)
        .execute();
    }
  });
  return getPolicy(engine, account, policyId, true);
}

export async function deletePolicy(
  engine: Engine,
  account: string,
  policyId: string,
): Promise<void> {
  const current = await getPolicy(engine, account, policyId, false);
  if (current.active)
    throw conflict(`policy ${policyId} is the active bundle; activate another before deleting it`);
  await engine.db
    .deleteFrom('policies')
    .where('account_name', '=', account)
    .where('policy_id', '=', policyId)
    .execute();
}
