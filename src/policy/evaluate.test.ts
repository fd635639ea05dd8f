import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoImageSpec } from '../../examples/demo-image/spec.js';
import type { PolicyBundle } from '../model/index.js';
import { policyInputFor } from '../../test/harness/policy-input.js';
import { validateBundle } from './bundle.js';
import { evaluatePolicy } from './evaluate.js';
import type { PolicyInput } from './gate.js';

let input: PolicyInput;

beforeAll(async () => {
  input = await policyInputFor(demoImageSpec, { tag: 'registry.example:5000/team/demo:1.0' });
}, 60_000);

const policy = (id: string, action: string) => ({
  id,
  version: '1_0',
  rules: [{ id: `${id}-rule`, gate: 'ALWAYS', trigger: 'Always', action, params: [] }],
});

function bundle(extra: Record<string, unknown> = {}): PolicyBundle {
  return validateBundle(
    {
      id: 'bundle-1',
      version: '1_0',
      policies: [policy('stopper', 'stop'), policy('warner', 'WARN'), policy('goer', 'GO')],
      whitelists: [
        {
          id: 'wl',
          name: 'Team list',
          version: '1_0',
          items: [{ id: 'item-1', gate: 'always', trigger_id: 'alw*', reason: 'testing' }],
        },
        {
          id: 'expired',
          version: '1_0',
          items: [
            { id: 'old', gate: 'always', trigger_id: 'always', expires_on: '2026-01-01T00:00:00Z' },
          ],
        },
      ],
      mappings: [
        {
          name: 'team',
          registry: 'registry.example:5000',
          repository: 'team/*',
          image: { type: 'tag', value: '1.*' },
          policy_ids: ['warner'],
          whitelist_ids: [],
        },
        {
          name: 'everything',
          registry: '*',
          repository: '*',
          image: { type: 'tag', value: '*' },
          policy_id: 'stopper',
          whitelist_ids: [],
        },
      ],
      ...extra,
    },
    'test bundle',
  );
}

describe('evaluatePolicy', () => {
  it('uses the first mapping that matches, with Anchore globs', () => {
    const result = evaluatePolicy(bundle(), input);
    expect(result).toMatchObject({
      matched: { mapping: { name: 'team' } },
      policyIds: ['warner'],
      finalAction: 'warn',
      status: 'pass',
    });
    expect(result.rows).toEqual([
      {
        gate: 'always',
        trigger: 'always',
        triggerId: 'always',
        checkOutput: 'always',
        action: 'WARN',
        policyId: 'warner',
        ruleId: 'warner-rule',
      },
    ]);
    const other = evaluatePolicy(bundle(), { ...input, tag: 'docker.io/library/demo:2.0' });
    expect(other).toMatchObject({
      matched: { mapping: { name: 'everything' } },
      finalAction: 'stop',
      status: 'fail',
      gap: { stops: 1, stopsWithFix: 0, warns: 0 },
    });
  });

  it('suppresses with unexpired allowlist items only, and says which', () => {
    const mappings = (whitelistIds: string[]) => [
      {
        name: 'all',
        registry: '*',
        repository: '*',
        image: { type: 'tag', value: '*' },
        policy_ids: ['stopper'],
        whitelist_ids: whitelistIds,
      },
    ];
    const allowed = evaluatePolicy(bundle({ mappings: mappings(['expired', 'wl']) }), input);
    expect(allowed.rows[0]?.whitelisted).toEqual({
      whitelistId: 'wl',
      whitelistName: 'Team list',
      itemId: 'item-1',
      reason: 'testing',
    });
    expect(allowed).toMatchObject({ finalAction: 'go', status: 'pass' });
    const expired = evaluatePolicy(bundle({ mappings: mappings(['expired']) }), input);
    expect(expired).toMatchObject({ finalAction: 'stop', status: 'fail' });
    const before = evaluatePolicy(bundle({ mappings: mappings(['expired']) }), {
      ...input,
      now: new Date('2025-12-31T00:00:00Z'),
    });
    expect(before.finalAction).toBe('go');
  });

  it('fails blacklisted images and passes whitelisted ones whatever the rules say', () => {
    const selector = {
      registry: '*',
      repository: 'team/demo',
      image: { type: 'tag', value: '1.0' },
    };
    expect(evaluatePolicy(bundle({ blacklisted_images: [selector] }), input)).toMatchObject({
      finalAction: 'stop',
      finalActionReason: 'blacklisted',
    });
    const whitelisted = evaluatePolicy(
      bundle({
        whitelisted_images: [selector],
        policies: [policy('stopper', 'STOP'), policy('warner', 'STOP')],
      }),
      input,
    );
    expect(whitelisted).toMatchObject({
      finalAction: 'go',
      finalActionReason: 'whitelisted',
      status: 'pass',
    });
  });

  it('evaluates a named policy, and refuses an image no mapping covers', () => {
    expect(evaluatePolicy(bundle(), input, { policyId: 'goer' }).finalAction).toBe('go');
    const unmapped = bundle({ mappings: [] });
    expect(() => evaluatePolicy(unmapped, input)).toThrow(
      /no mapping of policy bundle bundle-1 matches registry.example:5000\/team\/demo:1.0/,
    );
  });
});

describe('allowlist scope', () => {
  it('narrows an item to the packages or paths it names', async () => {
    const records = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'vuln-corpus', 'osv');
    const matched = await policyInputFor(demoImageSpec, { records });
    const scoped = (scope: Record<string, string>) =>
      validateBundle(
        {
          id: 'scoped',
          version: '1_0',
          policies: [
            {
              id: 'vulns',
              version: '1_0',
              rules: [
                {
                  id: 'any',
                  gate: 'vulnerabilities',
                  trigger: 'package',
                  action: 'STOP',
                  params: [
                    { name: 'package_type', value: 'all' },
                    { name: 'severity_comparison', value: '>=' },
                    { name: 'severity', value: 'unknown' },
                  ],
                },
              ],
            },
          ],
          whitelists: [
            {
              id: 'w',
              version: '1_0',
              items: [{ id: 'scoped', gate: 'vulnerabilities', trigger_id: '*', scope }],
            },
          ],
          mappings: [
            {
              registry: '*',
              repository: '*',
              image: { type: 'tag', value: '*' },
              policy_id: 'vulns',
              whitelist_ids: ['w'],
            },
          ],
        },
        'scoped bundle',
      );
    const allowed = (scope: Record<string, string>) =>
      evaluatePolicy(scoped(scope), matched)
        .rows.filter((row) => row.whitelisted !== undefined)
        .map((row) => row.triggerId)
        .sort();
    expect(allowed({ package: 'pkg:npm/express@*' })).toEqual([
      'GHSA-qw6h-vgh9-j6wx+express',
      'GHSA-rv95-896h-c2vc+express',
    ]);
    expect(allowed({ path: '/var/lib/dpkg/*' })).toEqual([
      'CVE-2024-2961+libc6',
      'DSA-5678-1+libc6',
    ]);
    expect(allowed({ package: 'pkg:npm/lodash@*' })).toEqual([]);
    expect(() => scoped({})).toThrow(/scope names neither a package nor a path/);
  }, 60_000);
});
