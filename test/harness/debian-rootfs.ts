/**
 * A real Debian root filesystem made by debootstrap (bookworm, minbase), for tests that check the
 * dpkg cataloger against dpkg-query. Made once and kept in `.cache/debian-rootfs/` at the
 * repository root, so only the first run on a machine pays the minute it takes. Needs root and
 * network access to the Debian mirror.
 */
import { execFile } from 'node:child_process';
import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const CACHE_DIR = resolve(import.meta.dirname, '..', '..', '.cache', 'debian-rootfs');
const SUITE = 'bookworm';
const MIRROR = 'http://deb.debian.org/debian';
const ROOT = join(CACHE_DIR, `${SUITE}-minbase`);
/** Written after debootstrap succeeded: a root without it is an interrupted run. */
const DONE_MARKER = `${ROOT}.done`;
const DEBOOTSTRAP_TIMEOUT_MS = 15 * 60_000;

/** Where debootstrap is, or undefined when it is not installed. */
export async function findDebootstrap(): Promise<string | undefined> {
  for (const dir of [
    '/usr/sbin',
    '/sbin',
    '/usr/bin',
    '/bin',
    ...(process.env.PATH ?? '').split(':').filter((dir) => dir !== ''),
  ]) {
    const path = join(dir, 'debootstrap');
    if (await exists(path)) return path;
  }
  return undefined;
}

/** The root directory of the cached Debian system, made first when needed. */
export async function debianRootfs(debootstrap: string): Promise<string> {
  if (await exists(DONE_MARKER)) return ROOT;
  await mkdir(CACHE_DIR, { recursive: true });
  // A fresh directory per attempt: an interrupted run may have left mounts behind in its own.
  const work = join(CACHE_DIR, `${SUITE}-minbase.partial-${process.pid}-${Date.now()}`);
  try {
    await run(debootstrap, ['--variant=minbase', SUITE, work, MIRROR], {
      timeout: DEBOOTSTRAP_TIMEOUT_MS,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (e) {
    // Never into a /proc or /sys that a killed debootstrap left mounted there.
    await run('rm', ['-rf', '--one-file-system', work]).catch(() => undefined);
    throw e;
  }
  await rm(ROOT, { recursive: true, force: true }); // renamed into place but never marked done
  await rename(work, ROOT);
  await writeFile(DONE_MARKER, `${new Date().toISOString()}\n`);
  return ROOT;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
