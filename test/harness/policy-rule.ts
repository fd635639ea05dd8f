/**
 * One policy rule at a time, through the real bundle validation and evaluation: what gate tests
 * need to check a trigger on a real analysis, and the message a bad parameter is refused with.
 */
import { PolicyBundleError, validateBundle } from '../../src/policy/bundle.js';
import { evaluatePolicy } from '../../src/policy/evaluate.js';
import type { PolicyInput } from '../../src/policy/gate.js';
import type { PolicyResultRow } from '../../src/model/index.js';

export type RuleParams = Record<string, string>;

/** A bundle whose one policy `p1` holds the one rule `r1`, mapped to every image. */
export function oneRuleBundle(gate: string, trigger: string, params: RuleParams): unknown {
  return {
    id: 'b1',
    version: '1_0',
    policies: [
      {
        id: 'p1',
        version: '1_0',
        rules: [
          {
            id: 'r1',
            gate,
            trigger,
            action: 'STOP',
            params: Object.entries(params).map(([name, value]) => ({ name, value })),
          },
        ],
      },
    ],
    whitelists: [],
    mappings: [
      {
        name: 'all',
        registry: '*',
        repository: '*',
        image: { type: 'tag', value: '*' },
        policy_ids: ['p1'],
        whitelist_ids: [],
      },
    ],
    whitelisted_images: [],
    blacklisted_images: [],
  };
}

/** The rows one rule gives on `input`, validated and evaluated as a bundle would be. */
export function evaluateRule(
  input: PolicyInput,
  gate: string,
  trigger: string,
  params: RuleParams = {},
): PolicyResultRow[] {
  const bundle = validateBundle(oneRuleBundle(gate, trigger, params), 'test bundle');
  return evaluatePolicy(bundle, input).rows;
}

/** The problems bundle validation finds in one rule (none: an empty list). */
export function ruleProblems(gate: string, trigger: string, params: RuleParams): readonly string[] {
  try {
    validateBundle(oneRuleBundle(gate, trigger, params), 'test bundle');
    return [];
  } catch (error) {
    if (error instanceof PolicyBundleError) return error.problems;
    throw error;
  }
}
