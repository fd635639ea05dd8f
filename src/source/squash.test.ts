import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LIMITS,
  DrydockError,
  type FileCollector,
  type FileType,
  type LayerAnalysis,
  type LayerFileEntry,
} from '../model/index.js';
import { tarBuffer, type TarEntry } from '../../test/harness/tar-writer.js';
import { seededRandom } from '../../test/harness/random.js';
import { analyzeLayer } from './layers/analyze-layer.js';
import type { KeptBytes } from '../catalog/collectors.js';
import { rawBytesCollector } from '../../test/harness/catalog.js';
import { squashLayers, type FileTree } from './squash.js';

const digestOf = (index: number): string => `sha256:${String(index).repeat(64).slice(0, 64)}`;
const sha256 = (data: string): string => createHash('sha256').update(data).digest('hex');

const wantAll = (paths: string[]): FileCollector =>
  rawBytesCollector({
    name: 'test',
    version: 1,
    maxBytes: 1024,
    wants: ({ path }) => paths.includes(path),
  });

/** What the test collector kept at `path`, as text. */
const kept = (tree: FileTree, path: string, resolved = false): string | undefined => {
  const value = resolved
    ? tree.collectedResolved(path, 'test')
    : tree.collectedBy('test').find((file) => file.path === path)?.value;
  return (value as KeptBytes | undefined)?.data.toString();
};

async function layers(
  specs: TarEntry[][],
  collectors: FileCollector[] = [],
): Promise<{ analysis: LayerAnalysis; index: number }[]> {
  return Promise.all(
    specs.map(async (entries, index) => ({
      index,
      analysis: await analyzeLayer(
        Readable.from([tarBuffer(entries)]),
        { index, digest: digestOf(index), mediaType: 'application/vnd.oci.image.layer.v1.tar' },
        {
          limits: DEFAULT_LIMITS,
          collectors,
          budget: { remainingBytes: DEFAULT_LIMITS.maxImageBytes },
        },
      ),
    })),
  );
}

async function squash(specs: TarEntry[][], collectors: FileCollector[] = []): Promise<FileTree> {
  return squashLayers(await layers(specs, collectors), DEFAULT_LIMITS);
}

const paths = (tree: FileTree): string[] => tree.entries().map((e) => e.path);

describe('squashLayers', () => {
  it('applies whiteouts, opaque directories and later layers across three layers', async () => {
    const tree = await squash([
      [
        { path: 'etc', type: 'dir' },
        { path: 'etc/a', content: 'a0' },
        { path: 'etc/b', content: 'b0' },
        { path: 'var/cache/x/y', content: 'y' },
        { path: 'var/cache/z', content: 'z' },
        { path: 'opt/app/bin/tool', content: 'tool' },
        { path: 'srv/data/deep/file', content: 'd' },
      ],
      [
        { path: 'etc/.wh.a' },
        { path: 'var/cache/.wh..wh..opq' },
        { path: 'var/cache/fresh', content: 'fresh' },
        { path: 'opt/app', content: 'now a file' },
        { path: 'etc/b', content: 'b1' },
      ],
      [
        { path: '.wh.srv' },
        { path: 'etc/a', content: 'a2' },
        { path: 'opt/app/again', content: '!' },
      ],
    ]);
    expect(paths(tree)).toEqual([
      '/etc',
      '/etc/a',
      '/etc/b',
      '/opt/app',
      '/opt/app/again',
      '/var/cache/fresh',
    ]);
    expect(tree.get('/etc/a')).toMatchObject({
      layerIndex: 2,
      layerDigest: digestOf(2),
      sha256: sha256('a2'),
    });
    expect(tree.get('/etc/b')).toMatchObject({ layerIndex: 1, sha256: sha256('b1') });
    expect(tree.get('/etc')).toMatchObject({ layerIndex: 0, type: 'dir' });
    expect(tree.size).toBe(6);
  });

  it('keeps the opaque directory itself, and applies a layer\u2019s whiteouts before its entries', async () => {
    const tree = await squash([
      [
        { path: 'data', type: 'dir', mode: 0o700 },
        { path: 'data/old', content: 'old' },
        { path: 'cfg/old', content: 'old' },
      ],
      [{ path: 'data/.wh..wh..opq' }, { path: '.wh.cfg' }, { path: 'cfg/new', content: 'new' }],
    ]);
    expect(paths(tree)).toEqual(['/cfg/new', '/data']);
    expect(tree.get('/data')).toMatchObject({ mode: 0o700, layerIndex: 0 });
  });

  it('hides files below directories that no tar entry names', async () => {
    const tree = await squash([
      [
        { path: 'a/b/c/file', content: 'x' },
        { path: 'a/keep', content: 'k' },
      ],
      [{ path: 'a/.wh.b' }],
    ]);
    expect(paths(tree)).toEqual(['/a/keep']);
  });

  it('resolves hard links to files of lower layers', async () => {
    const tree = await squash(
      [
        [{ path: 'usr/bin/perl5.36', content: 'perl' }],
        [{ path: 'usr/bin/perl', type: 'hardlink', linkTarget: 'usr/bin/perl5.36' }],
      ],
      [wantAll(['/usr/bin/perl5.36'])],
    );
    expect(tree.get('/usr/bin/perl')).toMatchObject({
      type: 'hardlink',
      linkTarget: '/usr/bin/perl5.36',
      size: 4,
      sha256: sha256('perl'),
      layerIndex: 1,
    });
    expect(kept(tree, '/usr/bin/perl')).toBe('perl');
  });

  it('resolves hard links to files of the same layer, chains of links included', async () => {
    const tree = await squash(
      [
        [
          { path: 'var/lib/dpkg/status', content: 'Package: a\n' },
          { path: 'status-link', type: 'hardlink', linkTarget: 'var/lib/dpkg/status' },
          { path: 'second-link', type: 'hardlink', linkTarget: 'status-link' },
        ],
      ],
      [wantAll(['/var/lib/dpkg/status', '/status-link'])],
    );
    for (const path of ['/status-link', '/second-link']) {
      expect(tree.get(path)).toMatchObject({
        type: 'hardlink',
        size: 11,
        sha256: sha256('Package: a\n'),
      });
      expect(kept(tree, path)).toBe('Package: a\n');
      expect(tree.collectedBy('test').map((file) => file.path)).toContain(path);
    }
  });

  it('never gives a hard link the content of a later file at its target path', async () => {
    // The target is rewritten later in the same layer: the link is the first file, whose
    // capture the layer did not keep.
    const tree = await squash(
      [
        [
          { path: 'conf', content: 'first' },
          { path: 'link', type: 'hardlink', linkTarget: 'conf' },
          { path: 'conf', content: 'second' },
        ],
      ],
      [wantAll(['/conf'])],
    );
    expect(tree.get('/link')?.sha256).toBe(sha256('first'));
    expect(kept(tree, '/link')).toBeUndefined();
    expect(kept(tree, '/conf')).toBe('second');
  });

  it('does not change the layer results it squashes (they may be cached)', async () => {
    const input = await layers([
      [{ path: 'f', content: 'f' }],
      [{ path: 'h', type: 'hardlink', linkTarget: 'f' }],
    ]);
    const before = structuredClone(input);
    squashLayers(input, DEFAULT_LIMITS);
    expect(input).toEqual(before);
  });

  it('matches a naive reference squash on random layers', () => {
    const random = seededRandom(42);
    const randomPath = (): string =>
      '/' + Array.from({ length: 1 + random(4) }, () => 'abc'[random(3)]).join('/');
    for (let round = 0; round < 50; round++) {
      const input = Array.from({ length: 1 + random(5) }, (_, index) => ({
        index,
        analysis: randomLayer(index, randomPath, random),
      }));
      const tree = squashLayers(input, DEFAULT_LIMITS);
      const expected = referenceSquash(input.map((l) => l.analysis));
      expect(tree.entries().map((e) => [e.path, e.layerIndex, e.type])).toEqual(expected);
    }
  });
});

function randomLayer(
  index: number,
  randomPath: () => string,
  random: (n: number) => number,
): LayerAnalysis {
  const types: FileType[] = ['dir', 'dir', 'file', 'symlink'];
  return {
    digest: digestOf(index),
    mediaType: 'application/vnd.oci.image.layer.v1.tar',
    compressedSize: 0,
    uncompressedSize: 0,
    whiteouts: Array.from({ length: random(3) }, randomPath),
    opaqueDirs: Array.from({ length: random(2) }, randomPath),
    entries: Array.from({ length: random(12) }, (): LayerFileEntry => ({
      path: randomPath(),
      type: types[random(types.length)] ?? 'file',
      mode: 0o644,
      uid: 0,
      gid: 0,
      size: 0,
    })),
    collected: [],
    warnings: [],
  };
}

/** Obviously right and slow: filters the whole tree for every deletion. */
function referenceSquash(analyses: LayerAnalysis[]): [string, number, FileType][] {
  const tree = new Map<string, [string, number, FileType]>();
  const removeBelow = (dir: string): void => {
    const prefix = dir === '/' ? '/' : `${dir}/`;
    for (const path of [...tree.keys()])
      if (path.startsWith(prefix) && path !== dir) tree.delete(path);
  };
  analyses.forEach((layer, index) => {
    layer.opaqueDirs.forEach(removeBelow);
    for (const path of layer.whiteouts) {
      removeBelow(path);
      tree.delete(path);
    }
    for (const e of layer.entries) {
      if (e.type !== 'dir') removeBelow(e.path);
      tree.set(e.path, [e.path, index, e.type]);
    }
  });
  return [...tree.values()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

describe('FileTree.resolve', () => {
  const image = (): Promise<FileTree> =>
    squash(
      [
        [
          { path: 'usr/bin/dash', content: 'dash' },
          { path: 'usr/lib/os-release', content: 'ID=debian\n' },
          { path: 'etc/shadow', content: 'secret' },
          { path: 'bin', type: 'symlink', linkTarget: 'usr/bin' },
          { path: 'usr/bin/sh', type: 'symlink', linkTarget: 'dash' },
          { path: 'etc/os-release', type: 'symlink', linkTarget: '../usr/lib/os-release' },
          { path: 'lib', type: 'symlink', linkTarget: '/usr/lib' },
          { path: 'escape', type: 'symlink', linkTarget: '/../../../etc/shadow' },
          { path: 'deep/link', type: 'symlink', linkTarget: '../../../../../etc/shadow' },
          { path: 'a', type: 'symlink', linkTarget: '/b' },
          { path: 'b', type: 'symlink', linkTarget: '/a' },
          { path: 'self', type: 'symlink', linkTarget: 'self' },
          { path: 'empty', type: 'symlink', linkTarget: '' },
        ],
      ],
      [wantAll(['/usr/lib/os-release'])],
    );

  it('follows relative and absolute links in every component', async () => {
    const tree = await image();
    expect(tree.resolvePath('/bin/sh')).toBe('/usr/bin/dash');
    expect(tree.resolve('/bin/sh')).toMatchObject({
      path: '/usr/bin/dash',
      sha256: sha256('dash'),
    });
    expect(tree.resolvePath('/lib/os-release')).toBe('/usr/lib/os-release');
    // `..` applies to where the link led, as in the kernel: /bin/.. is /usr.
    expect(tree.resolvePath('bin/../etc/os-release')).toBe('/usr/etc/os-release');
    expect(tree.resolvePath('/etc/../etc/os-release')).toBe('/usr/lib/os-release');
    expect(tree.resolvePath('/usr/bin/missing')).toBe('/usr/bin/missing');
    expect(tree.resolve('/usr/bin/missing')).toBeUndefined();
    expect(tree.get('/bin')?.type).toBe('symlink');
  });

  it('never leaves the image root', async () => {
    const tree = await image();
    expect(tree.resolvePath('/escape')).toBe('/etc/shadow');
    expect(tree.resolvePath('/deep/link')).toBe('/etc/shadow');
    expect(tree.resolvePath('/../../bin/sh')).toBe('/usr/bin/dash');
  });

  it('stops at symlink loops with a DrydockError', async () => {
    const tree = await image();
    for (const path of ['/a/b', '/self']) {
      let error: unknown;
      try {
        tree.resolve(path);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DrydockError);
      expect((error as DrydockError).code).toBe('limit-exceeded');
      expect((error as DrydockError).message).toMatch(`symlink loop while resolving ${path}`);
    }
  });

  it('follows up to maxSymlinkHops links and no more', async () => {
    const chain: TarEntry[] = [{ path: 'end', content: 'end' }];
    for (let i = 0; i < DEFAULT_LIMITS.maxSymlinkHops; i++) {
      chain.push({ path: `l${i}`, type: 'symlink', linkTarget: i === 0 ? 'end' : `l${i - 1}` });
    }
    const tree = await squash([chain]);
    const last = `/l${DEFAULT_LIMITS.maxSymlinkHops - 1}`;
    expect(tree.resolvePath(last)).toBe('/end');
    const tighter = squashLayers(await layers([chain]), { ...DEFAULT_LIMITS, maxSymlinkHops: 39 });
    expect(() => tighter.resolvePath(last)).toThrow(/symlink loop/);
  });

  it('treats an empty link target as leading nowhere', async () => {
    expect((await image()).resolvePath('/empty')).toBeUndefined();
  });

  it('finds kept files through symlinks, only from the layer that last wrote them', async () => {
    const tree = await image();
    expect(kept(tree, '/etc/os-release')).toBeUndefined();
    expect(kept(tree, '/etc/os-release', true)).toBe('ID=debian\n');
    // Only the first, two-byte version of the file is kept.
    const firstOnly = rawBytesCollector({
      name: 'test',
      version: 1,
      maxBytes: 10,
      wants: ({ size }) => size === 2,
    });
    const rewritten = await squash(
      [[{ path: 'etc/motd', content: 'hi' }], [{ path: 'etc/motd', content: 'bye' }]],
      [firstOnly],
    );
    expect(kept(rewritten, '/etc/motd')).toBeUndefined();
    const original = await squash([[{ path: 'etc/motd', content: 'hi' }]], [firstOnly]);
    expect(kept(original, '/etc/motd')).toBe('hi');
    expect(rewritten.get('/etc/motd')?.sha256).toBe(sha256('bye'));
  });
});
