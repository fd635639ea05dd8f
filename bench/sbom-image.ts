/**
 * The SBOM benchmark image: a docker-archive tar built from real Debian packages, with three
 * layers as a Dockerfile would make them:
 *
 * 0 `os`      — `debootstrap --variant=minbase bookworm` (the base image)
 * 1 `runtime` — what `--include=<RUNTIME_PACKAGES>` adds or changes on top of it (Java, Python,
 *               Ruby and their libraries), with whiteouts for what it removes: the difference of
 *               a second debootstrap run with those packages against the first
 * 2 `app`     — /app: a copy of this repository's node_modules tree with its package.json and
 *               lockfile, Debian's jars, and a war nesting jars under WEB-INF/lib
 *
 * Debian's package cache (.deb files) and apt lists are left out, as Debian's own images do.
 * Headers carry a fixed mtime and entries are sorted, so two builds from the same packages and
 * the same node_modules give the same layers, except files the maintainer scripts stamp with
 * the date (the Java keystore, debconf's cache). The stamp lists every Debian package version.
 */
import { createHash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import {
  copyFile,
  cp,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  writeFile,
  type FileHandle,
} from 'node:fs/promises';
import { join } from 'node:path';
import { tarEnd, tarHeader, tarPadding, type TarHeader } from '../src/source/tar-writer.js';
import { ROOT, runChild } from './measure.js';

/** Bump whenever what the builder writes changes: cached archives are rebuilt. */
const GENERATOR_VERSION = 1;

const SUITE = 'bookworm';
const MIRROR = 'http://deb.debian.org/debian';
export const RUNTIME_PACKAGES = [
  'default-jre-headless',
  'python3',
  'python3-requests',
  'python3-yaml',
  'ruby',
  'ruby-rack',
  'libcommons-lang3-java',
  'libcommons-io-java',
  'libguava-java',
  'libslf4j-java',
];
/** Versioned jar names under /usr/share/java that go into the war's WEB-INF/lib. */
const WAR_LIBRARIES = /^(commons-lang3|commons-io|guava|slf4j-api)-\d[^/]*\.jar$/;
/** A jar the app ships next to the war. */
const APP_LIBRARY = /^slf4j-simple-\d[^/]*\.jar$/;

const MTIME = 1_700_000_000;
const APP_UID = 1000;
const IMAGE_TAG = 'drydock-bench/sbom:latest';
const STAMP = 'sbom-image-stamp.json';

/**
 * Directories whose contents a container image does not carry: kernel file systems, and apt's
 * package cache and lists.
 */
const EMPTY_DIRS = new Set(['dev', 'proc', 'sys', 'var/cache/apt/archives', 'var/lib/apt/lists']);

export interface LayerStats {
  name: string;
  diffId: string;
  /** Bytes of the uncompressed layer tar. */
  size: number;
  entries: number;
}

export interface SbomImage {
  archive: string;
  archiveBytes: number;
  layers: LayerStats[];
  /** Regular files visible in the squashed image (what "every file" means). */
  visibleFiles: number;
  /** `name=version` of every Debian package installed. */
  debianPackages: string[];
}

interface Stamp extends SbomImage {
  generatorVersion: number;
}

/** Builds the archive under `dir` unless a stamp from this generator version says it is there. */
export async function ensureSbomImage(dir: string): Promise<{ image: SbomImage; built: boolean }> {
  const cached = await readStamp(dir);
  if (cached) return { image: cached, built: false };
  const image = await buildSbomImage(dir);
  const stamp: Stamp = { generatorVersion: GENERATOR_VERSION, ...image };
  await writeFile(join(dir, STAMP), `${JSON.stringify(stamp, null, 2)}\n`);
  return { image, built: true };
}

async function readStamp(dir: string): Promise<SbomImage | undefined> {
  try {
    const stamp = JSON.parse(await readFile(join(dir, STAMP), 'utf8')) as Stamp;
    if (stamp.generatorVersion !== GENERATOR_VERSION) return undefined;
    return (await stat(stamp.archive)).size === stamp.archiveBytes ? stamp : undefined;
  } catch {
    return undefined;
  }
}

async function buildSbomImage(dir: string): Promise<SbomImage> {
  const work = join(dir, 'work');
  const debs = join(dir, 'debs'); // kept: a rebuild downloads nothing again
  await rm(work, { recursive: true, force: true });
  await mkdir(debs, { recursive: true });
  await mkdir(work, { recursive: true });
  const base = join(work, 'base');
  const full = join(work, 'full');
  console.log(`debootstrap ${SUITE} minbase…`);
  await debootstrap(debs, base, []);
  console.log(`debootstrap ${SUITE} minbase with ${RUNTIME_PACKAGES.join(', ')}…`);
  await debootstrap(debs, full, RUNTIME_PACKAGES);
  const app = join(work, 'app');
  await stageApp(full, app, work);

  console.log('writing layers…');
  const counter = { files: 0 };
  const layers = [
    await writeLayer(work, 'os', treeEntries(base, '')),
    await writeLayer(work, 'runtime', diffEntries(full, base, '', counter)),
    await writeLayer(work, 'app', appEntries(app, counter)),
  ];
  const archive = join(dir, 'sbom-image.tar');
  await writeArchive(work, layers, archive);
  const debianPackages = await installedPackages(full);
  await rm(work, { recursive: true, force: true });
  const archiveBytes = (await stat(archive)).size;
  return {
    archive,
    archiveBytes,
    layers: layers.map(({ name, diffId, size, entries }) => ({ name, diffId, size, entries })),
    visibleFiles: counter.files,
    debianPackages,
  };
}

function debootstrap(cache: string, target: string, include: string[]): Promise<number> {
  const args = ['--variant=minbase', `--cache-dir=${cache}`];
  if (include.length > 0) args.push(`--include=${include.join(',')}`);
  return runChild({ command: 'debootstrap', args: [...args, SUITE, target, MIRROR] });
}

async function installedPackages(root: string): Promise<string[]> {
  const list = join(root, 'tmp', 'packages.txt');
  await runChild({
    command: 'dpkg-query',
    args: [`--admindir=${join(root, 'var/lib/dpkg')}`, '-W', '-f=${Package}=${Version}\\n'],
    stdoutFile: list,
  });
  return (await readFile(list, 'utf8')).split('\n').filter(Boolean).sort();
}

// ── the app ────────────────────────────────────────────────────────────────────────────────────

/** /app: node_modules with its manifest and lockfile, a standalone jar and a war. */
async function stageApp(full: string, app: string, work: string): Promise<void> {
  console.log('staging the app (node_modules, jars, war)…');
  await mkdir(join(app, 'lib'), { recursive: true });
  await cp(join(ROOT, 'node_modules'), join(app, 'node_modules'), {
    recursive: true,
    verbatimSymlinks: true,
  });
  for (const file of ['package.json', 'package-lock.json']) {
    await copyFile(join(ROOT, file), join(app, file));
  }
  const javaDir = join(full, 'usr/share/java');
  const jars = (await readdir(javaDir)).sort();
  for (const jar of jars.filter((j) => APP_LIBRARY.test(j))) {
    await copyFile(join(javaDir, jar), join(app, 'lib', jar));
  }
  const warRoot = join(work, 'war');
  await mkdir(join(warRoot, 'WEB-INF/lib'), { recursive: true });
  await mkdir(join(warRoot, 'META-INF'), { recursive: true });
  await writeFile(join(warRoot, 'META-INF/MANIFEST.MF'), 'Manifest-Version: 1.0\r\n\r\n');
  await writeFile(join(warRoot, 'WEB-INF/web.xml'), WEB_XML);
  const nested = jars.filter((j) => WAR_LIBRARIES.test(j));
  for (const jar of nested) await copyFile(join(javaDir, jar), join(warRoot, 'WEB-INF/lib', jar));
  const members = [
    'META-INF/MANIFEST.MF',
    'WEB-INF/web.xml',
    ...nested.map((j) => `WEB-INF/lib/${j}`),
  ];
  await zip(warRoot, join(app, 'webapp.war'), members);
}

const WEB_XML = `<?xml version="1.0" encoding="UTF-8"?>
<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">
  <display-name>bench</display-name>
</web-app>
`;

/** A zip of `members` in the given order, with fixed times and no extra attributes. */
async function zip(cwd: string, out: string, members: string[]): Promise<void> {
  const list = join(cwd, 'members.txt');
  await writeFile(list, members.join('\n'));
  await runChild({
    command: 'touch',
    args: ['-d', `@${MTIME}`, ...members.map((m) => join(cwd, m))],
  });
  // zip reads the member list from stdin (-@); the shell only redirects it, names stay arguments.
  await runChild({
    command: 'sh',
    args: ['-c', 'cd "$1" && zip -q -X -n .jar -@ "$2" < "$3"', 'zip', cwd, out, list],
    env: { TZ: 'UTC' }, // zip stores local times
  });
}

// ── layer entries ──────────────────────────────────────────────────────────────────────────────

/** One tar entry, with the file on disk that holds its content (regular files only). */
interface LayerEntry {
  header: TarHeader;
  source?: string;
  /** Device and inode of a regular file, to write later links to it as hard links. */
  inode?: string;
}

type EntryType = 'file' | 'dir' | 'symlink';

function entryType(s: Stats): EntryType | undefined {
  if (s.isFile()) return 'file';
  if (s.isDirectory()) return 'dir';
  if (s.isSymbolicLink()) return 'symlink';
  return undefined; // devices, FIFOs and sockets: none outside /dev in a debootstrapped root
}

async function entryFor(path: string, name: string, s: Stats, uid?: number): Promise<LayerEntry> {
  const type = entryType(s) ?? 'file';
  const header: TarHeader = {
    name,
    type,
    mode: s.mode & 0o7777,
    uid: uid ?? s.uid,
    gid: uid ?? s.gid,
    size: type === 'file' ? s.size : 0,
    mtime: MTIME,
  };
  if (type === 'symlink') header.linkTarget = await readlink(path);
  if (type !== 'file') return { header };
  return { header, source: path, inode: `${s.dev}:${s.ino}` };
}

/** Names in byte order, as `tar --sort=name` writes them. */
async function sortedNames(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => []);
  return names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** Every entry under `root`, depth first; the contents of EMPTY_DIRS are left out. */
async function* treeEntries(
  root: string,
  prefix: string,
  uid?: number,
): AsyncGenerator<LayerEntry> {
  for (const name of await sortedNames(join(root, prefix))) {
    const rel = prefix + name;
    const path = join(root, rel);
    const s = await lstat(path);
    if (entryType(s) === undefined) continue;
    yield await entryFor(path, rel, s, uid);
    if (s.isDirectory() && !EMPTY_DIRS.has(rel)) yield* treeEntries(root, `${rel}/`, uid);
  }
}

/** The app layer: /app and everything under it, owned by the app user. */
async function* appEntries(app: string, counter: { files: number }): AsyncGenerator<LayerEntry> {
  const top = await entryFor(app, 'app', await lstat(app), APP_UID);
  yield top;
  for await (const entry of treeEntries(app, '', APP_UID)) {
    if (entry.header.type === 'file') counter.files++;
    yield { ...entry, header: { ...entry.header, name: `app/${entry.header.name}` } };
  }
}

/**
 * What `upper` adds or changes over `lower` under `prefix`, as a layer on top of it: new and
 * changed entries (with the directories above them, as container builders write them) and a
 * whiteout for every entry `lower` has and `upper` lacks. Counts the regular files of `upper`.
 */
async function* diffEntries(
  upper: string,
  lower: string,
  prefix: string,
  counter: { files: number },
): AsyncGenerator<LayerEntry> {
  const upperNames = await sortedNames(join(upper, prefix));
  const lowerNames = await sortedNames(join(lower, prefix));
  const inLower = new Set(lowerNames);
  for (const name of upperNames) {
    const rel = prefix + name;
    const s = await lstat(join(upper, rel));
    const type = entryType(s);
    if (type === undefined) continue;
    const entry = await entryFor(join(upper, rel), rel, s);
    const old = inLower.has(name) ? await lstat(join(lower, rel)) : undefined;
    if (type === 'file') counter.files++;
    const changed = old === undefined || !(await sameEntry(entry, old, join(lower, rel)));
    if (type !== 'dir' || EMPTY_DIRS.has(rel)) {
      if (changed) yield entry;
    } else if (old?.isDirectory()) {
      // An unchanged directory is written only when something below it is.
      let written = changed;
      if (changed) yield entry;
      for await (const below of diffEntries(upper, lower, `${rel}/`, counter)) {
        if (!written) yield entry;
        written = true;
        yield below;
      }
    } else {
      yield entry;
      yield* countFiles(treeEntries(upper, `${rel}/`), counter);
    }
  }
  const inUpper = new Set(upperNames);
  for (const name of lowerNames) {
    if (!inUpper.has(name)) yield whiteout(`${prefix}.wh.${name}`);
  }
}

async function* countFiles(
  entries: AsyncGenerator<LayerEntry>,
  counter: { files: number },
): AsyncGenerator<LayerEntry> {
  for await (const entry of entries) {
    if (entry.header.type === 'file') counter.files++;
    yield entry;
  }
}

function whiteout(name: string): LayerEntry {
  return { header: { name, type: 'file', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: MTIME } };
}

async function sameEntry(entry: LayerEntry, old: Stats, oldPath: string): Promise<boolean> {
  const h = entry.header;
  if (entryType(old) !== h.type || (old.mode & 0o7777) !== h.mode) return false;
  if (old.uid !== h.uid || old.gid !== h.gid) return false;
  if (h.type === 'symlink') return (await readlink(oldPath)) === h.linkTarget;
  if (h.type !== 'file') return true;
  if (old.size !== h.size || entry.source === undefined) return false;
  return (await sha256File(oldPath)) === (await sha256File(entry.source));
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

// ── tar writing ────────────────────────────────────────────────────────────────────────────────

/** Appends to a file while hashing and counting what was written. */
class HashedFile {
  private readonly hash = createHash('sha256');
  bytes = 0;

  private constructor(private readonly handle: FileHandle) {}

  static async create(path: string): Promise<HashedFile> {
    return new HashedFile(await open(path, 'w'));
  }

  async write(chunk: Buffer): Promise<void> {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    await this.handle.write(chunk);
  }

  async writeFileContent(path: string): Promise<void> {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      await this.write(chunk as Buffer);
    }
  }

  async close(): Promise<string> {
    await this.handle.close();
    return `sha256:${this.hash.digest('hex')}`;
  }
}

/** Writes `entries` as an uncompressed layer tar; a second name of an inode becomes a hard link. */
async function writeLayer(
  work: string,
  name: string,
  entries: AsyncIterable<LayerEntry>,
): Promise<LayerStats & { path: string }> {
  const path = join(work, `${name}.tar`);
  const out = await HashedFile.create(path);
  const seen = new Map<string, string>();
  let count = 0;
  for await (const entry of entries) {
    count++;
    const first = entry.inode === undefined ? undefined : seen.get(entry.inode);
    if (first !== undefined) {
      await out.write(tarHeader({ ...entry.header, type: 'hardlink', size: 0, linkTarget: first }));
      continue;
    }
    if (entry.inode !== undefined) seen.set(entry.inode, entry.header.name);
    await out.write(tarHeader(entry.header));
    if (entry.source !== undefined && entry.header.size > 0) {
      await out.writeFileContent(entry.source);
      await out.write(tarPadding(entry.header.size));
    }
  }
  await out.write(tarEnd());
  const diffId = await out.close();
  return { name, path, diffId, size: out.bytes, entries: count };
}

/** The docker-archive: layers named `<hex>.tar` as skopeo writes them, the config, manifest.json. */
async function writeArchive(
  work: string,
  layers: (LayerStats & { path: string })[],
  archive: string,
): Promise<void> {
  const config = Buffer.from(JSON.stringify(imageConfig(layers)));
  const configName = `${createHash('sha256').update(config).digest('hex')}.json`;
  const layerNames = layers.map((l) => `${l.diffId.slice('sha256:'.length)}.tar`);
  const manifest = Buffer.from(
    JSON.stringify([{ Config: configName, RepoTags: [IMAGE_TAG], Layers: layerNames }]),
  );
  const partial = `${archive}.partial`;
  const out = await HashedFile.create(partial);
  const member = (name: string, size: number): Buffer =>
    tarHeader({ name, type: 'file', mode: 0o644, uid: 0, gid: 0, size, mtime: MTIME });
  for (const [i, layer] of layers.entries()) {
    await out.write(member(layerNames[i] ?? '', layer.size));
    await out.writeFileContent(layer.path);
    await out.write(tarPadding(layer.size));
  }
  for (const [name, bytes] of [
    [configName, config],
    ['manifest.json', manifest],
  ] as const) {
    await out.write(member(name, bytes.length));
    await out.write(bytes);
    await out.write(tarPadding(bytes.length));
  }
  await out.write(tarEnd());
  await out.close();
  await rename(partial, archive);
}

function imageConfig(layers: LayerStats[]): object {
  const created = new Date(MTIME * 1000).toISOString();
  return {
    architecture: 'amd64',
    os: 'linux',
    created,
    config: {
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      WorkingDir: '/app',
      User: String(APP_UID),
      Cmd: ['java', '-version'],
    },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: [
      { created, created_by: `debootstrap --variant=minbase ${SUITE} ${MIRROR}` },
      { created, created_by: `RUN apt-get install ${RUNTIME_PACKAGES.join(' ')}` },
      { created, created_by: 'COPY app /app' },
    ],
  };
}
