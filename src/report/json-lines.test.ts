import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/harness/random.js';
import type { FileEntry, FileType } from '../model/index.js';
import { fileEntryJson, jsonArray } from './json-lines.js';

const TYPES: FileType[] = ['file', 'dir', 'symlink', 'hardlink', 'char', 'block', 'fifo'];

function randomText(random: (n: number) => number): string {
  const alphabet = ['a', '/', '"', '\\', '\n', '\u0000', '\u007f', 'é', '😀', '\ud800', ' '];
  return Array.from({ length: random(12) }, () => alphabet[random(alphabet.length)]).join('');
}

describe('fileEntryJson', () => {
  it('writes exactly what JSON.stringify writes, for any path, link and optional field', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 2000; i++) {
      const optional = () => random(2) === 0;
      const file: FileEntry = {
        path: `/${randomText(random)}`,
        type: TYPES[random(TYPES.length)] ?? 'file',
        mode: random(0o10000),
        uid: random(70000),
        gid: random(70000),
        size: random(2 ** 31),
        linkTarget: optional() ? randomText(random) : undefined,
        sha256: optional() ? 'ab'.repeat(32) : undefined,
        md5: optional() ? 'cd'.repeat(16) : undefined,
        mtime: optional() ? random(2 ** 31) : undefined,
        devMajor: optional() ? random(256) : undefined,
        devMinor: optional() ? random(256) : undefined,
        layerDigest: `sha256:${'ef'.repeat(32)}`,
        layerIndex: random(100),
      };
      expect(fileEntryJson(file)).toBe(JSON.stringify(file));
    }
  });
});

describe('jsonArray', () => {
  it('writes one item per line and parses back', () => {
    const text = [...jsonArray([{ a: 1 }, { b: '2' }], '  ')].join('');
    expect(text).toBe('[\n    {"a":1},\n    {"b":"2"}\n  ]');
    expect(JSON.parse(text)).toEqual([{ a: 1 }, { b: '2' }]);
    expect([...jsonArray([], '')].join('')).toBe('[]');
  });
});
