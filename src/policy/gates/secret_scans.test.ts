import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoImageSpec } from '../../../examples/demo-image/spec.js';
import { BUILTIN_SECRET_PATTERN_NAMES } from '../../catalog/secrets.js';
import type { ImageSpec } from '../../../test/harness/image-builder.js';
import { policyInputFor } from '../../../test/harness/policy-input.js';
import { evaluateRule, ruleProblems } from '../../../test/harness/policy-rule.js';
import type { PolicyInput } from '../gate.js';
import { ANCHORE_SECRET_NAMES } from './content-search.js';

/** Test keys in the shapes real ones have; none of them was ever valid. */
const secretsSpec: ImageSpec = {
  layers: [
    {
      entries: [
        { path: 'app', type: 'dir' },
        {
          path: 'app/.env',
          content: [
            'AWS_ACCESS_KEY_ID=AKIA2DRYDOCKDEMO7Q4Z',
            'aws_secret_access_key = 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',
            'api_key="9f8a7b6c5d4e3f2a1b0c"',
            'db_password="s3cr3t!pass9"',
            'AWS_ACCESS_KEY_ID=AKIA7DRYDOCKTEST2X9Y',
            '',
          ].join('\n'),
        },
        { path: 'etc', type: 'dir' },
        {
          path: 'etc/ssl/private/server.key',
          content:
            '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx7\n-----END RSA PRIVATE KEY-----\n',
        },
      ],
    },
  ],
};

const cleanSpec: ImageSpec = {
  layers: [
    {
      entries: [
        { path: 'etc', type: 'dir' },
        { path: 'etc/hostname', content: 'x\n' },
      ],
    },
  ],
};

let secrets: PolicyInput;
let demo: PolicyInput;
let clean: PolicyInput;

beforeAll(async () => {
  [secrets, demo, clean] = await Promise.all([
    policyInputFor(secretsSpec),
    policyInputFor(demoImageSpec),
    policyInputFor(cleanSpec),
  ]);
}, 60_000);

const checks = (input: PolicyInput, params: Record<string, string> = {}) =>
  evaluateRule(input, 'secret_scans', 'content_regex_checks', params);
const ids = (input: PolicyInput, params: Record<string, string> = {}) =>
  checks(input, params).map((row) => row.triggerId);

describe('secret_scans content_regex_checks (found)', () => {
  it('fires once per file and pattern, listing lines and redacted matches', () => {
    const rows = checks(secrets);
    expect(rows.map((r) => r.triggerId)).toEqual([
      'aws-access-key-id+/app/.env',
      'aws-secret-access-key+/app/.env',
      'generic-secret+/app/.env',
      'private-key+/etc/ssl/private/server.key',
    ]);
    expect(rows[0]?.checkOutput).toBe(
      'Secret scan found aws-access-key-id at /app/.env lines 1, 5 (AKIA2DRY************, AKIA7DRY************); remove it from the image and rotate it.',
    );
    expect(ids(demo)).toEqual(['aws-access-key-id+/app/.env']);
  });

  it('reads Anchore’s default names as drydock patterns', () => {
    expect(ids(secrets, { content_regex_name: 'AWS_ACCESS_KEY' })).toEqual([
      'aws-access-key-id+/app/.env',
    ]);
    expect(ids(secrets, { content_regex_name: 'AWS_SECRET_KEY' })).toEqual([
      'aws-secret-access-key+/app/.env',
    ]);
    expect(ids(secrets, { content_regex_name: 'PRIV_KEY' })).toEqual([
      'private-key+/etc/ssl/private/server.key',
    ]);
    // API_KEY is the API-key part of generic-secret: line 3, not the password on line 4.
    const apiKey = checks(secrets, { content_regex_name: 'API_KEY' });
    expect(apiKey.map((r) => r.checkOutput)).toEqual([
      'Secret scan found generic-secret at /app/.env line 3 (api_key="9f8a****************"); remove it from the image and rotate it.',
    ]);
    expect(checks(secrets, { content_regex_name: 'generic-secret' })[0]?.checkOutput).toContain(
      'lines 3, 4',
    );
    for (const target of Object.values(ANCHORE_SECRET_NAMES))
      expect(BUILTIN_SECRET_PATTERN_NAMES).toContain(target.pattern);
  });

  it('narrows to files whose path matches filename_regex from its start', () => {
    expect(ids(secrets, { filename_regex: '/etc/.*' })).toEqual([
      'private-key+/etc/ssl/private/server.key',
    ]);
    expect(ids(secrets, { filename_regex: '\\.env' })).toEqual([]);
  });

  it('does not fire when the scan found nothing that fits', () => {
    expect(checks(clean)).toEqual([]);
    expect(checks(demo, { content_regex_name: 'PRIV_KEY' })).toEqual([]);
    expect(checks(secrets, { content_regex_name: 'DOCKER_AUTH' })).toEqual([]);
    expect(
      checks(secrets, { content_regex_name: 'aws-access-key-id', match_type: 'found' }),
    ).toHaveLength(1);
  });
});

describe('secret_scans content_regex_checks (notfound)', () => {
  const anchoreId = (text: string): string =>
    createHash('md5')
      .update(
        `secret_scanscontent_regex_checksSecret content search analyzer did not find regexp match in container: ${text}`,
      )
      .digest('hex');

  it('fires once when nothing that fits was found', () => {
    expect(checks(clean, { match_type: 'notfound' })).toEqual([
      expect.objectContaining({
        triggerId: anchoreId('filename_regex=* content_regex_name=all'),
        checkOutput: 'Secret scan found no match: content_regex_name=all filename_regex=*.',
      }),
    ]);
    const params = {
      match_type: 'NOTFOUND',
      content_regex_name: 'PRIV_KEY',
      filename_regex: '/app/.*',
    };
    expect(ids(secrets, params)).toEqual([
      anchoreId('filename_regex=/app/.* content_regex_name=PRIV_KEY'),
    ]);
  });

  it('does not fire when something fits', () => {
    expect(checks(demo, { match_type: 'notfound' })).toEqual([]);
    expect(checks(demo, { match_type: 'notfound', content_regex_name: 'AWS_ACCESS_KEY' })).toEqual(
      [],
    );
  });
});

describe('secret_scans parameters', () => {
  it('are refused with the policy, rule and parameter named', () => {
    expect(
      ruleProblems('secret_scans', 'content_regex_checks', {
        match_type: 'exists',
        filename_regex: '(',
      }),
    ).toEqual([
      expect.stringMatching(/^policy p1 rule r1: parameter filename_regex "\(": not a valid/),
      'policy p1 rule r1: parameter match_type "exists": expected one of found, notfound',
    ]);
  });
});
