import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoImageSpec } from '../../../examples/demo-image/spec.js';
import type { ImageSpec } from '../../../test/harness/image-builder.js';
import { mutate, randomText } from '../../../test/harness/mutate.js';
import { policyInputFor } from '../../../test/harness/policy-input.js';
import { evaluateRule, ruleProblems } from '../../../test/harness/policy-rule.js';
import { seededRandom } from '../../../test/harness/random.js';
import type { PolicyInput } from '../gate.js';
import { passwdFileGate } from './passwd_file.js';
import { TriggerParams } from '../params.js';

/** A passwd written by hand the way old images have them: CRLF, a blank line, a legacy hash. */
const legacySpec: ImageSpec = {
  layers: [
    {
      entries: [
        { path: 'etc', type: 'dir' },
        {
          path: 'etc/passwd',
          content:
            'root:$1$salt$0123456789abcdefghijkl:0:0:root:/root:/bin/ash\r\n\r\n  ftp:x:14:50:FTP User:/var/ftp:/sbin/nologin  \r\nbroken-line\r\n',
        },
      ],
    },
  ],
};

const noPasswdSpec: ImageSpec = {
  layers: [
    {
      entries: [
        { path: 'etc', type: 'dir' },
        { path: 'etc/hostname', content: 'x\n' },
      ],
    },
  ],
};

let demo: PolicyInput;
let legacy: PolicyInput;
let noPasswd: PolicyInput;

beforeAll(async () => {
  [demo, legacy, noPasswd] = await Promise.all([
    policyInputFor(demoImageSpec),
    policyInputFor(legacySpec),
    policyInputFor(noPasswdSpec),
  ]);
}, 60_000);

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

const passwd = (input: PolicyInput, trigger: string, params: Record<string, string> = {}) =>
  evaluateRule(input, 'passwd_file', trigger, params);
const outputs = (input: PolicyInput, trigger: string, params: Record<string, string> = {}) =>
  passwd(input, trigger, params).map((row) => row.checkOutput);

describe('passwd_file content_not_available', () => {
  it('does not fire when /etc/passwd was retained', () => {
    expect(passwd(demo, 'content_not_available')).toEqual([]);
    expect(passwd(legacy, 'content_not_available')).toEqual([]);
  });

  it('fires, saying why, when the image has none or its content was not retained', () => {
    const rows = passwd(noPasswd, 'content_not_available');
    expect(rows).toEqual([
      expect.objectContaining({
        checkOutput: 'The image has no /etc/passwd.',
        triggerId: md5(
          'passwd_filecontent_not_availableCannot locate /etc/passwd in image stored files archive: check analyzer settings.',
        ),
      }),
    ]);
    // The same analysis as with `retainedFiles: []` in the config.
    const notRetained = { ...demo, content: { ...demo.content, retainedFiles: [] } };
    expect(outputs(notRetained, 'content_not_available')).toEqual([
      '/etc/passwd is in the image but its content was not retained: add it to retainedFiles in the drydock config and analyse the image again.',
    ]);
  });
});

describe('passwd_file blacklist_usernames', () => {
  it('fires for each listed account, with Anchore’s trigger id', () => {
    const rows = passwd(demo, 'blacklist_usernames', { user_names: 'daemon, ftp' });
    expect(rows).toEqual([
      expect.objectContaining({
        checkOutput:
          "Blacklisted user 'daemon' found in the image's /etc/passwd: daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin.",
        triggerId: md5(
          "passwd_fileblacklist_usernamesBlacklisted user 'daemon' found in image's /etc/passwd: pentry=daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
        ),
      }),
    ]);
    expect(outputs(legacy, 'blacklist_usernames', { user_names: 'ftp' })).toHaveLength(1);
  });

  it('does not fire for names not in the file', () => {
    expect(passwd(demo, 'blacklist_usernames', { user_names: 'ftp,nobody' })).toEqual([]);
    expect(passwd(noPasswd, 'blacklist_usernames', { user_names: 'root' })).toEqual([]);
  });
});

describe('passwd_file blacklist_userids and blacklist_groupids', () => {
  it('fire for listed numeric ids', () => {
    expect(outputs(demo, 'blacklist_userids', { user_ids: '0,1000' })).toEqual([
      "Blacklisted uid '0' found in the image's /etc/passwd: root:x:0:0:root:/root:/bin/bash.",
      "Blacklisted uid '1000' found in the image's /etc/passwd: app:x:1000:1000::/home/app:/bin/sh.",
    ]);
    expect(outputs(demo, 'blacklist_groupids', { group_ids: '01' })).toEqual([
      "Blacklisted gid '1' found in the image's /etc/passwd: daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin.",
    ]);
    expect(outputs(legacy, 'blacklist_groupids', { group_ids: '50' })).toEqual([
      "Blacklisted gid '50' found in the image's /etc/passwd: ftp:x:14:50:FTP User:/var/ftp:/sbin/nologin.",
    ]);
  });

  it('do not fire for ids no account has', () => {
    expect(passwd(demo, 'blacklist_userids', { user_ids: '14,999' })).toEqual([]);
    expect(passwd(demo, 'blacklist_groupids', { group_ids: '5' })).toEqual([]);
  });
});

describe('passwd_file blacklist_shells', () => {
  it('fires for accounts with a listed shell', () => {
    expect(outputs(demo, 'blacklist_shells', { shells: '/bin/bash,/bin/zsh' })).toEqual([
      "Blacklisted shell '/bin/bash' found in the image's /etc/passwd: root:x:0:0:root:/root:/bin/bash.",
    ]);
  });

  it('compares whole paths', () => {
    expect(passwd(demo, 'blacklist_shells', { shells: 'bash,/bin/zsh' })).toEqual([]);
  });
});

describe('passwd_file blacklist_full_entry', () => {
  it('fires for an identical entry, spaces around it aside', () => {
    const entry = ' ftp:x:14:50:FTP User:/var/ftp:/sbin/nologin ';
    expect(passwd(legacy, 'blacklist_full_entry', { entry })).toEqual([
      expect.objectContaining({
        checkOutput:
          "Blacklisted pentry 'ftp:x:14:50:FTP User:/var/ftp:/sbin/nologin' found in the image's /etc/passwd.",
      }),
    ]);
  });

  it('does not fire for a different entry, nor for one with a hash (hashes are not kept)', () => {
    const differs = 'ftp:x:14:50:FTP User:/srv/ftp:/sbin/nologin';
    expect(passwd(legacy, 'blacklist_full_entry', { entry: differs })).toEqual([]);
    const hashed = 'root:$1$salt$0123456789abcdefghijkl:0:0:root:/root:/bin/ash';
    expect(passwd(legacy, 'blacklist_full_entry', { entry: hashed })).toEqual([]);
    const kept = 'root:HASH-REMOVED:0:0:root:/root:/bin/ash';
    expect(passwd(legacy, 'blacklist_full_entry', { entry: kept })).toHaveLength(1);
  });
});

describe('passwd_file parameters', () => {
  it('are refused with the policy, rule and parameter named', () => {
    expect(ruleProblems('passwd_file', 'blacklist_userids', { user_ids: '0,root' })).toEqual([
      'policy p1 rule r1: parameter user_ids "0,root": expected comma-separated integers',
    ]);
    expect(ruleProblems('passwd_file', 'blacklist_groupids', { group_ids: '-1' })).toEqual([
      'policy p1 rule r1: parameter group_ids "-1": expected comma-separated integers',
    ]);
    expect(ruleProblems('passwd_file', 'blacklist_shells', {})).toEqual([
      'policy p1 rule r1: parameter shells is required',
    ]);
    expect(ruleProblems('passwd_file', 'blacklist_usernames', { usernameblacklist: 'x' })).toEqual([
      'policy p1 rule r1: trigger passwd_file/blacklist_usernames has no parameter "usernameblacklist" (it takes user_names)',
      'policy p1 rule r1: parameter user_names is required',
    ]);
  });
});

describe('passwd_file on hostile content', () => {
  it('never throws on random and mutated /etc/passwd files (seeded)', () => {
    const random = seededRandom(0x9a55d);
    const sample = Buffer.from(
      'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n',
    );
    const params = new TriggerParams([
      ['user_names', 'root,daemon'],
      ['user_ids', '0,1'],
      ['group_ids', '0'],
      ['shells', '/bin/bash'],
      ['entry', 'root:x:0:0:root:/root:/bin/bash'],
    ]);
    for (let round = 0; round < 300; round++) {
      const content =
        round % 2 === 0 ? mutate(sample, random, ':\r\n') : randomText(':x0\n\r #/', 400, random);
      const input: PolicyInput = {
        ...demo,
        content: {
          ...demo.content,
          retainedFiles: [
            {
              path: '/etc/passwd',
              contentBase64: content.toString('base64'),
              size: content.length,
              truncated: random(2) === 0,
            },
          ],
        },
      };
      for (const trigger of passwdFileGate.triggers)
        for (const fired of trigger.evaluate(input, params, {}))
          expect(fired.triggerId).toMatch(/^[0-9a-f]{32}$/);
    }
  });
});
