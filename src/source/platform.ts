/** Parse platform selectors and pick manifests from an index the way Docker does. */
import { DrydockError } from '../model/index.js';
import type { Descriptor, Platform, PlatformSelector } from '../model/index.js';

export const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

/** `linux/amd64`, `linux/arm64/v8`, `linux/arm/v7`, or `all`. */
export function parsePlatform(text: string): PlatformSelector {
  if (text === 'all') return 'all';
  const parts = text.split('/');
  const [os, architecture, variant] = parts;
  if (parts.length < 2 || parts.length > 3 || !os || !architecture || variant === '') {
    throw new DrydockError(
      'invalid-argument',
      `invalid platform "${text}": expected os/arch[/variant] such as linux/amd64, or "all"`,
    );
  }
  return variant ? { os, architecture, variant } : { os, architecture };
}

export function formatPlatform(p: Platform): string {
  return p.variant ? `${p.os}/${p.architecture}/${p.variant}` : `${p.os}/${p.architecture}`;
}

/** arm64 images are often published without a variant, or as v8; treat those as the same. */
function variantMatches(wanted: Platform, offered: Platform): boolean {
  if (!wanted.variant) return true;
  if (offered.variant === wanted.variant) return true;
  return wanted.architecture === 'arm64' && wanted.variant === 'v8' && !offered.variant;
}

/**
 * Selects the manifests of an index that match; throws a clear error when none do (with `all`
 * too: an index of nothing but attestations is not an image to report as empty).
 */
export function selectManifests(
  indexName: string,
  manifests: Descriptor[],
  selector: PlatformSelector,
): Descriptor[] {
  // Attestation manifests (BuildKit) carry platform unknown/unknown: never an image to analyse.
  const images = manifests.filter(
    (m) =>
      m.platform?.os !== 'unknown' &&
      m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest',
  );
  if (selector === 'all') {
    if (images.length > 0) return images;
    throw new DrydockError('not-found', `${indexName} has no image for any platform`);
  }
  const match = images.find(
    (m) =>
      m.platform?.os === selector.os &&
      m.platform.architecture === selector.architecture &&
      variantMatches(selector, m.platform),
  );
  if (match) return [match];
  const offered = images
    .map((m) => (m.platform ? formatPlatform(m.platform) : 'unknown'))
    .join(', ');
  throw new DrydockError(
    'not-found',
    `${indexName} has no image for platform ${formatPlatform(selector)} (it offers: ${offered || 'none'}); choose one with --platform`,
  );
}
