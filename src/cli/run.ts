/**
 * Runs the command line and turns every outcome into an exit code: 0 success, 1 an error
 * (`drydock: <message>` on stderr, never a stack trace), 2 a usage error.
 */
import { once } from 'node:events';
import { open } from 'node:fs/promises';
import { CommanderError, type Command } from 'commander';
import { DrydockError, isDrydockError } from '../model/index.js';
import { oneLine, printable } from '../util/text.js';

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;

export interface CliIo {
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
}

const defaultIo: CliIo = { stderr: process.stderr, env: process.env };

/** Parses `argv` (as process.argv: node, script, args…) and runs the command it names. */
export async function runCli(program: Command, argv: string[], io = defaultIo): Promise<number> {
  configure(program, io);
  try {
    await program.parseAsync(argv);
    return EXIT_OK;
  } catch (error) {
    return reportError(error, io);
  }
}

/** Commander prints its own usage errors; they come back here as exceptions, not exits. */
function configure(command: Command, io: CliIo): void {
  command.exitOverride();
  command.configureOutput({
    writeErr: (text) => io.stderr.write(text),
    outputError: (text, write) => {
      write(text.replace(/^error: /, 'drydock: '));
    },
  });
  for (const sub of command.commands) configure(sub, io);
}

export function reportError(error: unknown, io: CliIo = defaultIo): number {
  if (error instanceof CommanderError) {
    // Help and --version "fail" with exit code 0; anything else is a usage error, already printed.
    // Commander's own usage errors carry 1; a command that names a code above 2 keeps it
    // (`drydock ci`: 3 timeout, 4 analysis failed).
    return error.exitCode === 0 ? EXIT_OK : Math.max(error.exitCode, EXIT_USAGE);
  }
  // Messages carry untrusted text (archive member names, parser output): escaped here, once.
  if (isDrydockError(error)) {
    io.stderr.write(`drydock: ${safe(error.message)}\n`);
    return EXIT_ERROR;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(
    `drydock: internal error: ${safe(message)}\n` +
      'drydock: this is a bug; please report it with the command you ran' +
      (io.env.DRYDOCK_DEBUG === '1' ? '\n' : ' (DRYDOCK_DEBUG=1 shows the details)\n'),
  );
  if (io.env.DRYDOCK_DEBUG === '1' && error instanceof Error && error.stack) {
    io.stderr.write(`${error.stack}\n`);
  }
  return EXIT_ERROR;
}

function safe(message: string): string {
  return printable(oneLine(message));
}

/** Chunks written at once; a million tiny writes would cost more than the listing itself. */
const WRITE_BATCH = 64 * 1024;

/** Writes to stdout with backpressure, so a huge listing never sits in memory whole. */
export async function writeStdout(chunks: Iterable<string>): Promise<void> {
  await writeBatched(chunks, writeChunk);
}

async function writeBatched(
  chunks: Iterable<string>,
  write: (text: string) => Promise<unknown>,
): Promise<void> {
  let batch = '';
  for (const chunk of chunks) {
    batch += chunk;
    if (batch.length >= WRITE_BATCH) {
      await write(batch);
      batch = '';
    }
  }
  if (batch !== '') await write(batch);
}

async function writeChunk(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}

/**
 * `drydock files … | head`: the reader went away, which is not an error worth a message. Any
 * other failure to write (a full disk) ends the run with one line, as every error does.
 */
export function handleStdoutErrors(io: CliIo = defaultIo): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') {
      io.stderr.write(`drydock: cannot write the output: ${error.code ?? error.message}\n`);
    }
    process.exit(error.code === 'EPIPE' ? EXIT_OK : EXIT_ERROR);
  });
}

/** Writes `chunks` to `file` (`--file`), or to standard output when there is none. */
export async function writeOutput(
  file: string | undefined,
  chunks: Iterable<string>,
): Promise<void> {
  await (file === undefined ? writeStdout(chunks) : writeFileChunks(file, chunks));
}

async function writeFileChunks(file: string, chunks: Iterable<string>): Promise<void> {
  const handle = await open(file, 'w').catch((e: unknown) => {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new DrydockError('invalid-argument', `--file ${file} cannot be written (${code})`, {
      cause: e,
    });
  });
  try {
    await writeBatched(chunks, (text) => handle.write(text));
  } finally {
    await handle.close();
  }
}
