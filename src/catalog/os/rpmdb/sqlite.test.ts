/** The sqlite reader on the rpmdb.sqlite that rpm 4.18 wrote (WAL mode, as rpm leaves it). */
import { describe, expect, it } from 'vitest';
import {
  DATABASES,
  expectedPackages,
  fixtureBytes,
  fuzzReader,
} from '../../../../test/fixtures/rpm/fixtures.js';
import { readRpmRecord, RpmFormatError } from '../rpm-header.js';
import { readSqlitePackages } from './sqlite.js';

describe('sqlite rpmdb', () => {
  it('opens rpm WAL-mode database from memory and lists what rpm lists', () => {
    const bytes = fixtureBytes(DATABASES.sqlite);
    expect([bytes[18], bytes[19]]).toEqual([2, 2]);
    const names = readSqlitePackages(bytes).map((blob) => readRpmRecord(blob).name);
    expect(names.sort()).toEqual(expectedPackages().map(([name]) => name));
  });

  it('refuses files that are not sqlite databases or have no Packages table', () => {
    expect(() => readSqlitePackages(Buffer.from('not a database'))).toThrow(/not a sqlite/);
    const header = fixtureBytes(DATABASES.sqlite).subarray(0, 100);
    expect(() => readSqlitePackages(Buffer.from(header))).toThrow(RpmFormatError);
  });

  it('fails cleanly on seeded mutations', () => {
    const bytes = fixtureBytes(DATABASES.sqlite);
    const readable = fuzzReader(readSqlitePackages, bytes, (e) => e instanceof RpmFormatError, 200);
    expect(readable).toBeGreaterThan(0);
  });
});
