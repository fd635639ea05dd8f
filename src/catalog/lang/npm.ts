/**
 * npm packages. Installed ones: the package.json at the root of each package under a
 * node_modules directory (nested and pnpm's `.pnpm` store too; global installs live in
 * `/usr/{,local/}lib/node_modules`) and Debian's `/usr/share/nodejs/<name>`. Apps shipped without
 * node_modules: their lockfile (npm-lockfiles.ts), read only when no installed tree sits beside
 * it, so nothing is counted twice.
 *
 * The app's own package.json (next to a node_modules directory or a lockfile) is listed too, as
 * Syft does (it lists every package.json with a name and version, and a lockfile's root entry),
 * even when it is `"private": true`: private only means "never published", and the image still
 * ships that code. Its metadata says `private`.
 */
import { posix } from 'node:path';
import type { CatalogContext, Cataloger, FoundPackage } from '../cataloger.js';
import { locationOf } from '../cataloger.js';
import { bytesCollector, collectedValues } from '../collectors.js';
import { cpes, purl } from '../identifiers.js';
import {
  isLockfileName,
  isRecord,
  LOCKFILE_NAMES,
  parseLockfile,
  stripBom,
  textField,
  type JsonRecord,
  type LockedPackage,
  type ParsedLockfile,
} from './npm-lockfiles.js';

/** What is kept of one package.json. */
export interface PackageJsonInfo {
  name: string;
  version: string;
  licenses: string[];
  author?: string;
  homepage?: string;
  private: boolean;
}

const MAX_PACKAGE_JSON_BYTES = 1024 ** 2;
const MAX_LOCKFILE_BYTES = 32 * 1024 ** 2;
/** More licenses than any package declares. */
const MAX_LICENSES = 32;

const NODE_MODULES = '/node_modules/';
/** Debian installs node modules as `<dir>/<name>` (or `<dir>/@scope/<name>`) in these. */
const DEBIAN_MODULE_DIRS = /^\/usr\/(?:share\/nodejs|lib\/nodejs|lib\/[^/]+\/nodejs)\//;

/**
 * True for the package.json at a package root: `…/node_modules/<name>/package.json`,
 * `…/node_modules/@scope/<name>/package.json` or the same below a Debian module directory —
 * not the package.json files of fixtures and examples deeper inside a package.
 */
export function isInstalledManifest(path: string): boolean {
  if (!path.endsWith('/package.json')) return false;
  const dir = path.slice(0, -'/package.json'.length);
  const marker = dir.lastIndexOf(NODE_MODULES);
  if (marker >= 0) return isPackageDirName(dir.slice(marker + NODE_MODULES.length));
  const debian = DEBIAN_MODULE_DIRS.exec(dir);
  return debian !== null && isPackageDirName(dir.slice(debian[0].length));
}

/** `name` or `@scope/name`; `.bin`, `.pnpm` and `.cache` are npm's and pnpm's own folders. */
function isPackageDirName(rest: string): boolean {
  const parts = rest.split('/');
  if (parts.length === 1) return rest !== '' && !rest.startsWith('.');
  return parts.length === 2 && rest.startsWith('@') && parts[0] !== '@' && parts[1] !== '';
}

/** An app's own package.json: one outside every node_modules directory. */
function isAppManifest(path: string): boolean {
  return (
    path.endsWith('/package.json') && !path.includes(NODE_MODULES) && !DEBIAN_MODULE_DIRS.test(path)
  );
}

export const packageJsonCollector = bytesCollector<PackageJsonInfo>({
  name: 'npm-package-json',
  version: 1,
  maxBytes: MAX_PACKAGE_JSON_BYTES,
  wants: ({ path }) => isInstalledManifest(path) || isAppManifest(path),
  parse: ({ data, truncated }) => (truncated ? undefined : parsePackageJson(data.toString())),
});

export const lockfileCollector = bytesCollector<ParsedLockfile>({
  name: 'npm-lockfile',
  version: 1,
  maxBytes: MAX_LOCKFILE_BYTES,
  // The lockfile npm keeps inside node_modules (`.package-lock.json`) describes that tree.
  wants: ({ path }) =>
    isLockfileName(path.slice(path.lastIndexOf('/') + 1)) && !path.includes(NODE_MODULES),
  parse: ({ data, truncated }, path) => {
    if (truncated)
      return { packages: [], problem: `larger than ${MAX_LOCKFILE_BYTES} bytes; not read` };
    const name = posix.basename(path);
    return isLockfileName(name) ? parseLockfile(name, data.toString()) : undefined;
  },
});

/** The fields of a package.json that identify it; undefined without a name and a version. */
export function parsePackageJson(text: string): PackageJsonInfo | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(stripBom(text));
  } catch {
    return undefined;
  }
  if (!isRecord(doc)) return undefined;
  const name = textField(doc.name);
  const version = textField(doc.version);
  if (name === undefined || version === undefined) return undefined;
  const info: PackageJsonInfo = {
    name,
    version,
    licenses: declaredLicenses(doc),
    private: doc.private === true,
  };
  const author = personText(doc.author);
  const homepage = textField(doc.homepage);
  if (author !== undefined) info.author = author;
  if (homepage !== undefined) info.homepage = homepage;
  return info;
}

/**
 * `license` is an SPDX expression (`MIT`, `(MIT OR Apache-2.0)`), or in old packages an object
 * `{ type, url }`; older still, a `licenses` array of such objects or strings.
 */
function declaredLicenses(doc: JsonRecord): string[] {
  const single = licenseName(doc.license);
  if (single !== undefined) return [single];
  if (!Array.isArray(doc.licenses)) return [];
  return doc.licenses
    .slice(0, MAX_LICENSES)
    .map(licenseName)
    .filter((l): l is string => l !== undefined);
}

function licenseName(value: unknown): string | undefined {
  return isRecord(value) ? textField(value.type) : textField(value);
}

/** `"Name <email> (url)"` as written, or the object form `{ name, email, url }` in that shape. */
function personText(value: unknown): string | undefined {
  if (!isRecord(value)) return textField(value);
  const name = textField(value.name);
  const email = textField(value.email);
  const url = textField(value.url);
  const text = [name, email && `<${email}>`, url && `(${url})`].filter(Boolean).join(' ');
  return text === '' ? undefined : text;
}

export const npmCataloger: Cataloger = {
  name: 'npm',
  kind: 'language',
  collectors: [packageJsonCollector, lockfileCollector],
  catalog: catalogNpm,
};

function catalogNpm(context: CatalogContext): FoundPackage[] {
  const { tree } = context;
  const manifests = collectedValues(tree, packageJsonCollector);
  const installed = manifests.filter((m) => isInstalledManifest(m.path));
  // Directories holding an installed tree: there, package.json files win over a lockfile.
  const treeDirs = new Set(installed.map((m) => appDirOf(m.path)));
  const hasInstalledTree = (dir: string): boolean =>
    treeDirs.has(dir) || tree.get(posix.join(dir, 'node_modules'))?.type === 'dir';

  const lockfiles = chosenLockfiles(context);
  const found: FoundPackage[] = installed.map((m) =>
    npmPackage(m.value, [locationOf(tree, m.path)], {}),
  );
  for (const m of manifests) {
    const dir = posix.dirname(m.path);
    if (isAppManifest(m.path) && (hasInstalledTree(dir) || lockfiles.has(dir)))
      found.push(
        npmPackage(m.value, [locationOf(tree, m.path)], { private: String(m.value.private) }),
      );
  }
  for (const [dir, lockfile] of lockfiles) {
    if (hasInstalledTree(dir)) continue;
    found.push(...lockedPackages(context, lockfile.path, lockfile.value));
  }
  return found;
}

/** The directory whose node_modules holds this installed package.json (the outermost one). */
function appDirOf(path: string): string {
  const marker = path.indexOf(NODE_MODULES);
  return marker <= 0 ? '/' : path.slice(0, marker);
}

/** One lockfile per directory, the one the package manager would use. */
function chosenLockfiles(
  context: CatalogContext,
): Map<string, { path: string; value: ParsedLockfile }> {
  const byDir = new Map<string, { path: string; value: ParsedLockfile }>();
  const rank = (path: string): number =>
    (LOCKFILE_NAMES as readonly string[]).indexOf(posix.basename(path));
  for (const file of collectedValues(context.tree, lockfileCollector)) {
    const dir = posix.dirname(file.path);
    const chosen = byDir.get(dir);
    if (chosen === undefined || rank(file.path) < rank(chosen.path)) byDir.set(dir, file);
  }
  return byDir;
}

/** A lockfile's packages, once per name and version (nested copies of one version are one). */
function lockedPackages(
  context: CatalogContext,
  path: string,
  lockfile: ParsedLockfile,
): FoundPackage[] {
  if (lockfile.problem !== undefined) context.warn(`${path}: ${lockfile.problem}`);
  const location = locationOf(context.tree, path);
  const unique = new Map<string, LockedPackage>();
  for (const pkg of lockfile.packages) unique.set(`${pkg.name}@${pkg.version}`, pkg);
  return [...unique.values()].map((pkg) =>
    npmPackage(
      { name: pkg.name, version: pkg.version, licenses: pkg.license ? [pkg.license] : [] },
      [location],
      { resolved: pkg.resolved, integrity: pkg.integrity },
    ),
  );
}

function npmPackage(
  info: Pick<PackageJsonInfo, 'name' | 'version' | 'licenses' | 'author' | 'homepage'>,
  locations: FoundPackage['locations'],
  extra: Record<string, string | undefined>,
): FoundPackage {
  const slash = info.name.indexOf('/');
  const scoped = info.name.startsWith('@') && slash > 1 && slash < info.name.length - 1;
  const scope = scoped ? info.name.slice(0, slash) : undefined;
  const bareName = scoped ? info.name.slice(slash + 1) : info.name;
  return {
    type: 'npm',
    name: info.name,
    version: info.version,
    licenses: info.licenses,
    purl: purl({ type: 'npm', namespace: scope, name: bareName, version: info.version }),
    // NVD names npm packages `<vendor>:<name>`; the vendor is often the scope or the name itself.
    cpes: cpes([scope?.slice(1) ?? bareName, `${bareName}_project`], [bareName], info.version),
    locations,
    metadata: { author: info.author, homepage: info.homepage, ...extra },
  };
}
