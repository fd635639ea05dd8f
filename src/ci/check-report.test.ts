import { describe, expect, it } from 'vitest';
import { EVERY_VULNERABILITY_STOPS, sampleRun } from '../../test/fixtures/ci/sample-run.js';
import type { PolicyBundle } from '../model/index.js';
import { validateBundle } from '../policy/bundle.js';
import { evaluatePolicy } from '../policy/evaluate.js';
import { anchoreCheck } from '../report/policy/anchore-check.js';
import type { PolicyReport } from '../report/policy/policy-format.js';
import { policyReportFromCheck } from './check-report.js';

/** The sample run's input evaluated by `bundle`, as the engine reports it and as drydock made it. */
function roundTrip(bundle: PolicyBundle): { made: PolicyReport; read: PolicyReport } {
  const { input } = sampleRun();
  const made: PolicyReport = { evaluation: evaluatePolicy(bundle, input), bundle, detail: true };
  return { made, read: policyReportFromCheck(anchoreCheck(made)) };
}

/** The sample bundle with more rules like its one, and an allowlist for one of its findings. */
function withAllowlist(rules: { id: string; action: 'STOP' | 'WARN' }[]): PolicyBundle {
  const [policy] = EVERY_VULNERABILITY_STOPS.policies;
  const [first] = policy?.rules ?? [];
  if (policy === undefined || first === undefined) throw new Error('the sample bundle changed');
  const item = {
    id: 'bash-1001',
    gate: 'vulnerabilities',
    trigger_id: 'CVE-2024-1001+bash',
    reason: 'not reachable',
  };
  return validateBundle(
    {
      ...EVERY_VULNERABILITY_STOPS,
      policies: [{ ...policy, rules: [first, ...rules.map((rule) => ({ ...first, ...rule }))] }],
      whitelists: [{ id: 'accepted', name: 'Accepted risks', version: '1_0', items: [item] }],
      mappings: EVERY_VULNERABILITY_STOPS.mappings.map((m) => ({
        ...m,
        whitelist_ids: ['accepted'],
      })),
    },
    'allowlisted',
  );
}

const ALLOWED = {
  whitelistId: 'accepted',
  whitelistName: 'Accepted risks',
  itemId: 'bash-1001',
  reason: 'not reachable',
};

describe('policyReportFromCheck', () => {
  it('gives back the evaluation the check was made from, rule ids and fixes included', () => {
    const { made, read } = roundTrip(EVERY_VULNERABILITY_STOPS);
    expect(read.evaluation.rows.some((row) => row.fixAvailable === true)).toBe(true);
    expect(read.evaluation.rows.some((row) => row.fixAvailable === false)).toBe(true);
    expect(read).toEqual(made);
  });

  it('takes an allowlisted row’s rule, action and reason from the bundle', () => {
    const { made, read } = roundTrip(withAllowlist([]));
    const allowlisted = read.evaluation.rows.filter((row) => row.whitelisted !== undefined);
    expect(allowlisted.map((row) => [row.ruleId, row.action, row.whitelisted])).toEqual([
      ['r1', 'STOP', ALLOWED],
    ]);
    expect(read).toEqual(made);
  });

  it('names a rule only where one fits: by action, and an allowlisted row not at all', () => {
    const { made, read } = roundTrip(withAllowlist([{ id: 'warn-too', action: 'WARN' }]));
    const named = (report: PolicyReport) =>
      report.evaluation.rows.map((row) => [row.ruleId, row.action, row.whitelisted]);
    expect(named(read)).toEqual(
      named(made).map(([rule, action, allowed]) =>
        allowed === undefined ? [rule, action, allowed] : [undefined, 'GO', allowed],
      ),
    );
    expect(named(made).filter(([, , allowed]) => allowed !== undefined)).toHaveLength(2);
    expect(read.evaluation.gap).toEqual(made.evaluation.gap);
  });

  it('refuses a check asked without detail', () => {
    const { made } = roundTrip(EVERY_VULNERABILITY_STOPS);
    expect(() => policyReportFromCheck(anchoreCheck({ ...made, detail: false }))).toThrow(
      /has no detail/,
    );
  });
});
