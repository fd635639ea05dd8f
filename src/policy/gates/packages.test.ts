import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoImageSpec } from '../../../examples/demo-image/spec.js';
import type { ImageSpec } from '../../../test/harness/image-builder.js';
import { policyInputFor } from '../../../test/harness/policy-input.js';
import { evaluateRule, ruleProblems, type RuleParams } from '../../../test/harness/policy-rule.js';
import type { TarEntry } from '../../../test/harness/tar-writer.js';
import type { PolicyInput } from '../gate.js';

const RPM_FIXTURES = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'rpm');

const rows = (input: PolicyInput, trigger: string, params: RuleParams = {}) =>
  evaluateRule(input, 'packages', trigger, params);
const outputs = (input: PolicyInput, trigger: string, params: RuleParams = {}) =>
  rows(input, trigger, params).map((row) => row.checkOutput);

const anchoreId = (trigger: string, message: string): string =>
  createHash('md5').update(`packages${trigger}${message}`).digest('hex');

const dir = (path: string): TarEntry => ({ path, type: 'dir' });

/**
 * The real rpmdb of the rpm fixtures (test/fixtures/rpm, made by rpm 4.18), with the files of its
 * `alpha` packages as `alpha.spec` installs them (`file N`, sha256 digests in the database), but
 * f2.txt edited and f3.txt deleted.
 */
function rpmImage(): ImageSpec {
  const alphaFiles = Array.from({ length: 300 }, (_, i): TarEntry[] =>
    i + 1 === 3
      ? []
      : [
          {
            path: `usr/share/alpha/sub/f${i + 1}.txt`,
            content: i + 1 === 2 ? 'file 2, edited\n' : `file ${i + 1}\n`,
          },
        ],
  ).flat();
  return {
    layers: [
      {
        entries: [
          { path: 'etc/os-release', content: 'ID=fedora\nVERSION_ID=39\n' },
          {
            path: 'var/lib/rpm/rpmdb.sqlite',
            content: readFileSync(join(RPM_FIXTURES, 'sqlite', 'rpmdb.sqlite')),
          },
          dir('usr/share/alpha'),
          dir('usr/share/alpha/sub'),
          ...alphaFiles,
          dir('usr/lib64'),
          { path: 'usr/lib64/libalpha.so.1', content: 'lib\n' },
          { path: 'usr/lib64/libalpha.so', type: 'symlink', linkTarget: 'libalpha.so.1' },
        ],
      },
    ],
  };
}

/**
 * A merged-/usr Debian image: dpkg lists /bin/bash, which lives at /usr/bin/bash behind the /bin
 * symlink, directories the layer holds no entries for (/usr/share exists because something lies
 * beneath it), and a copyright file the image no longer has. md5sums records a digest the file
 * does not have.
 */
const dpkgImage: ImageSpec = {
  layers: [
    {
      entries: [
        { path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
        { path: 'bin', type: 'symlink', linkTarget: 'usr/bin' },
        dir('usr/bin'),
        { path: 'usr/bin/bash', content: '\x7fELF bash, patched in place\n', mode: 0o755 },
        dir('usr/share/doc/bash'),
        {
          path: 'var/lib/dpkg/status',
          content:
            'Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2+b2\n',
        },
        {
          path: 'var/lib/dpkg/info/bash.list',
          content:
            '/.\n/bin\n/bin/bash\n/usr\n/usr/share\n/usr/share/doc\n/usr/share/doc/bash\n/usr/share/doc/bash/copyright\n',
        },
        {
          path: 'var/lib/dpkg/info/bash.md5sums',
          content: `${createHash('md5').update('\x7fELF bash\n').digest('hex')}  bin/bash\n`,
        },
      ],
    },
  ],
};

let demo: PolicyInput;
let rpm: PolicyInput;
let dpkg: PolicyInput;

beforeAll(async () => {
  [demo, rpm, dpkg] = await Promise.all([
    policyInputFor(demoImageSpec),
    policyInputFor(rpmImage()),
    policyInputFor(dpkgImage),
  ]);
}, 60_000);

describe('packages/required_package', () => {
  it('fires when no package of the name is installed', () => {
    expect(rows(demo, 'required_package', { name: 'curl' })).toMatchObject([
      {
        triggerId: anchoreId(
          'required_package',
          'Required input package (curl) is not present in container image',
        ),
        checkOutput: 'Required package curl is not present in the image; install it.',
      },
    ]);
    expect(rows(demo, 'required_package', { name: 'curl', version: '8.0' })[0]?.triggerId).toBe(
      anchoreId(
        'required_package',
        'Required input package (curl,8.0) is not present in container image',
      ),
    );
    expect(rows(demo, 'required_package', { name: 'bash' })).toEqual([]);
    expect(rows(demo, 'required_package', { name: 'express' })).toEqual([]);
  });

  it('fires when the version is not the exact one required', () => {
    expect(rows(demo, 'required_package', { name: 'bash', version: '5.2.15-2+b2' })).toEqual([]);
    expect(outputs(demo, 'required_package', { name: 'bash', version: '5.2.15-2+b3' })).toEqual([
      'Required package bash is present (5.2.15-2+b2), but is not at the version the policy requires (5.2.15-2+b3); install bash 5.2.15-2+b3.',
    ]);
  });

  it("compares minimum versions as the package's ecosystem orders them", () => {
    const minimum = (name: string, version: string) =>
      outputs(demo, 'required_package', { name, version, version_match_type: 'minimum' });
    expect(minimum('libc6', '2.36-9+deb12u3')).toEqual([]);
    expect(minimum('libc6', '2.36-9+deb12u4')).toEqual([]);
    // As text, "u4" sorts after "u10"; as dpkg versions it comes before.
    expect(minimum('libc6', '2.36-9+deb12u10')).toEqual([
      'Required package libc6 is present (2.36-9+deb12u4), but is lower than the minimum version the policy requires (2.36-9+deb12u10); install libc6 >= 2.36-9+deb12u10.',
    ]);
    expect(minimum('express', '4.9.0')).toEqual([]);
    expect(minimum('express', '4.18.0')).toHaveLength(1);
    expect(minimum('bash', 'not a version!')[0]).toContain(
      'but cannot be compared with the version the policy requires (not a version!)',
    );
  });
});

describe('packages/blacklist', () => {
  it('fires for a package of any type with the name, and the version if given', () => {
    expect(rows(demo, 'blacklist', { name: 'libc6' })).toMatchObject([
      {
        triggerId: anchoreId('blacklist', 'Package is blacklisted: libc6'),
        checkOutput:
          'Package is blacklisted: libc6 2.36-9+deb12u4 (dpkg, at /var/lib/dpkg/status); remove it from the image.',
      },
    ]);
    expect(rows(demo, 'blacklist', { name: 'libc6', version: '2.36-9+deb12u4' })).toMatchObject([
      { triggerId: anchoreId('blacklist', 'Package is blacklisted: libc6-2.36-9+deb12u4') },
    ]);
    expect(outputs(demo, 'blacklist', { name: 'express' })).toEqual([
      'Package is blacklisted: express 4.17.1 (npm, at /app/node_modules/express/package.json); remove it from the image.',
    ]);
  });

  it('does not fire for another version or a name that differs in case', () => {
    expect(rows(demo, 'blacklist', { name: 'libc6', version: '2.36-9+deb12u5' })).toEqual([]);
    expect(rows(demo, 'blacklist', { name: 'Express' })).toEqual([]);
  });
});

describe('packages/verify', () => {
  it('fires for files an rpm lists that are missing or whose sha256 differs', () => {
    const failed = rows(rpm, 'verify', { only_packages: 'alpha,alpha-libs' });
    expect(failed.map((row) => row.checkOutput)).toEqual([
      "VERIFY check against package db for package 'alpha' failed on entry '/usr/share/alpha/sub/f2.txt' with status: 'changed'",
      "VERIFY check against package db for package 'alpha' failed on entry '/usr/share/alpha/sub/f3.txt' with status: 'missing'",
    ]);
    expect(failed[0]?.triggerId).toBe(anchoreId('verify', failed[0]?.checkOutput ?? ''));
    expect(outputs(rpm, 'verify', { only_packages: 'alpha', check: 'missing' })).toEqual([
      "VERIFY check against package db for package 'alpha' failed on entry '/usr/share/alpha/sub/f3.txt' with status: 'missing'",
    ]);
    expect(outputs(rpm, 'verify', { only_packages: 'alpha', check: 'changed' })).toHaveLength(1);
  });

  it('does not fire for intact files, other packages or other directories', () => {
    expect(rows(rpm, 'verify', { only_packages: 'alpha-libs' })).toEqual([]);
    expect(rows(rpm, 'verify', { only_packages: 'alpha', only_directories: '/usr/lib64' })).toEqual(
      [],
    );
    expect(rows(demo, 'verify', { only_packages: 'bash' })).toEqual([]);
  });

  it('follows directory symlinks, and cannot compare md5 digests without --md5', () => {
    // /bin/bash is found through /bin -> usr/bin; its md5 differs from md5sums, but the analysis
    // computed no md5, so only the missing copyright file fires.
    expect(outputs(dpkg, 'verify')).toEqual([
      "VERIFY check against package db for package 'bash' failed on entry '/usr/share/doc/bash/copyright' with status: 'missing'",
    ]);
    expect(dpkg.content.packages[0]?.files?.find((f) => f.path === '/bin/bash')?.digest).toEqual({
      algorithm: 'md5',
      value: createHash('md5').update('\x7fELF bash\n').digest('hex'),
    });
    expect(rows(dpkg, 'verify', { check: 'changed' })).toEqual([]);
  });
});

describe('packages parameters', () => {
  const problems = (trigger: string, params: RuleParams) =>
    ruleProblems('packages', trigger, params);

  it('refuses bad values, naming the policy, rule and parameter', () => {
    expect(problems('required_package', { version: '1.0' })).toEqual([
      'policy p1 rule r1: parameter name is required',
    ]);
    expect(problems('required_package', { name: 'bash', version_match_type: 'at_least' })).toEqual([
      'policy p1 rule r1: parameter version_match_type "at_least": expected one of exact, minimum',
    ]);
    expect(problems('verify', { check: 'removed' })).toEqual([
      'policy p1 rule r1: parameter check "removed": expected one of changed, missing',
    ]);
    expect(problems('blacklist', {})).toEqual(['policy p1 rule r1: parameter name is required']);
    expect(problems('blacklist', { name: 'x', versions: '1' })[0]).toMatch(
      /trigger packages\/blacklist has no parameter "versions"/,
    );
  });

  it("loads the rules Anchore's all-rules test bundle writes for this gate", () => {
    // anchore-engine tests/functional/artifacts/bundle-with-all-rules-2020-08-20.json
    expect(
      problems('verify', {
        only_packages: 'dfsafasdfasdfasdf',
        only_directories: 'fdafa',
        check: 'missing',
      }),
    ).toEqual([]);
    expect(
      problems('required_package', {
        name: 'asdfasdf',
        version: 'fddas',
        version_match_type: 'minimum',
      }),
    ).toEqual([]);
    expect(problems('blacklist', { name: 'sadf', version: '1111111' })).toEqual([]);
  });
});
