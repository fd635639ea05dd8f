/** Runs the built `drydock` CLI as a user would, in a home of its own. */
import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'drydock.js');
/** A run that takes longer has hung (a symlink loop followed forever, a stalled stream). */
const CLI_TIMEOUT_MS = 30_000;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `drydock ARGS` in `home` with a clean environment: no user config, Docker credentials
 * or cache leak in; `env` adds variables to it. Never rejects: the exit code is part of the result.
 */
export function runCli(
  args: string[],
  home: string,
  stdin = '',
  env: Record<string, string> = {},
): Promise<CliRun> {
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args],
      {
        cwd: home,
        env: { ...env, PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, 'xdg') },
        maxBuffer: 64 * 1024 * 1024,
        timeout: CLI_TIMEOUT_MS,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        done({ code, stdout, stderr });
      },
    );
    child.stdin?.end(stdin);
  });
}

/** Builds dist/ when a source is newer than it, so the CLI under test is the current code. */
export async function ensureBuilt(): Promise<void> {
  const builtAt = await mtime(join(ROOT, 'dist', 'cli', 'main.js'));
  const sources = await readdir(join(ROOT, 'src'), { recursive: true });
  const changedAt = await Promise.all(
    sources.filter((f) => f.endsWith('.ts')).map((f) => mtime(join(ROOT, 'src', f))),
  );
  if (builtAt > 0 && changedAt.every((t) => t <= builtAt)) return;
  // Type errors elsewhere still emit JavaScript; `npm run typecheck` is where they are reported.
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  await promisify(execFile)(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')]).catch(
    () => undefined,
  );
}

async function mtime(file: string): Promise<number> {
  return (await stat(file).catch(() => undefined))?.mtimeMs ?? 0;
}
