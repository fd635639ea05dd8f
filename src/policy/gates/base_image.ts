/**
 * `base_image` (drydock's own gate): what an image changed relative to the base image it was
 * built on, given with `--base` — the checks the older Anchore tool ran as PKGDIFF (packages added,
 * removed, changed) and SUIDDIFF (setuid/setgid files added or changed), plus whether the image
 * still runs as its base's user and really sits on that base's layers. `base_not_provided` fires
 * when no base was given, so a policy that depends on one cannot pass by comparing nothing.
 */
import {
  type FileEntry,
  type ImageContent,
  type Package,
  type PackageType,
  OS_PACKAGE_TYPES,
  PACKAGE_TYPES,
} from '../../model/index.js';
import type { Fired, Gate, PolicyInput, Trigger, TriggerParam } from '../gate.js';
import type { TriggerParams } from '../params.js';
import { effectiveUser, sameUser } from './effective-user.js';

const packageTypeParam: TriggerParam = {
  name: 'package_type',
  description: `Only packages of these types (comma-separated): all, os (${[...OS_PACKAGE_TYPES].join(', ')}), non-os, or any of ${PACKAGE_TYPES.join(', ')}.`,
  kind: 'enum-list',
  required: false,
  values: ['all', 'os', 'non-os', ...PACKAGE_TYPES],
  default: 'all',
  example: 'os',
};

/** One package name of one type, with every version of it the image holds. */
interface PackageGroup {
  type: PackageType;
  name: string;
  /** Sorted, each once. */
  versions: string[];
}

const groupsByContent = new WeakMap<ImageContent, Map<string, PackageGroup>>();

function packageGroups(content: ImageContent): Map<string, PackageGroup> {
  let groups = groupsByContent.get(content);
  if (groups !== undefined) return groups;
  groups = new Map();
  for (const pkg of content.packages) {
    const key = `${pkg.type}\0${pkg.name}`;
    const group = groups.get(key) ?? { type: pkg.type, name: pkg.name, versions: [] };
    if (!group.versions.includes(pkg.version)) group.versions.push(pkg.version);
    groups.set(key, group);
  }
  for (const group of groups.values()) group.versions.sort();
  groupsByContent.set(content, groups);
  return groups;
}

function selectedTypes(params: TriggerParams): (type: Package['type']) => boolean {
  const wanted = new Set(params.list(packageTypeParam.name).map((t) => t.toLowerCase()));
  return (type) =>
    wanted.has('all') ||
    wanted.has(type) ||
    wanted.has(OS_PACKAGE_TYPES.has(type) ? 'os' : 'non-os');
}

const versionsOf = (group: PackageGroup): string => group.versions.join(', ');

/**
 * A trigger comparing the packages of the image and its base: `compare` gets each selected package
 * name as the image and the base hold it (either may be missing) and says what fired.
 */
function packageTrigger(
  name: string,
  description: string,
  compare: (image: PackageGroup | undefined, base: PackageGroup | undefined) => Fired | undefined,
): Trigger {
  return {
    name,
    description,
    params: [packageTypeParam],
    evaluate(input, params) {
      if (input.base === undefined) return [];
      const image = packageGroups(input.content);
      const base = packageGroups(input.base.content);
      const selected = selectedTypes(params);
      const keys = [...new Set([...image.keys(), ...base.keys()])].sort();
      return keys.flatMap((key) => {
        const group = image.get(key) ?? base.get(key);
        if (group === undefined || !selected(group.type)) return [];
        const fired = compare(image.get(key), base.get(key));
        return fired === undefined ? [] : [fired];
      });
    },
  };
}

const packagesAdded = packageTrigger(
  'packages_added',
  'Triggers for each package in the image that its base image does not have (PKGADD).',
  (image, base) =>
    image === undefined || base !== undefined
      ? undefined
      : {
          triggerId: `${image.type}:${image.name}-PKGADD`,
          message: `${image.type} package ${image.name} ${versionsOf(image)} was added: the base image does not have it`,
        },
);

const packagesRemoved = packageTrigger(
  'packages_removed',
  'Triggers for each package of the base image that the image no longer has (PKGDEL).',
  (image, base) =>
    base === undefined || image !== undefined
      ? undefined
      : {
          triggerId: `${base.type}:${base.name}-PKGDEL`,
          message: `${base.type} package ${base.name} ${versionsOf(base)} of the base image was removed`,
        },
);

const packagesChanged = packageTrigger(
  'packages_changed',
  'Triggers for each package the image has at other versions than its base image (PKGVERSIONDIFF): upgraded, downgraded, or another copy at another version added.',
  (image, base) =>
    image === undefined || base === undefined || versionsOf(image) === versionsOf(base)
      ? undefined
      : {
          triggerId: `${image.type}:${image.name}-PKGVERSIONDIFF`,
          message: `${image.type} package ${image.name} is at ${versionsOf(image)}; the base image has ${versionsOf(base)}`,
        },
);

const PRIVILEGE_BITS = 0o6000;

/** The setuid/setgid bits of a regular file (a directory's setgid only sets group inheritance). */
function privilegeBits(file: FileEntry | undefined): number {
  if (file === undefined || (file.type !== 'file' && file.type !== 'hardlink')) return 0;
  return file.mode & PRIVILEGE_BITS;
}

function bitNames(bits: number): string {
  const names = [bits & 0o4000 ? 'setuid' : '', bits & 0o2000 ? 'setgid' : ''];
  return names.filter((n) => n !== '').join(' and ');
}

const octal = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0');

const filesByPath = new WeakMap<readonly FileEntry[], Map<string, FileEntry>>();

function fileAt(files: readonly FileEntry[], path: string): FileEntry | undefined {
  let byPath = filesByPath.get(files);
  if (byPath === undefined) {
    byPath = new Map(files.map((file) => [file.path, file]));
    filesByPath.set(files, byPath);
  }
  return byPath.get(path);
}

/** Each setuid/setgid file of the image with the file at its path in the base (if any). */
function privilegedFiles(input: PolicyInput, base: PolicyInput) {
  return input.files
    .filter((file) => privilegeBits(file) !== 0)
    .map((file) => ({ file, before: fileAt(base.files, file.path) }));
}

const suidFilesAdded: Trigger = {
  name: 'suid_files_added',
  description:
    'Triggers for each setuid or setgid file of the image that is not setuid or setgid in its base image: a new file, or one that gained the bit (SUIDFILEADD). Files removed or made unprivileged are not reported.',
  params: [],
  evaluate(input) {
    const { base } = input;
    if (base === undefined) return [];
    return privilegedFiles(input, base).flatMap(({ file, before }) => {
      const gained = privilegeBits(file) & ~privilegeBits(before);
      if (gained === 0) return [];
      const was =
        before === undefined
          ? 'the base image does not have it'
          : `it was mode ${octal(before.mode)} in the base image`;
      return [
        {
          triggerId: `${file.path}-SUIDFILEADD`,
          message: `${file.path} is ${bitNames(gained)} (mode ${octal(file.mode)}, owner ${file.uid}:${file.gid}) and ${was}`,
        },
      ];
    });
  },
};

/** What `suid_files_changed` compares, and how each difference reads. */
const FILE_ATTRIBUTES: Record<string, (now: FileEntry, before: FileEntry) => string | undefined> = {
  mode: (now, before) =>
    octal(now.mode) === octal(before.mode)
      ? undefined
      : `mode ${octal(before.mode)} → ${octal(now.mode)}`,
  owner: (now, before) =>
    now.uid === before.uid && now.gid === before.gid
      ? undefined
      : `owner ${before.uid}:${before.gid} → ${now.uid}:${now.gid}`,
  content: (now, before) =>
    now.sha256 === before.sha256 ? undefined : 'content replaced (sha256 differs)',
};

const suidFilesChanged: Trigger = {
  name: 'suid_files_changed',
  description:
    'Triggers for each file that is setuid or setgid in both the image and its base image but differs between them in mode, owner or content (SUIDMODEDIFF); a replaced setuid binary is how a backdoor hides.',
  params: [
    {
      name: 'attributes',
      description:
        'Which differences count (comma-separated): mode (permission bits), owner (uid and gid), content (sha256). A package upgrade changes content legitimately; leave content out to ignore that.',
      kind: 'enum-list',
      required: false,
      values: Object.keys(FILE_ATTRIBUTES),
      default: 'mode,owner,content',
      example: 'mode,owner',
    },
  ],
  evaluate(input, params) {
    const { base } = input;
    if (base === undefined) return [];
    const compared = params.list('attributes').flatMap((name) => {
      const differs = FILE_ATTRIBUTES[name.toLowerCase()];
      return differs === undefined ? [] : [differs];
    });
    return privilegedFiles(input, base).flatMap(({ file, before }) => {
      // A file that gained a bit is suid_files_added's.
      if (before === undefined || (privilegeBits(file) & ~privilegeBits(before)) !== 0) return [];
      const changes = compared.flatMap((differs) => differs(file, before) ?? []);
      if (changes.length === 0) return [];
      return [
        {
          triggerId: `${file.path}-SUIDMODEDIFF`,
          message: `${bitNames(privilegeBits(file))} file ${file.path} differs from the base image: ${changes.join(', ')}`,
        },
      ];
    });
  },
};

const userChanged: Trigger = {
  name: 'user_changed',
  description:
    "Triggers if the image runs as another user than its base image (each read from the image config's User, root when unset): for example a base that runs as a non-root user, rebuilt to run as root.",
  params: [],
  evaluate(input) {
    if (input.base === undefined) return [];
    const user = effectiveUser(input.metadata);
    const before = effectiveUser(input.base.metadata);
    if (sameUser(user, before)) return [];
    return [
      {
        triggerId: `${user}-USERCHANGED`,
        message: `the image runs as user ${user}; its base image runs as ${before}`,
      },
    ];
  },
};

/** A layer's identity: its uncompressed digest, which recompression does not change. */
const layerIdentity = (layer: { diffId?: string; digest?: string }): string =>
  layer.diffId ?? layer.digest ?? '';

const notBuiltOnBase: Trigger = {
  name: 'not_built_on_base',
  description:
    "Triggers if the base image's layers are not the first layers of the image: the image was built on another base, or on an older or newer build of this one, so the other base_image triggers compare it against the wrong thing (the older tool's BASEOUTOFDATE).",
  params: [],
  evaluate(input) {
    if (input.base === undefined) return [];
    const layers = input.metadata.layers;
    const baseLayers = input.base.metadata.layers;
    const differs = baseLayers.findIndex(
      (layer, i) => layers[i] === undefined || layerIdentity(layers[i]) !== layerIdentity(layer),
    );
    if (differs < 0) return [];
    return [
      {
        triggerId: 'not_built_on_base',
        message: `the image is not built on the given base image: base layer ${differs + 1} of ${baseLayers.length} is not layer ${differs + 1} of the image (${layers.length} ${layers.length === 1 ? 'layer' : 'layers'}); give the base it was built from`,
      },
    ];
  },
};

const baseNotProvided: Trigger = {
  name: 'base_not_provided',
  description:
    'Triggers if no base image was given to compare with (--base), so that a policy relying on the other base_image triggers does not pass by comparing nothing.',
  params: [],
  evaluate: (input) =>
    input.base === undefined
      ? [
          {
            triggerId: 'base_not_provided',
            message:
              'no base image was given (--base), so the base_image checks compared nothing; give the image this one was built FROM',
          },
        ]
      : [],
};

export const baseImageGate: Gate = {
  name: 'base_image',
  description:
    "Compares the image with the base image it was built on (--base): packages added, removed or changed (the older Anchore tool's PKGDIFF), setuid/setgid files added or changed (SUIDDIFF), the effective user, and whether the image really sits on that base. The tool's USERIMAGECHECK, NETPORTS and DOCKERFILECHECK are the dockerfile gate's effective_user, exposed_ports and instruction/no_dockerfile_provided triggers.",
  triggers: [
    packagesAdded,
    packagesRemoved,
    packagesChanged,
    suidFilesAdded,
    suidFilesChanged,
    userChanged,
    notBuiltOnBase,
    baseNotProvided,
  ],
};
