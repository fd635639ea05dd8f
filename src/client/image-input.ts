/**
 * How anchore-cli reads the IMAGE argument: a digest (`sha256:…`, or a reference that ends in
 * `@sha256:…`), an image ID (64 hex digits), or a tag, which the engine resolves to the digest of
 * the image it names now.
 */
import type { EngineClient, ImageSelector } from './api-client.js';

/** anchore-cli's `discover_inputimage_format`, for commands that fetch the image record. */
export function imageSelector(input: string): ImageSelector {
  if (/^(?:sha256|local):[0-9a-fA-F]{64}/.test(input)) return { digest: input };
  if (/^[0-9a-fA-F]{64}/.test(input)) return { imageId: input };
  return { tag: input };
}

export interface DiscoveredImage {
  /** Whether the input was a tag (or an image ID the engine knows), for `evaluate check`. */
  kind: 'digest' | 'tag' | 'imageid';
  /** Undefined when nothing could be found. */
  digest?: string;
}

const DIGEST_IN_INPUT = /^(?:.*@)?(sha256:.*)/;
const DIGEST_OR_LOCAL = /^(?:.*@)?(?:sha256|local):/;

/**
 * anchore-cli's `discover_inputimage`: the digest the input carries, else the engine's current
 * image for it as a tag. Any failure to look it up means "no digest", as there.
 */
export async function discoverImage(client: EngineClient, input: string): Promise<DiscoveredImage> {
  const written = DIGEST_IN_INPUT.exec(input)?.[1];
  if (written !== undefined) return { kind: 'digest', digest: written };
  const unquoted = unquotePlus(input);
  if (DIGEST_OR_LOCAL.test(unquoted)) return { kind: 'digest', digest: unquoted };
  try {
    const result = await client.getImage({ tag: input });
    if (!result.success) return { kind: 'tag' };
    const [image] = result.payload as {
      imageDigest: string;
      image_detail?: { imageId?: string }[];
    }[];
    if (image === undefined) return { kind: 'tag' };
    const byId = (image.image_detail ?? []).some((detail) => detail.imageId === input);
    return { kind: byId ? 'imageid' : 'tag', digest: image.imageDigest };
  } catch {
    return { kind: 'tag' };
  }
}

/** Python's `unquote_plus`: `+` is a space, `%XX` a byte; bad escapes stay as they are. */
function unquotePlus(text: string): string {
  const spaced = text.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}
