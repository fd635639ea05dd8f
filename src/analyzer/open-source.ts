/**
 * Turns what the user typed into an ImageSource: a registry reference, an archive or layout with
 * an optional image selector, a root filesystem directory, or a bare path whose kind is detected.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ConnectionOverrides,
  type DrydockConfig,
  applyMirror,
  connectionFor,
} from '../config/config.js';
import { DrydockError } from '../model/index.js';
import type { CredentialStore, ImageSource, Limits } from '../model/index.js';
import { parseReference } from '../reference/reference.js';
import { openDockerArchive } from '../source/archive/docker-archive.js';
import { openOciArchive } from '../source/archive/oci-archive.js';
import { openOciLayout } from '../source/archive/oci-layout.js';
import { TarIndex, tarIndexLimits } from '../source/archive/tar-index.js';
import { openDirectory } from '../source/dir.js';
import {
  chainStores,
  defaultDockerConfigPath,
  dockerConfigStore,
  envStore,
  staticStore,
} from '../source/registry/credentials.js';

export type ArchiveKind = 'docker-archive' | 'oci-dir' | 'oci-archive';

export type SourceSpec =
  | { kind: 'registry'; reference: string }
  | { kind: ArchiveKind; path: string; selector?: string }
  | { kind: 'dir'; path: string }
  /** A bare file: a docker or OCI archive, told apart by peeking into the tar. */
  | { kind: 'archive-file'; path: string };

export interface SourceOptions {
  config: DrydockConfig;
  /** `--username` with `--password` or `--password-stdin`: for the image's registry only. */
  login?: { username: string; password: string };
  /** `--registry-auth-file`: a Docker config.json or a (Codeship) dockercfg. */
  authFile?: string;
  /** Where DOCKER_CONFIG, HOME and DRYDOCK_REGISTRY_* are read. Default process.env. */
  env?: Record<string, string | undefined>;
  /** `--insecure-registry`, `--insecure-skip-tls-verify`, `--ca-file`. */
  connection?: ConnectionOverrides;
  requestTimeoutMs?: number;
  userAgent?: string;
}

const TRANSPORTS: Record<string, ArchiveKind | 'dir' | 'registry'> = {
  'docker-archive:': 'docker-archive',
  'oci-dir:': 'oci-dir',
  'oci:': 'oci-dir',
  'oci-archive:': 'oci-archive',
  'dir:': 'dir',
  'registry:': 'registry',
  'docker://': 'registry',
};

/** Paths are looked up through this, so tests can describe a file system without making one. */
export type PathKind = (path: string) => 'file' | 'dir' | undefined;

export const localPathKind: PathKind = (path) => {
  try {
    const stats = statSync(path);
    return stats.isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
};

export function parseSourceSpec(spec: string, pathKind: PathKind = localPathKind): SourceSpec {
  if (spec === '') throw new DrydockError('invalid-argument', 'the image source is empty');
  for (const [prefix, kind] of Object.entries(TRANSPORTS)) {
    if (!spec.startsWith(prefix)) continue;
    const rest = spec.slice(prefix.length);
    if (rest === '') {
      throw new DrydockError(
        'invalid-argument',
        `"${spec}" names no ${kind === 'registry' ? 'image' : 'path'}`,
      );
    }
    if (kind === 'registry') return { kind, reference: rest };
    if (kind === 'dir') {
      if (!pathKind(rest)) throw missing(prefix, rest);
      return { kind, path: rest };
    }
    return { kind, ...splitSelector(prefix, rest, pathKind) };
  }
  return detectBarePath(spec, pathKind) ?? { kind: 'registry', reference: spec };
}

/**
 * `oci-dir:/x/y:tag`, `docker-archive:/x.tar:repo:tag`: paths and selectors may both hold `:`,
 * so the longest prefix that exists on disk is the path and what follows is the selector.
 */
function splitSelector(
  prefix: string,
  rest: string,
  pathKind: PathKind,
): { path: string; selector?: string } {
  if (pathKind(rest)) return { path: rest };
  for (let colon = rest.lastIndexOf(':'); colon > 0; colon = rest.lastIndexOf(':', colon - 1)) {
    const path = rest.slice(0, colon);
    if (pathKind(path)) return { path, selector: rest.slice(colon + 1) };
  }
  throw missing(prefix, rest);
}

function missing(prefix: string, rest: string): DrydockError {
  const hint = rest.includes(':') ? ' (nor does any part of it before a ":")' : '';
  return new DrydockError('not-found', `${prefix}${rest}: ${rest} does not exist${hint}`);
}

/** A path that exists wins over a reference; one that only looks like a path is an error. */
function detectBarePath(spec: string, pathKind: PathKind): SourceSpec | undefined {
  const kind = pathKind(spec);
  if (kind === 'dir') {
    return pathKind(join(spec, 'oci-layout')) === 'file'
      ? { kind: 'oci-dir', path: spec }
      : { kind: 'dir', path: spec };
  }
  if (kind === 'file') return { kind: 'archive-file', path: spec };
  if (/^(?:\.{0,2}\/|~)|\.tar$/.test(spec)) {
    throw new DrydockError(
      'not-found',
      `${spec} does not exist; name an existing archive or directory, or an image reference`,
    );
  }
  return undefined;
}

/** Opens the source `spec` names; the registry client (and its HTTP stack) loads only when used. */
export async function openSource(spec: string, options: SourceOptions): Promise<ImageSource> {
  const parsed = parseSourceSpec(spec);
  const { limits } = options.config;
  switch (parsed.kind) {
    case 'registry':
      return openRegistry(parsed.reference, options);
    case 'docker-archive':
      return openDockerArchive(parsed.path, parsed.selector, { limits });
    case 'oci-dir':
      return openOciLayout(parsed.path, parsed.selector, { limits });
    case 'oci-archive':
      return openOciArchive(parsed.path, parsed.selector, { limits });
    case 'dir':
      return openDirectory(parsed.path, { limits });
    case 'archive-file':
      return detectedArchive(parsed.path, limits);
  }
}

function openRegistry(text: string, options: SourceOptions): Promise<ImageSource> {
  return openRegistryImage(text, options, (registry) => credentialsFor(registry, options));
}

/**
 * A registry image pulled through the config's mirrors, with the credentials `credentials`
 * gives for the registry it is actually pulled from (the engine passes an account's registries).
 */
export async function openRegistryImage(
  text: string,
  options: Pick<SourceOptions, 'config' | 'connection' | 'requestTimeoutMs' | 'userAgent'>,
  credentials: (registry: string) => CredentialStore,
): Promise<ImageSource> {
  const { config } = options;
  const { pullFrom } = applyMirror(config, parseReference(text));
  const { RegistrySource } = await import('../source/registry/registry-source.js');
  return new RegistrySource(pullFrom, {
    credentials: credentials(pullFrom.registry),
    connection: connectionFor(config, pullFrom.registry, options.connection),
    limits: config.limits,
    requestTimeoutMs: options.requestTimeoutMs,
    userAgent: options.userAgent,
  });
}

/**
 * Flags first (for the registry the image comes from, so they never go to another host), then
 * the environment, then the Docker config (the named auth file, else DOCKER_CONFIG or ~/.docker).
 */
function credentialsFor(registry: string, options: SourceOptions): CredentialStore {
  const env = options.env ?? process.env;
  const flags = options.login ? [staticStore(registry, { kind: 'basic', ...options.login })] : [];
  const dockerConfig = options.authFile
    ? dockerConfigStore(options.authFile, { required: true })
    : dockerConfigStore(defaultDockerConfigPath(env));
  return chainStores(...flags, envStore(env, registry), dockerConfig);
}

/**
 * A file named without a transport: `docker save` output has a manifest.json, an OCI archive an
 * oci-layout file. Detection reads the tar's headers, so it waits for the first resolve; the
 * index it makes (with the user's limits) is the one the archive is then read through.
 */
function detectedArchive(file: string, limits: Limits): ImageSource {
  let opened: Promise<ImageSource> | undefined;
  const open = (): Promise<ImageSource> =>
    (opened ??= TarIndex.open(file, tarIndexLimits(limits)).then((index) => {
      if (index.has('manifest.json')) return openDockerArchive(file, undefined, { limits }, index);
      if (index.has('oci-layout')) return openOciArchive(file, undefined, { limits }, index);
      throw new DrydockError(
        'invalid-argument',
        `${file} is a tar file but not an image archive (no manifest.json or oci-layout); make one with docker save or skopeo copy`,
      );
    }));
  return {
    name: file,
    resolve: async (platform, signal) => (await open()).resolve(platform, signal),
    async close() {
      const source = await opened?.catch(() => undefined);
      await source?.close();
    },
  };
}
