/**
 * The apk cataloger. The fixture database is written by hand (no apk-tools here: see
 * test/fixtures/apk/README.md) and read through the real pipeline as a `dir:` image.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { catalogDirectory, imageTree } from '../../../test/harness/catalog.js';
import { mutate, randomText } from '../../../test/harness/mutate.js';
import { seededRandom } from '../../../test/harness/random.js';
import type { Distro } from '../../model/index.js';
import type { FoundPackage } from '../cataloger.js';
import { apkCataloger, apkInstalledCollector, parseApkInstalled } from './apk.js';

const ROOTFS = resolve(import.meta.dirname, '../../../test/fixtures/apk/rootfs');
const DB = resolve(ROOTFS, 'lib/apk/db/installed');

/** The sha1 hex that `Q1` + base64 encodes, computed independently of the parser. */
function sha1Of(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

function parse(text: string) {
  return parseApkInstalled({ data: Buffer.from(text), truncated: false });
}

describe('apk cataloger', () => {
  let packages: FoundPackage[];
  let warnings: string[];
  const alpine: Distro = { id: 'alpine', versionId: '3.19.1', idLike: [], source: '' };
  beforeAll(async () => {
    ({ packages, warnings } = await catalogDirectory(apkCataloger, ROOTFS, alpine));
  });
  const named = (name: string): FoundPackage | undefined => packages.find((p) => p.name === name);

  it('lists every complete paragraph, the last one too, and reports the rest', () => {
    expect(packages.map((p) => `${p.name}@${p.version}`)).toEqual([
      'musl@1.2.4_git20230717-r4',
      'libcrypto3@3.1.4-r5',
      'busybox@1.36.1-r15',
      'alpine-baselayout-data@3.4.3-r2',
      'ca-certificates-bundle@20240226-r0',
    ]);
    expect(warnings).toEqual([
      '/lib/apk/db/installed: line 474: size "not-a-number" is not a number',
      '/lib/apk/db/installed: a package without V: skipped',
    ]);
  });

  it('fills architecture, origin, licenses, sizes, maintainer, commit and location', () => {
    expect(named('libcrypto3')).toMatchObject({
      type: 'apk',
      architecture: 'x86_64',
      source: { name: 'openssl' },
      licenses: ['Apache-2.0 AND OpenSSL'],
      size: 4206592,
      metadata: {
        maintainer: 'Ariadne Conill <ariadne@dereferenced.org>',
        commit: '3d5ea7d5b6b6f0f5f0b8d2a5c6a3f9b6c8d7e4a1',
        packageSize: 1770143,
      },
      purl: 'pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&distro=alpine-3.19.1&upstream=openssl',
      cpes: [
        'cpe:2.3:a:libcrypto3:libcrypto3:3.1.4-r5:*:*:*:*:*:*:*',
        'cpe:2.3:a:alpine:libcrypto3:3.1.4-r5:*:*:*:*:*:*:*',
      ],
    });
    expect(named('libcrypto3')?.locations.map((l) => l.path)).toEqual(['/lib/apk/db/installed']);
    expect(named('musl')?.purl).toBe(
      'pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=alpine-3.19.1',
    );
    const sparse = named('alpine-baselayout-data');
    expect(sparse).toMatchObject({ licenses: ['GPL2+', 'MIT', 'BSD'], source: undefined });
    expect(sparse?.architecture).toBeUndefined();
    expect(sparse?.size).toBeUndefined();
    expect(sparse?.purl).toBe(
      'pkg:apk/alpine/alpine-baselayout-data@3.4.3-r2?distro=alpine-3.19.1',
    );
  });

  it('joins F: directories and R: files, with Q1 and md5 checksums', () => {
    expect(named('libcrypto3')?.files).toEqual([
      { path: '/etc/ssl/openssl.cnf', digest: { algorithm: 'sha1', value: sha1Of('openssl.cnf') } },
      {
        path: '/usr/lib/libcrypto.so.3',
        digest: { algorithm: 'md5', value: '0123456789abcdef0123456789abcdef' },
      },
      {
        path: '/usr/lib/engines-3/afalg.so',
        digest: { algorithm: 'sha1', value: sha1Of('afalg') },
      },
      {
        path: '/usr/lib/engines-3/loader_attic.so',
        digest: { algorithm: 'sha1', value: sha1Of('loader_attic') },
      },
    ]);
    const busybox = named('busybox')?.files ?? [];
    expect(busybox).toHaveLength(201);
    expect(busybox[200]).toEqual({
      path: '/usr/share/busybox/applet-199',
      digest: { algorithm: 'sha1', value: sha1Of('applet199') },
    });
    expect(named('alpine-baselayout-data')?.files).toEqual([{ path: '/etc/fstab' }]);
    expect(named('ca-certificates-bundle')?.files).toEqual([
      {
        path: '/etc/ssl/certs/ca-certificates.crt',
        digest: { algorithm: 'sha1', value: sha1Of('bundle') },
      },
    ]);
  });

  it('uses the detected distribution, and alpine when there is none', async () => {
    const wolfi: Distro = { id: 'wolfi', idLike: [], source: '' };
    const { packages: found } = await catalogDirectory(apkCataloger, ROOTFS, wolfi);
    expect(found[0]?.purl).toBe('pkg:apk/wolfi/musl@1.2.4_git20230717-r4?arch=x86_64&distro=wolfi');
    const { packages: bare } = await catalogDirectory(apkCataloger, ROOTFS);
    expect(bare[0]?.purl).toBe('pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64');
  });
});

describe('parseApkInstalled', () => {
  it('handles CRLF, a Z: before any R:, bad checksums and lines that are not fields', () => {
    const value = parse('P:a\r\nV:1\r\nZ:Q1AAAA\r\nnonsense\r\nF:/usr/\r\nR:x\r\nZ:Q1short=\r\n');
    expect(value.records).toEqual([{ name: 'a', version: '1', files: [{ path: '/usr/x' }] }]);
    expect(value.problems).toEqual([
      'line 3: not a checksum apk writes',
      'line 4: not a K:value line',
      'line 7: not a checksum apk writes',
    ]);
  });

  it('says when the database was cut at the size limit', () => {
    const value = parseApkInstalled({ data: Buffer.from('P:a\nV:1\nR:x'), truncated: true });
    expect(value.problems).toEqual(['larger than the limit; only its start was read']);
    // `R:x` may be the start of a longer name: the cut-off last line is not read.
    expect(value.records).toMatchObject([{ name: 'a', version: '1', files: [] }]);
  });

  it('collects only the database paths', () => {
    const wants = (path: string): boolean =>
      apkInstalledCollector.open({ path, size: 1, mode: 0o644 }) !== undefined;
    expect(wants('/lib/apk/db/installed')).toBe(true);
    expect(wants('/usr/lib/apk/db/installed')).toBe(true);
    expect(wants('/lib/apk/db/installed.new')).toBe(false);
    expect(wants('/home/lib/apk/db/installed')).toBe(false);
  });

  it('skips a paragraph whose P: or V: is empty, with a warning', async () => {
    const db = 'P:\nV:1.0-r0\n\nP:empty-version\nV:\n\nP:ok\nV:2.0-r1\n';
    const tree = await imageTree(
      [[{ path: 'lib/apk/db/installed', content: db }]],
      [apkInstalledCollector],
    );
    const warnings: string[] = [];
    const found = apkCataloger.catalog({ tree, warn: (m) => warnings.push(m) });
    expect(found.map((p) => p.purl)).toEqual(['pkg:apk/alpine/ok@2.0-r1']);
    expect(warnings).toEqual([
      '/lib/apk/db/installed: a package without P: skipped',
      '/lib/apk/db/installed: a package without V: skipped',
    ]);
  });

  it('never throws on random or mutated databases, and stays bounded (seeded fuzz)', async () => {
    const seed = await readFile(DB);
    const random = seededRandom(0xa9c);
    for (let round = 0; round < 400; round += 1) {
      const input =
        round % 2 === 0
          ? mutate(seed, random, '\nR:')
          : randomText('PVAoLSIFRZmc:\n\n Q1=+/0123456789abcdef\r\xff', 4000, random);
      const value = parseApkInstalled({ data: input, truncated: random(2) === 0 });
      expect(value.problems.length).toBeLessThanOrEqual(22);
      const files = value.records.reduce((n, r) => n + r.files.length, 0);
      expect(files).toBeLessThanOrEqual(input.length);
      expect(() => structuredClone(value)).not.toThrow();
    }
  });
});
