/**
 * Runs the content analysis of one image: the distribution first (catalogers use it), then every
 * selected package cataloger, secrets and retained files; then ids, duplicates and ownership.
 */
import { DrydockError, OS_PACKAGE_TYPES } from '../model/index.js';
import type { FileCollector, ImageContent, Package } from '../model/index.js';
import type { FileTree } from '../source/squash.js';
import { packageId, type CatalogContext, type Cataloger, type FoundPackage } from './cataloger.js';
import { CATALOGERS } from './catalogers.js';
import { detectDistro, distroCollectors } from './distro.js';
import { retainedFileCollectors, retainedFiles } from './retained-files.js';
import { findSecrets, secretCollectors, type SecretScanOptions } from './secrets.js';

export interface ImageCatalogerOptions {
  /** Cataloger names or kinds (`os`, `language`) to run; default all. */
  select?: readonly string[];
  secrets?: SecretScanOptions | false;
  /** Paths whose content is kept for policy checks; default the usual account and sudo files. */
  retainedPaths?: readonly string[];
}

export class ImageCataloger {
  private readonly catalogers: readonly Cataloger[];
  /** What the layer reader must run for this analysis. */
  readonly collectors: readonly FileCollector[];

  constructor(options: ImageCatalogerOptions = {}) {
    this.catalogers = selectCatalogers(options.select);
    this.collectors = [
      ...distroCollectors,
      ...this.catalogers.flatMap((c) => c.collectors),
      ...(options.secrets === false ? [] : secretCollectors(options.secrets)),
      ...retainedFileCollectors(options.retainedPaths),
    ];
  }

  catalog(tree: FileTree): { content: ImageContent; warnings: string[] } {
    const warnings: string[] = [];
    const distro = detectDistro(tree);
    const packages: Package[] = [];
    for (const cataloger of this.catalogers) {
      const context: CatalogContext = {
        tree,
        distro,
        warn: (message) => warnings.push(`${cataloger.name}: ${message}`),
      };
      for (const found of catalogGuarded(cataloger, context))
        packages.push({ ...found, id: packageId(found) });
    }
    const content: ImageContent = {
      distro,
      packages: linkOwners(dedupe(packages)),
      // Without the secret collector (secrets: false) nothing was kept, so nothing is found.
      secrets: findSecrets(tree),
      retainedFiles: retainedFiles(tree),
    };
    return { content, warnings };
  }
}

/**
 * A cataloger's packages; if it throws (a bug meeting input it did not expect), its packages are
 * lost with a warning rather than the whole analysis, as a collector that throws loses one file.
 */
function catalogGuarded(cataloger: Cataloger, context: CatalogContext): FoundPackage[] {
  try {
    return cataloger.catalog(context);
  } catch (error) {
    context.warn(`failed, its packages are not listed: ${errorMessage(error)}`);
    return [];
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function selectCatalogers(select: readonly string[] | undefined): readonly Cataloger[] {
  if (select === undefined || select.length === 0) return CATALOGERS;
  const known = new Set(CATALOGERS.flatMap((c) => [c.name, c.kind]));
  const unknown = select.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new DrydockError(
      'invalid-argument',
      `unknown cataloger ${unknown.join(', ')}; choose from ${[...known].sort().join(', ')}`,
    );
  }
  return CATALOGERS.filter((c) => select.includes(c.name) || select.includes(c.kind));
}

/** One package per id; a second sighting only adds its locations. */
function dedupe(packages: Package[]): Package[] {
  const byId = new Map<string, Package>();
  for (const pkg of packages) {
    const seen = byId.get(pkg.id);
    if (seen === undefined) byId.set(pkg.id, pkg);
    else
      for (const location of pkg.locations)
        if (!seen.locations.some((l) => l.path === location.path)) seen.locations.push(location);
  }
  return [...byId.values()];
}

/**
 * A language package whose manifest an OS package installed (Debian's python3-requests ships
 * requests' METADATA) is owned by it: vulnerability matching reports it once, via the OS package.
 */
function linkOwners(packages: Package[]): Package[] {
  const ownerOfFile = new Map<string, string>();
  for (const pkg of packages.filter(isOsPackage))
    for (const file of pkg.files ?? [])
      if (!ownerOfFile.has(file.path)) ownerOfFile.set(file.path, pkg.id);
  if (ownerOfFile.size === 0) return packages;
  for (const pkg of packages) {
    if (isOsPackage(pkg)) continue;
    const owner = pkg.locations.map((l) => ownerOfFile.get(l.path)).find((id) => id !== undefined);
    if (owner !== undefined) pkg.ownedBy = owner;
  }
  return packages;
}

function isOsPackage(pkg: Package): boolean {
  return OS_PACKAGE_TYPES.has(pkg.type);
}
