import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compress as zstdCompress } from 'zstd-napi';
import {
  DEFAULT_LIMITS,
  DrydockError,
  type FileCollector,
  type LayerDescriptor,
} from '../../model/index.js';
import { tarBuffer, type TarEntry } from '../../../test/harness/tar-writer.js';
import type { KeptBytes } from '../../catalog/collectors.js';
import { rawBytesCollector } from '../../../test/harness/catalog.js';
import { analyzeLayer, type AnalyzeLayerOptions } from './analyze-layer.js';

const DIGEST = 'sha256:' + '12'.repeat(32);
const MEDIA_TYPE = 'application/vnd.oci.image.layer.v1.tar+gzip';
const hex = (algorithm: string, data: string | Buffer): string =>
  createHash(algorithm).update(data).digest('hex');

function analyze(
  stored: Buffer,
  options: Partial<AnalyzeLayerOptions> = {},
  descriptor: LayerDescriptor = { index: 0, digest: DIGEST, mediaType: MEDIA_TYPE },
): ReturnType<typeof analyzeLayer> {
  // Odd chunk sizes, so entries straddle chunks as they do off the network.
  const chunks = [];
  for (let i = 0; i < stored.length; i += 777) chunks.push(stored.subarray(i, i + 777));
  return analyzeLayer(Readable.from(chunks), descriptor, {
    limits: DEFAULT_LIMITS,
    collectors: [],
    budget: { remainingBytes: DEFAULT_LIMITS.maxImageBytes },
    ...options,
  });
}

const collector = (name: string, paths: string[], maxBytes: number): FileCollector =>
  rawBytesCollector({ name, version: 1, maxBytes, wants: ({ path }) => paths.includes(path) });

describe('analyzeLayer', () => {
  it('turns tar entries into normalised layer entries with digests', async () => {
    const tar = tarBuffer([
      { path: './', type: 'dir' },
      { path: './usr/bin/', type: 'dir', uid: 1, gid: 2 },
      { path: './usr/bin/env', content: 'env!', mode: 0o755, mtime: 1_650_000_000 },
      { path: 'usr/bin/sudo', content: 'sudo', mode: 0o104755 },
      { path: 'usr/bin/crontab', content: 'cron', mode: 0o2755 },
      { path: 'tmp', type: 'dir', mode: 0o41777 },
      { path: 'usr/bin/env2', type: 'hardlink', linkTarget: './usr/bin/env' },
      { path: 'usr/bin/sh', type: 'symlink', linkTarget: '../../bin/dash' },
      { path: 'dev/tty', type: 'char', devMajor: 5, devMinor: 0 },
      { path: 'dev/loop0', type: 'block', devMajor: 7, devMinor: 0 },
      { path: 'run/initctl', type: 'fifo' },
    ]);
    const result = await analyze(gzipSync(tar));
    expect(result.entries).toEqual([
      { path: '/', type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 1_700_000_000 },
      { path: '/usr/bin', type: 'dir', mode: 0o755, uid: 1, gid: 2, size: 0, mtime: 1_700_000_000 },
      {
        path: '/usr/bin/env',
        type: 'file',
        mode: 0o755,
        uid: 0,
        gid: 0,
        size: 4,
        mtime: 1_650_000_000,
        sha256: hex('sha256', 'env!'),
      },
      expect.objectContaining({
        path: '/usr/bin/sudo',
        mode: 0o4755,
        sha256: hex('sha256', 'sudo'),
      }),
      expect.objectContaining({ path: '/usr/bin/crontab', mode: 0o2755 }),
      expect.objectContaining({ path: '/tmp', type: 'dir', mode: 0o1777 }),
      expect.objectContaining({
        path: '/usr/bin/env2',
        type: 'hardlink',
        linkTarget: '/usr/bin/env',
        size: 0,
      }),
      expect.objectContaining({
        path: '/usr/bin/sh',
        type: 'symlink',
        linkTarget: '../../bin/dash',
      }),
      expect.objectContaining({ path: '/dev/tty', type: 'char', devMajor: 5, devMinor: 0 }),
      expect.objectContaining({ path: '/dev/loop0', type: 'block', devMajor: 7 }),
      expect.objectContaining({ path: '/run/initctl', type: 'fifo', size: 0 }),
    ]);
    expect(result.entries[2]?.md5).toBeUndefined();
    expect(result).toMatchObject({
      digest: DIGEST,
      mediaType: MEDIA_TYPE,
      compressedSize: gzipSync(tar).length,
      uncompressedSize: tar.length,
      whiteouts: [],
      opaqueDirs: [],
      collected: [],
      warnings: [],
    });
  });

  it('computes md5 only when asked', async () => {
    const tar = tarBuffer([{ path: 'a', content: 'abc' }]);
    const result = await analyze(tar, { md5: true });
    expect(result.entries[0]).toMatchObject({
      md5: hex('md5', 'abc'),
      sha256: hex('sha256', 'abc'),
    });
  });

  it('leaves every hard link, to this layer or a lower one, for the squash to resolve', async () => {
    const tar = tarBuffer([
      { path: 'target', content: 'x' },
      { path: 'same-layer', type: 'hardlink', linkTarget: 'target' },
      { path: 'lower-layer', type: 'hardlink', linkTarget: 'elsewhere' },
    ]);
    const collectors = [collector('c', ['/target', '/same-layer'], 100)];
    const { entries, collected } = await analyze(tar, { collectors });
    for (const [i, target] of [
      [1, '/target'],
      [2, '/elsewhere'],
    ] as const) {
      expect(entries[i]).toMatchObject({ type: 'hardlink', linkTarget: target, size: 0 });
      expect(entries[i]?.sha256).toBeUndefined();
    }
    expect(collected.map((file) => file.path)).toEqual(['/target']);
  });

  it('records whiteouts and opaque directories instead of entries', async () => {
    const tar = tarBuffer([
      { path: 'etc/.wh.motd' },
      { path: 'var/cache/.wh..wh..opq' },
      { path: '.wh.opt' },
      { path: 'x/.wh..wh.plnk', type: 'dir' },
      { path: 'x/.wh..wh.aufs' },
      { path: 'y/.wh.' },
      { path: 'etc/hostname', content: 'box' },
    ]);
    const result = await analyze(tar);
    expect(result.entries.map((e) => e.path)).toEqual(['/etc/hostname']);
    expect(result.whiteouts).toEqual(['/etc/motd', '/opt']);
    expect(result.opaqueDirs).toEqual(['/var/cache']);
    expect(result.warnings).toEqual(['whiteout /y/.wh. names no file; ignored']);
  });

  it('clamps names that climb out of the root and says so', async () => {
    const tar = tarBuffer([
      { path: '../../etc/passwd', content: 'evil' },
      { path: '/abs/file', content: 'a' },
      { path: 'link', type: 'hardlink', linkTarget: '../../etc/passwd' },
    ]);
    const result = await analyze(tar);
    expect(result.entries.map((e) => e.path)).toEqual(['/etc/passwd', '/abs/file', '/link']);
    expect(result.entries[2]).toMatchObject({ type: 'hardlink', linkTarget: '/etc/passwd' });
    expect(result.warnings).toEqual([
      `tar entry "../../etc/passwd" climbs above the root with '..'; read as /etc/passwd`,
      'tar entry "/abs/file" has an absolute name; read as /abs/file',
      `tar entry "../../etc/passwd" climbs above the root with '..'; read as /etc/passwd`,
    ]);
  });

  it('skips a non-directory entry in place of the root', async () => {
    const tar = tarBuffer([
      { path: './', content: 'not a dir' },
      { path: 'kept', content: 'k' },
    ]);
    const result = await analyze(tar);
    expect(result.entries.map((e) => e.path)).toEqual(['/kept']);
    expect(result.warnings).toEqual(['tar entry "./" is a file in place of the root; skipped']);
  });

  it('keeps at most 100 warnings and counts the rest', async () => {
    const entries: TarEntry[] = Array.from({ length: 150 }, (_, i) => ({ path: `/f${i}` }));
    const { warnings } = await analyze(tarBuffer(entries));
    expect(warnings).toHaveLength(101);
    expect(warnings[100]).toBe('… and 50 more warnings');
  });

  it('keeps what each collector makes of the files it wants', async () => {
    const big = Buffer.alloc(5000, 'b');
    const tar = tarBuffer([
      { path: 'var/lib/dpkg/status', content: 'Package: a\n' },
      { path: 'big.json', content: big },
      { path: 'ignored', content: 'no' },
    ]);
    const collectors = [
      collector('dpkg', ['/var/lib/dpkg/status'], 1000),
      collector('small-json', ['/big.json'], 10),
      collector('large-json', ['/big.json'], 3000),
    ];
    const { collected } = await analyze(gzipSync(tar), { collectors });
    const kept = (data: Buffer, truncated: boolean) => ({ data, truncated });
    expect(collected).toEqual([
      {
        path: '/var/lib/dpkg/status',
        collector: 'dpkg',
        value: kept(Buffer.from('Package: a\n'), false),
      },
      { path: '/big.json', collector: 'small-json', value: kept(big.subarray(0, 10), true) },
      { path: '/big.json', collector: 'large-json', value: kept(big.subarray(0, 3000), true) },
    ]);
  });

  it('drops what was kept when a later entry replaces the path', async () => {
    const tar = tarBuffer([
      { path: 'conf', content: 'first' },
      { path: 'conf', type: 'symlink', linkTarget: 'elsewhere' },
    ]);
    const { collected } = await analyze(tar, { collectors: [collector('c', ['/conf'], 100)] });
    expect(collected).toEqual([]);
  });

  it('loses only the file when a collector throws, and says so', async () => {
    const tar = tarBuffer([
      { path: 'a', content: 'aaa' },
      { path: 'b', content: 'bbb' },
    ]);
    const failing: FileCollector = {
      name: 'failing',
      version: 1,
      open: ({ path }) => ({
        write: () => {
          if (path === '/a') throw new Error('bad bytes');
        },
        end: () => path,
      }),
    };
    const result = await analyze(tar, { collectors: [failing, collector('c', ['/a'], 10)] });
    expect(result.collected.map((f) => [f.path, f.collector])).toEqual([
      ['/a', 'c'],
      ['/b', 'failing'],
    ]);
    expect(result.warnings).toEqual(['collector failing could not read /a: bad bytes']);
    expect(result.entries[0]?.sha256).toBe(hex('sha256', 'aaa'));
  });

  it('reads zstd layers, keeping files that span many output chunks intact', async () => {
    // Bigger than several zstd output chunks, and not one repeated byte.
    const big = Buffer.from(Array.from({ length: 100_000 }, (_, i) => `${i},`).join(''));
    const tar = tarBuffer([
      { path: 'z', content: 'zstd content' },
      { path: 'big.csv', content: big },
    ]);
    const collectors = [collector('csv', ['/big.csv'], 2 * big.length)];
    const result = await analyze(zstdCompress(tar), { collectors });
    expect(result.entries[0]?.sha256).toBe(hex('sha256', 'zstd content'));
    expect(result.entries[1]?.sha256).toBe(hex('sha256', big));
    expect((result.collected[0]?.value as KeptBytes).data.equals(big)).toBe(true);
    expect(result.uncompressedSize).toBe(tar.length);
  });

  it('names a generated layer by the sha256 of its bytes and reports progress', async () => {
    const tar = tarBuffer([{ path: 'gen', content: 'generated' }]);
    const progress: number[] = [];
    const generated = { index: 3, mediaType: 'application/vnd.oci.image.layer.v1.tar' };
    const result = await analyze(tar, { onBytes: (n) => progress.push(n) }, generated);
    expect(result.digest).toBe(`sha256:${hex('sha256', tar)}`);
    expect(progress.at(-1)).toBe(tar.length);
    expect(progress.length).toBeGreaterThan(1);
  });

  it('rejects corrupt layers with a DrydockError naming the layer', async () => {
    const stored = gzipSync(tarBuffer([{ path: 'a', content: Buffer.alloc(10_000, 1) }]));
    const truncated = stored.subarray(0, stored.length - 10);
    const error: unknown = await analyze(truncated).then(
      () => new Error('expected the layer to be rejected'),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DrydockError);
    expect((error as DrydockError).message).toMatch(`layer ${DIGEST} is corrupt`);
  });

  describe('diff_id verification', () => {
    const tar = tarBuffer([{ path: 'etc/hostname', content: 'box' }]);
    const diffId = `sha256:${hex('sha256', tar)}`;
    const wrongDiffId = `sha256:${'ab'.repeat(32)}`;
    const member = (id: string, verifyDiffId = true): LayerDescriptor => ({
      index: 2,
      digest: DIGEST,
      diffId: id,
      verifyDiffId,
      mediaType: MEDIA_TYPE,
    });
    const encodings = [
      ['gzip', gzipSync(tar)],
      ['zstd', zstdCompress(tar)],
    ] as const;

    it.each(encodings)('accepts a %s layer whose uncompressed bytes match', async (_, stored) => {
      const result = await analyze(stored, {}, member(diffId));
      expect(result.entries.map((e) => e.path)).toEqual(['/etc/hostname']);
    });

    it.each(encodings)('rejects a %s layer that does not match', async (_, stored) => {
      const error: unknown = await analyze(stored, {}, member(wrongDiffId)).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DrydockError);
      expect(error).toMatchObject({ code: 'digest-mismatch' });
      expect((error as DrydockError).message).toContain(
        `layer ${DIGEST} does not match the image config's diff_id: content digest ${diffId} does not match the expected ${wrongDiffId}`,
      );
    });

    it('checks nothing unless the source asks for it', async () => {
      const result = await analyze(gzipSync(tar), {}, member(wrongDiffId, false));
      expect(result.entries).toHaveLength(1);
    });
  });
});
