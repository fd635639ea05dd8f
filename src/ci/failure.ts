/**
 * The exit codes of `drydock ci` besides 0 (pass) and 1 (a failed evaluation, enforced), and the
 * error that carries one of them out of either mode to the command.
 */

export const CI_EXIT = { usage: 2, timeout: 3, analysisFailed: 4 } as const;

/** An error and the exit code it ends the run with. */
export class CiFailure extends Error {
  constructor(
    readonly exitCode: number,
    readonly error: unknown,
  ) {
    super(error instanceof Error ? error.message : String(error), { cause: error });
  }
}
