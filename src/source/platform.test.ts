import { describe, expect, it } from 'vitest';
import type { Descriptor, Platform } from '../model/index.js';
import { DEFAULT_PLATFORM, formatPlatform, parsePlatform, selectManifests } from './platform.js';

const INDEX = 'image x/app:v1';

let next = 0;
function manifest(platform?: Platform, annotations?: Record<string, string>): Descriptor {
  const digest = `sha256:${(++next).toString(16).padStart(64, '0')}`;
  return {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest,
    size: 100,
    ...(platform && { platform }),
    ...(annotations && { annotations }),
  };
}

const amd64 = manifest({ os: 'linux', architecture: 'amd64' });
const arm64 = manifest({ os: 'linux', architecture: 'arm64' });
const armV7 = manifest({ os: 'linux', architecture: 'arm', variant: 'v7' });
const attestation = manifest(
  { os: 'unknown', architecture: 'unknown' },
  { 'vnd.docker.reference.type': 'attestation-manifest' },
);

describe('parsePlatform', () => {
  it.each([
    ['linux/amd64', { os: 'linux', architecture: 'amd64' }],
    ['linux/arm64/v8', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['all', 'all'],
  ])('%s', (text, expected) => {
    expect(parsePlatform(text)).toStrictEqual(expected);
  });

  it.each(['', 'linux', 'linux/', '/amd64', 'linux/arm/', 'linux/arm/v7/x', 'ALL'])(
    'rejects "%s"',
    (text) => {
      expect(() => parsePlatform(text)).toThrow(
        expect.objectContaining({
          code: 'invalid-argument',
          message: expect.stringContaining(`invalid platform "${text}"`) as string,
        }),
      );
    },
  );

  it('formats what it parses', () => {
    expect(formatPlatform(parsePlatform('linux/arm/v7') as Platform)).toBe('linux/arm/v7');
  });
});

describe('selectManifests', () => {
  it('picks the default platform, skipping attestations', () => {
    expect(selectManifests(INDEX, [attestation, arm64, amd64], DEFAULT_PLATFORM)).toEqual([amd64]);
  });

  it('treats arm64/v8 and arm64 without a variant as the same, and no other variants', () => {
    expect(selectManifests(INDEX, [amd64, arm64], parsePlatform('linux/arm64/v8'))).toEqual([
      arm64,
    ]);
    // A selector without a variant takes any variant.
    expect(selectManifests(INDEX, [armV7], parsePlatform('linux/arm'))).toEqual([armV7]);
    expect(() => selectManifests(INDEX, [armV7], parsePlatform('linux/arm/v6'))).toThrow(
      'has no image for platform linux/arm/v6 (it offers: linux/arm/v7)',
    );
  });

  it('never selects an attestation, even by its unknown/unknown platform', () => {
    expect(() =>
      selectManifests(INDEX, [attestation, amd64], parsePlatform('unknown/unknown')),
    ).toThrow('(it offers: linux/amd64)');
  });

  it('selects every image with "all", but no attestations', () => {
    expect(selectManifests(INDEX, [amd64, attestation, armV7], 'all')).toEqual([amd64, armV7]);
  });

  it.each([
    ['an empty index', []],
    ['an index of attestations only', [attestation]],
  ])('refuses %s with "all" rather than report nothing', (_name, manifests) => {
    expect(() => selectManifests(INDEX, manifests, 'all')).toThrow(
      expect.objectContaining({
        code: 'not-found',
        message: `${INDEX} has no image for any platform`,
      }),
    );
  });

  it('names what the index offers when nothing matches', () => {
    expect(() =>
      selectManifests(INDEX, [amd64, attestation], parsePlatform('linux/s390x')),
    ).toThrow(
      expect.objectContaining({
        code: 'not-found',
        message: `${INDEX} has no image for platform linux/s390x (it offers: linux/amd64); choose one with --platform`,
      }),
    );
    expect(() => selectManifests(INDEX, [], DEFAULT_PLATFORM)).toThrow('(it offers: none)');
  });
});
