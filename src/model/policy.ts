/**
 * Policy bundles as Anchore Engine writes them (`version: "1_0"`), and what evaluating one gives.
 * Bundle field names keep Anchore's snake_case: bundles are exchanged with anchore-cli and the
 * engine API as they are.
 */

export type PolicyAction = 'STOP' | 'WARN' | 'GO';

export interface PolicyBundle {
  id: string;
  name?: string;
  version: '1_0';
  comment?: string;
  policies: Policy[];
  whitelists: Whitelist[];
  mappings: PolicyMapping[];
  whitelisted_images: ImageSelector[];
  blacklisted_images: ImageSelector[];
}

export interface Policy {
  id: string;
  name?: string;
  version: '1_0';
  comment?: string;
  rules: PolicyRule[];
}

export interface PolicyRule {
  id?: string;
  gate: string;
  trigger: string;
  action: PolicyAction;
  params: { name: string; value: string }[];
}

export interface Whitelist {
  id: string;
  name?: string;
  version: '1_0';
  comment?: string;
  items: WhitelistItem[];
}

export interface WhitelistItem {
  id: string;
  gate: string;
  /** The fired trigger's id (`CVE-2024-2961+libc6`); `*` globs allowed. */
  trigger_id: string;
  /** RFC 3339; the item stops applying after it. */
  expires_on?: string;
  reason?: string;
  /**
   * drydock's narrowing (Anchore has none): the item applies only to firings about a package
   * whose PURL matches `package`, or about a path matching `path` (`*` globs in both).
   */
  scope?: { package?: string; path?: string };
}

/** Which image a mapping, whitelisted or blacklisted entry names; `*` globs in every part. */
export interface ImageSelector {
  id?: string;
  name?: string;
  registry: string;
  repository: string;
  image: { type: 'tag' | 'digest' | 'id'; value: string };
}

export interface PolicyMapping extends ImageSelector {
  /** Anchore 1_0 names one policy; later bundles a list. Both are read; the list wins. */
  policy_id?: string;
  policy_ids?: string[];
  whitelist_ids: string[];
}

/** One fired trigger as the evaluation reports it. */
export interface PolicyResultRow {
  gate: string;
  trigger: string;
  /** Stable per finding (`CVE-2024-2961+libc6`), so an allowlist can name it. */
  triggerId: string;
  /** A sentence a person can act on. */
  checkOutput: string;
  action: PolicyAction;
  policyId: string;
  ruleId?: string;
  /** The allowlist item that suppressed it, when one did. */
  whitelisted?: { whitelistId: string; whitelistName?: string; itemId: string; reason?: string };
  /** For vulnerability rows: whether a fixed version exists (what clearing the STOP takes). */
  fixAvailable?: boolean;
}

export type FinalAction = 'stop' | 'warn' | 'go';

export interface PolicyEvaluation {
  bundleId: string;
  /** The policies the mapping selected, in order. */
  policyIds: string[];
  /** The bundle's entries that picked the image; each absent when none did. */
  matched: {
    mapping?: PolicyMapping;
    whitelistedImage?: ImageSelector;
    blacklistedImage?: ImageSelector;
  };
  imageDigest?: string;
  imageId?: string;
  /** The full tag evaluated (`docker.io/library/app:1.0`). */
  tag: string;
  rows: PolicyResultRow[];
  finalAction: FinalAction;
  finalActionReason: 'policy_evaluation' | 'whitelisted' | 'blacklisted';
  status: 'pass' | 'fail';
  /** How far a failing image is from passing: the STOP rows to clear, and how many have a fix. */
  gap: { stops: number; stopsWithFix: number; warns: number };
  evaluatedAt: string;
}
