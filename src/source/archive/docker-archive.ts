/**
 * Docker archives (`docker save`, `skopeo copy … docker-archive:`): a tar with `manifest.json`
 * (`[{Config, RepoTags, Layers}]`), the config JSON and one member per layer — `<id>/layer.tar`
 * in old `docker save` (often symlinks for shared layers), `<hex>.tar` from skopeo,
 * `blobs/sha256/<hex>` from Docker 25+, which also writes an OCI `index.json` beside it.
 *
 * How layers are verified. A docker archive has no manifest digests: the only anchor is the
 * config (its digest is the image ID), whose `rootfs.diff_ids` are the sha256 of each layer's
 * *uncompressed* tar. So, by looking at each layer member's first bytes when resolving:
 * - uncompressed member (the usual case): its digest is its diff_id; it is verified against the
 *   diff_id while it streams, at no extra cost.
 * - compressed member stored as `blobs/<alg>/<hex>`: the name is its content digest (OCI
 *   layout rule); it is verified against that while it streams.
 * - compressed member with any other name (hand-made archives): no digest is recorded anywhere,
 *   so the member is hashed once at resolve time to give it a digest for caching, and verified
 *   against that when read (catching a file changed in between).
 * Either way a compressed member's digest is tied to nothing the config vouches for (a name is
 * only a name): its link to the image is the diff_id, which only the decompressed stream can
 * check, so such layers carry `verifyDiffId`.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { DrydockError, limitExceeded } from '../../model/index.js';
import type {
  Digest,
  ImageSource,
  LayerDescriptor,
  Limits,
  SourceImage,
} from '../../model/index.js';
import { digestOf, verifyBuffer } from '../digest.js';
import { detectCompression, MAGIC_BYTES } from '../layers/decompress.js';
import {
  MAX_LAYERS,
  diffIdsFor,
  isStringArray,
  malformed,
  parseImageConfig,
  parseJsonDocument,
  verifiedStream,
} from '../manifest.js';
import { tarLayoutFiles } from './oci-archive.js';
import { openLayoutSource, sameImageName, sourceName, type SourceOptions } from './oci-layout.js';
import { TarIndex, tarIndexLimits, type TarMember } from './tar-index.js';

interface ArchiveEntry {
  Config: string;
  RepoTags: string[];
  Layers: string[];
}

export const DOCKER_LAYER_TAR = 'application/vnd.docker.image.rootfs.diff.tar';
const DOCKER_LAYER_TAR_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';

function parseEntry(raw: unknown, i: number, what: string): ArchiveEntry {
  const entry = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const { Config, RepoTags, Layers } = entry;
  if (typeof Config !== 'string' || !isStringArray(Layers)) {
    throw malformed(what, `image ${i}`, 'needs "Config" and "Layers"', 'archive');
  }
  if (Layers.length > MAX_LAYERS)
    throw limitExceeded(`${what}: image ${i}`, `${MAX_LAYERS} layers`);
  if (RepoTags !== undefined && RepoTags !== null && !isStringArray(RepoTags)) {
    throw malformed(what, `image ${i}`, 'has invalid "RepoTags"', 'archive');
  }
  return { Config, Layers, RepoTags: RepoTags ?? [] };
}

function parseManifestJson(what: string, bytes: Buffer): ArchiveEntry[] {
  const value = parseJsonDocument(bytes, what, 'archive');
  if (!Array.isArray(value))
    throw malformed(what, 'the document', 'is not a list of images', 'archive');
  return value.map((raw: unknown, i) => parseEntry(raw, i, what));
}

/** By RepoTags entry, `@N` (position, as skopeo accepts), or the only image. */
function pickEntry(name: string, entries: ArchiveEntry[], selector?: string): ArchiveEntry {
  const available =
    entries.map((e, i) => (e.RepoTags.length ? e.RepoTags.join(', ') : `@${i}`)).join(', ') ||
    'none';
  if (selector === undefined) {
    const [only, ...others] = entries;
    if (only && others.length === 0) return only;
    if (!only) throw new DrydockError('not-found', `${name} holds no images`);
    throw new DrydockError(
      'invalid-argument',
      `${name} holds ${entries.length} images (${available}); name one with ${name}:<repo:tag or @N>`,
    );
  }
  const position = /^@(\d+)$/.exec(selector)?.[1];
  const found =
    position !== undefined
      ? entries[Number(position)]
      : entries.find((e) => e.RepoTags.some((tag) => sameImageName(tag, selector)));
  if (found) return found;
  throw new DrydockError(
    'not-found',
    `${name} has no image "${selector}" (it holds: ${available})`,
  );
}

/** `blobs/sha256/<hex>` names a blob by its digest; other names promise nothing. */
function digestInName(memberName: string): Digest | undefined {
  const hex = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(memberName)?.[1];
  return hex ? `sha256:${hex}` : undefined;
}

/** Config members are named by their sha256: `<hex>.json` (old) or `blobs/sha256/<hex>`. */
function configDigestInName(memberName: string): Digest | undefined {
  const hex = /^([a-f0-9]{64})\.json$/.exec(memberName)?.[1];
  return hex ? `sha256:${hex}` : digestInName(memberName);
}

async function hashMember(tar: TarIndex, member: TarMember): Promise<Digest> {
  const hash = createHash('sha256');
  for await (const chunk of await tar.openMember(member)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

class DockerArchiveReader {
  constructor(
    private readonly name: string,
    private readonly tar: TarIndex,
    private readonly limits: Limits,
  ) {}

  async entries(): Promise<ArchiveEntry[]> {
    const what = `${this.name}: manifest.json`;
    return parseManifestJson(
      what,
      await this.tar.readMember('manifest.json', this.limits.maxManifestBytes, 'manifest.json'),
    );
  }

  async image(entry: ArchiveEntry): Promise<SourceImage> {
    const configWhat = `${this.name}: config ${entry.Config}`;
    const configMember = this.tar.resolve(entry.Config);
    const rawConfig = await this.tar.readMember(
      configMember,
      this.limits.maxManifestBytes,
      'the config',
    );
    // A digest in the name is checked (hashing once); otherwise the bytes give the digest.
    const claimed = configDigestInName(configMember.name);
    if (claimed) verifyBuffer(configWhat, rawConfig, claimed);
    const configDigest = claimed ?? digestOf(rawConfig);
    const config = parseImageConfig(rawConfig, configWhat, 'archive');
    const diffIds = diffIdsFor(config, entry.Layers.length, configWhat, 'archive');
    const members = entry.Layers.map((path) => this.tar.resolve(path));
    const layers: LayerDescriptor[] = [];
    for (const [index, member] of members.entries()) {
      // diffIdsFor checked there is one per layer.
      layers.push(await this.layer(index, member, diffIds[index] as Digest));
    }
    return {
      name: this.name,
      configDigest,
      config,
      rawConfig,
      layers,
      openLayer: (layer, signal) => this.openLayer(members, layer, signal),
    };
  }

  /** See the comment at the top of the file for how each kind of member is given a digest. */
  private async layer(index: number, member: TarMember, diffId: Digest): Promise<LayerDescriptor> {
    const compression = detectCompression(await this.tar.readMemberHead(member, MAGIC_BYTES));
    const base = { index, size: member.size, diffId };
    if (compression === 'none') return { ...base, digest: diffId, mediaType: DOCKER_LAYER_TAR };
    // Compressions drydock does not read (xz, bzip2) are refused by name when the layer is read.
    const digest = digestInName(member.name) ?? (await hashMember(this.tar, member));
    const mediaType =
      compression === 'gzip'
        ? DOCKER_LAYER_TAR_GZIP
        : `application/vnd.oci.image.layer.v1.tar+${compression}`;
    return { ...base, digest, mediaType, verifyDiffId: true };
  }

  private async openLayer(
    members: TarMember[],
    layer: LayerDescriptor,
    signal?: AbortSignal,
  ): Promise<Readable> {
    signal?.throwIfAborted();
    const member = members[layer.index];
    if (!member || layer.digest === undefined) {
      throw new DrydockError('invalid-argument', `${this.name} has no layer ${layer.index}`);
    }
    const what = `${this.name}: layer ${layer.index} (${member.name})`;
    const stream = await this.tar.openMember(member);
    return verifiedStream(what, stream, layer.digest, member.size, signal);
  }
}

/**
 * `selector` is a RepoTags entry (`repo:tag`) or `@N`; with none, the archive must hold one image.
 * Archives with only an OCI `index.json` (no `manifest.json`) are read as OCI layouts. `indexed`
 * is the archive already indexed (with `options.limits`) by a caller that looked inside it.
 */
export function openDockerArchive(
  file: string,
  selector: string | undefined,
  options: SourceOptions,
  indexed?: TarIndex,
): ImageSource {
  const name = sourceName('docker-archive', file, selector);
  let index: Promise<TarIndex> | undefined = indexed && Promise.resolve(indexed);
  return {
    name,
    async resolve(platform, signal) {
      signal?.throwIfAborted();
      index ??= TarIndex.open(file, tarIndexLimits(options.limits));
      const tar = await index;
      if (!tar.has('manifest.json') && tar.has('index.json')) {
        const files = Promise.resolve(tarLayoutFiles(tar));
        return openLayoutSource(name, () => files, selector, options).resolve(platform, signal);
      }
      if (!tar.has('manifest.json')) {
        throw new DrydockError(
          'not-found',
          `${name} is not a docker archive: it has no manifest.json (make one with docker save)`,
        );
      }
      const reader = new DockerArchiveReader(name, tar, options.limits);
      return [await reader.image(pickEntry(name, await reader.entries(), selector))];
    },
    close: () => Promise.resolve(),
  };
}
