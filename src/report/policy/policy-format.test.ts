import { describe, expect, it } from 'vitest';
import type { PolicyEvaluation } from '../../model/index.js';
import { gapSummary } from './policy-format.js';

const evaluation = (
  finalActionReason: PolicyEvaluation['finalActionReason'],
  stops: number,
  stopsWithFix: number,
  warns: number,
): PolicyEvaluation => ({
  bundleId: 'b',
  policyIds: ['p'],
  matched: {},
  tag: 'docker.io/library/app:1',
  rows: [],
  finalAction: stops > 0 ? 'stop' : 'go',
  finalActionReason,
  status: stops > 0 ? 'fail' : 'pass',
  gap: { stops, stopsWithFix, warns },
  evaluatedAt: '2026-01-01T00:00:00.000Z',
});

describe('gapSummary', () => {
  it('counts the STOP results to clear and those a fix clears', () => {
    expect(gapSummary(evaluation('policy_evaluation', 3, 2, 1))).toBe(
      '3 STOP results to clear, 2 of them have a fix (and 1 WARN result)',
    );
    expect(gapSummary(evaluation('policy_evaluation', 1, 1, 0))).toBe(
      '1 STOP result to clear, 1 of them has a fix',
    );
    expect(gapSummary(evaluation('policy_evaluation', 0, 0, 2))).toBe(
      'none: no STOP results (and 2 WARN results)',
    );
  });

  it('says when the image list decided, whatever the results', () => {
    expect(gapSummary(evaluation('blacklisted', 0, 0, 0))).toMatch(/^the image is blacklisted/);
    expect(gapSummary(evaluation('whitelisted', 4, 4, 0))).toMatch(
      /^none: the image is whitelisted/,
    );
  });
});
