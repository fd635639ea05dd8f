/**
 * The interface every policy gate implements. A gate is one file exporting one `Gate`, listed once
 * in `gates.ts`; each trigger declares its parameters, so bundle validation and the
 * `/v1/system/policy_spec` document both come from these declarations.
 */
import type { FileEntry, ImageContent, ImageMetadata, MatchResult } from '../model/index.js';
import type { TriggerParams } from './params.js';

/** What a parameter accepts; values always arrive as strings, as bundles write them. */
export type ParamKind =
  | 'string'
  | 'integer'
  | 'number'
  | 'boolean'
  /** One of `values`. */
  | 'enum'
  /** A regular expression (compiled at validation). */
  | 'regex'
  /** Comma-separated strings. */
  | 'list'
  /** Comma-separated integers. */
  | 'integer-list'
  /** Comma-separated items, each one of `values`. */
  | 'enum-list';

export interface TriggerParam {
  name: string;
  description: string;
  kind: ParamKind;
  required: boolean;
  /** For `enum` and `enum-list`: the values allowed (compared case-insensitively). */
  values?: readonly string[];
  /** Used when the rule does not give the parameter. */
  default?: string;
  example?: string;
  /** A check beyond the kind's (an octal mode, a date): why the value is refused, if it is. */
  check?: (value: string) => string | undefined;
}

/** One firing of a trigger. */
export interface Fired {
  /** Stable across evaluations of the same image and finding: what allowlists name. */
  triggerId: string;
  /** A sentence a person can act on. */
  message: string;
  /** For vulnerability triggers: whether a fixed version exists. */
  fixAvailable?: boolean;
  /** The package or files it is about, which a scoped allowlist item can narrow to. */
  subject?: FiredSubject;
}

export interface FiredSubject {
  purl?: string;
  paths?: readonly string[];
}

export type SpecState = 'active' | 'deprecated' | 'eol';

export interface Trigger {
  name: string;
  description: string;
  params: readonly TriggerParam[];
  state?: SpecState;
  /**
   * Checks across parameters that no single one can make (a value whose form depends on another
   * parameter): the problems, each a sentence. Run when the bundle is loaded.
   */
  validate?(params: TriggerParams): string[];
  /** `rule` is the bundle rule being evaluated (Anchore builds some trigger ids from its id). */
  evaluate(input: PolicyInput, params: TriggerParams, rule: { id?: string }): Fired[];
}

export interface Gate {
  /** Lowercase, as Anchore names it: `dockerfile`, `vulnerabilities`. */
  name: string;
  description: string;
  triggers: readonly Trigger[];
  state?: SpecState;
}

/** Everything a gate may read about one image, all of it from a stored analysis. */
export interface PolicyInput {
  metadata: ImageMetadata;
  files: readonly FileEntry[];
  content: ImageContent;
  match: MatchResult;
  /** The full tag the image is evaluated as (`docker.io/library/app:1.0`). */
  tag: string;
  /** The base image's input, for the triggers that compare against it (`--base`). */
  base?: PolicyInput;
  /** Evaluation time: ages and allowlist expiry are measured from it. */
  now: Date;
}
