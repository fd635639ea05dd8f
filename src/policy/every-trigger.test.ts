/**
 * One bundle with a rule for every trigger of every gate, each given its declared example values,
 * loads and evaluates on a real analysis (the demo image matched against real OSV records), with
 * every row naming a rule of the bundle.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoImageSpec } from '../../examples/demo-image/spec.js';
import { policyInputFor } from '../../test/harness/policy-input.js';
import { validateBundle } from './bundle.js';
import { evaluatePolicy } from './evaluate.js';
import { GATES } from './gates.js';

const RECORDS = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'vuln-corpus', 'osv');

describe('a bundle using every gate and trigger', () => {
  it('loads and evaluates', async () => {
    const rules = GATES.flatMap((gate) =>
      gate.triggers.map((trigger) => ({
        id: `${gate.name}.${trigger.name}`,
        gate: gate.name.toUpperCase(),
        trigger: trigger.name,
        action: 'WARN',
        params: trigger.params.flatMap((p) => {
          const value = p.example ?? p.default;
          expect(
            value !== undefined || !p.required,
            `${gate.name}/${trigger.name}/${p.name} has no example`,
          ).toBe(true);
          return value === undefined ? [] : [{ name: p.name, value }];
        }),
      })),
    );
    const bundle = validateBundle(
      {
        id: 'everything',
        version: '1_0',
        policies: [{ id: 'all', version: '1_0', rules }],
        mappings: [
          {
            registry: '*',
            repository: '*',
            image: { type: 'tag', value: '*' },
            policy_id: 'all',
            whitelist_ids: [],
          },
        ],
      },
      'every-trigger bundle',
    );
    expect(bundle.policies[0]?.rules).toHaveLength(GATES.flatMap((g) => g.triggers).length);
    const input = await policyInputFor(demoImageSpec, { records: RECORDS });
    const evaluation = evaluatePolicy(bundle, input);
    const ruleIds = new Set(rules.map((r) => r.id));
    expect(evaluation.rows.length).toBeGreaterThan(0);
    for (const row of evaluation.rows) expect(ruleIds.has(row.ruleId ?? '')).toBe(true);
    expect(evaluation.finalAction).toBe('warn');
  }, 60_000);
});
