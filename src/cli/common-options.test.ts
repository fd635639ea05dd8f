import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AnalyzeSourceOptions } from '../analyzer/analyze-image.js';
import type { SourceImage } from '../model/index.js';
import { analyzeForCli, type CommonOptions, readDockerfile } from './common-options.js';

/** What reached stderr and the progress reporter, in order. */
const events: string[] = [];

vi.mock('../config/config.js', () => ({ loadConfig: () => Promise.resolve({ limits: {} }) }));
vi.mock('../analyzer/open-source.js', () => ({
  openSource: () => Promise.resolve({ close: () => Promise.resolve() }),
}));
vi.mock('../analyzer/analyze-image.js', () => ({
  analyzeSource: (_source: unknown, _platform: unknown, options: AnalyzeSourceOptions) => {
    const image = { config: { os: 'linux', architecture: 'arm64\u001b[2J' } } as SourceImage;
    options.progressFor?.(image);
    return Promise.resolve([{ analysis: { warnings: ['history mismatch'] } }]);
  },
}));
vi.mock('./progress.js', () => ({
  ProgressReporter: class {
    forImage(_image: unknown, label: string) {
      events.push(`progress ${label}`);
      return undefined;
    }
    finish() {
      events.push('finish');
    }
  },
}));

describe('analyzeForCli', () => {
  it('finishes the progress before writing warnings, and escapes the platform label', async () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((text) => {
      events.push(String(text));
      return true;
    });
    try {
      const options = { platform: 'all', output: 'table', cache: false } as CommonOptions;
      await analyzeForCli('oci-dir:/x', options, new Command());
    } finally {
      write.mockRestore();
    }
    expect(events).toEqual([
      'progress linux/arm64\\u001b[2J',
      'finish',
      'drydock: warning: history mismatch\n',
    ]);
  });
});

describe('readDockerfile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drydock-dockerfile-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads a Dockerfile', async () => {
    const file = join(dir, 'Dockerfile');
    await writeFile(file, 'FROM busybox\n');
    expect(await readDockerfile(file)).toBe('FROM busybox\n');
  });

  it('refuses a file over the limit without reading it whole', async () => {
    const file = join(dir, 'big');
    await writeFile(file, 'x'.repeat(11));
    expect(await readDockerfile(file, 11)).toBe('x'.repeat(11));
    await expect(readDockerfile(file, 10)).rejects.toThrow(/is larger than 10 bytes/);
  });

  it('refuses what is not a regular file, such as /dev/zero or a directory', async () => {
    await expect(readDockerfile('/dev/zero')).rejects.toThrow(/is not a regular file/);
    await expect(readDockerfile(dir)).rejects.toThrow(/is not a regular file/);
  });

  it('says so when the file cannot be read', async () => {
    await expect(readDockerfile(join(dir, 'missing'))).rejects.toThrow(/cannot be read \(ENOENT\)/);
  });
});
