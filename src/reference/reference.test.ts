import { describe, expect, it } from 'vitest';
import { DrydockError } from '../model/errors.js';
import type { ImageReference } from '../model/image.js';
import { seededRandom } from '../../test/harness/random.js';
import {
  canonicalRegistryHost,
  familiarName,
  formatReference,
  parseReference,
  parseRegistryHost,
  repositoryName,
  validateReference,
} from './reference.js';

const SHA = 'sha256:' + 'f'.repeat(64);
const SHA512 = 'sha512:' + 'a'.repeat(128);

/** [input, canonical form, familiar form] — the canonical form pins registry/repo/tag/digest. */
const VALID: [string, string, string][] = [
  ['alpine', 'docker.io/library/alpine:latest', 'alpine:latest'],
  ['alpine:3.19', 'docker.io/library/alpine:3.19', 'alpine:3.19'],
  ['library/alpine', 'docker.io/library/alpine:latest', 'alpine:latest'],
  ['docker.io/alpine', 'docker.io/library/alpine:latest', 'alpine:latest'],
  ['docker.io/library/alpine', 'docker.io/library/alpine:latest', 'alpine:latest'],
  ['index.docker.io/alpine', 'docker.io/library/alpine:latest', 'alpine:latest'],
  ['index.docker.io/docker/docker', 'docker.io/docker/docker:latest', 'docker/docker:latest'],
  ['docker/docker', 'docker.io/docker/docker:latest', 'docker/docker:latest'],
  ['library/foo/bar', 'docker.io/library/foo/bar:latest', 'library/foo/bar:latest'],
  ['store/foo/bar', 'docker.io/store/foo/bar:latest', 'store/foo/bar:latest'],
  ['other/library', 'docker.io/other/library:latest', 'other/library:latest'],
  // registry-1.docker.io is not rewritten by Docker: it stays a registry of its own.
  [
    'registry-1.docker.io/library/alpine',
    'registry-1.docker.io/library/alpine:latest',
    'registry-1.docker.io/library/alpine:latest',
  ],
  ['host:5000/a/b:tag', 'host:5000/a/b:tag', 'host:5000/a/b:tag'],
  ['localhost/x', 'localhost/x:latest', 'localhost/x:latest'],
  ['localhost:5000/x', 'localhost:5000/x:latest', 'localhost:5000/x:latest'],
  ['localhost/fooo/bar', 'localhost/fooo/bar:latest', 'localhost/fooo/bar:latest'],
  ['[::1]:5000/x', '[::1]:5000/x:latest', '[::1]:5000/x:latest'],
  ['[2001:db8::1]/repo', '[2001:db8::1]/repo:latest', '[2001:db8::1]/repo:latest'],
  ['[2001:db8::]:5000/repo', '[2001:db8::]:5000/repo:latest', '[2001:db8::]:5000/repo:latest'],
  [
    '[2001:db8::1]:5000/repo:tag@' + SHA,
    '[2001:db8::1]:5000/repo:tag@' + SHA,
    '[2001:db8::1]:5000/repo:tag@' + SHA,
  ],
  [
    '[fc00:1:2:3:4:5:6:7]:5000/library/debian',
    '[fc00:1:2:3:4:5:6:7]:5000/library/debian:latest',
    '[fc00:1:2:3:4:5:6:7]:5000/library/debian:latest',
  ],
  ['alpine@' + SHA, 'docker.io/library/alpine@' + SHA, 'alpine@' + SHA],
  ['alpine:3.19@' + SHA, 'docker.io/library/alpine:3.19@' + SHA, 'alpine:3.19@' + SHA],
  ['x@' + SHA512, 'docker.io/library/x@' + SHA512, 'x@' + SHA512],
  ['test:5000/repo@' + SHA, 'test:5000/repo@' + SHA, 'test:5000/repo@' + SHA],
  // Single names are always Docker Hub repositories, even when they look like hosts.
  ['test.com:tag', 'docker.io/library/test.com:tag', 'test.com:tag'],
  ['test.com:5000', 'docker.io/library/test.com:5000', 'test.com:5000'],
  ['localhost', 'docker.io/library/localhost:latest', 'localhost:latest'],
  ['localhost:5000', 'docker.io/library/localhost:5000', 'localhost:5000'],
  ['192.168.1.1', 'docker.io/library/192.168.1.1:latest', '192.168.1.1:latest'],
  ['192.168.1.1:5000', 'docker.io/library/192.168.1.1:5000', '192.168.1.1:5000'],
  ['test_com', 'docker.io/library/test_com:latest', 'test_com:latest'],
  ['foo_bar.com:8080', 'docker.io/library/foo_bar.com:8080', 'foo_bar.com:8080'],
  ['192.168.1.1/repo', '192.168.1.1/repo:latest', '192.168.1.1/repo:latest'],
  ['192.168.1.1:5000/repo:5050', '192.168.1.1:5000/repo:5050', '192.168.1.1:5000/repo:5050'],
  ['192.168.0.1:8/debian', '192.168.0.1:8/debian:latest', '192.168.0.1:8/debian:latest'],
  // An uppercase first component can only be a registry (Docker's rule).
  ['LOCALDOMAIN/debian', 'LOCALDOMAIN/debian:latest', 'LOCALDOMAIN/debian:latest'],
  ['Foo/bar', 'Foo/bar:latest', 'Foo/bar:latest'],
  ['lowercase:Uppercase', 'docker.io/library/lowercase:Uppercase', 'lowercase:Uppercase'],
  [
    'sub-dom1.foo.com/bar/baz/quux:some-long-tag',
    'sub-dom1.foo.com/bar/baz/quux:some-long-tag',
    'sub-dom1.foo.com/bar/baz/quux:some-long-tag',
  ],
  [
    'b.gcr.io/test.example.com/my-app:test.example.com',
    'b.gcr.io/test.example.com/my-app:test.example.com',
    'b.gcr.io/test.example.com/my-app:test.example.com',
  ],
  [
    'xn--n3h.com/myimage:xn--n3h.com',
    'xn--n3h.com/myimage:xn--n3h.com',
    'xn--n3h.com/myimage:xn--n3h.com',
  ],
  ['foo/foo_bar.com:8080', 'docker.io/foo/foo_bar.com:8080', 'foo/foo_bar.com:8080'],
  ['docker-rules/docker', 'docker.io/docker-rules/docker:latest', 'docker-rules/docker:latest'],
  [
    'docker---rules/docker',
    'docker.io/docker---rules/docker:latest',
    'docker---rules/docker:latest',
  ],
  ['dock__er/docker', 'docker.io/dock__er/docker:latest', 'dock__er/docker:latest'],
  ['d/docker', 'docker.io/d/docker:latest', 'd/docker:latest'],
  ['jess/t', 'docker.io/jess/t:latest', 'jess/t:latest'],
  ['ubuntu-12.04-base', 'docker.io/library/ubuntu-12.04-base:latest', 'ubuntu-12.04-base:latest'],
  [
    'docker.io/' + '1a3f'.repeat(16),
    'docker.io/library/' + '1a3f'.repeat(16) + ':latest',
    '1a3f'.repeat(16) + ':latest',
  ],
  [
    'ghcr.io/owner/app:v1.2.3_rc-1',
    'ghcr.io/owner/app:v1.2.3_rc-1',
    'ghcr.io/owner/app:v1.2.3_rc-1',
  ],
  ['x:' + 'T'.repeat(128), 'docker.io/library/x:' + 'T'.repeat(128), 'x:' + 'T'.repeat(128)],
];

describe('parseReference: valid references', () => {
  it.each(VALID)('%s', (input, canonical, familiar) => {
    const ref = parseReference(input);
    expect(formatReference(ref)).toBe(canonical);
    expect(familiarName(ref)).toBe(familiar);
    // The canonical form parses back to the same reference.
    expect(parseReference(canonical)).toEqual(ref);
  });
});

describe('parseReference: fields', () => {
  it.each<[string, ImageReference]>([
    ['alpine', { registry: 'docker.io', repository: 'library/alpine', tag: 'latest' }],
    ['host:5000/a/b:tag', { registry: 'host:5000', repository: 'a/b', tag: 'tag' }],
    ['localhost/x', { registry: 'localhost', repository: 'x', tag: 'latest' }],
    ['[::1]:5000/x', { registry: '[::1]:5000', repository: 'x', tag: 'latest' }],
    ['x@' + SHA, { registry: 'docker.io', repository: 'library/x', digest: SHA }],
    ['x:t@' + SHA, { registry: 'docker.io', repository: 'library/x', tag: 't', digest: SHA }],
    ['index.docker.io/a/b', { registry: 'docker.io', repository: 'a/b', tag: 'latest' }],
  ])('%s', (input, expected) => {
    expect(parseReference(input)).toStrictEqual(expected);
  });

  it('accepts a repository path of exactly 255 characters', () => {
    const ref = parseReference(`example.com/${'a'.repeat(255)}:tag`);
    expect(ref.repository).toHaveLength(255);
  });

  it('measures the length limit on the path alone, not the registry or tag', () => {
    const path = 'a/'.repeat(127) + 'a';
    expect(parseReference(`a.b/${path}:tag-puts-this-over-max`).repository).toBe(path);
  });
});

/** [input, a fragment the reason must contain] */
const INVALID: [string, string][] = [
  ['', 'empty'],
  [':justtag', 'repository name is empty'],
  ['@' + SHA, 'repository name is empty'],
  ['alpine:', 'tag after ":" is empty'],
  ['alpine@', 'digest after "@" is empty'],
  ['alpine:-tag', 'tag "-tag" is invalid'],
  ['alpine:.tag', 'tag ".tag" is invalid'],
  ['alpine:' + 'a'.repeat(129), 'is invalid'],
  ['alpine:ta/g', 'registry host "alpine:ta" is invalid'],
  ['alpine:t@g', 'invalid digest "g"'],
  ['Uppercase:tag', 'must be lowercase'],
  ['UPPER', 'repository name "library/UPPER" must be lowercase'],
  ['docker.io/UPPER', 'must be lowercase'],
  ['docker/Docker', 'must be lowercase'],
  ['docker.io/docker/Docker', 'must be lowercase'],
  ['test:5000/Uppercase/lowercase:tag', 'must be lowercase'],
  ['-docker', 'path component "-docker" is invalid'],
  ['-docker/docker', 'path component "-docker" is invalid'],
  ['docker-/docker', 'path component "docker-" is invalid'],
  ['-docker-/docker', 'is invalid'],
  ['____/____', 'path component "____" is invalid'],
  ['_docker/_docker', 'is invalid'],
  ['dock..er/docker', 'is invalid'],
  ['dock_.er/docker', 'is invalid'],
  ['dock-.er/docker', 'is invalid'],
  ['dock___er/docker', 'is invalid'],
  ['docker///docker', 'empty path component'],
  ['docker.io/docker///docker', 'empty path component'],
  ['docker/', 'empty path component'],
  ['host:5000/', 'empty path component'],
  ['aa/asdf$$^/aa', 'path component "asdf$$^" is invalid'],
  ['alpine latest', 'is invalid'],
  ['https://github.com/docker/docker', 'registry host "https:" is invalid'],
  ['-docker.io/docker/docker', 'registry host "-docker.io" is invalid'],
  ['foo_bar.com/x', 'registry host "foo_bar.com" is invalid'],
  ['host:port/x', 'registry host "host:port" is invalid'],
  ['host:/x', 'registry host "host:" is invalid'],
  ['fc00::1:5000/debian', 'registry host "fc00::1:5000" is invalid'],
  ['[fc00::1]', 'tag "1]" is invalid'],
  ['[fc00::1]:5000', 'is invalid'],
  ['[2001:db8::1]:tag', 'is invalid'],
  ['[fe80::1%eth0]:5000/debian', 'registry host "[fe80::1%eth0]:5000" is invalid'],
  ['[2001:db8:3:4::192.0.2.33]:5000/debian', 'is invalid'],
  ['1a3f'.repeat(16), 'image ID'],
  ['domain.com/' + 'a'.repeat(256) + ':tag', '256 characters long; at most 255'],
  [
    Array(4).fill('this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255').join('_') +
      '/docker',
    'at most 255',
  ],
  ['repo@sha256:' + 'f'.repeat(34), 'sha256 needs 64 hex digits'],
  ['repo@sha256:' + 'F'.repeat(64), 'must be lowercase hex'],
  ['repo@invaliddigest:' + 'f'.repeat(64), 'not supported'],
  ['repo@md5:' + 'f'.repeat(32), 'not supported'],
  ['repo@sha256:' + 'g'.repeat(64), 'invalid digest'],
  ['repo@sha256', 'invalid digest'],
  ['repo@' + SHA + '@' + SHA, 'invalid digest'],
];

describe('parseReference: invalid references', () => {
  it.each(INVALID)('%s', (input, reason) => {
    let error: unknown;
    try {
      parseReference(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DrydockError);
    const drydockError = error as DrydockError;
    expect(drydockError.code).toBe('invalid-reference');
    expect(drydockError.message).toContain(`invalid image reference "${input}"`);
    expect(drydockError.message).toContain(reason);
  });
});

describe('formatting', () => {
  it('names the repository with its registry', () => {
    expect(repositoryName(parseReference('alpine:3'))).toBe('docker.io/library/alpine');
    expect(repositoryName(parseReference('localhost:5000/a/b@' + SHA))).toBe('localhost:5000/a/b');
  });

  it('prints a reference without tag or digest as its bare name', () => {
    const ref: ImageReference = { registry: 'docker.io', repository: 'library/alpine' };
    expect(formatReference(ref)).toBe('docker.io/library/alpine');
    expect(familiarName(ref)).toBe('alpine');
  });
});

describe('registry hosts', () => {
  it.each<[string, { hostname: string; port?: string } | undefined]>([
    ['docker.io', { hostname: 'docker.io' }],
    ['127.0.0.1:5000', { hostname: '127.0.0.1', port: '5000' }],
    ['[::1]', { hostname: '[::1]' }],
    ['[::1]:443', { hostname: '[::1]', port: '443' }],
    ['MyReg.Example:8443', { hostname: 'MyReg.Example', port: '8443' }],
    ['host:', undefined],
    ['host:x', undefined],
    ['::1', undefined],
    ['-a.b', undefined],
    ['a_b', undefined],
    ['', undefined],
    ['https://host', undefined],
  ])('parseRegistryHost(%s)', (host, expected) => {
    expect(parseRegistryHost(host)).toStrictEqual(expected);
  });

  it.each([
    ['docker.io', 'docker.io'],
    ['index.docker.io', 'docker.io'],
    ['registry-1.docker.io', 'docker.io'],
    ['Index.Docker.IO', 'docker.io'],
    ['MyReg.Example:8443', 'myreg.example:8443'],
    ['127.0.0.1:5000', '127.0.0.1:5000'],
  ])('canonicalRegistryHost(%s) is %s', (host, expected) => {
    expect(canonicalRegistryHost(host)).toBe(expected);
  });
});

describe('parseReference: fuzz', () => {
  const ALPHABET = 'ab09AZ._-_/:@[]%$ ';
  const pieces = ['docker.io/', 'localhost:5000/', 'sha256:', 'f'.repeat(64), ':latest', '[::1]'];

  it('either returns a reference whose canonical form round-trips, or a reference error', () => {
    const random = seededRandom(42);
    for (let i = 0; i < 5000; i++) {
      let text = '';
      const length = random(12);
      for (let j = 0; j < length; j++) {
        text +=
          random(5) === 0
            ? (pieces[random(pieces.length)] ?? '')
            : ALPHABET.charAt(random(ALPHABET.length));
      }
      let ref: ImageReference;
      try {
        ref = parseReference(text);
      } catch (e) {
        expect(e, text).toBeInstanceOf(DrydockError);
        expect((e as DrydockError).code, text).toBe('invalid-reference');
        continue;
      }
      expect(parseReference(formatReference(ref)), text).toEqual(ref);
    }
  });
});

describe('validateReference', () => {
  it('accepts what parseReference produces', () => {
    for (const text of ['alpine', 'localhost:5000/a/b:1', `ghcr.io/x/y@${SHA}`]) {
      expect(() => {
        validateReference(parseReference(text));
      }).not.toThrow();
    }
  });

  it.each<[ImageReference, string]>([
    [{ registry: 'r', repository: 'Upper' }, 'must be lowercase'],
    [{ registry: 'r', repository: 'a//b' }, 'empty path component'],
    [{ registry: 'r', repository: 'a/'.repeat(127) + 'ab' }, 'at most 255 are allowed'],
    [{ registry: 'r', repository: 'a', tag: '.t' }, 'tag ".t" is invalid'],
    [{ registry: 'r', repository: 'a', digest: 'sha256:ab' }, 'invalid digest'],
    [{ registry: 'https://r', repository: 'a' }, 'registry host "https://r" is invalid'],
  ])('refuses %j', (ref, message) => {
    expect(() => {
      validateReference(ref, 'the-name');
    }).toThrow(
      expect.objectContaining({
        code: 'invalid-reference',
        message: expect.stringContaining(message) as string,
      }),
    );
  });
});
