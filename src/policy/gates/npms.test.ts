import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoImageSpec } from '../../../examples/demo-image/spec.js';
import { corpusCases } from '../../../test/fixtures/vuln-corpus/cases.js';
import { policyInputFor } from '../../../test/harness/policy-input.js';
import { evaluateRule, ruleProblems, type RuleParams } from '../../../test/harness/policy-rule.js';
import type { PolicyInput } from '../gate.js';
import { gateNamed } from '../gates.js';

const rows = (input: PolicyInput, trigger: string, params: RuleParams = {}) =>
  evaluateRule(input, 'npms', trigger, params);

const anchoreId = (trigger: string, message: string): string =>
  createHash('md5').update(`npms${trigger}${message}`).digest('hex');

let demo: PolicyInput;
let gemsOnly: PolicyInput;

beforeAll(async () => {
  const gems = corpusCases.find((c) => c.name === 'rubygems-two-versions');
  if (gems === undefined) throw new Error('the gem corpus case is missing');
  [demo, gemsOnly] = await Promise.all([policyInputFor(demoImageSpec), policyInputFor(gems.image)]);
}, 60_000);

describe('npms/blacklisted_name_version', () => {
  it('fires for an installed npm package of the name, and the version if given', () => {
    expect(rows(demo, 'blacklisted_name_version', { name: 'express' })).toMatchObject([
      {
        triggerId: anchoreId('blacklisted_name_version', 'NPM Package is blacklisted: express'),
        checkOutput:
          'NPM Package is blacklisted: express 4.17.1 (npm, at /app/node_modules/express/package.json); remove it from the image.',
      },
    ]);
    expect(
      rows(demo, 'blacklisted_name_version', { name: 'express', version: '4.17.1' }),
    ).toMatchObject([
      {
        triggerId: anchoreId(
          'blacklisted_name_version',
          'NPM Package is blacklisted: express-4.17.1',
        ),
      },
    ]);
  });

  it('does not fire for another version, or for a package of another type', () => {
    expect(rows(demo, 'blacklisted_name_version', { name: 'express', version: '4.17.2' })).toEqual(
      [],
    );
    expect(rows(demo, 'blacklisted_name_version', { name: 'libc6' })).toEqual([]);
  });
});

describe('npms/feed_data_unavailable', () => {
  it('fires for an image with npm packages: drydock has no npm metadata feed', () => {
    expect(rows(demo, 'feed_data_unavailable')).toEqual([
      expect.objectContaining({
        triggerId: anchoreId(
          'feed_data_unavailable',
          'NPM packages are present but the anchore npm feed is not available - will be unable to perform checks that require feed data',
        ),
        checkOutput:
          'NPM packages are present but no NPM package metadata feed is available: the checks that need feed data (newest version, unknown names and versions) cannot be made.',
      }),
    ]);
  });

  it('does not fire for an image without npm packages', () => {
    expect(rows(gemsOnly, 'feed_data_unavailable')).toEqual([]);
  });
});

describe('npms feed comparisons', () => {
  const FEED_TRIGGERS = ['newer_version_in_feed', 'unknown_in_feeds', 'version_not_in_feeds'];

  it('are declared end-of-life and never fire', () => {
    const gate = gateNamed('npms');
    for (const name of FEED_TRIGGERS) {
      const trigger = gate?.triggers.find((t) => t.name === name);
      expect(trigger?.state, name).toBe('eol');
      expect(trigger?.description, name).toMatch(/drydock has no NPM package metadata feed/);
      expect(rows(demo, name), name).toEqual([]);
    }
  });
});

describe('npms parameters', () => {
  it('refuses bad rules, naming the policy, rule and parameter', () => {
    expect(ruleProblems('npms', 'blacklisted_name_version', { version: '1.0' })).toEqual([
      'policy p1 rule r1: parameter name is required',
    ]);
    expect(ruleProblems('npms', 'unknown_in_feeds', { name: 'x' })[0]).toMatch(
      /policy p1 rule r1: trigger npms\/unknown_in_feeds has no parameter "name"/,
    );
  });

  it("loads the rules Anchore's all-rules test bundle writes for this gate", () => {
    // anchore-engine tests/functional/artifacts/bundle-with-all-rules-2020-08-20.json
    for (const trigger of [
      'version_not_in_feeds',
      'unknown_in_feeds',
      'newer_version_in_feed',
      'feed_data_unavailable',
    ])
      expect(ruleProblems('npms', trigger, {}), trigger).toEqual([]);
    expect(
      ruleProblems('npms', 'blacklisted_name_version', { name: 'ffff', version: '111111' }),
    ).toEqual([]);
  });
});
