/**
 * The Berkeley DB hash reader on databases written by db5.3_load (both byte orders, three page
 * sizes; rpm's bdb_ro backend lists the same packages from them, see the fixture README).
 */
import { describe, expect, it } from 'vitest';
import {
  DATABASES,
  expectedPackages,
  fixtureBytes,
  fuzzReader,
} from '../../../../test/fixtures/rpm/fixtures.js';
import { readRpmRecord, RpmFormatError } from '../rpm-header.js';
import { readBdbPackages } from './bdb.js';

const FIXTURES = [
  DATABASES.bdbLittleEndian4096,
  DATABASES.bdbBigEndian512,
  DATABASES.bdbLittleEndian65536,
];

describe('Berkeley DB hash rpmdb', () => {
  it.each(FIXTURES)('lists the packages rpm lists from %s, in package order', (path) => {
    const names = readBdbPackages(fixtureBytes(path)).map((blob) => readRpmRecord(blob).name);
    expect([...names].sort()).toEqual(expectedPackages().map(([name]) => name));
    const sqliteOrder = ['gamma', 'alpha-libs', 'alpha', 'beta', 'gpg-pubkey'];
    expect(names).toEqual(sqliteOrder);
  });

  it('refuses other files and a chain that loops', () => {
    expect(() => readBdbPackages(Buffer.alloc(4096))).toThrow(RpmFormatError);
    const looped = fixtureBytes(DATABASES.bdbBigEndian512);
    const pageSize = 512;
    // Page 1 is bucket 0's page: make it its own successor.
    looped.writeUInt32BE(1, pageSize + 16);
    expect(() => readBdbPackages(looped)).toThrow(/linked twice/);
  });

  it.each(FIXTURES)('fails cleanly on seeded mutations of %s', (path) => {
    const readable = fuzzReader(
      readBdbPackages,
      fixtureBytes(path),
      (error) => error instanceof RpmFormatError,
    );
    expect(readable).toBeGreaterThan(0);
  });
});
