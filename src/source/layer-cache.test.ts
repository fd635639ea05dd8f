import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile, copyFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DrydockError, type FileCollector, type LayerAnalysis } from '../model/index.js';
import { LAYER_ANALYZER_VERSION } from './layers/analyze-layer.js';
import { LayerCache, analyzerKey } from './layer-cache.js';

const DIGEST = 'sha256:' + 'cd'.repeat(32);
const OTHER = 'sha256:' + 'ef'.repeat(32);
const KEY = 'layer-analyzer@1;test';

/** A layer result big enough that a torn write would show; `writer` marks who made it. */
function sampleAnalysis(writer = 'test', entries = 3): LayerAnalysis {
  return {
    digest: DIGEST,
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    compressedSize: 100,
    uncompressedSize: 2048,
    entries: Array.from({ length: entries }, (_, i) => ({
      path: `/usr/lib/file${i}`,
      type: 'file' as const,
      mode: 0o4755,
      uid: 0,
      gid: 0,
      size: i,
      mtime: 1_700_000_000,
      sha256: 'ab'.repeat(32),
    })),
    whiteouts: ['/etc/gone'],
    opaqueDirs: ['/var/cache'],
    collected: [
      {
        path: '/etc/os-release',
        collector: 'os-release',
        value: { data: Buffer.from(`ID=${writer}\n`), truncated: false },
      },
    ],
    warnings: [writer],
  };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drydock-layer-cache-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('analyzerKey', () => {
  const dpkg: FileCollector = { name: 'dpkg', version: 1, open: () => undefined };
  const npm: FileCollector = { name: 'npm', version: 3, open: () => undefined };

  it('names the analyser and every collector, in any order', () => {
    expect(analyzerKey([dpkg, npm])).toBe(
      `layer-analyzer@${LAYER_ANALYZER_VERSION};dpkg@1;npm@3;md5=false`,
    );
    expect(analyzerKey([npm, dpkg])).toBe(analyzerKey([dpkg, npm]));
  });

  it('changes when a collector is bumped or md5 is asked for', () => {
    const base = analyzerKey([dpkg, npm]);
    expect(analyzerKey([{ ...dpkg, version: 2 }, npm])).not.toBe(base);
    expect(analyzerKey([dpkg])).not.toBe(base);
    expect(analyzerKey([dpkg, npm], { md5: true })).not.toBe(base);
  });
});

describe('LayerCache', () => {
  it('stores one file per layer and analyser key', () => {
    const cache = new LayerCache(dir);
    const path = cache.key(DIGEST, KEY);
    expect(path.startsWith(join(dir, 'layers', 'sha256', 'cd'.repeat(32)) + '/')).toBe(true);
    expect(cache.key(DIGEST, `${KEY}x`)).not.toBe(path);
    expect(() => cache.key('sha256:../../../etc', KEY)).toThrow(DrydockError);
  });

  it('round-trips an analysis, kept bytes included', async () => {
    const cache = new LayerCache(dir);
    expect(await cache.get(DIGEST, KEY)).toBeUndefined();
    const analysis = sampleAnalysis();
    await cache.put(DIGEST, KEY, analysis);
    const back = await cache.get(DIGEST, KEY);
    expect(back).toEqual(analysis);
    const value = back?.collected[0]?.value as { data: unknown } | undefined;
    expect(Buffer.isBuffer(value?.data)).toBe(true);
    expect(await cache.get(DIGEST, `${KEY}-other`)).toBeUndefined();
    expect(await cache.get(OTHER, KEY)).toBeUndefined();
  });

  it('replaces an entry and leaves no temporary files behind', async () => {
    const cache = new LayerCache(dir);
    await cache.put(DIGEST, KEY, sampleAnalysis('first'));
    await cache.put(DIGEST, KEY, sampleAnalysis('second'));
    expect((await cache.get(DIGEST, KEY))?.warnings).toEqual(['second']);
    const files = await readdir(join(cache.key(DIGEST, KEY), '..'));
    expect(files).toHaveLength(1);
  });

  it.each([
    ['garbage', () => Buffer.from('not a cache entry')],
    ['a truncated entry', (good: Buffer) => good.subarray(0, good.length - 20)],
    ['another format', () => gzipSync(Buffer.from('{"format":99}'))],
    ['an empty file', () => Buffer.alloc(0)],
    ['a damaged size field', (good: Buffer) => withSizeField(good, 0xffffffff)],
  ])('treats %s as a miss and removes it', async (_what, damage) => {
    const cache = new LayerCache(dir);
    await cache.put(DIGEST, KEY, sampleAnalysis());
    const file = cache.key(DIGEST, KEY);
    await writeFile(file, damage(await readFile(file)));
    expect(await cache.get(DIGEST, KEY)).toBeUndefined();
    await expect(readFile(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('does not serve an entry stored under another key', async () => {
    const cache = new LayerCache(dir);
    await cache.put(OTHER, KEY, sampleAnalysis());
    await cache.put(DIGEST, KEY, sampleAnalysis());
    await copyFile(cache.key(OTHER, KEY), cache.key(DIGEST, KEY));
    expect(await cache.get(DIGEST, KEY)).toBeUndefined();
  });

  it('never shows a torn entry while processes write the same key', async () => {
    const cache = new LayerCache(dir);
    const writers = Promise.allSettled(
      ['alpha', 'beta'].map(async (name) => {
        const input = join(dir, `${name}.bin`);
        await writeFile(input, serialize(sampleAnalysis(name, 5000)));
        await writerProcess(dir, input, 15);
      }),
    );
    const writing = { done: false };
    void writers.then(() => {
      writing.done = true;
    });
    let hits = 0;
    // Wait for the writers even when an expectation fails, so none outlives the test.
    try {
      while (!writing.done) if (await readsWhole(cache)) hits += 1;
    } finally {
      await writers;
    }
    expect((await writers).filter((w) => w.status === 'rejected')).toEqual([]);
    expect(hits).toBeGreaterThan(0);
    expect(await readdir(join(cache.key(DIGEST, KEY), '..'))).toHaveLength(1);
  });
});

/** The entry with gzip's trailing uncompressed-size field overwritten. */
function withSizeField(entry: Buffer, size: number): Buffer {
  const damaged = Buffer.from(entry);
  damaged.writeUInt32LE(size, damaged.length - 4);
  return damaged;
}

/** Reads the entry file itself as well as through get(), which would hide a torn file. */
async function readsWhole(cache: LayerCache): Promise<boolean> {
  const stored = await readFile(cache.key(DIGEST, KEY)).catch(() => undefined);
  if (stored === undefined) return false;
  const record = deserialize(gunzipSync(stored)) as { analysis: LayerAnalysis };
  for (const analysis of [record.analysis, await cache.get(DIGEST, KEY)]) {
    const writer = analysis?.warnings[0] ?? '';
    expect(['alpha', 'beta']).toContain(writer);
    expect(analysis).toEqual(sampleAnalysis(writer, 5000));
  }
  return true;
}

const cacheModule = fileURLToPath(new URL('./layer-cache.ts', import.meta.url));

/** A separate Node process that puts the analysis stored (v8-serialised) in `input`, `rounds` times. */
function writerProcess(cacheDir: string, input: string, rounds: number): Promise<void> {
  const script = `
    const { readFileSync } = await import('node:fs');
    const { deserialize } = await import('node:v8');
    const { LayerCache } = await import(${JSON.stringify(cacheModule)});
    const analysis = deserialize(readFileSync(${JSON.stringify(input)}));
    const cache = new LayerCache(${JSON.stringify(cacheDir)});
    for (let i = 0; i < ${rounds}; i++) {
      await cache.put(${JSON.stringify(DIGEST)}, ${JSON.stringify(KEY)}, analysis);
    }`;
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`writer for ${input} exited with ${code}`));
    });
  });
}
