/**
 * `packages`: checks on the packages the image holds, of every type as Anchore Engine 1.0 holds
 * them: a required package (at an exact or minimum version), a blacklisted one, and `verify`, the
 * files an OS package database lists against the files the image really has.
 */
import {
  DEFAULT_LIMITS,
  type FileEntry,
  type Package,
  type PackageFile,
  type PackageType,
  OS_PACKAGE_TYPES,
} from '../../model/index.js';
import { FileTree } from '../../source/squash.js';
import { apkScheme } from '../../version/apk.js';
import { dpkgScheme } from '../../version/dpkg.js';
import { gemScheme } from '../../version/gem.js';
import { goScheme } from '../../version/go.js';
import { mavenScheme } from '../../version/maven.js';
import { pep440Scheme } from '../../version/pep440.js';
import { rpmScheme } from '../../version/rpm.js';
import type { VersionScheme } from '../../version/scheme.js';
import { semverScheme } from '../../version/semver.js';
import type { Fired, Gate, PolicyInput, Trigger } from '../gate.js';
import type { TriggerParams } from '../params.js';
import { messageTriggerId } from './message-trigger-id.js';
import { packageBlacklistTrigger } from './package-blacklist.js';

// ---- required_package --------------------------------------------------------------------------

/** How each package type orders its versions, for version_match_type minimum. */
const VERSION_SCHEMES: Record<PackageType, VersionScheme> = {
  dpkg: dpkgScheme,
  rpm: rpmScheme,
  apk: apkScheme,
  npm: semverScheme,
  python: pep440Scheme,
  gem: gemScheme,
  java: mavenScheme,
  go: goScheme,
};

/** Whether `pkg` is at `version` or later; undefined when the versions cannot be compared. */
function atLeast(pkg: Package, version: string): boolean | undefined {
  try {
    return VERSION_SCHEMES[pkg.type].compare(pkg.version, version) >= 0;
  } catch {
    return undefined;
  }
}

/** A required_package firing: our message, and Anchore's (whose md5 is the trigger id). */
function requiredFired(message: string, anchore: string): Fired[] {
  return [{ triggerId: messageTriggerId('packages', 'required_package', anchore), message }];
}

function evaluateRequired(input: PolicyInput, params: TriggerParams): Fired[] {
  const name = params.string('name') ?? '';
  const version = params.string('version');
  const minimum = params.choice('version_match_type') === 'minimum';
  const installed = input.content.packages.filter((p) => p.name === name);
  const wanted = version === undefined ? name : `${name} ${minimum ? '>= ' : ''}${version}`;
  if (installed.length === 0)
    return requiredFired(
      `Required package ${wanted} is not present in the image; install it.`,
      `Required input package (${version === undefined ? name : `${name},${version}`}) is not present in container image`,
    );
  if (version === undefined) return [];
  const verdicts = installed.map((p) => (minimum ? atLeast(p, version) : p.version === version));
  if (verdicts.includes(true)) return [];
  const present = [...new Set(installed.map((p) => p.version))].join(', ');
  const first = installed[0]?.version ?? '';
  const why = !verdicts.includes(false)
    ? `cannot be compared with the version the policy requires (${version})`
    : minimum
      ? `is lower than the minimum version the policy requires (${version})`
      : `is not at the version the policy requires (${version})`;
  return requiredFired(
    `Required package ${name} is present (${present}), but ${why}; install ${wanted}.`,
    minimum
      ? `Required min-version input package (${name}) is present (${first}), but is lower version than what is specified in policy (${version})`
      : `Required input package (${name}) is present (${first}), but not at the version specified in policy (${name})`,
  );
}

const requiredPackageTrigger: Trigger = {
  name: 'required_package',
  description:
    'Fires if no package of this name is installed, or (with version) none is at that exact version or, with version_match_type minimum, at that version or later, compared as its ecosystem orders versions.',
  params: [
    {
      name: 'name',
      description: 'Name of the package that must be installed in the image.',
      kind: 'string',
      required: true,
      example: 'libssl',
    },
    {
      name: 'version',
      description:
        'The version it must have, in full as its package manager writes it (epoch and release included).',
      kind: 'string',
      required: false,
      example: '1.10.3rc3',
    },
    {
      name: 'version_match_type',
      description:
        'exact (the default): the version must be equal; minimum: the version or a later one.',
      kind: 'enum',
      required: false,
      values: ['exact', 'minimum'],
      default: 'exact',
      example: 'exact',
    },
  ],
  evaluate: evaluateRequired,
};

// ---- verify ------------------------------------------------------------------------------------

type VerifyStatus = 'changed' | 'missing';

/**
 * The image's files, to find a listed path with directory symlinks followed (merged /usr), and
 * the directories that exist only because something lies beneath them (a layer tar need not hold
 * an entry for every parent).
 */
interface ImageFiles {
  byPath: ReadonlyMap<string, FileEntry>;
  tree: FileTree;
  impliedDirs: ReadonlySet<string>;
  /** Directories already resolved: a package's files share a few of them. */
  realDirs: Map<string, string | undefined>;
}

/** Built once per analysis: every verify rule of a bundle looks in the same files. */
const IMAGE_FILES = new WeakMap<readonly FileEntry[], ImageFiles>();

function imageFiles(files: readonly FileEntry[]): ImageFiles {
  const cached = IMAGE_FILES.get(files);
  if (cached !== undefined) return cached;
  const impliedDirs = new Set<string>(['/']);
  for (const { path } of files) {
    // Walk up until a directory already known: its parents are known too.
    for (let end = path.lastIndexOf('/'); end > 0; end = path.lastIndexOf('/', end - 1)) {
      const dir = path.slice(0, end);
      if (impliedDirs.has(dir)) break;
      impliedDirs.add(dir);
    }
  }
  const byPath = new Map(files.map((f) => [f.path, f]));
  const tree = new FileTree(byPath, new Map(), DEFAULT_LIMITS.maxSymlinkHops);
  const built = { byPath, tree, impliedDirs, realDirs: new Map<string, string | undefined>() };
  IMAGE_FILES.set(files, built);
  return built;
}

/** Directory `dir` with every symlink on the way followed; undefined when it leads nowhere. */
function realDir(files: ImageFiles, dir: string): string | undefined {
  if (files.realDirs.has(dir)) return files.realDirs.get(dir);
  let real: string | undefined;
  try {
    real = files.tree.resolvePath(dir);
  } catch {
    real = undefined; // a symlink loop
  }
  files.realDirs.set(dir, real);
  return real;
}

/** The entry at `path` (a symlink at its end not followed), `dir` for an implied directory. */
function lookUp(files: ImageFiles, path: string): FileEntry | 'dir' | undefined {
  const direct = files.byPath.get(path);
  if (direct !== undefined) return direct; // no symlink on the way: the common case, kept fast
  const slash = path.lastIndexOf('/');
  const parent = realDir(files, path.slice(0, slash) || '/');
  if (parent === undefined) return undefined;
  const real = `${parent === '/' ? '' : parent}${path.slice(slash)}`;
  return files.byPath.get(real) ?? (files.impliedDirs.has(real) ? 'dir' : undefined);
}

/** The digests the analysis computes, by the names package databases give them. */
const TREE_DIGESTS: Readonly<Record<string, (entry: FileEntry) => string | undefined>> = {
  sha256: (entry) => entry.sha256,
  md5: (entry) => entry.md5,
};

/**
 * What the image's file says against the database's: missing, changed (a regular file whose
 * digest differs), or undefined when it agrees or cannot be compared. Only digests the analysis
 * computed can be compared: sha256 always, md5 when it was run with --md5, sha1 never.
 */
function verifyFile(files: ImageFiles, file: PackageFile): VerifyStatus | undefined {
  const entry = lookUp(files, file.path);
  if (entry === undefined) return 'missing';
  if (entry === 'dir' || file.digest === undefined) return undefined;
  if (entry.type !== 'file' && entry.type !== 'hardlink') return undefined;
  const actual = TREE_DIGESTS[file.digest.algorithm]?.(entry);
  return actual !== undefined && actual !== file.digest.value.toLowerCase() ? 'changed' : undefined;
}

const underAny = (path: string, dirs: readonly string[]): boolean =>
  dirs.length === 0 || dirs.some((dir) => path.startsWith(dir));

function evaluateVerify(input: PolicyInput, params: TriggerParams): Fired[] {
  const only = new Set(params.list('only_packages'));
  const dirs = params.list('only_directories');
  const check = params.choice('check');
  const files = imageFiles(input.files);
  return input.content.packages
    .filter((p) => OS_PACKAGE_TYPES.has(p.type) && (only.size === 0 || only.has(p.name)))
    .flatMap((pkg) =>
      (pkg.files ?? []).flatMap((file) => {
        if (!underAny(file.path, dirs)) return [];
        const status = verifyFile(files, file);
        if (status === undefined || (check !== undefined && check !== status)) return [];
        const message = `VERIFY check against package db for package '${pkg.name}' failed on entry '${file.path}' with status: '${status}'`;
        return [{ triggerId: messageTriggerId('packages', 'verify', message), message }];
      }),
    );
}

const verifyTrigger: Trigger = {
  name: 'verify',
  description:
    "Fires for each file an OS package database (dpkg, rpm, apk) lists that is missing from the image, or whose content differs from the digest the database records. Digests are compared where the analysis has them: rpm's sha256 always; dpkg's md5 (and old rpm's) only for an analysis run with --md5; apk's sha1 never. Config files are not told apart (the package lists do not mark them), so an edited config file counts as changed; leave /etc out with only_directories. Directory symlinks are followed (merged /usr).",
  params: [
    {
      name: 'only_packages',
      description: 'Comma-separated package names: verify only these.',
      kind: 'list',
      required: false,
      example: 'libssl,openssl',
    },
    {
      name: 'only_directories',
      description: 'Comma-separated path prefixes: verify only the files under them.',
      kind: 'list',
      required: false,
      example: '/usr,/var/lib',
    },
    {
      name: 'check',
      description: 'Only this check (changed or missing) instead of both.',
      kind: 'enum',
      required: false,
      values: ['changed', 'missing'],
      example: 'changed',
    },
  ],
  evaluate: evaluateVerify,
};

export const packagesGate: Gate = {
  name: 'packages',
  description: 'Distro package checks',
  triggers: [
    requiredPackageTrigger,
    verifyTrigger,
    packageBlacklistTrigger({
      gate: 'packages',
      trigger: 'blacklist',
      description:
        'Fires if the image has a package installed (of any type) with this name and, if given, this exact version; once per installed version.',
      noun: 'Package',
      nameDescription: 'Package name to blacklist.',
      versionDescription:
        'Specific version of package to blacklist, in full as its package manager writes it.',
      nameExample: 'openssh-server',
      versionExample: '1.0.1',
    }),
  ],
};
