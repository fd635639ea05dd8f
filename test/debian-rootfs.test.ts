/**
 * The dpkg cataloger against the real thing: a Debian bookworm root made by debootstrap, read
 * as a `dir:` image through the whole pipeline, and compared with what dpkg-query says about
 * the same database.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeImage } from '../src/analyzer/analyze-image.js';
import { ImageCataloger } from '../src/catalog/catalog-image.js';
import { DEFAULT_LIMITS, type Package } from '../src/model/index.js';
import { openDirectory } from '../src/source/dir.js';
import { debianRootfs, findDebootstrap } from './harness/debian-rootfs.js';

const run = promisify(execFile);
const debootstrap = await findDebootstrap();

/** Packages whose `dpkg -L` lists are compared (Multi-Arch: same, conffiles, plain ones). */
const LIST_CHECKED = ['bash', 'libc6', 'dpkg', 'base-files', 'login'];

describe('a debootstrapped Debian bookworm', () => {
  let root: string;
  let admindir: string;
  let packages: Package[];
  let warnings: string[];

  beforeAll(async () => {
    // The oracle is part of the test: without it the test fails (scripts/install-deps.sh has it).
    if (debootstrap === undefined)
      throw new Error('debootstrap is not installed: apt-get install debootstrap');
    root = await debianRootfs(debootstrap);
    admindir = join(root, 'var', 'lib', 'dpkg');
    const [image] = await openDirectory(root, { limits: DEFAULT_LIMITS }).resolve('all');
    if (image === undefined) throw new Error('the directory source gave no image');
    const { analysis } = await analyzeImage(image, {
      limits: DEFAULT_LIMITS,
      collectors: [],
      cataloger: new ImageCataloger({ select: ['dpkg'], secrets: false }),
    });
    packages = analysis.content?.packages ?? [];
    warnings = analysis.warnings;
  }, 20 * 60_000);

  async function dpkgQuery(...args: string[]): Promise<string> {
    const { stdout } = await run('dpkg-query', [`--admindir=${admindir}`, ...args], {
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  }

  it('finds exactly the packages dpkg-query -W lists, with their sources and architectures', async () => {
    const expected = await dpkgQuery(
      '-W',
      '-f',
      '${Package}\\t${Version}\\t${source:Package}\\t${source:Version}\\t${Architecture}\\n',
    );
    const actual = packages.map((p) =>
      [p.name, p.version, p.source?.name, p.source?.version, p.architecture].join('\t'),
    );
    const expectedLines = expected.split('\n').filter((line) => line !== '');
    expect(expectedLines.length).toBeGreaterThan(50);
    expect(actual.sort()).toEqual(expectedLines.sort());
    expect(warnings).toEqual([]);
  });

  it('lists the files dpkg-query -L lists, with md5 digests that match the files', async () => {
    for (const name of LIST_CHECKED) {
      const pkg = packages.find((p) => p.name === name);
      expect(pkg, name).toBeDefined();
      const listed = (await dpkgQuery('-L', name))
        .split('\n')
        .filter((line) => line.startsWith('/') && line !== '/.');
      expect(pkg?.files?.map((f) => f.path).sort(), name).toEqual(listed.sort());
      const withDigest = pkg?.files?.filter((f) => f.digest !== undefined) ?? [];
      expect(withDigest.length, name).toBeGreaterThan(0);
      for (const file of withDigest.slice(0, 5)) {
        const bytes = await readFile(join(root, file.path));
        expect(file.digest?.value, file.path).toBe(createHash('md5').update(bytes).digest('hex'));
      }
    }
  });

  it('reads sizes, maintainers, locations, identifiers and licenses from the database', async () => {
    const libc = packages.find((p) => p.name === 'libc6');
    const [size, maintainer] = (
      await dpkgQuery('-W', '-f', '${Installed-Size}\\t${Maintainer}', 'libc6')
    ).split('\t');
    expect(libc?.size).toBe(Number(size) * 1024);
    expect(libc?.metadata?.maintainer).toBe(maintainer);
    const arch = libc?.architecture ?? '';
    expect(libc?.locations.map((l) => l.path)).toEqual([
      '/var/lib/dpkg/status',
      `/var/lib/dpkg/info/libc6:${arch}.list`,
    ]);
    expect(libc?.purl).toBe(
      `pkg:deb/debian/libc6@${libc?.version ?? ''}?arch=${arch}&distro=debian-12&upstream=glibc`,
    );
    // libc6's copyright file is free-form and cites common-licenses; bash's is DEP-5.
    expect(libc?.licenses).toEqual(['GPL-2', 'LGPL-2.1']);
    expect(packages.find((p) => p.name === 'bash')?.licenses).toContain('GPL-3+');
  });
});
