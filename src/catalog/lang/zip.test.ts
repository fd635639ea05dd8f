import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../../test/harness/random.js';
import { ZipError } from '../../util/zip.js';
import { listZipEntries, readZipEntry, type ZipEntry } from './zip.js';

/** Archives written by Python's zipfile, and Python's own reading of them (the oracle). */
interface PythonEntry {
  name: string;
  method: number;
  size: number;
  crc: number;
  content: string | null;
}

const dir = mkdtempSync(join(tmpdir(), 'drydock-zip-'));
const described = JSON.parse(
  execFileSync('python3', [
    join(import.meta.dirname, '../../../test/fixtures/java/make_zips.py'),
    dir,
  ]).toString(),
) as Record<string, PythonEntry[]>;
const archive = (name: string): Buffer => readFileSync(join(dir, name));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function entry(data: Buffer, name: string): ZipEntry {
  const found = listZipEntries(data).find((e) => e.name === name);
  if (found === undefined) throw new Error(`no ${name}`);
  return found;
}

describe('listZipEntries and readZipEntry', () => {
  it.each(['basic.zip', 'zip64.zip', 'prefixed.zip'])('read %s as Python zipfile does', (name) => {
    const data = archive(name);
    const entries = listZipEntries(data);
    expect(entries.map((e) => [e.name, e.method, e.uncompressedSize, e.crc32])).toEqual(
      (described[name] ?? []).map((e) => [e.name, e.method, e.size, e.crc]),
    );
    expect(entries.map((e) => readZipEntry(data, e, 1 << 20).toString('hex'))).toEqual(
      (described[name] ?? []).map((e) => e.content),
    );
  });

  it('refuses methods other than stored and deflate by name', () => {
    const data = archive('bzip2.zip');
    expect(() => readZipEntry(data, entry(data, 'squeezed.txt'), 1 << 20)).toThrow(
      /compression method 12; only stored and deflate/,
    );
  });

  it('refuses an entry over the byte limit before inflating it', () => {
    const data = archive('basic.zip');
    expect(() => readZipEntry(data, entry(data, 'deflated.bin'), 1000)).toThrow(
      /16384 bytes, over the limit of 1000/,
    );
  });

  it('catches an entry that inflates past its declared size (a lying bomb)', () => {
    const data = archive('basic.zip');
    const lying = { ...entry(data, 'deflated.bin'), uncompressedSize: 100 };
    expect(() => readZipEntry(data, lying, 1 << 20)).toThrow(/does not inflate to its declared/);
  });

  it('checks the CRC', () => {
    const data = Buffer.from(archive('basic.zip'));
    const stored = entry(data, 'stored.txt');
    data.writeUInt8(data.readUInt8(stored.dataOffset) ^ 0xff, stored.dataOffset);
    expect(() => readZipEntry(data, stored, 1 << 20)).toThrow(/fails its CRC check/);
  });

  it('refuses entries that share bytes (the overlapping-entry zip bomb)', () => {
    const data = archive('basic.zip');
    const overlapping = withDuplicateCentralEntry(data);
    expect(() => listZipEntries(overlapping)).toThrow(/overlaps .*possible zip bomb/);
  });

  it('bounds the entry count and name length', () => {
    const data = archive('basic.zip');
    expect(() => listZipEntries(data, { maxEntries: 3 })).toThrow(/6 entries, over the limit/);
    expect(() => listZipEntries(data, { maxNameBytes: 10 })).toThrow(/name of \d+ bytes/);
  });

  it('says when the bytes are not a zip at all', () => {
    expect(() => listZipEntries(Buffer.from('just text'))).toThrow(/not a zip archive/);
  });
});

describe('zip reader fuzz', () => {
  const seeds = Array.from({ length: 300 }, (_, i) => i + 1);

  it.each(seeds)('mutated archive, seed %i: entries or a ZipError, nothing else', (seed) => {
    const random = seededRandom(seed);
    const sources = ['basic.zip', 'zip64.zip', 'prefixed.zip', 'bzip2.zip'];
    const data = mutate(archive(sources[random(sources.length)] ?? ''), random);
    let entries: ZipEntry[] = [];
    try {
      entries = listZipEntries(data);
    } catch (error) {
      expect(error).toBeInstanceOf(ZipError);
    }
    for (const e of entries) {
      try {
        expect(readZipEntry(data, e, 64 * 1024).length).toBeLessThanOrEqual(64 * 1024);
      } catch (error) {
        expect(error).toBeInstanceOf(ZipError);
      }
    }
  });
});

/**
 * Byte flips, concentrated on the central directory and end record where the sizes and offsets
 * live, plus truncation and huge size fields.
 */
function mutate(source: Buffer, random: (n: number) => number): Buffer {
  let data = Buffer.from(source);
  const tail = Math.max(0, data.length - 160);
  for (let i = random(8) + 1; i > 0; i--) {
    const at = random(3) === 0 ? random(data.length) : tail + random(data.length - tail);
    const kind = random(3);
    if (kind === 0) data[at] = random(256);
    else if (kind === 1 && at + 4 <= data.length) data.writeUInt32LE(0xffffffff, at);
    else if (at + 2 <= data.length) data.writeUInt16LE(0xffff, at);
  }
  if (random(5) === 0) data = data.subarray(0, random(data.length));
  return data;
}

/** The archive with its first file's central entry listed twice (pointing at the same bytes). */
function withDuplicateCentralEntry(data: Buffer): Buffer {
  const eocd = data.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const cdSize = data.readUInt32LE(eocd + 12);
  const cdOffset = data.readUInt32LE(eocd + 16);
  const first = cdOffset;
  const firstLength =
    46 +
    data.readUInt16LE(first + 28) +
    data.readUInt16LE(first + 30) +
    data.readUInt16LE(first + 32);
  const duplicate = data.subarray(first, first + firstLength);
  const end = Buffer.from(data.subarray(eocd));
  end.writeUInt16LE(end.readUInt16LE(8) + 1, 8);
  end.writeUInt16LE(end.readUInt16LE(10) + 1, 10);
  end.writeUInt32LE(cdSize + firstLength, 12);
  return Buffer.concat([data.subarray(0, cdOffset + cdSize), duplicate, end]);
}
