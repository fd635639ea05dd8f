import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mutate } from '../../test/harness/mutate.js';
import { seededRandom } from '../../test/harness/random.js';
import { ZipError } from '../util/zip.js';
import {
  BATCH_INFLATED_BYTES,
  inflateMember,
  readZipFile,
  type ZipFileLimits,
} from './zip-file.js';

const work = mkdtempSync(join(tmpdir(), 'drydock-zipfile-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** A zip by Info-ZIP `zip` of a few small and one larger (multi-window) member. */
function sampleZip(): void {
  const dir = join(work, 'members');
  execFileSync('mkdir', ['-p', dir]);
  writeFileSync(join(dir, 'a.json'), '{"id":"A"}');
  writeFileSync(join(dir, 'b.json'), 'x'.repeat(5000));
  writeFileSync(join(dir, 'big.json'), Buffer.alloc(6 * 1024 ** 2, 'y'));
  execFileSync('zip', ['-q', '-r', join(work, 'sample.zip'), '.'], { cwd: dir });
}

async function members(
  file: string,
  maxEntryBytes = 8 * 1024 ** 2,
  limits: Partial<ZipFileLimits> = {},
): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of readZipFile(file, { ...limits, maxEntryBytes }))
    for (const m of batch)
      out.push('data' in m ? `${m.name}:${inflateMember(m).length}` : `${m.name}:oversized`);
  return out;
}

describe('readZipFile', () => {
  sampleZip();

  it('reads every member in file order, and reports oversized ones without reading them', async () => {
    expect((await members(join(work, 'sample.zip'))).sort()).toEqual([
      'a.json:10',
      'b.json:5000',
      `big.json:${6 * 1024 ** 2}`,
    ]);
    expect((await members(join(work, 'sample.zip'), 4096)).sort()).toEqual([
      'a.json:10',
      'b.json:oversized',
      'big.json:oversized',
    ]);
  });

  it('hands members out a read window at a time, cut where they inflate past the batch bound', async () => {
    const dir = join(work, 'batches');
    execFileSync('mkdir', ['-p', dir]);
    const zeros = Buffer.alloc(5 * 1024 ** 2);
    const names = ['z1.json', 'z2.json', 'z3.json', 'z4.json', 'z5.json'];
    for (const name of names) writeFileSync(join(dir, name), zeros);
    const random = seededRandom(7);
    const noise = Buffer.from(Array.from({ length: 5 * 1024 ** 2 }, () => random(256)));
    writeFileSync(join(dir, 'noise.bin'), noise);
    writeFileSync(join(dir, 'last.json'), '{}');
    // Zeros deflate to a few KB: all five fit in one read window, 25 MiB once inflated. Noise does
    // not compress: bigger than the window, it comes alone, and so does the member after it.
    execFileSync('zip', ['-q', '-X', join(work, 'batches.zip'), '-@'], {
      cwd: dir,
      input: [...names, 'noise.bin', 'last.json'].join('\n'),
    });
    expect(3 * zeros.length).toBeLessThanOrEqual(BATCH_INFLATED_BYTES);
    expect(4 * zeros.length).toBeGreaterThan(BATCH_INFLATED_BYTES);
    const batches: string[][] = [];
    for await (const batch of readZipFile(join(work, 'batches.zip')))
      batches.push(batch.map((m) => m.name));
    expect(batches).toEqual([
      ['z1.json', 'z2.json', 'z3.json'],
      ['z4.json', 'z5.json'],
      ['noise.bin'],
      ['last.json'],
    ]);
  });

  it('reads a directory too big for the first read from the end, within its limit', async () => {
    const dir = join(work, 'many');
    execFileSync('mkdir', ['-p', dir]);
    for (let i = 0; i < 1500; i++) writeFileSync(join(dir, `GHSA-${i}-xxxx-yyyy.json`), `{}`);
    execFileSync('zip', ['-q', '-r', join(work, 'many.zip'), '.'], { cwd: dir });
    const data = readFileSync(join(work, 'many.zip'));
    const directoryBytes = data.readUInt32LE(data.lastIndexOf('PK\u0005\u0006') + 12);
    expect(directoryBytes).toBeGreaterThan(2 * 64 * 1024);
    expect((await members(join(work, 'many.zip'))).length).toBe(1500);
    await expect(
      members(join(work, 'many.zip'), 1024, { maxDirectoryBytes: 64 * 1024 }),
    ).rejects.toThrow(/central directory of \d+ bytes, over the limit of 65536/);
  });

  it('throws only ZipError on mutated archives (seeded)', async () => {
    const dir = join(work, 'fuzz');
    execFileSync('mkdir', ['-p', dir]);
    writeFileSync(join(dir, 'a.json'), '{"id":"A","modified":"2024-01-01T00:00:00Z"}');
    writeFileSync(join(dir, 'b.json'), '{"id":"B"}'.repeat(50));
    execFileSync('zip', ['-q', '-r', join(work, 'fuzz.zip'), '.'], { cwd: dir });
    const base = readFileSync(join(work, 'fuzz.zip'));
    const file = join(work, 'mutated.zip');
    for (let seed = 1; seed <= 400; seed++) {
      writeFileSync(file, mutate(base, seededRandom(seed), 'PK\u0001\u0002'));
      try {
        await members(file, 64 * 1024);
      } catch (error) {
        if (!(error instanceof ZipError)) throw new Error(`seed ${seed}: ${String(error)}`);
      }
    }
  });
});
