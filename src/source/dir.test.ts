import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmod,
  link,
  mkdir,
  mkdtemp,
  readFile,
  rename,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_LIMITS,
  type LayerAnalysis,
  type Limits,
  type SourceImage,
} from '../model/index.js';
import { openDirectory } from './dir.js';
import { analyzeLayer } from './layers/analyze-layer.js';

/** Runs after every lstat, to swap a file between the walk's lstat and its open. */
const afterLstat = vi.hoisted(() => ({
  hook: undefined as ((path: string) => Promise<void>) | undefined,
}));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const lstat = async (...args: Parameters<typeof fs.lstat>): Promise<unknown> => {
    const stats = await fs.lstat(...args);
    await afterLstat.hook?.(args[0].toString());
    return stats;
  };
  return { ...fs, lstat };
});

const run = promisify(execFile);
const sha256 = (data: string): string => createHash('sha256').update(data).digest('hex');
const options = { limits: DEFAULT_LIMITS };
const longName = `long/${'n'.repeat(150)}`;
const bigFile = Buffer.alloc(3 * 1024 * 1024 + 7, 'abc');

let dir: string;
let tree: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drydock-dir-'));
  tree = join(dir, 'tree');
});
afterEach(async () => {
  afterLstat.hook = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** A tree with every kind of entry a root filesystem has. */
async function makeTree(): Promise<void> {
  await mkdir(join(tree, 'bin'), { recursive: true });
  await mkdir(join(tree, 'long'));
  await mkdir(join(tree, 'dev'));
  await writeFile(join(tree, 'bin', 'su'), 'suid\n');
  await chmod(join(tree, 'bin', 'su'), 0o4755);
  await link(join(tree, 'bin', 'su'), join(tree, 'bin', 'su2'));
  await symlink('bin/su', join(tree, 'sh'));
  await symlink('../../../etc/passwd', join(tree, 'escape'));
  await run('mkfifo', ['-m', '0640', join(tree, 'fifo')]);
  await run('mknod', ['-m', '0666', join(tree, 'dev', 'null'), 'c', '1', '3']);
  await writeFile(join(tree, longName), 'long name\n');
  await writeFile(join(tree, 'big'), bigFile);
  await writeFile(join(tree, 'empty'), '');
  const when = new Date('2024-05-06T07:08:09Z');
  for (const path of ['bin/su', 'big', 'empty', 'bin', ''])
    await utimes(join(tree, path), when, when);
}

async function resolveImage(): Promise<SourceImage> {
  const [image] = await openDirectory(tree, options).resolve('all');
  if (!image) throw new Error('no image');
  return image;
}

async function openLayer(image: SourceImage): Promise<Readable> {
  const layer = image.layers[0];
  if (!layer) throw new Error('no layer');
  return image.openLayer(layer);
}

/** Reads the generated layer as the analyser does. */
async function analyze(limits: Limits = DEFAULT_LIMITS): Promise<LayerAnalysis> {
  const image = await resolveImage();
  const layer = image.layers[0];
  if (!layer) throw new Error('no layer');
  return analyzeLayer(await image.openLayer(layer), layer, {
    limits,
    collectors: [],
    budget: { remainingBytes: limits.maxImageBytes },
  });
}

/** Pipes the generated layer into GNU tar with `args`; returns tar's stdout. */
async function gnuTar(args: string[]): Promise<string> {
  const tar = spawn('tar', [...args, '-f', '-'], { env: { ...process.env, TZ: 'UTC' } });
  let stdout = '';
  let stderr = '';
  tar.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  tar.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((done) => tar.on('close', done));
  await pipeline(await openLayer(await resolveImage()), tar.stdin);
  const code = await exited;
  if (code !== 0) throw new Error(`tar ${args.join(' ')} exited ${String(code)}: ${stderr}`);
  return stdout;
}

describe('openDirectory', () => {
  it('describes the tree as a one-layer image of this machine', async () => {
    await makeTree();
    const image = await resolveImage();
    expect(image).toMatchObject({
      name: `dir:${tree}`,
      config: { os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: {} },
      layers: [{ index: 0, mediaType: 'application/vnd.oci.image.layer.v1.tar' }],
    });
    expect(image.layers[0]?.digest).toBeUndefined();
    expect(image.config.architecture).toBe(
      { x64: 'amd64', arm64: 'arm64' }[process.arch as string] ?? process.arch,
    );
  });

  it('generates a tar GNU tar lists with the right names, modes and links', async () => {
    await makeTree();
    const listing = await gnuTar(['--numeric-owner', '-tv']);
    const lines = listing.trim().split('\n');
    const names = lines.map((l) => l.replace(/^(\S+\s+){5}/, ''));
    expect(names).toEqual([
      'big',
      'bin/',
      'bin/su',
      'bin/su2 link to bin/su',
      'dev/',
      'dev/null',
      'empty',
      'escape -> ../../../etc/passwd',
      'fifo',
      'long/',
      longName,
      'sh -> bin/su',
    ]);
    const line = (name: string) => lines.find((l) => l.endsWith(` ${name}`)) ?? '';
    expect(line('bin/su')).toMatch(/^-rwsr-xr-x 0\/0 +5 2024-05-06 07:08 bin\/su$/);
    expect(line('bin/')).toMatch(/^drwxr-xr-x 0\/0 +0 2024-05-06 07:08 bin\/$/);
    expect(line('big')).toMatch(new RegExp(`^-rw-r--r-- 0/0 +${bigFile.length} `));
    expect(line('fifo')).toMatch(/^prw-r----- /);
    expect(line('dev/null')).toMatch(/^crw-rw-rw- 0\/0 +1,3 /);
    expect(line('-> bin/su')).toMatch(/^lrwxrwxrwx /);
  });

  it('carries file contents and hard links that GNU tar extracts faithfully', async () => {
    await makeTree();
    const out = join(dir, 'out');
    await mkdir(out);
    await gnuTar(['-x', '-C', out, '--exclude=dev/null', '--exclude=fifo']);
    // Buffer.equals: a deep equality of 3 MiB element by element takes the test runner seconds.
    expect((await readFile(join(out, 'big'))).equals(bigFile)).toBe(true);
    expect(await readFile(join(out, longName), 'utf8')).toBe('long name\n');
    const [su, su2] = await Promise.all([stat(join(out, 'bin/su')), stat(join(out, 'bin/su2'))]);
    expect(su2.ino).toBe(su.ino);
    expect(su.mode & 0o7777).toBe(0o4755);
  });

  it('streams with backpressure instead of reading the tree ahead', async () => {
    await makeTree();
    const stream = await openLayer(await resolveImage());
    stream.pause();
    stream.read(0);
    for (let i = 0; i < 20; i++) await new Promise((done) => setImmediate(done));
    expect(stream.readableLength).toBeLessThan(bigFile.length / 4);
    stream.destroy();
  });

  it('is bounded by the layer reader, as every layer is', async () => {
    await makeTree();
    await expect(analyze({ ...DEFAULT_LIMITS, maxEntriesPerLayer: 3 })).rejects.toMatchObject({
      code: 'limit-exceeded',
    });
  });

  it('reads files whose names are not UTF-8', async () => {
    await mkdir(tree);
    const raw = Buffer.concat([Buffer.from(`${tree}/caf`), Buffer.from([0xff])]);
    await writeFile(raw, 'latin-1 name');
    await writeFile(join(tree, 'next'), 'after it');
    const { entries } = await analyze();
    expect(entries.map((e) => [e.path, e.sha256])).toEqual([
      ['/caf\ufffd', sha256('latin-1 name')],
      ['/next', sha256('after it')],
    ]);
  });

  it.each([
    ['a symlink out of the tree', (path: string) => symlink(join(dir, 'secret'), path)],
    ['a FIFO', (path: string) => run('mkfifo', [path])],
    ['another file', (path: string) => writeFile(path, 'OTHER!')],
  ])('fails when a file becomes %s after the walk saw it', async (_, replace) => {
    await mkdir(tree);
    await writeFile(join(dir, 'secret'), 'SECRET');
    const victim = join(tree, 'victim');
    await writeFile(victim, 'victim'); // as long as the secret, so a read of it would pass
    afterLstat.hook = async (path) => {
      if (path !== victim) return;
      // Made while the victim exists, so that it cannot get the victim's inode number.
      await replace(`${victim}.new`);
      await rename(`${victim}.new`, victim);
    };
    await expect(analyze()).rejects.toThrow(`${victim} changed while drydock was reading it`);
  });

  it('refuses a path that is not a directory', async () => {
    await writeFile(join(dir, 'file'), 'x');
    await expect(openDirectory(join(dir, 'file'), options).resolve('all')).rejects.toThrow(
      /is not a directory/,
    );
    await expect(openDirectory(join(dir, 'none'), options).resolve('all')).rejects.toMatchObject({
      code: 'not-found',
    });
  });

  it('fails naming a file it cannot read', async () => {
    await mkdir(join(tree, 'etc'), { recursive: true });
    await writeFile(join(tree, 'etc', 'shadow'), 'secret');
    await chmod(join(tree, 'etc', 'shadow'), 0o000);
    await chmod(dir, 0o755);
    // Root reads anything, so the reader runs as nobody when the tests run as root.
    const script = join(dir, 'read-tree.mts');
    await writeFile(
      script,
      `import { openDirectory } from ${JSON.stringify(resolve('src/source/dir.ts'))};
import { DEFAULT_LIMITS } from ${JSON.stringify(resolve('src/model/index.ts'))};
const [image] = await openDirectory(process.argv[2], { limits: DEFAULT_LIMITS }).resolve('all');
try {
  await (await image.openLayer(image.layers[0])).toArray();
  console.log('read everything');
} catch (e) {
  console.log(e.message);
}
`,
    );
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const childTmp = join(dir, 'tmp'); // tsx keeps a cache there; removed with `dir`
    await mkdir(childTmp, { mode: 0o777 });
    await chmod(childTmp, 0o777);
    const { stdout } = await run(resolve('node_modules/.bin/tsx'), [script, tree], {
      ...asNobody,
      env: { ...process.env, HOME: childTmp, TMPDIR: childTmp },
    });
    expect(stdout).toContain(`cannot read ${join(tree, 'etc', 'shadow')} (EACCES)`);
  });
});
