/**
 * An evaluation as Anchore Engine's `GET /v1/images/{digest}/check?tag=…&detail=true` returns it
 * (and `anchore-cli --json evaluate check --detail` prints it): a list holding one object keyed by
 * the image digest, then by the tag, holding a list of checks. Shapes follow the engine's source:
 * `make_response_policyeval` (apiext images controller) wraps the stored evaluation, which is the
 * policy engine's `PolicyEvaluation` with the catalog's `image_digest` and `status` added; its
 * `result` is `BundleExecution.as_table_json` (policy bundles module).
 */
import type {
  ImageSelector,
  PolicyBundle,
  PolicyEvaluation,
  PolicyMapping,
  PolicyResultRow,
} from '../../model/index.js';
import type { PolicyReport } from './policy-format.js';

export type AnchoreCheckResponse = Record<string, Record<string, AnchoreCheck[]>>[];

export interface AnchoreCheck {
  /** Empty without `detail`. */
  detail: { result?: AnchoreEvaluation; policy?: PolicyBundle };
  /** `2026-11-25T12:00:00Z`: seconds, UTC. */
  last_evaluation: string;
  /** The bundle's id (Anchore's "policy" is the bundle). */
  policyId: string;
  status: PolicyEvaluation['status'];
}

export interface AnchoreEvaluation {
  bundle: PolicyBundle;
  created_at: number;
  evaluation_problems: never[];
  final_action: PolicyEvaluation['finalAction'];
  final_action_reason: PolicyEvaluation['finalActionReason'];
  image_digest: string;
  image_id: string;
  last_modified: number;
  /** Anchore writes `false`, not null, when no entry matched. */
  matched_blacklisted_images_rule: ImageSelector | false;
  matched_mapping_rule: PolicyMapping | false;
  matched_whitelisted_images_rule: ImageSelector | false;
  result: AnchoreResultTable;
  status: PolicyEvaluation['status'];
  tag: string;
}

/** Keyed by the image id, plus Anchore's (always empty) legacy fields beside it. */
export interface AnchoreResultTable {
  [imageId: string]: { result: AnchoreRows } | [] | '';
  policy_data: [];
  whitelist_data: [];
  policy_name: '';
  whitelist_names: [];
}

export interface AnchoreRows {
  header: typeof ROW_HEADER;
  row_count: number;
  rows: AnchoreRow[];
  /** What the policies alone decided: black- and whitelisted images do not change it. */
  final_action: PolicyEvaluation['finalAction'];
}

/** The row cells, in `ROW_HEADER` order. */
export type AnchoreRow = [
  imageId: string,
  repoTag: string,
  triggerId: string,
  gate: string,
  trigger: string,
  checkOutput: string,
  gateAction: 'stop' | 'warn' | 'go',
  whitelisted: AnchoreWhitelisted | false,
  policyId: string,
];

export interface AnchoreWhitelisted {
  whitelist_id: string;
  whitelist_name: string | null;
  matched_rule_id: string;
}

export const ROW_HEADER = [
  'Image_Id',
  'Repo_Tag',
  'Trigger_Id',
  'Gate',
  'Trigger',
  'Check_Output',
  'Gate_Action',
  'Whitelisted',
  'Policy_Id',
] as const;

/** Anchore keys an image without a manifest digest (a plain directory here) by this. */
const UNKNOWN_DIGEST = 'unknown';

export function anchoreCheck(report: PolicyReport): AnchoreCheckResponse {
  const { evaluation, bundle, detail } = report;
  const createdAt = Math.floor(Date.parse(evaluation.evaluatedAt) / 1000);
  const check: AnchoreCheck = {
    detail: detail ? { result: anchoreEvaluation(report, createdAt), policy: bundle } : {},
    last_evaluation: `${new Date(createdAt * 1000).toISOString().slice(0, 19)}Z`,
    policyId: evaluation.bundleId,
    status: evaluation.status,
  };
  return [{ [evaluation.imageDigest ?? UNKNOWN_DIGEST]: { [evaluation.tag]: [check] } }];
}

function anchoreEvaluation(report: PolicyReport, createdAt: number): AnchoreEvaluation {
  const { evaluation, bundle } = report;
  const { matched } = evaluation;
  return {
    bundle,
    created_at: createdAt,
    evaluation_problems: [],
    final_action: evaluation.finalAction,
    final_action_reason: evaluation.finalActionReason,
    image_digest: evaluation.imageDigest ?? UNKNOWN_DIGEST,
    image_id: evaluation.imageId ?? '',
    last_modified: createdAt,
    matched_blacklisted_images_rule: matched.blacklistedImage ?? false,
    matched_mapping_rule: matched.mapping ?? false,
    matched_whitelisted_images_rule: matched.whitelistedImage ?? false,
    result: resultTable(evaluation),
    status: evaluation.status,
    tag: evaluation.tag,
  };
}

function resultTable(evaluation: PolicyEvaluation): AnchoreResultTable {
  const imageId = evaluation.imageId ?? '';
  const rows = evaluation.rows.map((row) => anchoreRow(row, imageId, evaluation.tag));
  const { stops, warns } = evaluation.gap;
  return {
    [imageId]: {
      result: {
        header: ROW_HEADER,
        row_count: rows.length,
        rows,
        final_action: stops > 0 ? 'stop' : warns > 0 ? 'warn' : 'go',
      },
    },
    policy_data: [],
    whitelist_data: [],
    policy_name: '',
    whitelist_names: [],
  };
}

/** An allowlisted row's action is `go`, as Anchore reports it: it no longer counts. */
function anchoreRow(row: PolicyResultRow, imageId: string, tag: string): AnchoreRow {
  const allowed = row.whitelisted;
  return [
    imageId,
    tag,
    row.triggerId,
    row.gate,
    row.trigger,
    row.checkOutput,
    allowed === undefined ? lowercaseAction(row.action) : 'go',
    allowed === undefined
      ? false
      : {
          whitelist_id: allowed.whitelistId,
          whitelist_name: allowed.whitelistName ?? null,
          matched_rule_id: allowed.itemId,
        },
    row.policyId,
  ];
}

const lowercaseAction = (action: PolicyResultRow['action']): AnchoreRow[6] =>
  action === 'STOP' ? 'stop' : action === 'WARN' ? 'warn' : 'go';
