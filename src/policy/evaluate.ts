/**
 * Evaluates a validated bundle against one image: the first mapping that matches the image picks
 * the policies and allowlists; every rule's trigger runs; fired triggers become rows, suppressed
 * by unexpired allowlist items; the final action follows Anchore: a blacklisted image fails, a
 * whitelisted one passes, else any STOP left fails, any WARN warns, and otherwise it goes.
 */
import {
  DrydockError,
  type FinalAction,
  type ImageSelector,
  type Policy,
  type PolicyBundle,
  type PolicyEvaluation,
  type PolicyMapping,
  type PolicyResultRow,
  type Whitelist,
  type WhitelistItem,
} from '../model/index.js';
import type { FiredSubject, PolicyInput } from './gate.js';
import { gateNamed, triggerNamed } from './gates.js';
import { TriggerParams } from './params.js';

export interface EvaluateOptions {
  /** Evaluate this policy of the bundle instead of the one the mappings pick. */
  policyId?: string;
}

/** The parts of the evaluated image that selectors match. */
interface ImageIdentity {
  registry: string;
  repository: string;
  tag: string;
  digest: string;
  id: string;
}

export function evaluatePolicy(
  bundle: PolicyBundle,
  input: PolicyInput,
  options: EvaluateOptions = {},
): PolicyEvaluation {
  const image = identity(input);
  const mapping = bundle.mappings.find((m) => selects(m, image));
  const policies = selectedPolicies(bundle, mapping, options, input.tag);
  const whitelists = bundle.whitelists.filter((w) => mapping?.whitelist_ids.includes(w.id));
  const subjects = new Map<PolicyResultRow, FiredSubject>();
  const rows = policies.flatMap((policy) => policyRows(policy, input, subjects));
  for (const row of rows) allowlist(row, subjects.get(row), whitelists, input.now);
  const live = rows.filter((row) => row.whitelisted === undefined);
  const stops = live.filter((row) => row.action === 'STOP');
  const warns = live.filter((row) => row.action === 'WARN');
  const blacklisted = bundle.blacklisted_images.find((s) => selects(s, image));
  const whitelisted = bundle.whitelisted_images.find((s) => selects(s, image));
  const [finalAction, reason] = verdict(blacklisted, whitelisted, stops.length, warns.length);
  const evaluation: PolicyEvaluation = {
    bundleId: bundle.id,
    policyIds: policies.map((p) => p.id),
    matched: {
      ...(mapping === undefined ? {} : { mapping }),
      ...(whitelisted === undefined ? {} : { whitelistedImage: whitelisted }),
      ...(blacklisted === undefined ? {} : { blacklistedImage: blacklisted }),
    },
    tag: input.tag,
    rows,
    finalAction,
    finalActionReason: reason,
    status: finalAction === 'stop' ? 'fail' : 'pass',
    gap: {
      stops: stops.length,
      stopsWithFix: stops.filter((row) => row.fixAvailable === true).length,
      warns: warns.length,
    },
    evaluatedAt: input.now.toISOString(),
  };
  if (input.metadata.manifestDigest !== undefined)
    evaluation.imageDigest = input.metadata.manifestDigest;
  if (image.id !== '') evaluation.imageId = image.id;
  return evaluation;
}

/** The image as mappings see it: registry, repository and tag from the tag it is evaluated as. */
function identity(input: PolicyInput): ImageIdentity {
  const { metadata } = input;
  const [name, tag] = splitTag(input.tag);
  const slash = name.indexOf('/');
  return {
    registry: slash < 0 ? '' : name.slice(0, slash),
    repository: slash < 0 ? name : name.slice(slash + 1),
    tag,
    digest: metadata.manifestDigest ?? '',
    id: (metadata.imageId ?? '').replace(/^sha256:/, ''),
  };
}

/** `host:5000/a/b:tag` → [`host:5000/a/b`, `tag`]: the colon after the last slash. */
function splitTag(reference: string): [string, string] {
  const colon = reference.lastIndexOf(':');
  return colon > reference.lastIndexOf('/')
    ? [reference.slice(0, colon), reference.slice(colon + 1)]
    : [reference, ''];
}

function selects(selector: ImageSelector, image: ImageIdentity): boolean {
  const value =
    selector.image.type === 'tag'
      ? image.tag
      : selector.image.type === 'digest'
        ? image.digest
        : image.id;
  return (
    glob(selector.registry, image.registry) &&
    glob(selector.repository, image.repository) &&
    glob(selector.image.value, value)
  );
}

/** Anchore's selector globs: `*` matches any run of characters, nothing else is special. */
function glob(pattern: string, value: string): boolean {
  const source = pattern.split('*').map(escapeRegex).join('.*');
  return new RegExp(`^${source}$`, 's').test(value);
}

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function selectedPolicies(
  bundle: PolicyBundle,
  mapping: PolicyMapping | undefined,
  options: EvaluateOptions,
  tag: string,
): Policy[] {
  const ids =
    options.policyId !== undefined
      ? [options.policyId]
      : (mapping?.policy_ids ?? (mapping?.policy_id === undefined ? [] : [mapping.policy_id]));
  if (mapping === undefined && options.policyId === undefined)
    throw new DrydockError(
      'invalid-argument',
      `no mapping of policy bundle ${bundle.id} matches ${tag}; add a mapping for it (or a "*" one)`,
    );
  return ids.map((id) => {
    const policy = bundle.policies.find((p) => p.id === id);
    if (policy === undefined)
      throw new DrydockError(
        'invalid-argument',
        `policy bundle ${bundle.id} has no policy "${id}"`,
      );
    return policy;
  });
}

function policyRows(
  policy: Policy,
  input: PolicyInput,
  subjects: Map<PolicyResultRow, FiredSubject>,
): PolicyResultRow[] {
  return policy.rules.flatMap((rule) => {
    const gate = gateNamed(rule.gate);
    const trigger = gate === undefined ? undefined : triggerNamed(gate, rule.trigger);
    // The bundle was validated against these gates; a rule that names none cannot be here.
    if (gate === undefined || trigger === undefined) return [];
    const params = new TriggerParams(
      rule.params.map((p) => [p.name, p.value]),
      trigger.params,
    );
    return trigger.evaluate(input, params, rule).map((fired) => {
      const row: PolicyResultRow = {
        gate: gate.name,
        trigger: trigger.name,
        triggerId: fired.triggerId,
        checkOutput: fired.message,
        action: rule.action,
        policyId: policy.id,
      };
      if (rule.id !== undefined) row.ruleId = rule.id;
      if (fired.fixAvailable !== undefined) row.fixAvailable = fired.fixAvailable;
      if (fired.subject !== undefined) subjects.set(row, fired.subject);
      return row;
    });
  });
}

/** Marks `row` with the first unexpired allowlist item for its gate, trigger id and scope. */
function allowlist(
  row: PolicyResultRow,
  subject: FiredSubject | undefined,
  whitelists: readonly Whitelist[],
  now: Date,
): void {
  for (const whitelist of whitelists)
    for (const item of whitelist.items) {
      if (item.gate !== row.gate || !glob(item.trigger_id, row.triggerId)) continue;
      if (item.expires_on !== undefined && Date.parse(item.expires_on) <= now.getTime()) continue;
      if (item.scope !== undefined && !inScope(item.scope, subject)) continue;
      row.whitelisted = { whitelistId: whitelist.id, itemId: item.id };
      if (whitelist.name !== undefined) row.whitelisted.whitelistName = whitelist.name;
      if (item.reason !== undefined) row.whitelisted.reason = item.reason;
      return;
    }
}

/** Whether a firing about `subject` is within an item's scope; a firing about nothing is not. */
function inScope(
  scope: NonNullable<WhitelistItem['scope']>,
  subject: FiredSubject | undefined,
): boolean {
  if (scope.package !== undefined && !glob(scope.package, subject?.purl ?? '')) return false;
  if (scope.path !== undefined && !(subject?.paths ?? []).some((p) => glob(scope.path ?? '', p)))
    return false;
  return true;
}

function verdict(
  blacklisted: ImageSelector | undefined,
  whitelisted: ImageSelector | undefined,
  stops: number,
  warns: number,
): [FinalAction, PolicyEvaluation['finalActionReason']] {
  if (blacklisted !== undefined) return ['stop', 'blacklisted'];
  if (whitelisted !== undefined) return ['go', 'whitelisted'];
  return [stops > 0 ? 'stop' : warns > 0 ? 'warn' : 'go', 'policy_evaluation'];
}
