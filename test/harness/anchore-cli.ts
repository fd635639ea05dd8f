/**
 * The real anchore-cli (Anchore's Python client, archived upstream) for tests against the engine.
 * Its source is never part of this repository: it is taken at test time from a bare git mirror
 * (`DRYDOCK_ANCHORE_CLI_MIRROR`, default /work/.mirror/anchore+anchore-cli/repo), extracted once
 * per process into a temporary directory and run, unmodified, by Debian's python3 with the
 * packages scripts/install-deps.sh installs. An `anchore-cli` launcher in that directory lets
 * tests run the seeds' shell lines as they are written.
 */
import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { CliRun } from './cli.js';

const run = promisify(execFile);

export const ANCHORE_CLI_MIRROR =
  process.env.DRYDOCK_ANCHORE_CLI_MIRROR ?? '/work/.mirror/anchore+anchore-cli/repo';
const PYTHON = '/usr/bin/python3';
/** What anchore-cli imports, and the Debian packages that provide them. */
const PYTHON_MODULES = 'click, prettytable, requests, yaml, dateutil';
const DEBIAN_PACKAGES =
  'python3-click python3-prettytable python3-requests python3-yaml python3-dateutil';
/** `image wait` polls; anything longer than this has hung. */
const RUN_TIMEOUT_MS = 60_000;

/** The mirror is a bare repository: it has a HEAD file at its top. */
export const anchoreCliAvailable = existsSync(join(ANCHORE_CLI_MIRROR, 'HEAD'));

/** The variables anchore-cli reads its engine and credentials from. */
export interface AnchoreCliEnv {
  ANCHORE_CLI_URL: string;
  ANCHORE_CLI_USER: string;
  ANCHORE_CLI_PASS: string;
  [name: string]: string;
}

interface Installed {
  /** Holds the `anchorecli` package; also HOME, so no user's ~/.anchore is read. */
  dir: string;
  /** Holds the `anchore-cli` launcher, for PATH. */
  bin: string;
}

let installed: Promise<Installed> | undefined;

/** Runs `anchore-cli ARGS`. Never rejects: the exit code is part of the result. */
export async function runAnchoreCli(args: string[], env: AnchoreCliEnv): Promise<CliRun> {
  const { dir } = await install();
  return runInCleanEnv(PYTHON, ['-m', 'anchorecli', ...args], dir, env, dir);
}

/**
 * Runs a line of a CI job with bash in `cwd`, `anchore-cli` on PATH and `env` set, as the seeds'
 * jobs run them (redirections, `&&`, `|| true` and all).
 */
export async function runCiLine(script: string, env: AnchoreCliEnv, cwd: string): Promise<CliRun> {
  const { dir, bin } = await install();
  const path = `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`;
  return runInCleanEnv('bash', ['-c', script], dir, { ...env, PATH: path }, cwd);
}

/** Runs the program in a clean environment: HOME is the install dir, so no user config leaks in. */
function runInCleanEnv(
  file: string,
  args: string[],
  dir: string,
  env: Record<string, string>,
  cwd: string,
): Promise<CliRun> {
  return new Promise((done) => {
    execFile(
      file,
      args,
      {
        cwd,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: dir,
          LC_ALL: 'C.UTF-8',
          PYTHONPATH: dir,
          PYTHONDONTWRITEBYTECODE: '1',
          ...env,
        },
        maxBuffer: 64 * 1024 * 1024,
        timeout: RUN_TIMEOUT_MS,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

function install(): Promise<Installed> {
  installed ??= extract();
  return installed;
}

/** `git archive` of the mirror's `anchorecli` package into a temp dir, removed at exit. */
async function extract(): Promise<Installed> {
  if (!anchoreCliAvailable)
    throw new Error(
      `no anchore-cli mirror at ${ANCHORE_CLI_MIRROR}; set DRYDOCK_ANCHORE_CLI_MIRROR to a bare clone of github.com/anchore/anchore-cli`,
    );
  const dir = await mkdtemp(join(tmpdir(), 'drydock-anchore-cli-'));
  process.once('exit', () => {
    rmSync(dir, { recursive: true, force: true });
  });
  const archive = join(dir, 'anchorecli.tar');
  await run('git', [
    '--git-dir',
    ANCHORE_CLI_MIRROR,
    'archive',
    '-o',
    archive,
    'HEAD',
    'anchorecli',
  ]);
  await run('tar', ['-xf', archive, '-C', dir]);
  await run(PYTHON, ['-c', `import ${PYTHON_MODULES}`]).catch((error: unknown) => {
    throw new Error(
      `anchore-cli needs the Python modules ${PYTHON_MODULES}: install ${DEBIAN_PACKAGES} (scripts/install-deps.sh) — ${String(error)}`,
    );
  });
  const bin = join(dir, 'bin');
  await mkdir(bin);
  const launcher = join(bin, 'anchore-cli');
  await writeFile(launcher, `#!/bin/sh\nexec ${PYTHON} -m anchorecli "$@"\n`);
  await chmod(launcher, 0o755);
  return { dir, bin };
}
