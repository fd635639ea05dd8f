/**
 * The evaluation an engine's check document (`GET /images/{digest}/check?detail=true`) reports,
 * for the formats that read an evaluation (JUnit), from whichever engine answered it: Anchore's
 * or drydock's.
 *
 * Anchore's result rows leave out some of what an evaluation knows. What the document's bundle
 * still says is taken from it: the rule a row came from (when only one rule of its policy has
 * the row's gate, trigger and action), an allowlisted row's own action (Anchore reports it as
 * `go`) and its allowlist item's reason. Whether a vulnerability has a fix is in the row's check
 * output, in the words Anchore's vulnerabilities gate uses. Everything else is the document's.
 */
import type {
  FinalAction,
  PolicyAction,
  PolicyBundle,
  PolicyEvaluation,
  PolicyResultRow,
} from '../model/index.js';
import type {
  AnchoreCheck,
  AnchoreCheckResponse,
  AnchoreEvaluation,
  AnchoreRow,
} from '../report/policy/anchore-check.js';
import type { PolicyReport } from '../report/policy/policy-format.js';

/** The check of a document as `drydock ci` asks for it: one image, one tag, the latest check. */
export interface FirstCheck {
  digest: string;
  tag: string;
  check: AnchoreCheck;
}

export function firstCheck(document: AnchoreCheckResponse): FirstCheck {
  const [digest = '', byTag = {}] = Object.entries(document[0] ?? {})[0] ?? [];
  const [tag = '', checks = []] = Object.entries(byTag)[0] ?? [];
  const [check] = checks;
  if (check === undefined) throw new Error('the policy check document holds no evaluation');
  return { digest, tag, check };
}

/** The result rows of an evaluation, under its image id beside Anchore's legacy fields. */
export function resultRows(result: AnchoreEvaluation | undefined): AnchoreRow[] {
  return Object.values(result?.result ?? {}).flatMap((table) =>
    typeof table === 'object' && 'result' in table ? table.result.rows : [],
  );
}

/** The evaluation a detailed check document reports, with the bundle it was made with. */
export function policyReportFromCheck(document: AnchoreCheckResponse): PolicyReport {
  const { digest, check } = firstCheck(document);
  const result = check.detail.result;
  const bundle = check.detail.policy ?? result?.bundle;
  if (result === undefined || bundle === undefined)
    throw new Error(`the policy check of ${digest} has no detail: it was not asked with detail`);
  const rows = resultRows(result).map((row) => resultRow(row, bundle));
  const live = rows.filter((row) => row.whitelisted === undefined);
  const stops = live.filter((row) => row.action === 'STOP');
  const mapping = result.matched_mapping_rule || undefined;
  const evaluation: PolicyEvaluation = {
    bundleId: check.policyId,
    policyIds: mapping?.policy_ids ?? (mapping?.policy_id === undefined ? [] : [mapping.policy_id]),
    matched: {
      ...(mapping === undefined ? {} : { mapping }),
      ...(result.matched_whitelisted_images_rule === false
        ? {}
        : { whitelistedImage: result.matched_whitelisted_images_rule }),
      ...(result.matched_blacklisted_images_rule === false
        ? {}
        : { blacklistedImage: result.matched_blacklisted_images_rule }),
    },
    imageDigest: result.image_digest,
    tag: result.tag,
    rows,
    finalAction: result.final_action,
    finalActionReason: result.final_action_reason,
    status: result.status,
    gap: {
      stops: stops.length,
      stopsWithFix: stops.filter((row) => row.fixAvailable === true).length,
      warns: live.filter((row) => row.action === 'WARN').length,
    },
    evaluatedAt: new Date(result.created_at * 1000).toISOString(),
  };
  if (result.image_id !== '') evaluation.imageId = result.image_id;
  return { evaluation, bundle, detail: true };
}

/** Anchore's vulnerabilities gate: `… package type (dpkg) - libc6 (fixed in: 2.36-9+deb12u6)(…`. */
const VULNERABILITY_OUTPUT = /Vulnerability found in .* package type \(/;
const FIXED_IN = '(fixed in: ';

function resultRow(cells: AnchoreRow, bundle: PolicyBundle): PolicyResultRow {
  const [, , triggerId, gate, trigger, checkOutput, gateAction, whitelisted, policyId] = cells;
  const reported = ACTIONS[gateAction];
  const rule = ruleOf(bundle, cells, whitelisted === false ? reported : undefined);
  const row: PolicyResultRow = {
    gate,
    trigger,
    triggerId,
    checkOutput,
    action: whitelisted === false ? reported : (rule?.action ?? reported),
    policyId,
  };
  if (rule?.id !== undefined) row.ruleId = rule.id;
  if (whitelisted !== false) {
    const reason = bundle.whitelists
      .find((list) => list.id === whitelisted.whitelist_id)
      ?.items.find((item) => item.id === whitelisted.matched_rule_id)?.reason;
    row.whitelisted = {
      whitelistId: whitelisted.whitelist_id,
      ...(whitelisted.whitelist_name === null ? {} : { whitelistName: whitelisted.whitelist_name }),
      itemId: whitelisted.matched_rule_id,
      ...(reason === undefined ? {} : { reason }),
    };
  }
  if (VULNERABILITY_OUTPUT.test(checkOutput)) row.fixAvailable = checkOutput.includes(FIXED_IN);
  return row;
}

const ACTIONS: Record<FinalAction, PolicyAction> = { stop: 'STOP', warn: 'WARN', go: 'GO' };

/** The one rule of the row's policy with its gate and trigger (and action, when known). */
function ruleOf(bundle: PolicyBundle, cells: AnchoreRow, action: PolicyAction | undefined) {
  const [, , , gate, trigger, , , , policyId] = cells;
  const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
  const rules = (bundle.policies.find((policy) => policy.id === policyId)?.rules ?? []).filter(
    (rule) =>
      same(rule.gate, gate) &&
      same(rule.trigger, trigger) &&
      (action === undefined || rule.action === action),
  );
  return rules.length === 1 ? rules[0] : undefined;
}
