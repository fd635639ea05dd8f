import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mutate } from '../../test/harness/mutate.js';
import { seededRandom } from '../../test/harness/random.js';
import { readZipFile, ZipError } from './zip-file.js';

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

async function members(file: string, maxEntryBytes = 8 * 1024 ** 2): Promise<string[]> {
  const out: string[] = [];
  for await (const m of readZipFile(file, { maxEntryBytes }))
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
