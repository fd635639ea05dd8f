import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { fire, loadError } from '../../../test/fixtures/policy-images/evaluate-rule.js';
import { bareSpec, derivedSpec } from '../../../test/fixtures/policy-images/specs.js';
import { policyInputFor } from '../../../test/harness/policy-input.js';
import type { PolicyInput } from '../gate.js';

/** Ubuntu 22.04 (ID_LIKE debian), two layers, linux/amd64. */
let ubuntu: PolicyInput;
/** One layer, no distribution. */
let bare: PolicyInput;
/** The bytes of the derived image's regular files, as the size attribute measures it. */
let ubuntuSize: number;

beforeAll(async () => {
  ubuntu = await policyInputFor(derivedSpec);
  bare = await policyInputFor(bareSpec);
  ubuntuSize = ubuntu.files.filter((f) => f.type === 'file').reduce((sum, f) => sum + f.size, 0);
}, 60_000);

const attribute = (input: PolicyInput, attribute: string, check: string, value?: string) =>
  fire(input, 'metadata', 'attribute', {
    attribute,
    check,
    ...(value === undefined ? {} : { value }),
  }).map((row) => row.checkOutput);

describe('metadata attribute', () => {
  it('compares size in bytes, with Anchore kb/mb/gb units', () => {
    // The derived image holds a 2 KiB file and a few small ones.
    expect(ubuntuSize).toBeGreaterThan(2048);
    expect(ubuntuSize).toBeLessThan(4096);
    expect(attribute(ubuntu, 'size', '>', '2kb')).toEqual([
      `image size is ${ubuntuSize} bytes, which matches the check: > 2kb`,
    ]);
    expect(attribute(ubuntu, 'size', '<=', '1MB')).toHaveLength(1);
    expect(attribute(ubuntu, 'size', '>', '4kb')).toEqual([]);
    expect(attribute(ubuntu, 'size', '>=', String(ubuntuSize + 1))).toEqual([]);
  });

  it('gives the Anchore trigger id, with the value converted as Anchore prints it', () => {
    const [row] = fire(ubuntu, 'metadata', 'attribute', {
      attribute: 'size',
      check: '>',
      value: '1kb',
    });
    const anchore = `metadataattributeAttribute check for attribute: 'size' check: '>' check_value: '1024' matched image value: '${ubuntuSize}'`;
    expect(row?.triggerId).toBe(createHash('md5').update(anchore).digest('hex'));
  });

  it('checks architecture and os_type as text', () => {
    expect(attribute(ubuntu, 'architecture', '=', 'amd64')).toEqual([
      "image architecture is 'amd64', which matches the check: = amd64",
    ]);
    expect(attribute(ubuntu, 'architecture', 'in', 'arm64, s390x')).toEqual([]);
    expect(attribute(ubuntu, 'os_type', 'not_in', 'windows')).toHaveLength(1);
    expect(attribute(ubuntu, 'os_type', '!=', 'linux')).toEqual([]);
  });

  it('reads distro, distro_version and like_distro from os-release', () => {
    expect(attribute(ubuntu, 'distro', 'in', 'debian,ubuntu')).toHaveLength(1);
    expect(attribute(ubuntu, 'distro', 'like', 'deb')).toEqual([]);
    expect(attribute(ubuntu, 'like_distro', '=', 'debian')).toEqual([
      "image like_distro is 'debian', which matches the check: = debian",
    ]);
    // Digit runs compare as numbers: 22.04 is newer than 9.10 and older than 22.10.
    expect(attribute(ubuntu, 'distro_version', '>', '9.10')).toHaveLength(1);
    expect(attribute(ubuntu, 'distro_version', '<', '22.10')).toHaveLength(1);
    expect(attribute(ubuntu, 'distro_version', '>=', '24.04')).toEqual([]);
  });

  it('treats a value the image does not have as absent: only negative checks fire', () => {
    expect(attribute(bare, 'distro', 'not_exists')).toEqual([
      'image distro is unknown, which matches the check: not_exists',
    ]);
    expect(attribute(bare, 'distro', '!=', 'ubuntu')).toHaveLength(1);
    expect(attribute(bare, 'distro', '=', 'ubuntu')).toEqual([]);
    expect(attribute(bare, 'distro_version', '<', '99')).toEqual([]);
    expect(attribute(bare, 'distro', 'exists')).toEqual([]);
    expect(attribute(ubuntu, 'distro', 'exists')).toHaveLength(1);
  });

  it('compares layer_count as a number', () => {
    expect(attribute(ubuntu, 'layer_count', '=', '2')).toHaveLength(1);
    expect(attribute(ubuntu, 'layer_count', '>', '10')).toEqual([]);
    expect(attribute(bare, 'layer_count', '<', '2')).toEqual([
      'image layer_count is 1, which matches the check: < 2',
    ]);
  });

  it('fires naming the problem when the value cannot be read for the attribute', () => {
    expect(attribute(ubuntu, 'size', '>', '1zb')).toEqual([
      'this rule cannot be checked: size: value "1zb" is not a size in bytes (10, 512kb, 1gb); correct its parameters',
    ]);
    expect(attribute(ubuntu, 'layer_count', 'in', '1,two')).toEqual([
      'this rule cannot be checked: layer_count: value "two" is not an integer; correct its parameters',
    ]);
    expect(attribute(ubuntu, 'distro', '=')[0]).toMatch(/check "=" needs a value/);
    expect(attribute(ubuntu, 'distro', 'not_in', ' , ')[0]).toMatch(
      /check "not_in" needs a list of values/,
    );
  });

  it.each([
    [
      { attribute: 'colour', check: '=' },
      /parameter attribute "colour": expected one of size, architecture, os_type, distro, distro_version, like_distro, layer_count/,
    ],
    [
      { attribute: 'size', check: '=~' },
      /parameter check "=~": expected one of =, !=, >, <, >=, <=, exists/,
    ],
    [{ check: '=' }, /parameter attribute is required/],
    [{ attribute: 'size', check: '>', values: '1' }, /has no parameter "values"/],
  ])('refuses %o, naming the policy, rule and parameter', (params, problem) => {
    const error = loadError('metadata', 'attribute', params);
    expect(error).toMatch(/policy policy rule rule: /);
    expect(error).toMatch(problem);
  });
});
