import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoImageSpec } from '../../../examples/demo-image/spec.js';
import type { ImageSpec } from '../../../test/harness/image-builder.js';
import { policyInputFor } from '../../../test/harness/policy-input.js';
import { evaluateRule, ruleProblems } from '../../../test/harness/policy-rule.js';
import type { PolicyInput } from '../gate.js';

const sudoersSpec: ImageSpec = {
  layers: [
    {
      entries: [
        { path: 'etc', type: 'dir' },
        {
          path: 'etc/sudoers',
          content: 'Defaults env_reset\n%sudo ALL=(ALL:ALL) ALL\napp ALL=(ALL) NOPASSWD: ALL\n',
          mode: 0o440,
        },
        { path: 'etc/sudoers.d', type: 'dir' },
        { path: 'etc/sudoers.d/deploy', content: 'deploy ALL=(ALL) /usr/bin/systemctl\n' },
      ],
    },
  ],
};

let demo: PolicyInput;
let sudoers: PolicyInput;

beforeAll(async () => {
  [demo, sudoers] = await Promise.all([policyInputFor(demoImageSpec), policyInputFor(sudoersSpec)]);
}, 60_000);

const retrieved = (input: PolicyInput, trigger: string, params: Record<string, string>) =>
  evaluateRule(input, 'retrieved_files', trigger, params);

describe('retrieved_files content_not_available', () => {
  it('does not fire for a retained file', () => {
    expect(retrieved(demo, 'content_not_available', { path: '/etc/passwd' })).toEqual([]);
    const path = '/etc/sudoers.d/deploy';
    expect(retrieved(sudoers, 'content_not_available', { path })).toEqual([]);
  });

  it('fires for a file the image lacks or the analysis did not keep, with Anchore’s id', () => {
    const anchoreId = createHash('md5')
      .update('retrieved_filescontent_not_availableCannot locate file in the image analysis')
      .digest('hex');
    expect(retrieved(demo, 'content_not_available', { path: '/etc/sudoers' })).toEqual([
      expect.objectContaining({
        checkOutput: 'The image has no /etc/sudoers.',
        triggerId: anchoreId,
      }),
    ]);
    expect(
      retrieved(demo, 'content_not_available', { path: '/app/server.js' })[0]?.checkOutput,
    ).toBe(
      '/app/server.js is in the image but its content was not retained: add it to retainedFiles in the drydock config and analyse the image again.',
    );
  });
});

describe('retrieved_files content_regex', () => {
  const path = '/etc/sudoers';

  it('fires with check match when a line matches from its start', () => {
    const rows = retrieved(sudoers, 'content_regex', { path, check: 'match', regex: '.*NOPASSWD' });
    expect(rows).toEqual([
      expect.objectContaining({
        triggerId: '.*NOPASSWD+file:///etc/sudoers',
        checkOutput:
          "Content regex '.*NOPASSWD' check 'match' holds for retained file /etc/sudoers (line 3).",
      }),
    ]);
    const deploy = { path: '/etc/sudoers.d/deploy', check: 'match', regex: '.*/usr/bin/' };
    expect(retrieved(sudoers, 'content_regex', deploy)[0]?.triggerId).toBe(
      '.*/usr/bin/+file:///etc/sudoers.d/deploy',
    );
    // Whole lines are matched, so a regex may hold spaces.
    const spaced = { path, check: 'match', regex: 'app ALL=' };
    expect(retrieved(sudoers, 'content_regex', spaced)).toHaveLength(1);
  });

  it('fires with check no_match when no line matches', () => {
    const params = { path, check: 'no_match', regex: 'root\\s' };
    expect(retrieved(sudoers, 'content_regex', params)[0]?.checkOutput).toBe(
      "Content regex 'root\\s' check 'no_match' holds for retained file /etc/sudoers.",
    );
  });

  it('does not fire when the check does not hold, or the file was not retained', () => {
    expect(
      retrieved(sudoers, 'content_regex', { path, check: 'no_match', regex: '.*NOPASSWD' }),
    ).toEqual([]);
    // Anchored at the start of the line, as Anchore's re.match.
    expect(
      retrieved(sudoers, 'content_regex', { path, check: 'match', regex: 'NOPASSWD' }),
    ).toEqual([]);
    for (const check of ['match', 'no_match'])
      expect(retrieved(demo, 'content_regex', { path, check, regex: '.*' })).toEqual([]);
  });
});

describe('retrieved_files parameters', () => {
  it('are refused with the policy, rule and parameter named', () => {
    expect(
      ruleProblems('retrieved_files', 'content_regex', {
        path: '/x',
        check: 'matches',
        regex: '[',
      }),
    ).toEqual([
      'policy p1 rule r1: parameter check "matches": expected one of match, no_match',
      expect.stringMatching(
        /^policy p1 rule r1: parameter regex "\[": not a valid regular expression/,
      ),
    ]);
    expect(ruleProblems('retrieved_files', 'content_not_available', {})).toEqual([
      'policy p1 rule r1: parameter path is required',
    ]);
  });
});
