/**
 * Image references, parsed and normalised exactly as Docker does (distribution/reference's
 * ParseNormalizedNamed): `alpine` is `docker.io/library/alpine:latest`.
 */
import { DrydockError, invalidReference } from '../model/errors.js';
import type { ImageReference } from '../model/image.js';
import { parseDigest } from '../source/digest.js';

/** The registry Docker assumes when a reference names none. */
export const DOCKER_HUB = 'docker.io';
/** Docker Hub's legacy name, which Docker rewrites to `docker.io` when parsing. */
const LEGACY_DOCKER_HUB = 'index.docker.io';
/** Every name Docker Hub answers to, for matching settings and credentials by host. */
const DOCKER_HUB_ALIASES = new Set([DOCKER_HUB, LEGACY_DOCKER_HUB, 'registry-1.docker.io']);
const OFFICIAL_NAMESPACE = 'library/';
const DEFAULT_TAG = 'latest';
const MAX_REPOSITORY_LENGTH = 255;

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DOMAIN_NAME =
  /^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*$/;
const IPV6_LITERAL = /^\[[a-fA-F0-9:]+\]$/;
const PORT = /^[0-9]+$/;
/** Docker refuses these as names: they are image IDs. */
const IMAGE_ID = /^[a-f0-9]{64}$/;

/**
 * Splits `host[:port]` (`[v6]:port` for IPv6) as Docker's reference grammar allows it;
 * undefined when it is not a valid registry host.
 */
export function parseRegistryHost(host: string): { hostname: string; port?: string } | undefined {
  const colon = host.lastIndexOf(':');
  const hasPort = colon > host.lastIndexOf(']');
  const hostname = hasPort ? host.slice(0, colon) : host;
  const port = hasPort ? host.slice(colon + 1) : undefined;
  if (!DOMAIN_NAME.test(hostname) && !IPV6_LITERAL.test(hostname)) return undefined;
  if (port === undefined) return { hostname };
  return PORT.test(port) ? { hostname, port } : undefined;
}

/** The key a registry is looked up by in settings and credential files. */
export function canonicalRegistryHost(host: string): string {
  const lower = host.toLowerCase();
  return DOCKER_HUB_ALIASES.has(lower) ? DOCKER_HUB : lower;
}

/** Parses a reference the way `docker pull` does, filling in Docker Hub and `latest`. */
export function parseReference(text: string): ImageReference {
  if (text === '') throw invalidReference(text, 'it is empty');
  if (IMAGE_ID.test(text)) {
    throw invalidReference(text, 'a 64-character hex string is an image ID, not a repository');
  }
  const { name, tag, digest } = splitTagAndDigest(text);
  const { registry, repository } = splitRegistry(text, name);
  checkRepository(text, repository);
  const ref: ImageReference = { registry, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  if (tag === undefined && digest === undefined) ref.tag = DEFAULT_TAG;
  return ref;
}

/**
 * Checks a reference built in code rather than parsed (registry, repository, tag, digest) by
 * the same rules as parseReference; throws an invalid-reference error naming `text`.
 */
export function validateReference(ref: ImageReference, text = formatReference(ref)): void {
  if (parseRegistryHost(ref.registry) === undefined) {
    throw invalidReference(text, `registry host "${ref.registry}" is invalid`);
  }
  checkRepository(text, ref.repository);
  if (ref.tag !== undefined) checkTag(text, ref.tag);
  if (ref.digest !== undefined) checkDigest(text, ref.digest);
}

/** `docker.io/library/alpine:latest`, with `@digest` when one is set. */
export function formatReference(ref: ImageReference): string {
  return withTagAndDigest(repositoryName(ref), ref);
}

/** The short form Docker prints: `alpine:latest`, `user/app:1`, `ghcr.io/x/y@sha256:…`. */
export function familiarName(ref: ImageReference): string {
  return withTagAndDigest(familiarRepository(ref), ref);
}

/** `registry/repository`, e.g. `docker.io/library/alpine`. */
export function repositoryName(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}`;
}

function withTagAndDigest(name: string, ref: ImageReference): string {
  const tag = ref.tag === undefined ? '' : `:${ref.tag}`;
  const digest = ref.digest === undefined ? '' : `@${ref.digest}`;
  return name + tag + digest;
}

function familiarRepository(ref: ImageReference): string {
  if (ref.registry !== DOCKER_HUB) return repositoryName(ref);
  const official = ref.repository.startsWith(OFFICIAL_NAMESPACE)
    ? ref.repository.slice(OFFICIAL_NAMESPACE.length)
    : undefined;
  // Only single-level names under library/ are official images (`library/a/b` stays as is).
  return official !== undefined && !official.includes('/') ? official : ref.repository;
}

/** `name[:tag][@digest]`: the tag is after the last `:` that follows the last `/`. */
function splitTagAndDigest(text: string): { name: string; tag?: string; digest?: string } {
  const at = text.indexOf('@');
  const digest = at < 0 ? undefined : text.slice(at + 1);
  const rest = at < 0 ? text : text.slice(0, at);
  if (digest !== undefined) checkDigest(text, digest);
  const colon = rest.lastIndexOf(':');
  const tag = colon > rest.lastIndexOf('/') ? rest.slice(colon + 1) : undefined;
  const name = tag === undefined ? rest : rest.slice(0, colon);
  if (tag !== undefined) checkTag(text, tag);
  if (name === '') throw invalidReference(text, 'the repository name is empty');
  return { name, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

function checkTag(text: string, tag: string): void {
  if (tag === '') throw invalidReference(text, 'the tag after ":" is empty');
  if (!TAG.test(tag)) {
    throw invalidReference(
      text,
      `tag "${tag}" is invalid: a tag is up to 128 letters, digits, "_", "." and "-", not starting with "." or "-"`,
    );
  }
}

function checkDigest(text: string, digest: string): void {
  if (digest === '') throw invalidReference(text, 'the digest after "@" is empty');
  try {
    parseDigest(digest);
  } catch (e) {
    if (e instanceof DrydockError) throw invalidReference(text, e.message);
    throw e;
  }
  // parseDigest tolerates uppercase hex; Docker (go-digest) does not.
  if (digest !== digest.toLowerCase()) {
    throw invalidReference(text, `digest "${digest}" must be lowercase hex`);
  }
}

/**
 * Docker's splitDockerDomain: the first component is a registry only if it could not be a
 * repository path (it has `.` or `:`, is `localhost`, or has uppercase letters).
 */
function splitRegistry(text: string, name: string): { registry: string; repository: string } {
  const slash = name.indexOf('/');
  if (slash < 0) return { registry: DOCKER_HUB, repository: OFFICIAL_NAMESPACE + name };
  const first = name.slice(0, slash);
  if (!looksLikeRegistry(first)) return { registry: DOCKER_HUB, repository: name };
  if (parseRegistryHost(first) === undefined) {
    throw invalidReference(
      text,
      `registry host "${first}" is invalid: use a DNS name, an IPv4 address or [IPv6] address, and an optional :port`,
    );
  }
  const registry = first === LEGACY_DOCKER_HUB ? DOCKER_HUB : first;
  const path = name.slice(slash + 1);
  const official = registry === DOCKER_HUB && !path.includes('/');
  return { registry, repository: official ? OFFICIAL_NAMESPACE + path : path };
}

function looksLikeRegistry(component: string): boolean {
  return (
    component === 'localhost' ||
    component.includes('.') ||
    component.includes(':') ||
    component !== component.toLowerCase()
  );
}

function checkRepository(text: string, repository: string): void {
  if (repository !== repository.toLowerCase()) {
    throw invalidReference(text, `repository name "${repository}" must be lowercase`);
  }
  for (const component of repository.split('/')) {
    if (component === '') {
      throw invalidReference(
        text,
        `repository name "${repository}" has an empty path component (a "//" or a trailing "/")`,
      );
    }
    if (!PATH_COMPONENT.test(component)) {
      throw invalidReference(
        text,
        `path component "${component}" is invalid: use lowercase letters and digits, separated by ".", "_", "__" or "-"`,
      );
    }
  }
  if (repository.length > MAX_REPOSITORY_LENGTH) {
    throw invalidReference(
      text,
      `the repository name is ${repository.length} characters long; at most ${MAX_REPOSITORY_LENGTH} are allowed`,
    );
  }
}
