import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { DrydockError } from '../model/index.js';
import { EXIT_ERROR, EXIT_OK, EXIT_USAGE, reportError, runCli } from './run.js';

function io(env: Record<string, string> = {}) {
  let stderr = '';
  return { stderr: { write: (text: string) => (stderr += text) }, env, text: () => stderr };
}

describe('reportError', () => {
  it('prints a DrydockError as one line and exits 1', () => {
    const out = io();
    const error = new DrydockError('not-found', 'image x not found;\ncheck the name');
    expect(reportError(error, out)).toBe(EXIT_ERROR);
    expect(out.text()).toBe('drydock: image x not found; check the name\n');
  });

  it('escapes untrusted text in messages, such as an archive member name', () => {
    const out = io();
    const error = new DrydockError('corrupt-layer', 'bad member "a\u001b]0;x\u0007b"\nin archive');
    reportError(error, out);
    expect(out.text()).toBe('drydock: bad member "a\\u001b]0;x\\u0007b" in archive\n');
    const internal = io();
    reportError(new Error('evil\u202etxt'), internal);
    expect(internal.text()).toMatch(/^drydock: internal error: evil\\u202etxt\n/);
  });

  it('calls anything else an internal error, with a stack only when debugging', () => {
    const quiet = io();
    expect(reportError(new TypeError('x is undefined'), quiet)).toBe(EXIT_ERROR);
    expect(quiet.text()).toBe(
      'drydock: internal error: x is undefined\n' +
        'drydock: this is a bug; please report it with the command you ran (DRYDOCK_DEBUG=1 shows the details)\n',
    );
    const debug = io({ DRYDOCK_DEBUG: '1' });
    reportError(new TypeError('x is undefined'), debug);
    expect(debug.text()).toMatch(
      /^drydock: internal error: x is undefined\n.*\nTypeError: x is undefined\n\s+at /,
    );
  });

  it('maps commander outcomes: help is success, the rest are usage errors', () => {
    expect(reportError(new CommanderError(0, 'commander.helpDisplayed', ''), io())).toBe(EXIT_OK);
    expect(reportError(new CommanderError(1, 'commander.unknownOption', ''), io())).toBe(
      EXIT_USAGE,
    );
  });
});

describe('runCli', () => {
  function program(action: () => Promise<void>): Command {
    return new Command('drydock').addCommand(new Command('go').option('--flag').action(action));
  }

  it('returns 0 when the command succeeds', async () => {
    expect(
      await runCli(
        program(() => Promise.resolve()),
        ['node', 'drydock', 'go'],
        io(),
      ),
    ).toBe(EXIT_OK);
  });

  it('turns an error thrown by a command into its exit code and message', async () => {
    const out = io();
    const failing = program(() => Promise.reject(new DrydockError('timeout', 'gave up')));
    expect(await runCli(failing, ['node', 'drydock', 'go'], out)).toBe(EXIT_ERROR);
    expect(out.text()).toBe('drydock: gave up\n');
  });

  it('prints commander usage errors with the drydock prefix and exits 2', async () => {
    const out = io();
    const code = await runCli(
      program(() => Promise.resolve()),
      ['node', 'drydock', 'go', '--nope'],
      out,
    );
    expect(code).toBe(EXIT_USAGE);
    expect(out.text()).toBe("drydock: unknown option '--nope'\n");
  });
});
