/**
 * A root filesystem directory as an image: one layer, generated on the fly as an uncompressed tar
 * of the tree, so the layer pipeline reads it like any other. The tar streams with backpressure
 * (one directory listing and one file stream at a time), and symlinks are recorded, never
 * followed, so nothing outside the directory is read.
 */
import type { BigIntStats } from 'node:fs';
import { lstat, open, readdir, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { addAbortSignal, Readable } from 'node:stream';
import { DrydockError, limitExceeded } from '../model/index.js';
import type { ImageConfigFile, ImageSource, LayerDescriptor, Limits } from '../model/index.js';

export interface DirectoryOptions {
  limits: Limits;
}

export const DIRECTORY_LAYER_MEDIA_TYPE = 'application/vnd.oci.image.layer.v1.tar';

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

const BLOCK = 512;
/** Largest values the ustar octal fields hold; larger ones go in PAX records. */
const MAX_OCTAL_7 = 0o7777777;
const MAX_OCTAL_11 = 0o77777777777;

/** ustar type flags, and `x` for a PAX extended header. */
type TypeFlag = '0' | '1' | '2' | '3' | '4' | '5' | '6' | 'x';

interface TarHeader {
  name: string;
  flag: TypeFlag;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkName?: string;
  devMajor?: number;
  devMinor?: number;
}

function unreadable(path: string, e: unknown): DrydockError {
  const why = (e as NodeJS.ErrnoException).code ?? String(e);
  return new DrydockError(
    'invalid-argument',
    `cannot read ${path} (${why}); drydock must read every file of the directory — run it as a user who can, or remove the file`,
    { cause: e },
  );
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) {
    length = String(length).length + Buffer.byteLength(body);
  }
  return `${length}${body}`;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function ustarBlock(h: TarHeader): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(h.name, 0, 100, 'utf8');
  block.write(octal(h.mode, 8), 100, 'latin1');
  block.write(octal(h.uid, 8), 108, 'latin1');
  block.write(octal(h.gid, 8), 116, 'latin1');
  block.write(octal(h.size, 12), 124, 'latin1');
  block.write(octal(h.mtime, 12), 136, 'latin1');
  block.write(' '.repeat(8), 148, 'latin1');
  block.write(h.flag, 156, 'latin1');
  block.write(h.linkName ?? '', 157, 100, 'utf8');
  block.write('ustar\u000000', 257, 'latin1');
  block.write(octal(h.devMajor ?? 0, 8), 329, 'latin1');
  block.write(octal(h.devMinor ?? 0, 8), 337, 'latin1');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(octal(sum, 7) + ' ', 148, 'latin1');
  return block;
}

function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/**
 * The header blocks of one entry: a PAX header first when a name is too long for ustar or a
 * number does not fit its octal field (the ustar field then holds a placeholder).
 */
function headerBlocks(h: TarHeader): Buffer[] {
  const records: string[] = [];
  const fields = { ...h };
  if (Buffer.byteLength(h.name) > 100) records.push(paxRecord('path', h.name));
  if (h.linkName !== undefined && Buffer.byteLength(h.linkName) > 100) {
    records.push(paxRecord('linkpath', h.linkName));
  }
  for (const [key, max] of [
    ['uid', MAX_OCTAL_7],
    ['gid', MAX_OCTAL_7],
    ['size', MAX_OCTAL_11],
    ['mtime', MAX_OCTAL_11],
  ] as const) {
    if (h[key] < 0 || h[key] > max) {
      records.push(paxRecord(key, String(h[key])));
      fields[key] = 0;
    }
  }
  if (records.length === 0) return [ustarBlock(fields)];
  const body = Buffer.from(records.join(''));
  const paxHeader = ustarBlock({
    name: 'PaxHeader',
    flag: 'x',
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: body.length,
    mtime: 0,
  });
  return [paxHeader, body, padding(body.length), ustarBlock(fields)];
}

/** The Linux encoding of dev_t (glibc's gnu_dev_major / gnu_dev_minor). */
function deviceNumbers(rdev: bigint): { devMajor: number; devMinor: number } {
  return {
    devMajor: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & 0xfffff000n)),
    devMinor: Number((rdev & 0xffn) | ((rdev >> 12n) & 0xffffff00n)),
  };
}

interface WalkEntry {
  /** Path inside the image, without a leading slash: `usr/bin/env`. */
  name: string;
  /** Path on disk. */
  path: string;
  stats: BigIntStats;
}

/** Depth-first, each directory's entries in sorted order; lstat, so symlinks stay links. */
async function* walk(dir: string, prefix: string): AsyncGenerator<WalkEntry> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (e) {
    throw unreadable(dir, e);
  }
  for (const entryName of names) {
    const path = join(dir, entryName);
    const name = prefix + entryName;
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

/** Streams exactly `size` bytes of a regular file; a file that shrank meanwhile is an error. */
async function* fileContent(path: string, size: number): AsyncGenerator<Buffer> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    throw unreadable(path, e);
  }
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
  if (read !== size) {
    throw new DrydockError(
      'invalid-argument',
      `${path} changed while drydock was reading it (${read} of ${size} bytes); analyse a directory that is not being written to`,
    );
  }
  yield padding(size);
}

class TreeTar {
  /** First name seen for each (dev, ino) of a multiply-linked file: later ones are hard links. */
  private readonly linkNames = new Map<string, string>();
  private entries = 0;

  constructor(
    private readonly root: string,
    private readonly limits: Limits,
  ) {}

  async *chunks(): AsyncGenerator<Buffer> {
    for await (const entry of walk(this.root, '')) {
      this.checkLimits(entry);
      yield* this.entryChunks(entry);
    }
    yield Buffer.alloc(2 * BLOCK);
  }

  private checkLimits({ name }: WalkEntry): void {
    if (++this.entries > this.limits.maxEntriesPerLayer) {
      throw limitExceeded(
        `the number of files in ${this.root}`,
        `${this.limits.maxEntriesPerLayer}`,
      );
    }
    if (Buffer.byteLength(name) > this.limits.maxPathBytes) {
      throw limitExceeded(`the path ${join(this.root, name)}`, `${this.limits.maxPathBytes} bytes`);
    }
  }

  private async *entryChunks({ name, path, stats }: WalkEntry): AsyncGenerator<Buffer> {
    const header: TarHeader = {
      name,
      flag: '0',
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
    if (stats.isDirectory()) {
      Object.assign(header, { name: `${name}/`, flag: '5' });
    } else if (stats.isSymbolicLink()) {
      Object.assign(header, { flag: '2', linkName: await readLink(path) });
    } else if (stats.isCharacterDevice() || stats.isBlockDevice()) {
      const flag = stats.isCharacterDevice() ? '3' : '4';
      Object.assign(header, { flag, ...deviceNumbers(stats.rdev) });
    } else if (stats.isFIFO()) {
      header.flag = '6';
    } else {
      return; // a socket: tar cannot hold one, and it has no content (GNU tar skips them too)
    }
    yield* headerBlocks(header);
  }

  private async *fileChunks(
    header: TarHeader,
    path: string,
    stats: BigIntStats,
  ): AsyncGenerator<Buffer> {
    if (stats.nlink > 1n) {
      const key = `${stats.dev}:${stats.ino}`;
      const first = this.linkNames.get(key);
      if (first !== undefined) {
        yield* headerBlocks({ ...header, flag: '1', linkName: first });
        return;
      }
      this.linkNames.set(key, header.name);
    }
    const size = Number(stats.size);
    const content = fileContent(path, size);
    // Open the file before its header goes out, so an unreadable file fails with its name.
    const first = await content.next();
    try {
      yield* headerBlocks({ ...header, size });
      if (first.done) return;
      yield first.value;
      yield* content;
    } finally {
      await content.return(undefined); // closes the file if the reader stopped early
    }
  }
}

async function readLink(path: string): Promise<string> {
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
export function openDirectory(dir: string, options: DirectoryOptions): ImageSource {
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
            const tar = new TreeTar(dir, options.limits).chunks();
            const stream = Readable.from(tar, { objectMode: false });
            return layerSignal ? addAbortSignal(layerSignal, stream) : stream;
          },
        },
      ];
    },
    close: () => Promise.resolve(),
  };
}
