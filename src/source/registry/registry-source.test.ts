import { describe, expect, it } from 'vitest';
import { digestOf } from '../digest.js';
import {
  MEDIA_TYPES,
  RegistrySource,
  formatReference,
  interpretManifest,
  parseImageConfig,
  readManifestJson,
} from './registry-source.js';

const D = digestOf('x');
const desc = (extra: object = {}) => ({ mediaType: 'a/b', digest: D, size: 1, ...extra });
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('readManifestJson', () => {
  it.each([
    ['application/vnd.docker.distribution.manifest.v1+prettyjws', {}],
    ['application/vnd.docker.distribution.manifest.v1+json; charset=utf-8', {}],
    ['application/json', { schemaVersion: 1, fsLayers: [] }],
    [undefined, { schemaVersion: 1 }],
  ])('refuses schema 1 (%s)', (contentType, body) => {
    expect(() => readManifestJson(json(body), contentType, 'image r/x:1')).toThrow(
      expect.objectContaining({
        code: 'unsupported',
        message:
          'image r/x:1 uses Docker image manifest schema 1, which drydock does not support; push it again with a current Docker or skopeo',
      }),
    );
  });

  it('returns the JSON of other manifests, or undefined for non-JSON', () => {
    expect(readManifestJson(json({ schemaVersion: 2 }), MEDIA_TYPES.ociManifest, 'm')).toEqual({
      schemaVersion: 2,
    });
    expect(readManifestJson(Buffer.from('<html>'), 'text/html', 'm')).toBeUndefined();
  });
});

describe('interpretManifest', () => {
  const image = { schemaVersion: 2, config: desc(), layers: [desc(), desc()] };
  const index = {
    schemaVersion: 2,
    manifests: [desc({ platform: { os: 'linux', architecture: 'arm64' } })],
  };

  it('reads images and indexes by media type, header or shape', () => {
    expect(
      interpretManifest({ ...image, mediaType: MEDIA_TYPES.dockerManifest }, undefined, 'm'),
    ).toMatchObject({ kind: 'image', mediaType: MEDIA_TYPES.dockerManifest, layers: [{}, {}] });
    expect(interpretManifest(index, `${MEDIA_TYPES.dockerList}; x=y`, 'm')).toMatchObject({
      kind: 'index',
      mediaType: MEDIA_TYPES.dockerList,
    });
    expect(interpretManifest(image, undefined, 'm')).toMatchObject({
      kind: 'image',
      mediaType: MEDIA_TYPES.ociManifest,
    });
    expect(interpretManifest(index, undefined, 'm')).toMatchObject({
      kind: 'index',
      mediaType: MEDIA_TYPES.ociIndex,
    });
  });

  it.each([
    [
      'an artifact manifest',
      { ...image, mediaType: 'application/vnd.oci.artifact.manifest.v1+json' },
    ],
    ['another schema version', { ...image, schemaVersion: 3 }],
    ['an unknown document', { schemaVersion: 2 }],
  ])('refuses %s as unsupported', (_name, doc) => {
    expect(() => interpretManifest(doc, undefined, 'm')).toThrow(
      expect.objectContaining({ code: 'unsupported' }),
    );
  });

  it.each([
    ['a non-object', undefined, 'the document is not a JSON object'],
    ['layers that are not a list', { ...image, layers: {} }, 'layers is not a list'],
    ['a bad digest', { ...image, layers: [desc({ digest: 'sha256:zz' })] }, 'layers[0].digest'],
    ['a negative size', { ...image, config: desc({ size: -1 }) }, 'config.size'],
    ['a fractional size', { ...image, layers: [desc({ size: 1.5 })] }, 'layers[0].size'],
    ['a missing media type', { ...image, layers: [{ digest: D, size: 1 }] }, 'layers[0].mediaType'],
    [
      'a platform without architecture',
      { ...index, manifests: [desc({ platform: { os: 'linux' } })] },
      'manifests[0].platform',
    ],
    ['bad annotations', { ...image, layers: [desc({ annotations: { a: 1 } })] }, 'annotations'],
  ])('refuses %s', (_name, doc, where) => {
    expect(() => interpretManifest(doc, undefined, 'manifest of x')).toThrow(
      expect.objectContaining({ message: expect.stringContaining(where) as string }),
    );
  });

  it('bounds the number of layers', () => {
    const many = { ...image, layers: Array.from({ length: 1001 }, () => desc()) };
    expect(() => interpretManifest(many, undefined, 'm')).toThrow(
      expect.objectContaining({ code: 'limit-exceeded' }),
    );
  });
});

describe('parseImageConfig', () => {
  const good = {
    architecture: 'amd64',
    os: 'linux',
    config: { Env: ['A=1'], Cmd: null, Labels: null, ExposedPorts: { '80/tcp': {} } },
    rootfs: { type: 'layers', diff_ids: [D] },
    history: [{ created_by: 'RUN x', empty_layer: true }],
    container_config: { Hostname: 'kept as is' },
  };

  it('accepts a well-formed config and keeps unknown fields', () => {
    expect(parseImageConfig(json(good), 'config')).toEqual(good);
  });

  it.each([
    ['not JSON', Buffer.from('{'), 'the document is not JSON'],
    ['Env as a string', json({ ...good, config: { Env: 'A=1' } }), 'config.Env'],
    ['Labels with numbers', json({ ...good, config: { Labels: { a: 1 } } }), 'config.Labels'],
    ['bad diff_ids', json({ ...good, rootfs: { diff_ids: ['nope'] } }), 'rootfs.diff_ids'],
    ['history of strings', json({ ...good, history: ['x'] }), 'history[0]'],
    ['numeric os', json({ ...good, os: 5 }), 'os'],
    [
      'Healthcheck with a string interval',
      json({ ...good, config: { Healthcheck: { Interval: '5s' } } }),
      'config.Healthcheck.Interval',
    ],
  ])('refuses %s', (_name, bytes, where) => {
    expect(() => parseImageConfig(bytes, 'config of x')).toThrow(
      expect.objectContaining({
        code: 'registry-error',
        message: expect.stringMatching(
          new RegExp(`^config of x is malformed: ${where.replace(/[.[\]]/g, '\\$&')}`),
        ) as string,
      }),
    );
  });
});

describe('references', () => {
  it.each([
    [
      { registry: 'docker.io', repository: 'library/alpine', tag: '3.19' },
      'docker.io/library/alpine:3.19',
    ],
    [{ registry: 'r:5000', repository: 'a/b', digest: D }, `r:5000/a/b@${D}`],
    [{ registry: 'r', repository: 'a', tag: 't', digest: D }, `r/a:t@${D}`],
  ])('formats %j', (ref, expected) => {
    expect(formatReference(ref)).toBe(expected);
  });

  it.each([
    { registry: 'r', repository: 'Upper', tag: 't' },
    { registry: 'r', repository: '../x', tag: 't' },
    { registry: 'r', repository: 'a?b', tag: 't' },
    { registry: 'r', repository: 'a', tag: '-bad' },
    { registry: 'r', repository: 'a', tag: 'a/b' },
  ])('refuses %j before any request', (ref) => {
    expect(() => new RegistrySource(ref)).toThrow(
      expect.objectContaining({ code: 'invalid-reference' }),
    );
  });
});

describe('RegistrySource', () => {
  it('can be closed twice', async () => {
    const source = new RegistrySource({ registry: 'r.test', repository: 'a', tag: 't' });
    await source.close();
    await expect(source.close()).resolves.toBeUndefined();
  });
});
