/**
 * Policy evaluation of a stored image (`GET /images/{digest}/check`): the stored analysis and
 * findings judged by the account's active bundle (or the one named), as the tag asked for. Each
 * evaluation is kept, so `history=true` lists them and policy_eval can tell a changed verdict.
 */
import { randomUUID } from 'node:crypto';
import { evaluatePolicy } from '../policy/evaluate.js';
import { policyInputOf } from '../policy/policy-input.js';
import { parseReference } from '../reference/reference.js';
import {
  anchoreCheck,
  type AnchoreCheck,
  type AnchoreCheckResponse,
} from '../report/policy/anchore-check.js';
import { notFound } from './api-error.js';
import type { Engine } from './engine.js';
import { analysedImage, normalTag } from './images.js';
import { bundleFor } from './policies.js';
import { nowText } from './store/schema.js';

export interface CheckRequest {
  tag: string;
  policyId?: string;
  detail: boolean;
  history: boolean;
}

export async function checkImage(
  engine: Engine,
  account: string,
  digest: string,
  request: CheckRequest,
): Promise<AnchoreCheckResponse> {
  const image = await analysedImage(engine, account, digest);
  const tag = normalTag(request.tag);
  if (!image.tags.some((t) => t.fulltag === tag))
    throw notFound(`image ${digest} was not added as tag ${request.tag}`);
  // Anchore's `policyId` names the bundle; its mappings pick the policy inside it.
  const bundle = await bundleFor(engine, account, request.policyId);
  const evaluation = evaluatePolicy(
    bundle,
    policyInputOf(image.analysis, image.match, parseReference(tag)),
  );
  const [latest] = anchoreCheck({ evaluation, bundle, detail: true });
  const check = latest?.[digest]?.[tag]?.[0];
  if (check !== undefined) await storeCheck(engine, account, digest, tag, check);
  const checks = request.history
    ? await storedChecks(engine, account, digest, tag)
    : check === undefined
      ? []
      : [check];
  return [{ [digest]: { [tag]: checks.map((c) => (request.detail ? c : { ...c, detail: {} })) } }];
}

async function storeCheck(
  engine: Engine,
  account: string,
  digest: string,
  tag: string,
  check: AnchoreCheck,
): Promise<void> {
  await engine.db
    .insertInto('evaluations')
    .values({
      evaluation_id: randomUUID(),
      account_name: account,
      image_digest: digest,
      tag,
      policy_id: check.policyId,
      status: check.status,
      evaluation: JSON.stringify(check),
      created_at: nowText(),
    })
    .execute();
}

/** Every kept evaluation of the image as `tag`, newest first. */
async function storedChecks(
  engine: Engine,
  account: string,
  digest: string,
  tag: string,
): Promise<AnchoreCheck[]> {
  const rows = await engine.db
    .selectFrom('evaluations')
    .select('evaluation')
    .where('account_name', '=', account)
    .where('image_digest', '=', digest)
    .where('tag', '=', tag)
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map((row) => JSON.parse(row.evaluation) as AnchoreCheck);
}
