import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../test/harness/random.js';
import {
  BuildInfoSink,
  MAX_BUILDINFO_BYTES,
  parseModInfo,
  type GoBinaryValue,
} from './go-buildinfo.js';

/*
 * Real Go binaries are read in test/java-go.test.ts against `go version -m`. These tests use
 * small ELF files made here, laid out as the Go linker lays them out, to reach the cases a real
 * toolchain on this host cannot produce (big-endian 32-bit, the pre-1.18 format, a decoy magic).
 */

const MODINFO = [
  'path\texample.com/app/cmd/app',
  'mod\texample.com/app\t(devel)\t',
  'dep\tgolang.org/x/sys\tv0.15.0\th1:abc=',
  'dep\tgithub.com/old/lib\tv1.0.0\th1:def=',
  '=>\tgithub.com/new/lib\tv1.1.0\th1:ghi=',
  'dep\texample.com/local\tv0.0.0',
  '=>\t../local\t(devel)\t',
  'build\t-compiler=gc',
  'build\t-ldflags="-X main.v=1 -s -w"',
  'build\tGOARCH=amd64',
  '',
].join('\n');

const MARKER_START = Buffer.from('3077af0c9274080241e1c107e6d618e6', 'hex');
const MARKER_END = Buffer.from('f932433186182072008242104116d8f2', 'hex');

function uvarint(n: number): Buffer {
  const bytes: number[] = [];
  let rest = n;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

function buildInfoBlob(options: { inline?: boolean; modinfo?: string } = {}): Buffer {
  const header = Buffer.alloc(32);
  header.write('\xff Go buildinf:', 'latin1');
  header[14] = 8;
  header[15] = options.inline === false ? 0 : 2;
  if (options.inline === false) return header;
  const version = Buffer.from('go1.21.5');
  const mod = Buffer.concat([MARKER_START, Buffer.from(options.modinfo ?? MODINFO), MARKER_END]);
  return Buffer.concat([header, uvarint(version.length), version, uvarint(mod.length), mod]);
}

interface ElfOptions {
  is64?: boolean;
  bigEndian?: boolean;
  /** Bytes put in the read-only segment (a decoy magic goes here). */
  rodata?: Buffer;
  data: Buffer;
}

/** An ELF file: header, two program headers, a read-only segment, then a writable one. */
function elf(options: ElfOptions): Buffer {
  const is64 = options.is64 ?? true;
  const headerSize = is64 ? 64 : 52;
  const entrySize = is64 ? 56 : 32;
  const rodataOffset = 0x100;
  const rodata = options.rodata ?? Buffer.alloc(64, 0x41);
  const dataOffset = align(rodataOffset + rodata.length + 16, 16);
  const file = Buffer.alloc(dataOffset + 48 + options.data.length + 64);
  const put = writer(file, options.bigEndian === true);
  file.write('\x7fELF', 0, 'latin1');
  file[4] = is64 ? 2 : 1;
  file[5] = options.bigEndian === true ? 2 : 1;
  put(is64 ? 0x20 : 0x1c, headerSize, is64 ? 8 : 4);
  put(is64 ? 0x36 : 0x2a, entrySize, 2);
  put(is64 ? 0x38 : 0x2c, 2, 2);
  const segments = [
    { flags: 4, offset: rodataOffset, size: rodata.length },
    // 48 bytes of other data before the build info, as .data precedes .go.buildinfo.
    { flags: 6, offset: dataOffset, size: 48 + options.data.length },
  ];
  segments.forEach((segment, i) => {
    const at = headerSize + i * entrySize;
    put(at, 1, 4);
    if (is64) {
      put(at + 4, segment.flags, 4);
      put(at + 8, segment.offset, 8);
      put(at + 16, 0x400000 + segment.offset, 8);
      put(at + 32, segment.size, 8);
    } else {
      put(at + 4, segment.offset, 4);
      put(at + 8, 0x400000 + segment.offset, 4);
      put(at + 16, segment.size, 4);
      put(at + 24, segment.flags, 4);
    }
  });
  rodata.copy(file, rodataOffset);
  options.data.copy(file, dataOffset + 48);
  return file;
}

function writer(file: Buffer, bigEndian: boolean) {
  return (at: number, value: number, size: 2 | 4 | 8): void => {
    if (size === 8) {
      if (bigEndian) file.writeBigUInt64BE(BigInt(value), at);
      else file.writeBigUInt64LE(BigInt(value), at);
    } else if (bigEndian) file.writeUIntBE(value, at, size);
    else file.writeUIntLE(value, at, size);
  };
}

function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/** Streams `file` through a sink in chunks of the given sizes (cycled). */
function scan(file: Buffer, chunkSizes: readonly number[] = [65536]): GoBinaryValue | undefined {
  const sink = new BuildInfoSink(file.length);
  for (let at = 0, i = 0; at < file.length; i++) {
    const size = chunkSizes[i % chunkSizes.length] ?? 1;
    sink.write(file.subarray(at, at + size));
    at += size;
  }
  return sink.end();
}

const EXPECTED = {
  buildInfo: {
    goVersion: 'go1.21.5',
    path: 'example.com/app/cmd/app',
    main: { path: 'example.com/app', version: '(devel)' },
    deps: [
      { path: 'golang.org/x/sys', version: 'v0.15.0', sum: 'h1:abc=' },
      {
        path: 'github.com/old/lib',
        version: 'v1.0.0',
        sum: 'h1:def=',
        replace: { path: 'github.com/new/lib', version: 'v1.1.0', sum: 'h1:ghi=' },
      },
      {
        path: 'example.com/local',
        version: 'v0.0.0',
        replace: { path: '../local', version: '(devel)' },
      },
    ],
    settings: [
      ['-compiler', 'gc'],
      ['-ldflags', '-X main.v=1 -s -w'],
      ['GOARCH', 'amd64'],
    ],
  },
};

describe('BuildInfoSink', () => {
  it('reads the inline build info of a 64-bit little-endian ELF', () => {
    expect(scan(elf({ data: buildInfoBlob() }))).toEqual(EXPECTED);
  });

  it('reads 32-bit big-endian ELF files too', () => {
    expect(scan(elf({ data: buildInfoBlob(), is64: false, bigEndian: true }))).toEqual(EXPECTED);
  });

  it('finds the magic split across chunk boundaries at every position', () => {
    const file = elf({ data: buildInfoBlob() });
    for (const size of [1, 2, 3, 5, 7, 13, 14, 15, 16, 17, 31, 64, 100, 333])
      expect(scan(file, [size]), `chunks of ${size}`).toEqual(EXPECTED);
    expect(scan(file, [300, 1, 2, 5, 11])).toEqual(EXPECTED);
  });

  it('ignores a magic in read-only data and one off the 16-byte alignment', () => {
    const decoy = Buffer.concat([Buffer.alloc(16), buildInfoBlob({ modinfo: 'path\tdecoy\n' })]);
    const misaligned = Buffer.concat([
      Buffer.alloc(3),
      Buffer.from('\xff Go buildinf:', 'latin1'),
      Buffer.alloc(15),
      buildInfoBlob(),
    ]);
    expect(scan(elf({ rodata: decoy, data: misaligned }))).toEqual(EXPECTED);
  });

  it('reports the pre-1.18 pointer format as not read', () => {
    expect(scan(elf({ data: buildInfoBlob({ inline: false }) }))).toEqual({
      warning: expect.stringMatching(/pre-1\.18 pointer format/) as unknown,
    });
  });

  it('keeps nothing of ELF files without build info and of other files', () => {
    expect(scan(elf({ data: Buffer.alloc(100) }))).toBeUndefined();
    expect(scan(Buffer.from('#!/bin/sh\necho hello\n'.repeat(20)))).toBeUndefined();
  });

  it('reports build info that is cut off or over the size limit', () => {
    const blob = buildInfoBlob();
    const file = elf({ data: blob });
    const cut = file.subarray(0, file.length - 64 - 40);
    expect(scan(cut)).toEqual({ warning: 'Go build info is cut off' });
    const huge = Buffer.concat([blob.subarray(0, 32), uvarint(8), Buffer.from('go1.21.5')]);
    const claim = Buffer.concat([huge, uvarint(MAX_BUILDINFO_BYTES + 1)]);
    expect(scan(elf({ data: claim }))).toEqual({
      warning: expect.stringMatching(/longer than/) as unknown,
    });
  });
});

describe('parseModInfo', () => {
  it('reads a GOPATH-mode build (path, no modules) as Debian builds them', () => {
    expect(
      parseModInfo(
        'go1.19.8',
        'path\tgithub.com/containers/skopeo/cmd/skopeo\nbuild\tGOOS=linux\n',
      ),
    ).toEqual({
      goVersion: 'go1.19.8',
      path: 'github.com/containers/skopeo/cmd/skopeo',
      deps: [],
      settings: [['GOOS', 'linux']],
    });
  });
});

describe('build info fuzz', () => {
  const seeds = Array.from({ length: 200 }, (_, i) => i + 1);
  const file = elf({ data: buildInfoBlob() });
  const blobStart = file.indexOf(Buffer.from('\xff Go buildinf:', 'latin1'));

  it.each(seeds)('mutated ELF and build info, seed %i: a value or nothing, no throw', (seed) => {
    const random = seededRandom(seed);
    const mutated = Buffer.from(file);
    for (let i = random(10) + 1; i > 0; i--) {
      // Half the flips land in the ELF headers, half in the build info.
      const at = random(2) === 0 ? random(200) : blobStart + random(mutated.length - blobStart);
      mutated[at] = random(256);
    }
    const chunks = [random(64) + 1, random(4096) + 1];
    const value = scan(mutated, chunks);
    if (value !== undefined) expect('buildInfo' in value || 'warning' in value).toBe(true);
    if (value !== undefined && 'buildInfo' in value)
      expect(JSON.stringify(value).length).toBeLessThan(2 * MAX_BUILDINFO_BYTES);
  });

  it.each(seeds)('random bytes behind an ELF magic, seed %i', (seed) => {
    const random = seededRandom(seed);
    const bytes = Buffer.from(Array.from({ length: random(4096) + 8 }, () => random(256)));
    bytes.write('\x7fELF', 0, 'latin1');
    expect(() => scan(bytes, [random(100) + 1])).not.toThrow();
  });
});
