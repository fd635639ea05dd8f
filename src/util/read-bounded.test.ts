import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readFileBounded } from './read-bounded.js';

const dir = mkdtempSync(join(tmpdir(), 'drydock-read-bounded-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('readFileBounded', () => {
  it('reads a regular file up to the limit, and refuses one over it', async () => {
    const file = join(dir, 'eleven');
    writeFileSync(file, 'x'.repeat(11));
    expect(await readFileBounded(file, 11, '--dockerfile')).toBe('x'.repeat(11));
    await expect(readFileBounded(file, 10, '--dockerfile')).rejects.toThrow(
      `--dockerfile ${file} is larger than 10 bytes`,
    );
  });

  it('refuses what is not a regular file, such as /dev/zero or a directory, without reading it', async () => {
    await expect(readFileBounded('/dev/zero', 10, 'the VEX file')).rejects.toThrow(
      'the VEX file /dev/zero is not a regular file',
    );
    await expect(readFileBounded(dir, 10, 'SBOM')).rejects.toThrow(
      `SBOM ${dir} is not a regular file`,
    );
  });

  it('says so when the file cannot be read', async () => {
    await expect(readFileBounded(join(dir, 'missing'), 10, '--policy')).rejects.toThrow(
      /--policy .*missing cannot be read \(ENOENT\)/,
    );
  });
});
