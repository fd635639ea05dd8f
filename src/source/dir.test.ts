import { execFile, spawn } from 'node:child_process';
import {
  chmod,
  link,
  mkdir,
  mkdtemp,
  readFile,
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
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, type SourceImage } from '../model/index.js';
import { openDirectory } from './dir.js';

const run = promisify(execFile);
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

  it('bounds the number of entries', async () => {
    await makeTree();
    const [image] = await openDirectory(tree, {
      limits: { ...DEFAULT_LIMITS, maxEntriesPerLayer: 3 },
    }).resolve('all');
    if (!image?.layers[0]) throw new Error('no layer');
    const stream = await image.openLayer(image.layers[0]);
    await expect(stream.toArray()).rejects.toMatchObject({ code: 'limit-exceeded' });
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
