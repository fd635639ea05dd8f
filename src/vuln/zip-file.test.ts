import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mutate } from '../../test/harness/mutate.js';
import { seededRandom } from '../../test/harness/random.js';
import { ZipError } from '../util/zip.js';
import { readZipFile, type ZipFileLimits } from './zip-file.js';

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
  for await (const m of readZipFile(file, { ...limits, maxEntryBytes }))
    out.push('content' in m ? `${m.name}:${m.content.length}` : `${m.name}:oversized`);
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
