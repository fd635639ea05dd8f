import { beforeAll, describe, expect, it } from 'vitest';
import { fire, loadError } from '../../../test/fixtures/policy-images/evaluate-rule.js';
import { bareSpec, baseSpec, derivedSpec } from '../../../test/fixtures/policy-images/specs.js';
import { policyInputFor } from '../../../test/harness/policy-input.js';
import type { PolicyInput } from '../gate.js';

/** The derived image compared with the base it was built on. */
let derived: PolicyInput;
/** The base image, and a one-layer image nothing is built on. */
let base: PolicyInput;
let bare: PolicyInput;

beforeAll(async () => {
  base = await policyInputFor(baseSpec);
  bare = await policyInputFor(bareSpec);
  derived = await policyInputFor(derivedSpec, { base });
}, 60_000);

/** `input` without a base, and compared with itself (nothing changed). */
const withoutBase = (input: PolicyInput): PolicyInput => ({ ...input, base: undefined });
const againstItself = (input: PolicyInput): PolicyInput => ({ ...input, base: input });

const rows = (input: PolicyInput, trigger: string, params: Record<string, string> = {}) =>
  fire(input, 'base_image', trigger, params).map((row) => [row.triggerId, row.checkOutput]);

describe('base_image packages', () => {
  it('packages_added fires for each package the base does not have', () => {
    expect(rows(derived, 'packages_added')).toEqual([
      [
        'dpkg:wget-PKGADD',
        'dpkg package wget 1.21.2-2ubuntu1 was added: the base image does not have it',
      ],
      [
        'npm:left-pad-PKGADD',
        'npm package left-pad 1.3.0 was added: the base image does not have it',
      ],
    ]);
    expect(rows(derived, 'packages_added', { package_type: 'non-os' })).toHaveLength(1);
    expect(rows(derived, 'packages_added', { package_type: 'rpm,apk' })).toEqual([]);
    expect(rows(againstItself(derived), 'packages_added')).toEqual([]);
  });

  it('packages_removed fires for each package of the base that is gone', () => {
    expect(rows(derived, 'packages_removed', { package_type: 'os' })).toEqual([
      ['dpkg:curl-PKGDEL', 'dpkg package curl 7.81.0-1ubuntu1.15 of the base image was removed'],
    ]);
    expect(rows(derived, 'packages_removed', { package_type: 'npm' })).toEqual([]);
    expect(rows(againstItself(derived), 'packages_removed')).toEqual([]);
  });

  it('packages_changed fires for each package at another version than in the base', () => {
    expect(rows(derived, 'packages_changed', { package_type: 'dpkg' })).toEqual([
      [
        'dpkg:bash-PKGVERSIONDIFF',
        'dpkg package bash is at 5.1-6ubuntu1.1; the base image has 5.1-6ubuntu1',
      ],
    ]);
    expect(rows(againstItself(derived), 'packages_changed')).toEqual([]);
  });
});

describe('base_image setuid files', () => {
  it('suid_files_added fires for new setuid/setgid files and files that gained a bit', () => {
    expect(rows(derived, 'suid_files_added')).toEqual([
      [
        '/usr/bin/wall-SUIDFILEADD',
        '/usr/bin/wall is setuid (mode 6755, owner 0:5) and it was mode 2755 in the base image',
      ],
      [
        '/usr/local/bin/helper-SUIDFILEADD',
        '/usr/local/bin/helper is setuid (mode 4750, owner 0:1000) and the base image does not have it',
      ],
    ]);
    // /var/mail is setgid in both, but a directory's setgid grants nothing.
    expect(rows(againstItself(derived), 'suid_files_added')).toEqual([]);
  });

  it('suid_files_changed fires for privileged files whose mode, owner or content changed', () => {
    expect(rows(derived, 'suid_files_changed')).toEqual([
      [
        '/usr/bin/chsh-SUIDMODEDIFF',
        'setuid file /usr/bin/chsh differs from the base image: mode 4755 → 4777',
      ],
      [
        '/usr/bin/su-SUIDMODEDIFF',
        'setuid file /usr/bin/su differs from the base image: content replaced (sha256 differs)',
      ],
    ]);
    expect(rows(derived, 'suid_files_changed', { attributes: 'mode,owner' })).toEqual([
      [
        '/usr/bin/chsh-SUIDMODEDIFF',
        'setuid file /usr/bin/chsh differs from the base image: mode 4755 → 4777',
      ],
    ]);
    expect(rows(derived, 'suid_files_changed', { attributes: 'owner' })).toEqual([]);
  });
});

describe('base_image user_changed', () => {
  it('fires when the image runs as another user than its base', () => {
    expect(rows(derived, 'user_changed')).toEqual([
      ['root-USERCHANGED', 'the image runs as user root; its base image runs as app'],
    ]);
    // bare runs as 0:0, which is root too.
    expect(rows({ ...derived, base: bare }, 'user_changed')).toEqual([]);
  });
});

describe('base_image not_built_on_base', () => {
  it("fires when the base's layers are not the image's first layers", () => {
    expect(rows({ ...derived, base: bare }, 'not_built_on_base')).toEqual([
      [
        'not_built_on_base',
        'the image is not built on the given base image: base layer 1 of 1 is not layer 1 of the image (2 layers); give the base it was built from',
      ],
    ]);
    expect(rows({ ...base, base: derived }, 'not_built_on_base')).toHaveLength(1);
    expect(rows(derived, 'not_built_on_base')).toEqual([]);
  });
});

describe('base_image base_not_provided', () => {
  it('fires when no base was given, and the comparing triggers then report nothing', () => {
    const alone = withoutBase(derived);
    expect(rows(alone, 'base_not_provided')).toEqual([
      [
        'base_not_provided',
        'no base image was given (--base), so the base_image checks compared nothing; give the image this one was built FROM',
      ],
    ]);
    expect(rows(derived, 'base_not_provided')).toEqual([]);
    for (const trigger of [
      'packages_added',
      'packages_removed',
      'packages_changed',
      'suid_files_added',
      'suid_files_changed',
      'user_changed',
      'not_built_on_base',
    ])
      expect(rows(alone, trigger)).toEqual([]);
  });
});

describe('base_image rule validation', () => {
  it.each([
    [
      'packages_added',
      { package_type: 'deb' },
      /parameter package_type "deb": deb: expected items of all, os, non-os, dpkg/,
    ],
    [
      'packages_changed',
      { package_type: 'os,pip' },
      /parameter package_type "os,pip": pip: expected items of/,
    ],
    [
      'suid_files_changed',
      { attributes: 'mode,size' },
      /parameter attributes "mode,size": size: expected items of mode, owner, content/,
    ],
    ['base_not_provided', { base: 'x' }, /has no parameter "base"/],
  ])('refuses %s with %o, naming the policy, rule and parameter', (trigger, params, problem) => {
    const error = loadError('base_image', trigger, params);
    expect(error).toMatch(/policy policy rule rule: /);
    expect(error).toMatch(problem);
  });
});
