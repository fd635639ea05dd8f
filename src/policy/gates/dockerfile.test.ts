import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { fire, loadError } from '../../../test/fixtures/policy-images/evaluate-rule.js';
import {
  bareSpec,
  derivedDockerfile,
  derivedSpec,
} from '../../../test/fixtures/policy-images/specs.js';
import { policyInputFor } from '../../../test/harness/policy-input.js';
import type { PolicyInput } from '../gate.js';

/** The derived image with its Dockerfile rebuilt from history, and with the one supplied. */
let rebuilt: PolicyInput;
let supplied: PolicyInput;
/** One layer, no history, runs as `0:0`. */
let bare: PolicyInput;

beforeAll(async () => {
  rebuilt = await policyInputFor(derivedSpec);
  supplied = await policyInputFor(derivedSpec, { dockerfile: derivedDockerfile });
  bare = await policyInputFor(bareSpec);
}, 60_000);

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');
const messages = (rows: { checkOutput: string }[]): string[] => rows.map((r) => r.checkOutput);

describe('dockerfile instruction', () => {
  it('checks the supplied Dockerfile, continued lines joined and heredoc bodies left out', () => {
    const from = fire(supplied, 'dockerfile', 'instruction', {
      instruction: 'FROM',
      check: 'like',
      value: 'registry\\.example/',
    });
    expect(from).toEqual([
      expect.objectContaining({
        trigger: 'instruction',
        checkOutput:
          "Dockerfile (supplied) line 2: FROM registry.example/base:1.0 matches the check like 'registry\\.example/'",
        // Anchore's id: the md5 of gate, trigger and its own message text.
        triggerId: md5(
          "dockerfileinstructionDockerfile directive 'FROM' check 'like' matched against 'registry\\.example/' for line 'registry.example/base:1.0'",
        ),
      }),
    ]);
    const run = fire(supplied, 'dockerfile', 'instruction', {
      instruction: 'run',
      check: '=',
      value: 'apt-get update && apt-get install -y wget',
    });
    expect(messages(run)).toEqual([
      "Dockerfile (supplied) line 4: RUN apt-get update && apt-get install -y wget matches the check = 'apt-get update && apt-get install -y wget'",
    ]);
    const users = fire(supplied, 'dockerfile', 'instruction', {
      instruction: 'USER',
      check: 'in',
      value: 'nobody, app',
    });
    expect(messages(users)).toEqual([
      "Dockerfile (supplied) line 13: USER app matches the check in 'nobody, app'",
    ]);
  });

  it('does not fire when no line of the instruction matches', () => {
    for (const [check, value] of [
      ['=', 'scratch'],
      ['not_like', 'registry'],
      ['not_in', 'registry.example/base:1.0'],
      ['!=', 'registry.example/base:1.0'],
    ] as const)
      expect(
        fire(supplied, 'dockerfile', 'instruction', { instruction: 'FROM', check, value }),
      ).toEqual([]);
    expect(
      fire(supplied, 'dockerfile', 'instruction', { instruction: 'ONBUILD', check: 'exists' }),
    ).toEqual([]);
    expect(
      fire(supplied, 'dockerfile', 'instruction', {
        instruction: 'USER',
        check: '=',
        value: 'nobody',
      }),
    ).toEqual([]);
  });

  it('quotes only the first line of an instruction that carries a heredoc', () => {
    const copy = fire(supplied, 'dockerfile', 'instruction', {
      instruction: 'COPY',
      check: 'like',
      value: '<<EOF',
    });
    expect(messages(copy)).toEqual([
      "Dockerfile (supplied) line 7: COPY <<EOF /etc/motd… matches the check like '<<EOF'",
    ]);
  });

  it('reads the Dockerfile rebuilt from history unless actual_dockerfile_only is set', () => {
    const exists = { instruction: 'EXPOSE', check: 'exists' };
    expect(messages(fire(rebuilt, 'dockerfile', 'instruction', exists))).toEqual([
      'Dockerfile (rebuilt from history) line 7: EXPOSE 22/tcp 8080/tcp is present',
    ]);
    const actualOnly = { ...exists, actual_dockerfile_only: 'true' };
    expect(fire(rebuilt, 'dockerfile', 'instruction', actualOnly)).toEqual([]);
    expect(fire(supplied, 'dockerfile', 'instruction', actualOnly)).toHaveLength(1);
  });

  it('fires not_exists once when the instruction is absent, never when present', () => {
    const noHealthcheck = { instruction: 'HEALTHCHECK', check: 'not_exists' };
    expect(fire(rebuilt, 'dockerfile', 'instruction', noHealthcheck)).toEqual([
      expect.objectContaining({
        checkOutput:
          'the Dockerfile (rebuilt from the image history) has no HEALTHCHECK instruction',
        triggerId: md5(
          "dockerfileinstructionDockerfile directive 'HEALTHCHECK' not found, matching condition 'not_exists' check",
        ),
      }),
    ]);
    expect(fire(supplied, 'dockerfile', 'instruction', noHealthcheck)).toEqual([]);
  });

  it('fires naming the problem, rather than passing, when the rule cannot be applied', () => {
    const noValue = fire(supplied, 'dockerfile', 'instruction', {
      instruction: 'FROM',
      check: '=',
    });
    expect(noValue).toEqual([
      expect.objectContaining({
        triggerId: 'invalid_rule',
        checkOutput:
          'this rule cannot be checked: check "=" needs a value to compare with; correct its parameters',
      }),
    ]);
    const badRegex = fire(supplied, 'dockerfile', 'instruction', {
      instruction: 'FROM',
      check: 'like',
      value: '(unclosed',
    });
    expect(messages(badRegex)[0]).toMatch(/value "\(unclosed" is not a valid regular expression/);
  });
});

describe('dockerfile effective_user', () => {
  it("reads the image config's user, not a supplied Dockerfile's last USER", () => {
    const rootDenied = { users: 'root', type: 'blacklist' };
    expect(fire(supplied, 'dockerfile', 'effective_user', rootDenied)).toEqual([
      expect.objectContaining({
        checkOutput:
          'the image runs as user root (image config User), which the policy does not allow',
        triggerId: md5(
          'dockerfileeffective_userUser root found as effective user, which is explicity not allowed',
        ),
      }),
    ]);
    expect(
      fire(rebuilt, 'dockerfile', 'effective_user', { users: 'app', type: 'blacklist' }),
    ).toEqual([]);
  });

  it('fires a whitelist for any other user, and counts uid 0 as root', () => {
    const appOnly = { users: 'app,www-data', type: 'whitelist' };
    expect(messages(fire(rebuilt, 'dockerfile', 'effective_user', appOnly))).toEqual([
      'the image runs as user root (image config User), which is not on the allowed list (app, www-data)',
    ]);
    expect(
      fire(rebuilt, 'dockerfile', 'effective_user', { users: 'root', type: 'whitelist' }),
    ).toEqual([]);
    // `0:0` is root, whatever the policy calls it.
    expect(
      fire(bare, 'dockerfile', 'effective_user', { users: 'root', type: 'blacklist' }),
    ).toHaveLength(1);
    expect(fire(bare, 'dockerfile', 'effective_user', { users: '0', type: 'whitelist' })).toEqual(
      [],
    );
  });
});

describe('dockerfile exposed_ports', () => {
  it('fires a blacklisted port once, seen in the Dockerfile and the image config', () => {
    const rows = fire(rebuilt, 'dockerfile', 'exposed_ports', { ports: '22', type: 'blacklist' });
    expect(rows).toEqual([
      expect.objectContaining({
        checkOutput:
          'port 22/tcp is exposed (Dockerfile (rebuilt from history) line 7), which the policy does not allow',
        triggerId: md5(
          'dockerfileexposed_portsDockerfile exposes port (22/tcp) which is in policy file DENIEDPORTS list',
        ),
      }),
    ]);
    expect(
      fire(rebuilt, 'dockerfile', 'exposed_ports', { ports: '23,443', type: 'blacklist' }),
    ).toEqual([]);
  });

  it('adds the config ports to a supplied Dockerfile, unless only the Dockerfile counts', () => {
    const ssh = { ports: '22', type: 'blacklist' };
    expect(messages(fire(supplied, 'dockerfile', 'exposed_ports', ssh))).toEqual([
      'port 22/tcp is exposed (image config ExposedPorts), which the policy does not allow',
    ]);
    const actualOnly = { ...ssh, actual_dockerfile_only: 'true' };
    // The supplied file's only "EXPOSE 22" is inside a heredoc body.
    expect(fire(supplied, 'dockerfile', 'exposed_ports', actualOnly)).toEqual([]);
    expect(fire(rebuilt, 'dockerfile', 'exposed_ports', actualOnly)).toEqual([]);
  });

  it('checks ranges port by port, and 0 stands for every port', () => {
    const inRange = { ports: '9001', type: 'blacklist', actual_dockerfile_only: 'true' };
    expect(messages(fire(supplied, 'dockerfile', 'exposed_ports', inRange))).toEqual([
      'port 9001/udp is exposed (Dockerfile (supplied) line 11), which the policy does not allow',
    ]);
    const allowed = {
      ports: '8080,9000,9001,9002',
      type: 'whitelist',
      actual_dockerfile_only: 'true',
    };
    expect(fire(supplied, 'dockerfile', 'exposed_ports', allowed)).toEqual([]);
    const partly = { ...allowed, ports: '8080,9000' };
    expect(messages(fire(supplied, 'dockerfile', 'exposed_ports', partly))).toEqual([
      'port 9000-9002/udp is exposed (Dockerfile (supplied) line 11), which is not on the allowed list (8080, 9000)',
    ]);
    const every = fire(supplied, 'dockerfile', 'exposed_ports', { ports: '0', type: 'blacklist' });
    expect(messages(every).map((m) => m.split(' ')[1])).toEqual([
      '8080',
      '9000-9002/udp',
      '22/tcp',
    ]);
  });

  it('fires a whitelist for each port not on it, with Anchore ids', () => {
    const rows = fire(rebuilt, 'dockerfile', 'exposed_ports', { ports: '8080', type: 'whitelist' });
    expect(rows).toEqual([
      expect.objectContaining({
        checkOutput:
          'port 22/tcp is exposed (Dockerfile (rebuilt from history) line 7), which is not on the allowed list (8080)',
        triggerId: md5(
          'dockerfileexposed_portsDockerfile exposes port (22/tcp) which is not in policy file ALLOWEDPORTS list',
        ),
      }),
    ]);
    expect(fire(bare, 'dockerfile', 'exposed_ports', { ports: '80', type: 'whitelist' })).toEqual(
      [],
    );
  });
});

describe('dockerfile no_dockerfile_provided', () => {
  it('fires when the Dockerfile was rebuilt from history, not when one was supplied', () => {
    expect(fire(rebuilt, 'dockerfile', 'no_dockerfile_provided')).toEqual([
      expect.objectContaining({
        triggerId: md5(
          'dockerfileno_dockerfile_providedImage was not analyzed with an actual Dockerfile',
        ),
        checkOutput:
          'the image was analysed without its Dockerfile (--dockerfile), so the dockerfile checks read one rebuilt from the image history',
      }),
    ]);
    expect(fire(supplied, 'dockerfile', 'no_dockerfile_provided')).toEqual([]);
  });
});

describe('dockerfile rule validation', () => {
  it.each([
    [
      'instruction',
      { instruction: 'FORM', check: '=' },
      /parameter instruction "FORM": expected one of ADD, ARG/,
    ],
    [
      'instruction',
      { instruction: 'FROM', check: '~' },
      /parameter check "~": expected one of =, !=, exists/,
    ],
    ['instruction', { check: 'exists' }, /parameter instruction is required/],
    [
      'instruction',
      { instruction: 'FROM', check: 'exists', actual_dockerfile_only: 'yes' },
      /parameter actual_dockerfile_only "yes": expected true or false/,
    ],
    [
      'exposed_ports',
      { ports: '22,ssh', type: 'blacklist' },
      /parameter ports "22,ssh": expected comma-separated integers/,
    ],
    [
      'exposed_ports',
      { ports: '22', type: 'greylist' },
      /parameter type "greylist": expected one of whitelist, blacklist/,
    ],
    ['effective_user', { users: 'root' }, /parameter type is required/],
    [
      'no_dockerfile_provided',
      { actual_dockerfile_only: 'true' },
      /has no parameter "actual_dockerfile_only"/,
    ],
  ])('refuses %s with %o, naming the policy, rule and parameter', (trigger, params, problem) => {
    const error = loadError('dockerfile', trigger, params);
    expect(error).toMatch(/policy policy rule rule: /);
    expect(error).toMatch(problem);
  });

  it('loads Anchore-cased names and values', () => {
    expect(
      loadError('DockerFile', 'Instruction', { instruction: 'healthcheck', check: 'NOT_EXISTS' }),
    ).toBeUndefined();
  });
});
