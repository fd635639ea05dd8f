/**
 * The interface every package cataloger implements. A cataloger declares the collectors that
 * keep what it needs while layers stream, then reads their values from the squashed tree.
 */
import type {
  Distro,
  FileCollector,
  FileEntry,
  Package,
  PackageLocation,
  PackageType,
} from '../model/index.js';
import type { FileTree } from '../source/squash.js';

export interface Cataloger {
  /** Stable name, used to pick catalogers: `dpkg`, `npm` … */
  readonly name: string;
  /** `os` catalogers read package databases; `language` ones read ecosystem manifests. */
  readonly kind: 'os' | 'language';
  readonly collectors: readonly FileCollector[];
  /** Packages found, in any order; `id` and ownership are filled in afterwards. */
  catalog(context: CatalogContext): FoundPackage[];
}

/** A package as a cataloger reports it; the runner assigns `id` and `ownedBy`. */
export type FoundPackage = Omit<Package, 'id' | 'ownedBy'>;

export interface CatalogContext {
  tree: FileTree;
  /** The distribution, when one was detected (catalogers use it for PURL qualifiers and CPEs). */
  distro?: Distro;
  /** Something the user should know that did not stop cataloguing (a malformed record …). */
  warn(message: string): void;
}

/** Where `path` is in the tree: the layer that last wrote it. */
export function locationOf(tree: FileTree, path: string): PackageLocation {
  const entry: FileEntry | undefined = tree.get(path);
  return {
    path,
    layerDigest: entry?.layerDigest ?? '',
    layerIndex: entry?.layerIndex ?? -1,
  };
}

/** The `id` of a package: stable for the same image content. */
export function packageId(pkg: {
  type: PackageType;
  name: string;
  version: string;
  locations: readonly PackageLocation[];
}): string {
  return `${pkg.type}:${pkg.name}@${pkg.version}:${pkg.locations[0]?.path ?? ''}`;
}
