/**
 * A package loaded on first use rather than at start-up. Every drydock command loads every
 * module it imports before it does anything; a package only some images or some outputs need
 * (SQLite for rpmdbs, YAML for pnpm lockfiles, the CycloneDX library) should not cost the rest.
 * Synchronous, so parsers that run while a layer streams can use it.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

// require() cannot know the module's type: the caller states it, once, as T.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
export function lazyRequire<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(specifier) as T);
}
