import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoImageSpec } from '../../../examples/demo-image/spec.js';
import { DrydockError } from '../../model/index.js';
import type { ImageSpec } from '../../../test/harness/image-builder.js';
import { policyInputFor } from '../../../test/harness/policy-input.js';
import { evaluateRule, ruleProblems } from '../../../test/harness/policy-rule.js';
import type { PolicyInput } from '../gate.js';

/** No accounts, no secrets, nothing setuid: a sgid mail directory and a sticky /tmp only. */
const plainSpec: ImageSpec = {
  layers: [
    {
      entries: [
        { path: 'bin', type: 'dir' },
        { path: 'bin/sh', content: '\x7fELF plain shell\n', mode: 0o755 },
        { path: 'etc', type: 'dir' },
        { path: 'etc/hostname', content: 'plain\n' },
        { path: 'tmp', type: 'dir', mode: 0o1777 },
        { path: 'var', type: 'dir' },
        { path: 'var/mail', type: 'dir', mode: 0o2775, gid: 8 },
      ],
    },
  ],
};

let demo: PolicyInput;
let plain: PolicyInput;

beforeAll(async () => {
  [demo, plain] = await Promise.all([policyInputFor(demoImageSpec), policyInputFor(plainSpec)]);
}, 60_000);

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** The demo's /etc/passwd as the analysis kept it (kept whole: it has no hashes to remove). */
function demoPasswd(): Buffer {
  const file = demo.content.retainedFiles.find((f) => f.path === '/etc/passwd');
  if (file === undefined) throw new Error('the demo image analysis kept no /etc/passwd');
  return Buffer.from(file.contentBase64, 'base64');
}

const files = (
  input: PolicyInput,
  trigger: string,
  params: Record<string, string> = {},
): ReturnType<typeof evaluateRule> => evaluateRule(input, 'files', trigger, params);

describe('files content_regex_match', () => {
  it('fires once per file and pattern of the secret scan when no regex_name is given', () => {
    const rows = files(demo, 'content_regex_match');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      gate: 'files',
      trigger: 'content_regex_match',
      triggerId: 'aws-access-key-id+/app/.env',
      action: 'STOP',
    });
    expect(rows[0]?.checkOutput).toContain('aws-access-key-id matched at /app/.env line 1');
    expect(files(plain, 'content_regex_match')).toEqual([]);
  });

  it('narrows to a pattern by drydock or Anchore name', () => {
    expect(files(demo, 'content_regex_match', { regex_name: 'AWS_ACCESS_KEY' })).toHaveLength(1);
    expect(files(demo, 'content_regex_match', { regex_name: 'aws-access-key-id' })).toHaveLength(1);
    expect(files(demo, 'content_regex_match', { regex_name: 'PRIV_KEY' })).toEqual([]);
    expect(files(demo, 'content_regex_match', { regex_name: 'private-key' })).toEqual([]);
  });

  it('searches the lines of retained files with regex_name, from the start of each line', () => {
    const rows = files(demo, 'content_regex_match', { regex_name: 'app:' });
    expect(rows.map((r) => r.checkOutput)).toEqual([
      'Regex "app:" matched retained file /etc/group at line 2.',
      'Regex "app:" matched retained file /etc/passwd at line 3.',
    ]);
    expect(rows[1]?.triggerId).toBe(
      md5(
        'filescontent_regex_matchFile content analyzer found regexp match in container: file=/etc/passwd regexp=app:',
      ),
    );
    // Anchore applies regexes with Python's re.match: anchored at the start, not at the end.
    expect(files(demo, 'content_regex_match', { regex_name: 'x:1000' })).toEqual([]);
    expect(files(demo, 'content_regex_match', { regex_name: '.*x:1000' })).toHaveLength(2);
    expect(files(demo, 'content_regex_match', { regex_name: 'nobody:' })).toEqual([]);
  });
});

describe('files name_match', () => {
  it('fires for each path the regex matches from its start, with Anchore’s trigger id', () => {
    const rows = files(demo, 'name_match', { regex: '.*\\.env' });
    expect(rows).toEqual([
      expect.objectContaining({
        triggerId: md5(
          'filesname_matchApplication of regex matched file found in container: file=/app/.env regexp=.*\\.env',
        ),
        checkOutput: '/app/.env (file) matches the name regex ".*\\.env".',
      }),
    ]);
    expect(files(demo, 'name_match', { regex: '/usr/bin/' }).map((r) => r.checkOutput)).toEqual([
      '/usr/bin/passwd (file) matches the name regex "/usr/bin/".',
      '/usr/bin/wall (file) matches the name regex "/usr/bin/".',
    ]);
  });

  it('does not fire when no path matches from its start', () => {
    expect(files(demo, 'name_match', { regex: '\\.env' })).toEqual([]);
    expect(files(demo, 'name_match', { regex: '.*\\.pem' })).toEqual([]);
  });
});

describe('files attribute_match', () => {
  it('fires when the sha256 equals, with Anchore’s message as the trigger id', () => {
    const digest = sha256(demoPasswd());
    const rows = files(demo, 'attribute_match', { filename: '/etc/passwd', checksum: digest });
    expect(rows).toEqual([
      expect.objectContaining({
        triggerId: md5(
          `filesattribute_matchfilename=/etc/passwd and checksum=${digest} op=equals specified_checksum=${digest}`,
        ),
        checkOutput: `/etc/passwd: sha256 ${digest} equals the given ${digest}.`,
      }),
    ]);
  });

  it('compares checksums both ways', () => {
    const other = '0'.repeat(64);
    const params = { filename: '/etc/passwd', checksum: other };
    expect(files(demo, 'attribute_match', params)).toEqual([]);
    const differs = files(demo, 'attribute_match', { ...params, checksum_match: 'not_equals' });
    expect(differs[0]?.checkOutput).toMatch(/sha256 [0-9a-f]{64} differs from the given 0{64}/);
    const same = { filename: '/etc/passwd', checksum: sha256(demoPasswd()) };
    expect(files(demo, 'attribute_match', { ...same, checksum_match: 'not_equals' })).toEqual([]);
  });

  it('compares modes with setuid bits, and needs every given attribute to hold', () => {
    const suid = files(demo, 'attribute_match', { filename: '/usr/bin/passwd', mode: '04755' });
    expect(suid.map((r) => [r.checkOutput, r.triggerId])).toEqual([
      [
        '/usr/bin/passwd: mode 4755 equals the given 4755.',
        md5(
          'filesattribute_matchfilename=/usr/bin/passwd and mode=0o4755 op=equals specified_mode=0o4755',
        ),
      ],
    ]);
    expect(files(demo, 'attribute_match', { filename: '/usr/bin/passwd', mode: '0755' })).toEqual(
      [],
    );
    const notSticky = { filename: '/tmp', mode: '0755', mode_op: 'not_equals' };
    expect(files(demo, 'attribute_match', notSticky)[0]?.checkOutput).toBe(
      '/tmp: mode 1777 differs from the given 0755.',
    );
    const both = { filename: '/etc/passwd', checksum: sha256(demoPasswd()) };
    expect(files(demo, 'attribute_match', { ...both, mode: '644' })).toHaveLength(1);
    expect(files(demo, 'attribute_match', { ...both, mode: '600' })).toEqual([]);
  });

  it('fires for a missing file only when skip_missing is false', () => {
    const params = { filename: '/etc/passwd', mode: '0644' };
    expect(files(plain, 'attribute_match', params)).toEqual([]);
    expect(files(plain, 'attribute_match', { ...params, skip_missing: 'false' })).toEqual([
      expect.objectContaining({
        checkOutput: '/etc/passwd is not in the image (skip_missing is false).',
        triggerId: md5('filesattribute_matchfilename=/etc/passwd and skip_missing=False'),
      }),
    ]);
    expect(files(demo, 'attribute_match', { filename: '/etc/passwd' })).toEqual([]);
  });

  it('refuses a mode that is not octal when it evaluates the rule', () => {
    const run = () => files(demo, 'attribute_match', { filename: '/etc/passwd', mode: '0698' });
    expect(run).toThrow(DrydockError);
    expect(run).toThrow(/files\/attribute_match: parameter mode "0698" is not an octal file mode/);
  });
});

describe('files suid_or_guid_set', () => {
  it('fires for each setuid or setgid path, with Anchore’s mode in the trigger id', () => {
    const rows = files(demo, 'suid_or_guid_set');
    expect(rows.map((r) => r.checkOutput)).toEqual([
      '/usr/bin/passwd has setuid set (file, mode 4755, owner 0:0).',
      '/usr/bin/wall has setgid set (file, mode 2755, owner 0:5).',
    ]);
    expect(rows[0]?.triggerId).toBe(
      md5('filessuid_or_guid_setSUID or SGID found set on file /usr/bin/passwd. Mode: 0o104755'),
    );
  });

  it('counts setgid directories as Anchore does, and not the sticky bit', () => {
    const rows = files(plain, 'suid_or_guid_set');
    expect(rows.map((r) => r.checkOutput)).toEqual([
      '/var/mail has setgid set (dir, mode 2775, owner 0:8).',
    ]);
    expect(rows[0]?.triggerId).toBe(
      md5('filessuid_or_guid_setSUID or SGID found set on file /var/mail. Mode: 0o42775'),
    );
    const noMail = { ...plain, files: plain.files.filter((f) => f.path !== '/var/mail') };
    expect(files(noMail, 'suid_or_guid_set')).toEqual([]);
  });
});

describe('files parameters', () => {
  it('are refused with the policy, rule and parameter named', () => {
    expect(ruleProblems('files', 'name_match', { regex: '(' })).toEqual([
      expect.stringMatching(
        /^policy p1 rule r1: parameter regex "\(": not a valid regular expression/,
      ),
    ]);
    expect(ruleProblems('files', 'name_match', {})).toEqual([
      'policy p1 rule r1: parameter regex is required',
    ]);
    expect(
      ruleProblems('files', 'attribute_match', { filename: '/x', checksum_algorithm: 'md5' }),
    ).toEqual(['policy p1 rule r1: parameter checksum_algorithm "md5": expected one of sha256']);
    expect(
      ruleProblems('files', 'attribute_match', {
        filename: '/x',
        mode_op: '>',
        skip_missing: 'no',
      }),
    ).toEqual([
      'policy p1 rule r1: parameter mode_op ">": expected one of equals, not_equals',
      'policy p1 rule r1: parameter skip_missing "no": expected true or false',
    ]);
    expect(ruleProblems('files', 'suid_or_guid_set', { regex: '.*' })).toEqual([
      'policy p1 rule r1: trigger files/suid_or_guid_set has no parameter "regex"',
    ]);
    expect(ruleProblems('FILES', 'Content_Regex_Match', { REGEX_NAME: 'x' })).toEqual([]);
  });
});
