import { describe, expect, it } from 'vitest';
import type { FileEntry, ImageAnalysis, ImageMetadata } from '../model/index.js';
import { filesJson, filesText, modeString } from './files-report.js';

const LAYER = `sha256:${'1'.repeat(64)}`;
const SHA = 'ab'.repeat(32);

function file(path: string, overrides: Partial<FileEntry> = {}): FileEntry {
  return {
    path,
    type: 'file',
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: 10,
    sha256: SHA,
    layerDigest: LAYER,
    layerIndex: 0,
    ...overrides,
  };
}

const FILES: FileEntry[] = [
  file('/bin', { type: 'dir', mode: 0o755, size: 0, sha256: undefined }),
  file('/bin/sh', {
    type: 'symlink',
    mode: 0o777,
    size: 0,
    sha256: undefined,
    linkTarget: 'busybox',
  }),
  file('/bin/su', { mode: 0o4755, size: 51234, layerIndex: 2 }),
  file('/bin/su2', { type: 'hardlink', mode: 0o4755, linkTarget: '/bin/su', uid: 1000, gid: 50 }),
];

function analysis(files: FileEntry[], architecture = 'amd64'): ImageAnalysis {
  const metadata = {
    source: 'oci-dir:/x:v1',
    os: 'linux',
    architecture,
    manifestDigest: `sha256:${'9'.repeat(64)}`,
  } as ImageMetadata;
  return { metadata, files, warnings: [] };
}

describe('modeString', () => {
  it.each([
    ['file', 0o644, '-rw-r--r--'],
    ['file', 0o4755, '-rwsr-xr-x'],
    ['file', 0o4644, '-rwSr--r--'],
    ['file', 0o2755, '-rwxr-sr-x'],
    ['file', 0o2745, '-rwxr-Sr-x'],
    ['dir', 0o1777, 'drwxrwxrwt'],
    ['dir', 0o1776, 'drwxrwxrwT'],
    ['symlink', 0o777, 'lrwxrwxrwx'],
    ['char', 0o666, 'crw-rw-rw-'],
    ['block', 0o660, 'brw-rw----'],
    ['fifo', 0o600, 'prw-------'],
    ['hardlink', 0o755, '-rwxr-xr-x'],
  ] as const)('%s %o → %s', (type, mode, text) => {
    expect(modeString(type, mode)).toBe(text);
  });
});

describe('filesText', () => {
  it('lists mode, owner, size, layer, digest prefix and path with link targets', () => {
    expect(filesText([analysis(FILES)]).split('\n')).toEqual([
      'MODE        UID:GID   SIZE  LAYER  SHA256        PATH',
      'drwxr-xr-x  0:0          0      0  -             /bin',
      'lrwxrwxrwx  0:0          0      0  -             /bin/sh -> busybox',
      '-rwsr-xr-x  0:0      51234      2  abababababab  /bin/su',
      '-rwsr-xr-x  1000:50     10      0  abababababab  /bin/su2 link to /bin/su',
      '',
    ]);
  });

  it('adds an MD5 column when md5 was computed', () => {
    const [head, row] = filesText([analysis([file('/a', { md5: 'cd'.repeat(16) })])]).split('\n');
    expect(head).toContain('MD5');
    expect(row).toContain('cdcdcdcdcdcd');
  });

  it('heads each image when there are several', () => {
    const text = filesText([analysis(FILES), analysis(FILES.slice(0, 1), 'arm64')]);
    expect(text).toContain('# oci-dir:/x:v1 (linux/amd64)\nMODE');
    expect(text).toContain('# oci-dir:/x:v1 (linux/arm64)\nMODE');
  });

  it('escapes a platform from the image config in the heading', () => {
    const text = filesText([analysis(FILES), analysis(FILES, 'arm64\u001b[2J')]);
    expect(text).toContain('# oci-dir:/x:v1 (linux/arm64\\u001b[2J)\nMODE');
  });
});

describe('filesJson', () => {
  it('is the full entry list for one image', () => {
    const json = [...filesJson([analysis(FILES)], false)].join('');
    expect(JSON.parse(json)).toEqual(FILES);
  });

  it('is valid JSON for an image without files', () => {
    expect(JSON.parse([...filesJson([analysis([])], false)].join(''))).toEqual([]);
  });

  it('wraps each image with its source and platform when there are several', () => {
    const json = [...filesJson([analysis(FILES), analysis([], 'arm64')], true)].join('');
    expect(JSON.parse(json)).toEqual([
      {
        source: 'oci-dir:/x:v1',
        platform: 'linux/amd64',
        manifestDigest: `sha256:${'9'.repeat(64)}`,
        files: FILES,
      },
      {
        source: 'oci-dir:/x:v1',
        platform: 'linux/arm64',
        manifestDigest: `sha256:${'9'.repeat(64)}`,
        files: [],
      },
    ]);
  });

  it('yields one piece per file rather than one huge string', () => {
    expect([...filesJson([analysis(FILES)], false)].length).toBeGreaterThan(FILES.length);
  });
});
