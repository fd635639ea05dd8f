import { describe, expect, it } from 'vitest';
import type { ImageMetadata } from '../model/index.js';
import { duration, inspectJson, inspectText } from './inspect-report.js';

const LAYER_DIGEST = `sha256:${'4a'.repeat(32)}`;

function metadata(overrides: Partial<ImageMetadata> = {}): ImageMetadata {
  return {
    source: 'docker.io/library/nginx:1.25',
    registry: 'docker.io',
    repository: 'library/nginx',
    tag: '1.25',
    manifestDigest: `sha256:${'d'.repeat(64)}`,
    imageId: `sha256:${'c'.repeat(64)}`,
    architecture: 'arm64',
    os: 'linux',
    variant: 'v8',
    created: '2024-05-20T07:21:20Z',
    size: 12_345_678,
    uncompressedSize: 45_678_901,
    layerCount: 1,
    layers: [
      {
        index: 0,
        digest: LAYER_DIGEST,
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        size: 12_345_678,
        uncompressedSize: 45_678_901,
        entryCount: 1234,
        createdBy: `RUN apt-get update && apt-get install -y ${'package '.repeat(20)}`,
      },
    ],
    config: {
      User: 'nginx',
      Env: ['PATH=/usr/bin', 'NGINX_VERSION=1.25.0'],
      ExposedPorts: { '80/tcp': {}, '443/tcp': {} },
      Cmd: ['nginx', '-g', 'daemon off;'],
      WorkingDir: '/srv',
      Labels: { maintainer: 'NGINX <docker-maint@nginx.com>' },
      Volumes: { '/var/cache/nginx': {} },
      StopSignal: 'SIGQUIT',
      Healthcheck: {
        Test: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'],
        Interval: 30e9,
        Timeout: 3e9,
        Retries: 3,
      },
    },
    history: [],
    dockerfile: { text: 'FROM scratch\nCMD ["nginx"]\n', origin: 'reconstructed' },
    ...overrides,
  };
}

describe('inspectJson', () => {
  it('prints one image as an object and several as an array', () => {
    const one = JSON.parse(inspectJson([metadata()], false)) as ImageMetadata;
    expect(one).toEqual(metadata());
    const many = JSON.parse(
      inspectJson([metadata(), metadata({ architecture: 'amd64' })], true),
    ) as ImageMetadata[];
    expect(many).toHaveLength(2);
  });

  it('prints a one-image array when asked for an array (--platform all on a single image)', () => {
    expect(JSON.parse(inspectJson([metadata()], true))).toEqual([metadata()]);
  });
});

describe('inspectText', () => {
  const text = inspectText([metadata()]);

  it('summarises the image', () => {
    expect(text).toMatch(new RegExp(`^Digest: +sha256:${'d'.repeat(64)}$`, 'm'));
    expect(text).toMatch(new RegExp(`^Image ID: +sha256:${'c'.repeat(64)}$`, 'm'));
    expect(text).toMatch(/^Platform: +linux\/arm64\/v8$/m);
    expect(text).toMatch(/^Size: +12\.3 MB \(45\.7 MB uncompressed\)$/m);
    expect(text).not.toContain('Index:');
  });

  it('lists layers with short digests and truncated steps', () => {
    expect(text).toContain('sha256:4a4a4a4a4a4a');
    expect(text).not.toContain(LAYER_DIGEST);
    expect(text).toMatch(/RUN apt-get update && apt-get install -y package .*…/);
    expect(text).toContain('1234');
  });

  it('shows the config', () => {
    expect(text).toContain('User:           nginx');
    expect(text).toContain('Env:            PATH=/usr/bin\n                NGINX_VERSION=1.25.0');
    expect(text).toContain('Exposed ports:  80/tcp\n                443/tcp');
    expect(text).toContain('Cmd:            ["nginx","-g","daemon off;"]');
    expect(text).toContain('Entrypoint:     -');
    expect(text).toContain('Labels:         maintainer=NGINX <docker-maint@nginx.com>');
    expect(text).toContain(
      'Healthcheck:    CMD-SHELL curl -f http://localhost/ || exit 1 (interval 30s, timeout 3s, retries 3)',
    );
    expect(text).toContain('Stop signal:    SIGQUIT');
  });

  it('ends with the Dockerfile and says where it came from', () => {
    expect(
      text.endsWith('DOCKERFILE (reconstructed from history)\nFROM scratch\nCMD ["nginx"]\n'),
    ).toBe(true);
    const supplied = inspectText([
      metadata({ dockerfile: { text: 'FROM nginx\n', origin: 'supplied' } }),
    ]);
    expect(supplied).toContain('DOCKERFILE (supplied)\nFROM nginx\n');
  });

  it('marks a user that is not set, since that means root', () => {
    expect(inspectText([metadata({ config: {} })])).toContain('User:           root (not set)');
  });

  it('never lets image text reach the terminal raw', () => {
    const hostile = metadata({
      config: { Env: ['X=\u001b]0;pwned\u0007'] },
      dockerfile: { text: 'RUN echo \u001b[2J\n', origin: 'reconstructed' },
    });
    const text = inspectText([hostile]);
    expect(text).not.toContain('\u001b');
    expect(text).not.toContain('\u0007');
    expect(text).toContain('X=\\u001b]0;pwned\\u0007');
  });

  it('joins a multi-line Env entry into one line, fast even on a megabyte of spaces', () => {
    const spaces = ' '.repeat(1024 * 1024);
    const text = inspectText([metadata({ config: { Env: [`A=x${spaces}\n${spaces}y`] } })]);
    expect(text).toContain('Env:            A=x y\n');
  });
});

describe('duration', () => {
  it.each([
    [30e9, '30s'],
    [90e9, '1m30s'],
    [3600e9, '1h0m0s'],
    [1.5e9, '1.5s'],
  ])('%d ns → %s', (ns, text) => {
    expect(duration(ns)).toBe(text);
  });
});
