import { describe, expect, it } from 'vitest';
import { tarBuffer } from '../../test/harness/tar-writer.js';
import {
  checksumMatches,
  entryType,
  headerName,
  parseNumeric,
  parsePaxRecords,
  storedBytes,
} from './tar-header.js';

const field = (bytes: number[]): Buffer => Buffer.from(bytes);

describe('tar header decoding', () => {
  it('reads octal and base-256 numbers, negative ones included', () => {
    expect(parseNumeric(Buffer.from('0000644\0', 'latin1'), 0, 8)).toBe(0o644);
    expect(parseNumeric(Buffer.from('  17 \0  ', 'latin1'), 0, 8)).toBe(0o17);
    expect(parseNumeric(Buffer.from('0009\0', 'latin1'), 0, 5)).toBeNaN();
    expect(parseNumeric(field([0x80, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0]), 0, 12)).toBe(2 * 256 ** 4);
    expect(parseNumeric(field(Array<number>(12).fill(0xff)), 0, 12)).toBe(-1);
    expect(parseNumeric(field([...Array<number>(11).fill(0xff), 0xfe]), 0, 12)).toBe(-2);
    expect(parseNumeric(field([0x80, ...Array<number>(11).fill(0xff)]), 0, 12)).toBeNaN();
  });

  it('checks the header checksum', () => {
    const tar = tarBuffer([{ path: 'a', content: 'x' }]);
    expect(checksumMatches(tar.subarray(0, 512))).toBe(true);
    tar[0] = 0x62;
    expect(checksumMatches(tar.subarray(0, 512))).toBe(false);
  });

  it('joins the ustar prefix and name', () => {
    const block = Buffer.alloc(512);
    block.write('file', 0);
    block.write('usr/share', 345);
    expect(headerName(block)).toBe('file'); // GNU: no ustar magic, no prefix
    block.write('ustar\0', 257, 'latin1');
    expect(headerName(block)).toBe('usr/share/file');
  });

  it('types entries as Go does, pre-POSIX directories included', () => {
    expect(entryType('\0', 'd/')).toBe('dir');
    expect(entryType('\0', 'f')).toBe('file');
    expect(entryType('5', 'd')).toBe('dir');
    expect(entryType('S', 'sparse')).toBeUndefined();
    expect(storedBytes('dir', 100)).toBe(0);
    expect(storedBytes('file', 100)).toBe(100);
    expect(storedBytes(undefined, 100)).toBe(100);
  });

  it('reads PAX records strictly', () => {
    expect(parsePaxRecords(Buffer.from('11 path=ab\n10 size=7\n\0\0'))).toEqual({
      path: 'ab',
      size: 7,
    });
    for (const bad of [
      '11 path=ab',
      '12 path=ab\0',
      '9 pathab\n',
      '12 path=a\0b\n',
      '10 size=x\n',
    ]) {
      expect(() => parsePaxRecords(Buffer.from(bad)), JSON.stringify(bad)).toThrow();
    }
  });
});
