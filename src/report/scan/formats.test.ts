import { describe, expect, it } from 'vitest';
import { SCAN_FORMATS, scanFormat } from './formats.js';

describe('SCAN_FORMATS', () => {
  it('lists each format once, by the name -o takes', () => {
    expect(SCAN_FORMATS.map((f) => f.name)).toEqual([
      'table',
      'json',
      'sarif',
      'cyclonedx-json',
      'anchore-json',
      'gitlab',
    ]);
    expect(scanFormat('sarif')?.name).toBe('sarif');
    expect(scanFormat('spdx-json')).toBeUndefined();
  });
});
