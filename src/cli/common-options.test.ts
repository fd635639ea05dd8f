import { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import type { AnalyzeSourceOptions } from '../analyzer/analyze-image.js';
import type { SourceImage } from '../model/index.js';
import { analyzeForCli, type CommonOptions } from './common-options.js';

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
