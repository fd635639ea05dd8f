import { describe, expect, it } from 'vitest';
import { bytesCollector } from './collectors.js';

/** Feeds `content` to the collector's sink in chunks of `chunk` bytes; returns what it kept. */
function collect(content: Buffer, chunk: number): { value: unknown; parsed: number } {
  let parsed = 0;
  const collector = bytesCollector({
    name: 'text',
    version: 1,
    maxBytes: 1 << 20,
    wants: () => true,
    rejectByStart: { bytes: 16, test: (start) => start.includes(0) },
    parse: (bytes) => {
      parsed += 1;
      return bytes.data.toString('latin1');
    },
  });
  const sink = collector.open({ path: '/f', size: content.length, mode: 0o644 });
  if (sink === undefined) throw new Error('not wanted');
  for (let i = 0; i < content.length; i += chunk) sink.write(content.subarray(i, i + chunk));
  return { value: sink.end(), parsed };
}

describe('bytesCollector rejectByStart', () => {
  it('drops a file whose start fails the test, whatever the chunking, without parsing it', () => {
    const binary = Buffer.concat([Buffer.from('ELF\0'), Buffer.alloc(4000, 'x')]);
    for (const chunk of [1, 3, 16, 512, 8192]) {
      expect(collect(binary, chunk)).toEqual({ value: undefined, parsed: 0 });
    }
    expect(collect(Buffer.from('a\0b'), 1)).toEqual({ value: undefined, parsed: 0 });
  });

  it('keeps every byte of a file whose start passes, short or long', () => {
    const text = Buffer.from('plain text, then a NUL past the sniffed start: \0 end');
    expect(collect(text, 5)).toEqual({ value: text.toString('latin1'), parsed: 1 });
    expect(collect(Buffer.from('short'), 2)).toEqual({ value: 'short', parsed: 1 });
  });
});
