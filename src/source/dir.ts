/**
 * A root filesystem directory as an image: one layer, generated on the fly as an uncompressed tar
 * of the tree, so the layer pipeline reads it like any other. The tar streams with backpressure
 * (one directory listing and one file stream at a time), and symlinks are recorded, never
 * followed, so nothing outside the directory is read.
 */
import { constants, type BigIntStats } from 'node:fs';
import { lstat, open, readdir, readlink, stat, type FileHandle } from 'node:fs/promises';
import { addAbortSignal, Readable } from 'node:stream';
import { DrydockError } from '../model/index.js';
import type { ImageConfigFile, ImageSource, LayerDescriptor, Limits } from '../model/index.js';
import { tarEnd, tarHeader, tarPadding, type TarHeader } from './tar-writer.js';

export interface DirectoryOptions {
  /** Unused: the layer reader enforces the limits on the generated tar like on any other. */
  limits: Limits;
}

const DIRECTORY_LAYER_MEDIA_TYPE = 'application/vnd.oci.image.layer.v1.tar';

/** Node's `process.arch` → OCI architecture names. */
const OCI_ARCHITECTURES: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
};

/**
 * No symlink may be followed at the last step, and a FIFO put in a file's place must not block
 * the open: what was opened is then checked against what the walk saw.
 */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

function unreadable(path: Buffer, e: unknown): DrydockError {
  const why = (e as NodeJS.ErrnoException).code ?? String(e);
  return new DrydockError(
    'invalid-argument',
    `cannot read ${path.toString()} (${why}); drydock must read every file of the directory — run it as a user who can, or remove the file`,
    { cause: e },
  );
}

/** The Linux encoding of dev_t (glibc's gnu_dev_major / gnu_dev_minor). */
function deviceNumbers(rdev: bigint): { devMajor: number; devMinor: number } {
  return {
    devMajor: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & 0xfffff000n)),
    devMinor: Number((rdev & 0xffn) | ((rdev >> 12n) & 0xffffff00n)),
  };
}

function changed(path: Buffer, detail: string): DrydockError {
  return new DrydockError(
    'invalid-argument',
    `${path.toString()} changed while drydock was reading it (${detail}); analyse a directory that is not being written to`,
  );
}

interface WalkEntry {
  /** Path inside the image, without a leading slash: `usr/bin/env`. */
  name: string;
  /**
   * Path on disk, as bytes: file names need not be UTF-8, and a decoded name with U+FFFD in it
   * names no file.
   */
  path: Buffer;
  stats: BigIntStats;
}

const SLASH = Buffer.from('/');

/** Depth-first, each directory's entries in byte order; lstat, so symlinks stay links. */
async function* walk(dir: Buffer, prefix: string): AsyncGenerator<WalkEntry> {
  let names: Buffer[];
  try {
    names = (await readdir(dir, { encoding: 'buffer' })).sort((a, b) => Buffer.compare(a, b));
  } catch (e) {
    throw unreadable(dir, e);
  }
  for (const entryName of names) {
    const path = Buffer.concat(
      dir.at(-1) === SLASH[0] ? [dir, entryName] : [dir, SLASH, entryName],
    );
    // Tar names are UTF-8 text: other bytes become U+FFFD there, never in the paths read.
    const name = prefix + entryName.toString('utf8');
    let stats: BigIntStats;
    try {
      stats = await lstat(path, { bigint: true });
    } catch (e) {
      throw unreadable(path, e);
    }
    yield { name, path, stats };
    if (stats.isDirectory()) yield* walk(path, `${name}/`);
  }
}

/**
 * Opens the regular file the walk saw at `path`, and fails if another file has taken its place
 * (a symlink out of the tree, a FIFO that would never end).
 */
async function openSameFile(path: Buffer, seen: BigIntStats): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw changed(path, 'now a symlink');
    throw unreadable(path, e);
  }
  try {
    const now = await handle.stat({ bigint: true });
    if (!now.isFile() || now.dev !== seen.dev || now.ino !== seen.ino) {
      throw changed(path, 'another file took its place');
    }
    return handle;
  } catch (e) {
    await handle.close();
    throw e instanceof DrydockError ? e : unreadable(path, e);
  }
}

/** Streams exactly `size` bytes of a regular file; a file that shrank meanwhile is an error. */
async function* fileContent(path: Buffer, stats: BigIntStats): AsyncGenerator<Buffer> {
  const size = Number(stats.size);
  const handle = await openSameFile(path, stats);
  if (size === 0) {
    await handle.close();
    return;
  }
  let read = 0;
  try {
    for await (const chunk of handle.createReadStream({ start: 0, end: size - 1 })) {
      read += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  } catch (e) {
    throw unreadable(path, e);
  }
  if (read !== size) throw changed(path, `${read} of ${size} bytes`);
  yield tarPadding(size);
}

class TreeTar {
  /** First name seen for each (dev, ino) of a multiply-linked file: later ones are hard links. */
  private readonly linkNames = new Map<string, string>();

  constructor(private readonly root: string) {}

  async *chunks(): AsyncGenerator<Buffer> {
    for await (const entry of walk(Buffer.from(this.root), '')) yield* this.entryChunks(entry);
    yield tarEnd();
  }

  private async *entryChunks({ name, path, stats }: WalkEntry): AsyncGenerator<Buffer> {
    const header: TarHeader = {
      name,
      type: 'file',
      mode: Number(stats.mode & 0o7777n),
      uid: Number(stats.uid),
      gid: Number(stats.gid),
      size: 0,
      mtime: Number(stats.mtimeNs / 1_000_000_000n),
    };
    if (stats.isFile()) {
      yield* this.fileChunks(header, path, stats);
      return;
    }
    const kind = await contentlessKind(path, stats);
    if (kind !== undefined) yield tarHeader({ ...header, ...kind });
  }

  private async *fileChunks(
    header: TarHeader,
    path: Buffer,
    stats: BigIntStats,
  ): AsyncGenerator<Buffer> {
    if (stats.nlink > 1n) {
      const key = `${stats.dev}:${stats.ino}`;
      const first = this.linkNames.get(key);
      if (first !== undefined) {
        yield tarHeader({ ...header, type: 'hardlink', linkTarget: first });
        return;
      }
      this.linkNames.set(key, header.name);
    }
    const size = Number(stats.size);
    const content = fileContent(path, stats);
    // Open the file before its header goes out, so an unreadable file fails with its name.
    const first = await content.next();
    try {
      yield tarHeader({ ...header, size });
      if (first.done) return;
      yield first.value;
      yield* content;
    } finally {
      await content.return(undefined); // closes the file if the reader stopped early
    }
  }
}

type ContentlessKind = Pick<TarHeader, 'type' | 'linkTarget' | 'devMajor' | 'devMinor'>;

/** The type of an entry other than a regular file, with its link or device numbers. */
async function contentlessKind(
  path: Buffer,
  stats: BigIntStats,
): Promise<ContentlessKind | undefined> {
  if (stats.isDirectory()) return { type: 'dir' };
  if (stats.isSymbolicLink()) return { type: 'symlink', linkTarget: await readLink(path) };
  if (stats.isCharacterDevice()) return { type: 'char', ...deviceNumbers(stats.rdev) };
  if (stats.isBlockDevice()) return { type: 'block', ...deviceNumbers(stats.rdev) };
  if (stats.isFIFO()) return { type: 'fifo' };
  return undefined; // a socket: tar cannot hold one, and it has no content (GNU tar skips them too)
}

async function readLink(path: Buffer): Promise<string> {
  try {
    return await readlink(path);
  } catch (e) {
    throw unreadable(path, e);
  }
}

function directoryConfig(): ImageConfigFile {
  return {
    architecture: OCI_ARCHITECTURES[process.arch] ?? process.arch,
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [] },
    config: {},
  };
}

async function checkIsDirectory(dir: string): Promise<void> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(dir)).isDirectory();
  } catch (e) {
    throw new DrydockError('not-found', `cannot open directory ${dir}: ${String(e)}`, { cause: e });
  }
  if (!isDirectory) throw new DrydockError('invalid-argument', `${dir} is not a directory`);
}

/** The root filesystem at `dir` as a one-layer image whose layer is made on the fly. */
export function openDirectory(dir: string, _options: DirectoryOptions): ImageSource {
  const name = `dir:${dir}`;
  const layer: LayerDescriptor = { index: 0, mediaType: DIRECTORY_LAYER_MEDIA_TYPE };
  return {
    name,
    async resolve(_platform, signal) {
      signal?.throwIfAborted();
      await checkIsDirectory(dir);
      return [
        {
          name,
          config: directoryConfig(),
          layers: [layer],
          async openLayer(_layer, layerSignal) {
            layerSignal?.throwIfAborted();
            await checkIsDirectory(dir); // it may be gone since resolve
            const tar = new TreeTar(dir).chunks();
            const stream = Readable.from(tar, { objectMode: false });
            return layerSignal ? addAbortSignal(layerSignal, stream) : stream;
          },
        },
      ];
    },
    close: () => Promise.resolve(),
  };
}
