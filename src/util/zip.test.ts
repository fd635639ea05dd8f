import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mutate } from '../../test/harness/mutate.js';
import { seededRandom } from '../../test/harness/random.js';
import {
  directoryReadStart,
  END_SEARCH_BYTES,
  inflateEntry,
  localDataOffset,
  oversizedReason,
  readCentralDirectory,
  ZipError,
  type ZipCentralEntry,
  type ZipDirectoryLimits,
} from './zip.js';

const work = mkdtempSync(join(tmpdir(), 'drydock-util-zip-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const LIMITS: ZipDirectoryLimits = {
  maxEntries: 100_000,
  maxNameBytes: 4096,
  maxDirectoryBytes: 16 * 1024 ** 2,
};

type PythonZip = 'basic.zip' | 'zip64.zip' | 'prefixed.zip';

/** Archives by Python's zipfile: plain, zip64 everywhere, and behind a launcher script. */
function pythonZips(): Record<PythonZip, Buffer> {
  const dir = join(work, 'python');
  mkdirSync(dir);
  execFileSync('python3', [
    join(import.meta.dirname, '../../test/fixtures/java/make_zips.py'),
    dir,
  ]);
  const read = (name: PythonZip): Buffer => readFileSync(join(dir, name));
  return {
    'basic.zip': read('basic.zip'),
    'zip64.zip': read('zip64.zip'),
    'prefixed.zip': read('prefixed.zip'),
  };
}

/** An Info-ZIP archive whose directory (3000 entries) lies beyond END_SEARCH_BYTES of its end. */
function manyEntryZip(): Buffer {
  const dir = join(work, 'many');
  mkdirSync(dir);
  for (let i = 0; i < 3000; i++)
    writeFileSync(join(dir, `record-${String(i).padStart(5, '0')}.json`), `{"n":${i}}`);
  execFileSync('zip', ['-q', '-r', join(work, 'many.zip'), '.'], { cwd: dir });
  return readFileSync(join(work, 'many.zip'));
}

/** Info-ZIP's traditional encryption (`zip -P`). */
function encryptedZip(): Buffer {
  const dir = join(work, 'secret');
  mkdirSync(dir);
  writeFileSync(join(dir, 'secret.txt'), 'hidden');
  execFileSync('zip', ['-q', '-P', 'password', join(work, 'secret.zip'), 'secret.txt'], {
    cwd: dir,
  });
  return readFileSync(join(work, 'secret.zip'));
}

const archives = { ...pythonZips(), 'many.zip': manyEntryZip() };

/**
 * What a reader of a file does: start from the tail at `tailOffset`, read further back while
 * asked to, then parse. Also counts the rounds, which must stay few.
 */
function readFromTail(
  data: Buffer,
  tailOffset: number,
): { entries: ZipCentralEntry[]; rounds: number } {
  let offset = tailOffset;
  let rounds = 0;
  for (
    let from = directoryReadStart(data.subarray(offset), offset, LIMITS);
    from < offset;
    from = directoryReadStart(data.subarray(offset), offset, LIMITS)
  ) {
    expect(from).toBeGreaterThanOrEqual(0);
    offset = from;
    rounds += 1;
  }
  return { entries: readCentralDirectory(data.subarray(offset), offset, LIMITS), rounds };
}

describe('readCentralDirectory from a tail', () => {
  it.each(['basic.zip', 'zip64.zip', 'prefixed.zip', 'many.zip'] as const)(
    '%s: every tail that holds the end records gives the whole-archive directory',
    (name) => {
      const data = archives[name];
      const whole = readCentralDirectory(data, 0, LIMITS);
      expect(whole.length).toBeGreaterThan(0);
      const random = seededRandom(name.length);
      const lastUseful = data.lastIndexOf(Buffer.from('PK\u0005\u0006')) - 20;
      const offsets = [0, lastUseful, Math.max(0, data.length - END_SEARCH_BYTES)];
      for (let i = 0; i < 40; i++) offsets.push(random(lastUseful + 1));
      for (const offset of offsets) {
        const { entries, rounds } = readFromTail(data, offset);
        expect(entries).toEqual(whole);
        expect(rounds).toBeLessThanOrEqual(2);
      }
    },
  );

  it('asks for the zip64 end record, then the directory, when the tail starts at the locator', () => {
    const data = archives['zip64.zip'];
    const locator = data.lastIndexOf(Buffer.from('PK\u0006\u0007'));
    const record = data.lastIndexOf(Buffer.from('PK\u0006\u0006'));
    const directory = data.indexOf(Buffer.from('PK\u0001\u0002'));
    expect(directoryReadStart(data.subarray(locator), locator, LIMITS)).toBe(record);
    expect(directoryReadStart(data.subarray(record), record, LIMITS)).toBe(directory);
  });

  it('gives file offsets past a launcher script', () => {
    const plain = readCentralDirectory(archives['basic.zip'], 0, LIMITS);
    const prefixed = readCentralDirectory(archives['prefixed.zip'], 0, LIMITS);
    const prefix = archives['prefixed.zip'].length - archives['basic.zip'].length;
    expect(prefixed.map((e) => e.localHeaderOffset - prefix)).toEqual(
      plain.map((e) => e.localHeaderOffset),
    );
  });

  it('bounds the directory size before reading it', () => {
    const data = archives['many.zip'];
    const tailOffset = data.length - END_SEARCH_BYTES;
    const tail = data.subarray(tailOffset);
    expect(directoryReadStart(tail, tailOffset, LIMITS)).toBeLessThan(tailOffset);
    expect(() =>
      directoryReadStart(tail, tailOffset, {
        ...LIMITS,
        maxDirectoryBytes: 100_000,
      }),
    ).toThrow(/central directory of \d+ bytes, over the limit of 100000/);
  });

  it('reads every entry of an Info-ZIP archive as `unzip -Z1` lists it', () => {
    const names = execFileSync('unzip', ['-Z1', join(work, 'many.zip')])
      .toString()
      .trim()
      .split('\n');
    expect(readCentralDirectory(archives['many.zip'], 0, LIMITS).map((e) => e.name)).toEqual(names);
  });
});

describe('entries', () => {
  it('inflates an entry found through its local header', () => {
    const data = archives['many.zip'];
    const entry = readCentralDirectory(data, 0, LIMITS).find((e) => e.name === 'record-00042.json');
    if (entry === undefined) throw new Error('no record-00042.json');
    const start = localDataOffset(data.subarray(entry.localHeaderOffset), entry);
    const raw = data.subarray(start, start + entry.compressedSize);
    expect(inflateEntry(raw, entry).toString()).toBe('{"n":42}');
  });

  it('refuses an encrypted entry (zip -P) by name', () => {
    const [entry] = readCentralDirectory(encryptedZip(), 0, LIMITS);
    if (entry === undefined) throw new Error('no entry');
    expect(() => oversizedReason(entry, 1024)).toThrow(/secret.txt is encrypted/);
  });

  it('calls an entry oversized when its compressed size could not come from the limit', () => {
    const [entry] = readCentralDirectory(archives['basic.zip'], 0, LIMITS);
    if (entry === undefined) throw new Error('no entry');
    const lying = { ...entry, flags: 0, uncompressedSize: 10, compressedSize: 1 << 20 };
    expect(oversizedReason(lying, 1024)).toMatch(/over the limit of 1024/);
    expect(oversizedReason({ ...lying, compressedSize: 12 }, 1024)).toBeUndefined();
  });

  it('says when a local header is missing', () => {
    const [entry] = readCentralDirectory(archives['basic.zip'], 0, LIMITS);
    if (entry === undefined) throw new Error('no entry');
    expect(() => localDataOffset(Buffer.alloc(30), entry)).toThrow(/no local header at offset/);
  });
});

describe('tail reading fuzz', () => {
  const seeds = Array.from({ length: 300 }, (_, i) => i + 1);
  const sources: PythonZip[] = ['basic.zip', 'zip64.zip', 'prefixed.zip'];

  it.each(seeds)('mutated archive and tail, seed %i: a ZipError or few rounds', (seed) => {
    const random = seededRandom(seed);
    const data = mutate(archives[sources[random(sources.length)] ?? 'basic.zip'], random, 'PK');
    try {
      const { rounds } = readFromTail(data, random(data.length + 1));
      expect(rounds).toBeLessThanOrEqual(3);
    } catch (error) {
      expect(error).toBeInstanceOf(ZipError);
    }
  });
});
