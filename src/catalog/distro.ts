/**
 * Which distribution an image is: `/etc/os-release` (or `/usr/lib/os-release`, symlinks
 * followed), else the older release files (`/etc/alpine-release`, `/etc/redhat-release` …), else
 * a distroless Debian image recognised by its `/var/lib/dpkg/status.d/` directory.
 */
import { DrydockError, type Distro } from '../model/index.js';
import type { FileTree } from '../source/squash.js';
import { bytesCollector, collectedAt, collectedValues, type TypedCollector } from './collectors.js';

/** Release files are a few hundred bytes; anything beyond this is not one worth reading. */
const MAX_RELEASE_FILE_BYTES = 64 * 1024;
const STATUS_D = '/var/lib/dpkg/status.d';

const OS_RELEASE_FILES = ['/etc/os-release', '/usr/lib/os-release'];
/**
 * Older release files, most specific first: Ubuntu also has `/etc/debian_version`, CentOS's
 * `/etc/redhat-release` and `/etc/system-release` are links to `/etc/centos-release`.
 */
const LEGACY_RELEASE_FILES = [
  '/etc/alpine-release',
  '/etc/lsb-release',
  '/etc/SuSE-release',
  '/etc/centos-release',
  '/etc/redhat-release',
  '/etc/system-release',
  '/etc/debian_version',
];
const RELEASE_FILES = new Set([...OS_RELEASE_FILES, ...LEGACY_RELEASE_FILES]);

/** The text of each release file. */
const releaseFiles: TypedCollector<string> = bytesCollector({
  name: 'distro-release',
  version: 1,
  maxBytes: MAX_RELEASE_FILE_BYTES,
  // `/etc/redhat-release` is often a link to `/etc/rocky-release` and the like.
  wants: (file) => RELEASE_FILES.has(file.path) || /^\/etc\/[\w.]+-release$/.test(file.path),
  parse: (bytes) => bytes.data.toString('utf8'),
});

/**
 * Distroless images keep one dpkg status stanza per package in `status.d/` (named after the
 * package, with `.md5sums` beside it). Only base-files' version is kept: it is the release.
 */
const distrolessBaseFiles: TypedCollector<string> = bytesCollector({
  name: 'distroless-base-files',
  version: 1,
  maxBytes: MAX_RELEASE_FILE_BYTES,
  wants: (file) => file.path.startsWith(`${STATUS_D}/`) && !file.path.endsWith('.md5sums'),
  parse: (bytes) => baseFilesVersion(bytes.data.toString('utf8')),
});

export const distroCollectors: readonly TypedCollector<string>[] = [
  releaseFiles,
  distrolessBaseFiles,
];

export function detectDistro(tree: FileTree): Distro | undefined {
  const found = fromOsRelease(tree) ?? fromLegacyFiles(tree) ?? fromDistroless(tree);
  if (found === undefined || found.versionId !== undefined) return found;
  // Older distroless images write an os-release without VERSION_ID.
  const legacy = found.id === 'debian' ? debianRelease(tree) : fromLegacyFiles(tree);
  if (legacy?.id !== found.id || legacy.versionId === undefined) return found;
  return {
    ...found,
    versionId: legacy.versionId,
    versionCodename: found.versionCodename ?? legacy.versionCodename,
  };
}

// ---- os-release ---------------------------------------------------------------------------

function fromOsRelease(tree: FileTree): Distro | undefined {
  for (const path of OS_RELEASE_FILES) {
    const text = readRelease(tree, path);
    if (text === undefined) continue;
    const fields = parseOsRelease(text);
    const id = fields.get('ID')?.toLowerCase();
    if (id === undefined || id === '') continue;
    return withoutEmpty({
      id,
      versionId: fields.get('VERSION_ID'),
      versionCodename: fields.get('VERSION_CODENAME'),
      idLike: (fields.get('ID_LIKE') ?? '').toLowerCase().split(/\s+/).filter(Boolean),
      prettyName: fields.get('PRETTY_NAME'),
      source: realPath(tree, path),
    });
  }
  return undefined;
}

/**
 * Parses os-release(5): `KEY=value` lines, where values may be quoted as in the shell (double
 * quotes take `\` escapes of `$ " \` and backtick, single quotes none), `#` starts a comment line,
 * and lines that are not assignments are ignored. Later assignments win. Linear in the input.
 */
export function parseOsRelease(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(line);
    if (match?.[1] === undefined) continue;
    fields.set(match[1], shellValue(line.slice(match[0].length)));
  }
  return fields;
}

const DOUBLE_QUOTE_ESCAPES = new Set(['$', '"', '\\', '`', '\n']);

/** One shell word: quoted and unquoted parts joined, up to the first unquoted blank. */
function shellValue(text: string): string {
  let value = '';
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else value += c;
    } else if (c === '\\' && i + 1 < text.length) {
      const next = text.charAt(i + 1);
      // Inside double quotes a backslash escapes only the shell's special characters.
      if (quote === '"' && !DOUBLE_QUOTE_ESCAPES.has(next)) value += c;
      value += next;
      i++;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else value += c;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === ' ' || c === '\t') {
      break;
    } else {
      value += c;
    }
  }
  return value;
}

// ---- older release files ------------------------------------------------------------------

function fromLegacyFiles(tree: FileTree): Distro | undefined {
  for (const path of LEGACY_RELEASE_FILES) {
    const text = readRelease(tree, path);
    if (text === undefined) continue;
    const found = parseLegacyRelease(path, text);
    if (found !== undefined) return withoutEmpty({ ...found, source: realPath(tree, path) });
  }
  return undefined;
}

type Release = Omit<Distro, 'source'>;

/** The distribution a pre-os-release file names; undefined when it names none. */
export function parseLegacyRelease(path: string, text: string): Release | undefined {
  if (path === '/etc/alpine-release') return alpineRelease(text);
  if (path === '/etc/lsb-release') return lsbRelease(text);
  if (path === '/etc/SuSE-release') return suseRelease(text);
  if (path === '/etc/debian_version') return debianVersion(text);
  return redHatStyleRelease(text);
}

function firstLine(text: string): string {
  return (text.split('\n', 1)[0] ?? '').trim();
}

/** `3.19.1` */
function alpineRelease(text: string): Release | undefined {
  const version = firstLine(text);
  return /^\d+(\.\d+)*/.test(version)
    ? { id: 'alpine', versionId: version, idLike: [] }
    : undefined;
}

/** `DISTRIB_ID=Ubuntu`, `DISTRIB_RELEASE=22.04`, `DISTRIB_CODENAME=jammy` … */
function lsbRelease(text: string): Release | undefined {
  const fields = parseOsRelease(text);
  const id = fields.get('DISTRIB_ID')?.toLowerCase();
  if (id === undefined || id === '') return undefined;
  return {
    id,
    versionId: fields.get('DISTRIB_RELEASE'),
    versionCodename: fields.get('DISTRIB_CODENAME'),
    idLike: [],
    prettyName: fields.get('DISTRIB_DESCRIPTION'),
  };
}

/** `SUSE Linux Enterprise Server 11 (x86_64)` then `VERSION = 11`, `PATCHLEVEL = 4` lines. */
function suseRelease(text: string): Release | undefined {
  const name = firstLine(text);
  const field = (key: string): string | undefined =>
    new RegExp(`^${key}[ \\t]*=[ \\t]*(\\S+)`, 'm').exec(text)?.[1];
  const version = field('VERSION');
  const patch = field('PATCHLEVEL');
  const id = /opensuse/i.test(name)
    ? 'opensuse'
    : /desktop/i.test(name)
      ? 'sled'
      : /enterprise server/i.test(name)
        ? 'sles'
        : undefined;
  if (id === undefined) return undefined;
  return {
    id,
    versionId: version === undefined || patch === undefined ? version : `${version}.${patch}`,
    versionCodename: field('CODENAME'),
    idLike: ['suse'],
    prettyName: name.replace(/\s*\([^)]*\)$/, ''),
  };
}

/** Names in `X release N (Codename)` lines, mapped to their os-release IDs. */
const RED_HAT_STYLE_NAMES: { pattern: RegExp; id: string; idLike: string[] }[] = [
  { pattern: /^centos/i, id: 'centos', idLike: ['rhel', 'fedora'] },
  { pattern: /^red hat enterprise linux/i, id: 'rhel', idLike: ['fedora'] },
  { pattern: /^rocky/i, id: 'rocky', idLike: ['rhel', 'centos', 'fedora'] },
  { pattern: /^almalinux/i, id: 'almalinux', idLike: ['rhel', 'centos', 'fedora'] },
  { pattern: /^oracle linux/i, id: 'ol', idLike: ['fedora'] },
  { pattern: /^scientific linux/i, id: 'scientific', idLike: ['rhel', 'fedora'] },
  { pattern: /^amazon linux/i, id: 'amzn', idLike: ['centos', 'rhel', 'fedora'] },
  { pattern: /^fedora/i, id: 'fedora', idLike: [] },
];

/** `CentOS Linux release 7.9.2009 (Core)`, `Amazon Linux AMI release 2018.03`. */
function redHatStyleRelease(text: string): Release | undefined {
  const line = firstLine(text);
  const match = /^(.*?)\s+release\s+(\d[\w.]*)(?:\s+\(([^)]*)\))?/i.exec(line);
  const name = match?.[1];
  const known = RED_HAT_STYLE_NAMES.find((entry) => name !== undefined && entry.pattern.test(name));
  if (match === null || known === undefined) return undefined;
  return { id: known.id, versionId: match[2], idLike: known.idLike, prettyName: line };
}

/** Debian's major releases, for images that name only a version (`/etc/debian_version`). */
const DEBIAN_CODENAMES: Record<string, string> = {
  '7': 'wheezy',
  '8': 'jessie',
  '9': 'stretch',
  '10': 'buster',
  '11': 'bullseye',
  '12': 'bookworm',
  '13': 'trixie',
  '14': 'forky',
};

/** `12.5` is Debian 12 (os-release says `VERSION_ID="12"`); `trixie/sid` is testing. */
function debianVersion(text: string): Release | undefined {
  const line = firstLine(text);
  const major = /^(\d+)(\.\d+)*$/.exec(line)?.[1];
  if (major !== undefined) {
    return { id: 'debian', versionId: major, versionCodename: DEBIAN_CODENAMES[major], idLike: [] };
  }
  const codename = /^([a-z]+)(?:\/sid)?$/.exec(line)?.[1];
  return codename === undefined
    ? undefined
    : { id: 'debian', versionCodename: codename, idLike: [] };
}

// ---- distroless ---------------------------------------------------------------------------

/** base-files' `Version:` when the stanza is base-files' (`12.4+deb12u5`). */
function baseFilesVersion(stanza: string): string | undefined {
  if (!/^Package:[ \t]*base-files[ \t]*$/m.test(stanza)) return undefined;
  return /^Version:[ \t]*(\S+)/m.exec(stanza)?.[1];
}

/** A status.d directory but no release file: Debian, versioned by base-files if we can. */
function fromDistroless(tree: FileTree): Distro | undefined {
  const baseFiles = collectedValues(tree, distrolessBaseFiles)[0];
  if (baseFiles === undefined && tree.get(STATUS_D)?.type !== 'dir') return undefined;
  const fromBaseFiles =
    baseFiles === undefined ? undefined : debianVersion(baseFiles.value.split(/[+~-]/)[0] ?? '');
  const release = fromBaseFiles ?? debianRelease(tree);
  return withoutEmpty({
    id: 'debian',
    versionId: release?.versionId,
    versionCodename: release?.versionCodename,
    idLike: [],
    source: baseFiles?.path ?? STATUS_D,
  });
}

/** Debian's release from `/etc/debian_version` or, in distroless images, base-files. */
function debianRelease(tree: FileTree): Release | undefined {
  const text = readRelease(tree, '/etc/debian_version');
  const fromFile = text === undefined ? undefined : debianVersion(text);
  if (fromFile?.versionId !== undefined) return fromFile;
  const baseFiles = collectedValues(tree, distrolessBaseFiles)[0]?.value;
  return baseFiles === undefined ? fromFile : debianVersion(baseFiles.split(/[+~-]/)[0] ?? '');
}

// ---- tree access --------------------------------------------------------------------------

/** A release file's text; a symlink loop in a hostile image counts as no file. */
function readRelease(tree: FileTree, path: string): string | undefined {
  try {
    return collectedAt(tree, path, releaseFiles);
  } catch (e) {
    if (e instanceof DrydockError && e.code === 'limit-exceeded') return undefined;
    throw e;
  }
}

/** Where `path` leads (`/etc/os-release` → `/usr/lib/os-release`); readRelease succeeded. */
function realPath(tree: FileTree, path: string): string {
  return tree.resolvePath(path) ?? path;
}

/** Drops undefined and empty optional fields, so JSON output has no `"versionId": ""`. */
function withoutEmpty(distro: Distro): Distro {
  const out: Distro = { id: distro.id, idLike: distro.idLike, source: distro.source };
  if (distro.versionId) out.versionId = distro.versionId;
  if (distro.versionCodename) out.versionCodename = distro.versionCodename;
  if (distro.prettyName) out.prettyName = distro.prettyName;
  return out;
}
