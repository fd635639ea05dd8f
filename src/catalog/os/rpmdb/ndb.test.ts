/**
 * The NDB reader on a Packages.db that blobs.py wrote from rpm's documented layout (no tool here
 * writes NDB: this rpm has only the sqlite and bdb_ro backends; see the fixture README).
 */
import { describe, expect, it } from 'vitest';
import {
  DATABASES,
  expectedPackages,
  fixtureBytes,
  fuzzReader,
} from '../../../../test/fixtures/rpm/fixtures.js';
import { readRpmRecord, RpmFormatError } from '../rpm-header.js';
import { adler32, readNdbPackages } from './ndb.js';

describe('NDB rpmdb', () => {
  it('lists the packages rpm listed from the sqlite original', () => {
    const names = readNdbPackages(fixtureBytes(DATABASES.ndb)).map((b) => readRpmRecord(b).name);
    expect(names.sort()).toEqual(expectedPackages().map(([name]) => name));
  });

  it('computes adler32 as zlib does', () => {
    expect(adler32(Buffer.from('Wikipedia'))).toBe(0x11e60398);
    expect(adler32(Buffer.alloc(100_000, 0xff))).toBe(0x149a302c); // python3 zlib.adler32(b'\xff' * 100000)
  });

  it('refuses a blob whose checksum does not match', () => {
    const bytes = fixtureBytes(DATABASES.ndb);
    bytes[4096 + 100] = (bytes[4096 + 100] ?? 0) ^ 1;
    expect(() => readNdbPackages(bytes)).toThrow(/checksum/);
  });

  it('fails cleanly on seeded mutations', () => {
    const bytes = fixtureBytes(DATABASES.ndb);
    expect(fuzzReader(readNdbPackages, bytes, (e) => e instanceof RpmFormatError)).toBeGreaterThan(
      0,
    );
  });
});
