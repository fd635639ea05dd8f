import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { digestOf } from './digest.js';
import {
  MEDIA_TYPES,
  checkSize,
  diffIdsFor,
  interpretManifest,
  parseImageConfig,
  readManifestJson,
  sourceImage,
  verifiedStream,
  type ImageManifest,
} from './manifest.js';

const D = digestOf('x');
const desc = (extra: object = {}) => ({ mediaType: 'a/b', digest: D, size: 1, ...extra });
const configDesc = (extra: object = {}) => desc({ mediaType: MEDIA_TYPES.ociConfig, ...extra });
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const escaped = (text: string) => text.replace(/[.[\]()]/g, '\\$&');

describe('readManifestJson', () => {
  it.each([
    [MEDIA_TYPES.dockerSchema1Signed, {}],
    [`${MEDIA_TYPES.dockerSchema1}; charset=utf-8`, {}],
    ['application/json', { schemaVersion: 1, fsLayers: [] }],
    [undefined, { schemaVersion: 1 }],
  ])('refuses schema 1 (%s)', (declaredType, body) => {
    expect(() => readManifestJson(json(body), declaredType, 'image r/x:1')).toThrow(
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
  const image = { schemaVersion: 2, config: configDesc(), layers: [desc(), desc()] };
  const index = {
    schemaVersion: 2,
    manifests: [desc({ platform: { os: 'linux', architecture: 'arm64' } })],
  };

  it('reads images and indexes by media type, declared type or shape', () => {
    expect(
      interpretManifest(
        { ...image, mediaType: MEDIA_TYPES.dockerManifest },
        undefined,
        'm',
        'registry',
      ),
    ).toMatchObject({ kind: 'image', mediaType: MEDIA_TYPES.dockerManifest, layers: [{}, {}] });
    expect(
      interpretManifest(index, `${MEDIA_TYPES.dockerList}; x=y`, 'm', 'registry'),
    ).toMatchObject({ kind: 'index', mediaType: MEDIA_TYPES.dockerList });
    expect(interpretManifest(image, undefined, 'm', 'archive')).toMatchObject({
      kind: 'image',
      mediaType: MEDIA_TYPES.ociManifest,
    });
    expect(interpretManifest(index, undefined, 'm', 'archive')).toMatchObject({
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
    expect(() => interpretManifest(doc, undefined, 'm', 'registry')).toThrow(
      expect.objectContaining({ code: 'unsupported' }),
    );
  });

  it('refuses an image whose config is not an image config (an OCI artifact)', () => {
    const helm = {
      ...image,
      config: desc({ mediaType: 'application/vnd.cncf.helm.config.v1+json' }),
    };
    expect(() => interpretManifest(helm, undefined, 'image r/chart:1', 'registry')).toThrow(
      expect.objectContaining({
        code: 'unsupported',
        message:
          'image r/chart:1 is not a container image: its config has media type "application/vnd.cncf.helm.config.v1+json"',
      }),
    );
  });

  it.each([
    ['a non-object', undefined, 'the document is not a JSON object'],
    ['layers that are not a list', { ...image, layers: {} }, 'layers is not a list'],
    ['a bad digest', { ...image, layers: [desc({ digest: 'sha256:zz' })] }, 'layers[0].digest'],
    ['a negative size', { ...image, config: configDesc({ size: -1 }) }, 'config.size'],
    ['a fractional size', { ...image, layers: [desc({ size: 1.5 })] }, 'layers[0].size'],
    ['a missing media type', { ...image, layers: [{ digest: D, size: 1 }] }, 'layers[0].mediaType'],
    ['a config that is no descriptor', { ...image, config: {} }, 'config.mediaType'],
    ['urls that are not strings', { ...image, layers: [desc({ urls: [1] })] }, 'layers[0].urls'],
    [
      'a platform without architecture',
      { ...index, manifests: [desc({ platform: { os: 'linux' } })] },
      'manifests[0].platform',
    ],
    [
      'bad annotations',
      { ...image, layers: [desc({ annotations: { a: 1 } })] },
      'layers[0].annotations',
    ],
  ])('refuses %s, naming the field', (_name, doc, where) => {
    expect(() => interpretManifest(doc, undefined, 'manifest of x', 'registry')).toThrow(
      expect.objectContaining({
        code: 'registry-error',
        message: expect.stringMatching(
          new RegExp(
            `^manifest of x is malformed: ${escaped(where)}.*; the registry serves a broken document$`,
          ),
        ) as string,
      }),
    );
  });

  it('blames the image files, not a registry, for a broken archive document', () => {
    expect(() => interpretManifest({ ...image, layers: {} }, undefined, 'f', 'archive')).toThrow(
      expect.objectContaining({
        code: 'invalid-argument',
        message:
          'f is malformed: layers is not a list; the image files are damaged; write them again (docker save, skopeo copy)',
      }),
    );
  });

  it('bounds the number of layers and index entries', () => {
    const layers = { ...image, layers: Array.from({ length: 1001 }, () => desc()) };
    const manifests = { ...index, manifests: Array.from({ length: 1001 }, () => desc()) };
    for (const doc of [layers, manifests]) {
      expect(() => interpretManifest(doc, undefined, 'm', 'archive')).toThrow(
        expect.objectContaining({ code: 'limit-exceeded' }),
      );
    }
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
    expect(parseImageConfig(json(good), 'config', 'registry')).toEqual(good);
  });

  it.each([
    ['not JSON', Buffer.from('{'), 'the document is not JSON ('],
    ['an array', json([good]), 'the document is not a JSON object'],
    ['Env as a string', json({ ...good, config: { Env: 'A=1' } }), 'config.Env'],
    ['Labels with numbers', json({ ...good, config: { Labels: { a: 1 } } }), 'config.Labels'],
    ['Volumes of strings', json({ ...good, config: { Volumes: { '/v': 'x' } } }), 'config.Volumes'],
    ['bad diff_ids', json({ ...good, rootfs: { diff_ids: ['nope'] } }), 'rootfs.diff_ids'],
    ['rootfs without diff_ids', json({ ...good, rootfs: {} }), 'rootfs.diff_ids'],
    ['history of strings', json({ ...good, history: ['x'] }), 'history[0]'],
    ['history as an object', json({ ...good, history: {} }), 'history is not a list'],
    ['numeric os', json({ ...good, os: 5 }), 'os'],
    [
      'Healthcheck with a string interval',
      json({ ...good, config: { Healthcheck: { Interval: '5s' } } }),
      'config.Healthcheck.Interval',
    ],
  ])('refuses %s', (_name, bytes, where) => {
    expect(() => parseImageConfig(bytes, 'config of x', 'registry')).toThrow(
      expect.objectContaining({
        code: 'registry-error',
        message: expect.stringMatching(
          new RegExp(`^config of x is malformed: ${escaped(where)}`),
        ) as string,
      }),
    );
  });
});

describe('diffIdsFor', () => {
  const config = { rootfs: { type: 'layers', diff_ids: [D, D] } };

  it("returns the config's diff_ids when there is one per layer", () => {
    expect(diffIdsFor(config, 2, 'config c', 'archive')).toEqual([D, D]);
    expect(diffIdsFor({}, 0, 'config c', 'archive')).toEqual([]);
  });

  it.each([1, 3])('refuses a config that disagrees with %i manifest layers', (layers) => {
    expect(() => diffIdsFor(config, layers, 'config c', 'registry')).toThrow(
      expect.objectContaining({
        code: 'registry-error',
        message: expect.stringContaining(
          `config c is malformed: rootfs.diff_ids lists 2 layers but the manifest has ${layers}`,
        ) as string,
      }),
    );
  });
});

describe('sourceImage', () => {
  const layerTypes = [
    'application/vnd.oci.image.layer.v1.tar+gzip',
    'application/vnd.oci.image.layer.v1.tar',
  ];
  const diffIds = [digestOf('tar 0'), digestOf('tar 1')];
  const manifest: ImageManifest = {
    kind: 'image',
    mediaType: MEDIA_TYPES.dockerManifest,
    config: configDesc(),
    layers: layerTypes.map((mediaType, i) => ({
      mediaType,
      digest: digestOf(`blob ${i}`),
      size: 10 + i,
    })),
  };
  const rawConfig = json({ os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds } });
  const parts = {
    name: 'r/app:1',
    manifestDigest: digestOf('manifest'),
    rawManifest: Buffer.from('manifest'),
    manifest,
    indexDigest: digestOf('index'),
    rawConfig,
    configWhat: 'config of r/app:1',
    origin: 'registry' as const,
    openLayer: () => Promise.resolve(Readable.from([])),
  };

  it('pairs each manifest layer with its diff_id', () => {
    expect(sourceImage(parts)).toEqual({
      name: 'r/app:1',
      manifestDigest: parts.manifestDigest,
      manifestMediaType: MEDIA_TYPES.dockerManifest,
      rawManifest: parts.rawManifest,
      indexDigest: parts.indexDigest,
      configDigest: D,
      config: { os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds } },
      rawConfig,
      layers: manifest.layers.map((l, index) => ({
        index,
        digest: l.digest,
        diffId: diffIds[index],
        mediaType: layerTypes[index],
        size: 10 + index,
      })),
      openLayer: parts.openLayer,
    });
  });

  it('refuses a config with fewer diff_ids than the manifest has layers', () => {
    const short = json({ rootfs: { type: 'layers', diff_ids: diffIds.slice(1) } });
    expect(() => sourceImage({ ...parts, rawConfig: short })).toThrow(
      /^config of r\/app:1 is malformed: rootfs.diff_ids lists 1 layers but the manifest has 2/,
    );
  });
});

describe('checkSize', () => {
  it('passes the claimed size and refuses any other', () => {
    expect(() => {
      checkSize('config c', Buffer.from('abc'), 3, 'the manifest');
    }).not.toThrow();
    expect(() => {
      checkSize('config c', Buffer.from('abc'), 4, 'the manifest');
    }).toThrow(
      expect.objectContaining({
        code: 'digest-mismatch',
        message: 'config c: 3 bytes, but the manifest says 4',
      }),
    );
  });
});

describe('verifiedStream', () => {
  const blob = Buffer.from('layer bytes');

  it('passes matching bytes through', async () => {
    const stream = verifiedStream('layer 0', Readable.from([blob]), digestOf(blob), blob.length);
    expect(await buffer(stream)).toEqual(blob);
  });

  it('fails at the end when the digest or the size differs', async () => {
    const wrongDigest = verifiedStream('layer 0', Readable.from([blob]), D);
    await expect(buffer(wrongDigest)).rejects.toMatchObject({ code: 'digest-mismatch' });
    const wrongSize = verifiedStream('layer 0', Readable.from([blob]), digestOf(blob), 3);
    await expect(buffer(wrongSize)).rejects.toMatchObject({ code: 'digest-mismatch' });
  });

  it('carries errors of the blob stream', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('disk gone'));
      },
    });
    await expect(buffer(verifiedStream('layer 0', failing, D))).rejects.toThrow('disk gone');
  });

  it('closes the blob when the signal aborts', async () => {
    const source = new Readable({ read: () => undefined });
    const controller = new AbortController();
    const stream = verifiedStream('layer 0', source, D, undefined, controller.signal);
    controller.abort();
    await expect(buffer(stream)).rejects.toMatchObject({ name: 'AbortError' });
    expect(source.destroyed).toBe(true);
  });
});
