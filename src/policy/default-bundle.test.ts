import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoImageSpec } from '../../examples/demo-image/spec.js';
import { corpusCases } from '../../test/fixtures/vuln-corpus/cases.js';
import { policyInputFor } from '../../test/harness/policy-input.js';
import type { PolicyBundle, PolicyEvaluation } from '../model/index.js';
import { parseBundle } from './bundle.js';
import { evaluatePolicy } from './evaluate.js';
import type { PolicyInput } from './gate.js';

const BUNDLE_FILE = join(import.meta.dirname, 'default-bundle.json');
const CORPUS_OSV = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'vuln-corpus', 'osv');

/** `input` evaluated a day after its newest feed sync, so that no feed is stale. */
function dayAfterSync(input: PolicyInput): PolicyInput {
  const newest = Math.max(...input.match.data.feeds.map((feed) => Date.parse(feed.lastSync)));
  return { ...input, now: new Date(newest + 86_400_000) };
}

/** Rule id, action and trigger id of every row, in order. */
const summary = (evaluation: PolicyEvaluation): string[] =>
  evaluation.rows.map((row) => `${row.action} ${row.ruleId ?? ''} ${row.triggerId}`);

let bundle: PolicyBundle;
let demo: PolicyInput;
let demoNoData: PolicyInput;
let npmApp: PolicyInput;

beforeAll(async () => {
  bundle = parseBundle(readFileSync(BUNDLE_FILE, 'utf8'), BUNDLE_FILE);
  const npm = corpusCases.find((c) => c.name === 'npm-scoped-and-boundaries');
  if (npm === undefined) throw new Error('the npm corpus case is missing');
  [demo, demoNoData, npmApp] = await Promise.all([
    policyInputFor(demoImageSpec, { records: CORPUS_OSV }),
    policyInputFor(demoImageSpec),
    policyInputFor(npm.image, { records: join(CORPUS_OSV, 'npm') }),
  ]);
}, 120_000);

describe('the default bundle', () => {
  it("is a valid bundle in Anchore's shape, mapping every image to its policy", () => {
    expect(bundle).toMatchObject({ id: 'drydock-default-bundle', version: '1_0' });
    expect(bundle.mappings).toEqual([
      expect.objectContaining({
        registry: '*',
        repository: '*',
        image: { type: 'tag', value: '*' },
        policy_ids: ['drydock-default-policy'],
      }),
    ]);
    expect(bundle.policies[0]?.rules.map((r) => `${r.action} ${r.gate}/${r.trigger}`)).toEqual([
      'STOP dockerfile/exposed_ports',
      'WARN dockerfile/instruction',
      'WARN vulnerabilities/stale_feed_data',
      'WARN vulnerabilities/vulnerability_data_unavailable',
      'STOP vulnerabilities/package',
      'WARN vulnerabilities/package',
      'WARN vulnerabilities/package',
    ]);
  });

  it('stops the demo image for its ssh port and warns on HEALTHCHECK and medium vulnerabilities', () => {
    const evaluation = evaluatePolicy(bundle, dayAfterSync(demo));
    expect(evaluation).toMatchObject({
      policyIds: ['drydock-default-policy'],
      matched: { mapping: { name: 'default' } },
      finalAction: 'stop',
      status: 'fail',
      gap: { stops: 1, stopsWithFix: 0, warns: 3 },
    });
    const [port, healthcheck, ...vulnerabilities] = evaluation.rows;
    expect(port).toMatchObject({ action: 'STOP', ruleId: 'ssh-port-exposed', gate: 'dockerfile' });
    expect(port?.checkOutput).toContain('22');
    expect(healthcheck).toMatchObject({ action: 'WARN', ruleId: 'no-healthcheck' });
    // libc6's findings are of unknown severity (Debian gave no urgency, NVD no score): no rule.
    expect(
      vulnerabilities.map((row) => `${row.action} ${row.ruleId ?? ''} ${row.triggerId}`),
    ).toEqual([
      'WARN medium-vulnerability GHSA-qw6h-vgh9-j6wx+express',
      'WARN medium-vulnerability GHSA-rv95-896h-c2vc+express',
    ]);
  });

  it('warns when the vulnerability data is missing or stale', () => {
    const noData = evaluatePolicy(bundle, demoNoData);
    expect(
      summary(noData).filter((row) => row.includes('stale') || row.includes('unavailable')),
    ).toEqual([
      expect.stringMatching(/^WARN stale-feed-data [0-9a-f]{32}$/),
      expect.stringMatching(/^WARN vulnerability-data-unavailable [0-9a-f]{32}$/),
    ]);
    const newest = Math.max(...demo.match.data.feeds.map((feed) => Date.parse(feed.lastSync)));
    const weekLater = { ...demo, now: new Date(newest + 7 * 86_400_000) };
    expect(
      summary(evaluatePolicy(bundle, weekLater)).filter((row) => row.includes('stale')),
    ).toHaveLength(2);
  });

  it('stops high and critical vulnerabilities that have a fix, and only warns on those without', () => {
    const evaluation = evaluatePolicy(bundle, dayAfterSync(npmApp));
    expect(summary(evaluation)).toEqual([
      expect.stringMatching(/^WARN no-healthcheck [0-9a-f]{32}$/),
      'STOP high-vulnerability-with-fix GHSA-67hx-6x53-jw92+@babel/traverse',
      'STOP high-vulnerability-with-fix GHSA-whgm-jr23-g3j9+ansi-html',
      'WARN high-vulnerability-without-fix GHSA-67hx-6x53-jw92+babel-traverse',
      'WARN medium-vulnerability GHSA-qw6h-vgh9-j6wx+express',
    ]);
    expect(evaluation).toMatchObject({
      finalAction: 'stop',
      gap: { stops: 2, stopsWithFix: 2, warns: 3 },
    });
  });
});
