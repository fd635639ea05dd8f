/**
 * JavaScript lockfiles, for apps shipped without node_modules: package-lock.json (v1 nested
 * `dependencies`; v2/v3 flat `packages`), npm-shrinkwrap.json (same format), yarn.lock (v1 and
 * berry) and pnpm-lock.yaml (v5 to v9). Each parser turns the text into the packages it locks;
 * none throws, a file it cannot read yields a `problem` to warn about.
 */
import type * as Yaml from 'yaml';
import { lazyRequire } from '../../util/lazy-require.js';

/** Only images with a pnpm lockfile pay for loading the YAML parser. */
const yaml = lazyRequire<typeof Yaml>('yaml');

/** One package a lockfile pins. */
export interface LockedPackage {
  name: string;
  version: string;
  license?: string;
  /** Where the package manager downloads it from (npm `resolved`, yarn `resolved`/`resolution`). */
  resolved?: string;
  integrity?: string;
}

export interface ParsedLockfile {
  packages: LockedPackage[];
  /** Why (part of) the file could not be read. */
  problem?: string;
}

/** Lockfile names, in the order a package manager prefers them when several sit together. */
export const LOCKFILE_NAMES = [
  'npm-shrinkwrap.json',
  'package-lock.json',
  'pnpm-lock.yaml',
  'yarn.lock',
] as const;
export type LockfileName = (typeof LOCKFILE_NAMES)[number];

/** More packages than any real lockfile holds; past it the rest is dropped with a warning. */
export const MAX_LOCKED_PACKAGES = 200_000;
/** npm v1 lockfiles nest `dependencies`; real trees are a few dozen deep. */
const MAX_V1_DEPTH = 256;
/** Longest name, version or URL kept (npm names are at most 214 characters). */
const MAX_FIELD_LENGTH = 2048;

export function isLockfileName(name: string): name is LockfileName {
  return (LOCKFILE_NAMES as readonly string[]).includes(name);
}

export function parseLockfile(name: LockfileName, text: string): ParsedLockfile {
  try {
    switch (name) {
      case 'npm-shrinkwrap.json':
      case 'package-lock.json':
        return parsePackageLock(text);
      case 'yarn.lock':
        return parseYarnLock(text);
      case 'pnpm-lock.yaml':
        return parsePnpmLock(text);
    }
  } catch (e) {
    // JSON/YAML syntax errors, and a stack overflow on absurdly nested input.
    return { packages: [], problem: e instanceof Error ? e.message : String(e) };
  }
}

// ---- shared helpers (package.json reading uses them too) ----

export type JsonRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A non-empty string field of bounded length, trimmed; anything else is undefined. */
export function textField(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  return text === '' || text.length > MAX_FIELD_LENGTH ? undefined : text;
}

export function stripBom(text: string): string {
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

/** The name in a descriptor such as `@scope/name@^1.0.0` or `name@npm:1.0.0`. */
function descriptorName(descriptor: string): string | undefined {
  const at = descriptor.indexOf('@', 1);
  return textField(at < 0 ? descriptor : descriptor.slice(0, at));
}

/** Accumulates packages up to MAX_LOCKED_PACKAGES. */
class LockedSet {
  readonly packages: LockedPackage[] = [];
  problem: string | undefined;

  add(pkg: Partial<LockedPackage>): void {
    const name = textField(pkg.name);
    const version = textField(pkg.version);
    if (name === undefined || version === undefined) return;
    if (this.packages.length >= MAX_LOCKED_PACKAGES) {
      this.problem = `more than ${MAX_LOCKED_PACKAGES} packages; the rest were not read`;
      return;
    }
    const locked: LockedPackage = { name, version };
    const license = textField(pkg.license);
    const resolved = textField(pkg.resolved);
    const integrity = textField(pkg.integrity);
    if (license !== undefined) locked.license = license;
    if (resolved !== undefined) locked.resolved = resolved;
    if (integrity !== undefined) locked.integrity = integrity;
    this.packages.push(locked);
  }

  result(): ParsedLockfile {
    return this.problem === undefined
      ? { packages: this.packages }
      : { packages: this.packages, problem: this.problem };
  }
}

// ---- package-lock.json / npm-shrinkwrap.json ----

function parsePackageLock(text: string): ParsedLockfile {
  const doc: unknown = JSON.parse(stripBom(text));
  if (!isRecord(doc)) return { packages: [], problem: 'not a JSON object' };
  const found = new LockedSet();
  // v2 carries both sections; `packages` is the complete one.
  if (isRecord(doc.packages)) addPackagesSection(doc.packages, found);
  else if (isRecord(doc.dependencies)) addDependencyTree(doc.dependencies, found);
  return found.result();
}

/** v2/v3: keys are install paths (`node_modules/a/node_modules/@s/b`); "" is the app itself. */
function addPackagesSection(packages: JsonRecord, found: LockedSet): void {
  for (const [path, entry] of Object.entries(packages)) {
    // The root is the app (listed from its package.json); links repeat their target's entry.
    if (path === '' || !isRecord(entry) || entry.link === true) continue;
    found.add({
      // `name` is written only where it differs from the path: aliases and workspace folders.
      name: textField(entry.name) ?? nameFromInstallPath(path),
      version: textField(entry.version),
      license: licenseText(entry.license),
      resolved: textField(entry.resolved),
      integrity: textField(entry.integrity),
    });
  }
}

function nameFromInstallPath(path: string): string | undefined {
  const marker = path.lastIndexOf('node_modules/');
  return marker < 0 ? undefined : textField(path.slice(marker + 'node_modules/'.length));
}

function licenseText(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    const parts = value.map(textField).filter((v): v is string => v !== undefined);
    return parts.length > 0 ? parts.join(' OR ') : undefined;
  }
  return textField(value);
}

/** v1: `dependencies` nest; an alias is written as version `npm:real-name@1.2.3`. */
function addDependencyTree(root: JsonRecord, found: LockedSet): void {
  const pending: { deps: JsonRecord; depth: number }[] = [{ deps: root, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    for (const [key, entry] of Object.entries(next.deps)) {
      if (!isRecord(entry)) continue;
      const written = textField(entry.version);
      const alias = written?.startsWith('npm:') === true ? written.slice(4) : undefined;
      found.add({
        name: alias === undefined ? key : descriptorName(alias),
        version: alias === undefined ? written : alias.slice(alias.lastIndexOf('@') + 1),
        resolved: textField(entry.resolved),
        integrity: textField(entry.integrity),
      });
      if (isRecord(entry.dependencies)) {
        if (next.depth + 1 >= MAX_V1_DEPTH) found.problem = `nested deeper than ${MAX_V1_DEPTH}`;
        else pending.push({ deps: entry.dependencies, depth: next.depth + 1 });
      }
    }
  }
}

// ---- yarn.lock ----

/**
 * Both yarn formats are blocks of a header line listing the descriptors (`"a@^1", a@^1.2:`) and
 * indented fields. v1 writes `version "1.2.3"`; berry writes YAML `version: 1.2.3` and a
 * `resolution` naming the real package. Read line by line: yarn writes these files in one fixed
 * style, and a YAML parse of a 32 MiB v1 file (not YAML) would fail anyway.
 */
function parseYarnLock(text: string): ParsedLockfile {
  const found = new LockedSet();
  let entry: YarnEntry | undefined;
  const flush = (): void => {
    if (entry !== undefined && !entry.skip) found.add(yarnPackage(entry));
  };
  for (const line of stripBom(text).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    if (!line.startsWith(' ')) {
      flush();
      entry = yarnHeader(line.trimEnd());
      continue;
    }
    if (entry === undefined || line.startsWith('    ')) continue; // nested maps: dependencies …
    const field = yarnField(line.trim());
    if (field !== undefined) entry.fields.set(field.key, field.value);
  }
  flush();
  return found.result();
}

interface YarnEntry {
  /** The first descriptor of the header, unquoted. */
  descriptor: string;
  fields: Map<string, string>;
  /** `__metadata` (berry) is not a package. */
  skip: boolean;
}

function yarnHeader(line: string): YarnEntry | undefined {
  if (!line.endsWith(':')) return undefined;
  // `a@^1, a@^1.2:` in v1; berry quotes the whole list: `"a@npm:^1, a@npm:^1.2":`.
  const first = line.slice(0, -1).split(',')[0] ?? '';
  const descriptor = first.trim().replace(/^"|"$/g, '');
  return { descriptor, fields: new Map(), skip: descriptor === '__metadata' };
}

/** `key "value"`, `key value` (v1) or `key: value` (berry). */
function yarnField(line: string): { key: string; value: string } | undefined {
  const match = /^("?[A-Za-z][\w-]*"?):?\s+(.+)$/.exec(line);
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  return { key: unquote(match[1]), value: unquote(match[2].trim()) };
}

function unquote(text: string): string {
  return text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
}

function yarnPackage(entry: YarnEntry): Partial<LockedPackage> {
  const resolution = entry.fields.get('resolution');
  if (resolution !== undefined) {
    // berry: `name@npm:1.2.3`; the app and its workspaces are `name@workspace:path`.
    const name = descriptorName(resolution);
    const protocol = resolution.slice((name?.length ?? 0) + 1);
    if (/^(workspace|link|portal):/.test(protocol)) return {};
    return {
      name,
      version: entry.fields.get('version'),
      resolved: resolution,
      integrity: entry.fields.get('checksum'),
    };
  }
  // v1 alias: `alias@npm:real@^1.0.0` installs `real`.
  const nameEnd = entry.descriptor.indexOf('@', 1);
  const range = nameEnd < 0 ? '' : entry.descriptor.slice(nameEnd + 1);
  return {
    name: range.startsWith('npm:')
      ? descriptorName(range.slice(4))
      : descriptorName(entry.descriptor),
    version: entry.fields.get('version'),
    resolved: entry.fields.get('resolved'),
    integrity: entry.fields.get('integrity'),
  };
}

// ---- pnpm-lock.yaml ----

/**
 * `packages` keys name what is installed: `/name/1.2.3_peer@1` (v5), `/name@1.2.3(peer@1)` (v6),
 * `name@1.2.3` (v9, whose peer variants sit in `snapshots`). Entries from tarballs or git also
 * carry `name` and `version` fields, which win.
 */
function parsePnpmLock(text: string): ParsedLockfile {
  const doc: unknown = yaml().parse(stripBom(text), {
    maxAliasCount: 100,
    uniqueKeys: false,
    // Warnings about odd tags would go to the user's stderr as Node warnings; the lockfile is untrusted.
    logLevel: 'error',
  });
  if (!isRecord(doc)) return { packages: [], problem: 'not a YAML mapping' };
  const found = new LockedSet();
  if (!isRecord(doc.packages)) return found.result();
  const slashKeys = pnpmMajorVersion(doc.lockfileVersion) < 6;
  for (const [key, entry] of Object.entries(doc.packages)) {
    const fromKey = slashKeys ? pnpmSlashKey(key) : pnpmAtKey(key);
    const fields = isRecord(entry) ? entry : {};
    const resolution = isRecord(fields.resolution) ? fields.resolution : {};
    found.add({
      name: textField(fields.name) ?? fromKey.name,
      version: textField(fields.version) ?? fromKey.version,
      integrity: textField(resolution.integrity),
      resolved: textField(resolution.tarball),
    });
  }
  return found.result();
}

function pnpmMajorVersion(value: unknown): number {
  const major = Number.parseInt(String(value), 10);
  return Number.isNaN(major) ? 9 : major;
}

/** v5: `/@scope/name/1.2.3_peer@2.0.0`. */
function pnpmSlashKey(key: string): { name?: string; version?: string } {
  const path = key.startsWith('/') ? key.slice(1) : key;
  const slash = path.lastIndexOf('/');
  if (slash <= 0) return {};
  return { name: path.slice(0, slash), version: path.slice(slash + 1).split('_')[0] };
}

/** v6+: `/@scope/name@1.2.3(peer@2.0.0)` or, from v9, without the leading slash. */
function pnpmAtKey(key: string): { name?: string; version?: string } {
  const path = key.startsWith('/') ? key.slice(1) : key;
  const peers = path.indexOf('(');
  const plain = peers < 0 ? path : path.slice(0, peers);
  const at = plain.indexOf('@', 1);
  if (at < 0) return {};
  return { name: plain.slice(0, at), version: plain.slice(at + 1) };
}
