/**
 * The user an image's processes run as. The image config's `User` is what the runtime uses, so it
 * is the authority: it already holds the last USER of every build stage that counts, the base
 * image's included, which a supplied Dockerfile does not show (nor does a stale one). Unset means
 * root.
 */
import type { ImageMetadata } from '../../model/index.js';

/** The config's `User` as written (`app`, `1000:1000`, `root:wheel`), or `root` when unset. */
export function effectiveUser(metadata: ImageMetadata): string {
  const user = metadata.config.User?.trim() ?? '';
  return user === '' ? 'root' : user;
}

/**
 * Whether two user specs name the same user: the part before any `:group` is compared, and uid 0
 * is root whatever /etc/passwd says, so `USER 0` does not slip past a rule naming root.
 */
export function sameUser(a: string, b: string): boolean {
  return userKey(a) === userKey(b);
}

function userKey(spec: string): string {
  const name = spec.trim().split(':', 1)[0] ?? '';
  return name === '0' ? 'root' : name;
}
