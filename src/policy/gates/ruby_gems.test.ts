import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoImageSpec } from '../../../examples/demo-image/spec.js';
import { corpusCases } from '../../../test/fixtures/vuln-corpus/cases.js';
import { policyInputFor } from '../../../test/harness/policy-input.js';
import { evaluateRule, ruleProblems, type RuleParams } from '../../../test/harness/policy-rule.js';
import type { PolicyInput } from '../gate.js';
import { gateNamed } from '../gates.js';

const rows = (input: PolicyInput, trigger: string, params: RuleParams = {}) =>
  evaluateRule(input, 'ruby_gems', trigger, params);

const anchoreId = (trigger: string, message: string): string =>
  createHash('md5').update(`ruby_gems${trigger}${message}`).digest('hex');

/** tzinfo 1.2.9 under /usr/local/bundle and 2.0.4 under /usr/lib/ruby/gems/3.1.0. */
let gems: PolicyInput;
let demo: PolicyInput;

beforeAll(async () => {
  const found = corpusCases.find((c) => c.name === 'rubygems-two-versions');
  if (found === undefined) throw new Error('the gem corpus case is missing');
  [gems, demo] = await Promise.all([policyInputFor(found.image), policyInputFor(demoImageSpec)]);
}, 60_000);

describe('ruby_gems/blacklist', () => {
  it('fires once for each installed version of the gem', () => {
    const both = rows(gems, 'blacklist', { name: 'tzinfo' });
    expect(both.map((row) => row.checkOutput).sort()).toEqual([
      'Gem Package is blacklisted: tzinfo 1.2.9 (gem, at /usr/local/bundle/specifications/tzinfo-1.2.9.gemspec); remove it from the image.',
      'Gem Package is blacklisted: tzinfo 2.0.4 (gem, at /usr/lib/ruby/gems/3.1.0/specifications/tzinfo-2.0.4.gemspec); remove it from the image.',
    ]);
    // Anchore's message names no version here, so both have its one trigger id.
    expect(new Set(both.map((row) => row.triggerId))).toEqual(
      new Set([anchoreId('blacklist', 'Gem Package is blacklisted: tzinfo')]),
    );
  });

  it('fires only for the version given', () => {
    expect(rows(gems, 'blacklist', { name: 'tzinfo', version: '2.0.4' })).toMatchObject([
      {
        triggerId: anchoreId('blacklist', 'Gem Package is blacklisted: tzinfo-2.0.4'),
        checkOutput: expect.stringContaining('tzinfo 2.0.4 (gem, at /usr/lib/ruby') as string,
      },
    ]);
    expect(rows(gems, 'blacklist', { name: 'tzinfo', version: '2.0.5' })).toEqual([]);
    expect(rows(demo, 'blacklist', { name: 'express' })).toEqual([]);
  });
});

describe('ruby_gems/feed_data_unavailable', () => {
  it('fires for an image with gems: drydock has no gem metadata feed', () => {
    expect(rows(gems, 'feed_data_unavailable')).toEqual([
      expect.objectContaining({
        triggerId: anchoreId(
          'feed_data_unavailable',
          'Gem packages are present but the anchore gem feed is not available - will be unable to perform checks that require feed data',
        ),
      }),
    ]);
  });

  it('does not fire for an image without gems', () => {
    expect(rows(demo, 'feed_data_unavailable')).toEqual([]);
  });
});

describe('ruby_gems feed comparisons', () => {
  it('are declared end-of-life and never fire', () => {
    const gate = gateNamed('ruby_gems');
    for (const name of [
      'newer_version_found_in_feed',
      'not_found_in_feed',
      'version_not_found_in_feed',
    ]) {
      const trigger = gate?.triggers.find((t) => t.name === name);
      expect(trigger?.state, name).toBe('eol');
      expect(rows(gems, name), name).toEqual([]);
    }
  });
});

describe('ruby_gems parameters', () => {
  it('refuses bad rules, naming the policy, rule and parameter', () => {
    expect(ruleProblems('ruby_gems', 'blacklist', {})).toEqual([
      'policy p1 rule r1: parameter name is required',
    ]);
    expect(ruleProblems('ruby_gems', 'gemnotlatest', {})[0]).toMatch(
      /gate ruby_gems has no trigger "gemnotlatest"/,
    );
  });

  it("loads the rules Anchore's all-rules test bundle writes for this gate", () => {
    // anchore-engine tests/functional/artifacts/bundle-with-all-rules-2020-08-20.json
    for (const trigger of [
      'version_not_found_in_feed',
      'not_found_in_feed',
      'newer_version_found_in_feed',
      'feed_data_unavailable',
    ])
      expect(ruleProblems('ruby_gems', trigger, {}), trigger).toEqual([]);
    expect(ruleProblems('ruby_gems', 'blacklist', { name: 'ruby-test', version: '0.2.9' })).toEqual(
      [],
    );
  });
});
