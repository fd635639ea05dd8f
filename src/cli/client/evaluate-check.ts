/**
 * `drydock evaluate check IMAGE`: the engine's policy evaluation, as `anchore-cli evaluate check`
 * prints it, exit 0 pass, 1 fail, 2 no verdict. It is a subcommand of `drydock evaluate SOURCE`
 * (the evaluation drydock runs itself): commander dispatches `check` before reading SOURCE, and
 * positional options keep `evaluate`'s options from swallowing those of `check`.
 */
import type { Command } from 'commander';
import { failure } from '../../client/cli-output.js';
import { checkResponseText, verdictExitCode } from '../../client/evaluate-output.js';
import { discoverImage } from '../../client/image-input.js';
import type { AnchoreCheckResponse } from '../../report/policy/anchore-check.js';
import { clientCommand, runEngineCommand } from './engine-command.js';

/** `evaluate` with `check` added; `drydock evaluate SOURCE` works as before. */
export function withEngineCheck(evaluate: Command): Command {
  return evaluate.enablePositionalOptions().helpCommand(false).addCommand(checkCommand());
}

interface CheckOptions {
  showHistory?: boolean;
  detail?: boolean;
  tag?: string;
  policy?: string;
}

function checkCommand(): Command {
  return clientCommand(
    'check',
    "the engine's policy evaluation of an image (anchore-cli evaluate check): exit 0 pass, 1 fail",
  )
    .argument('<image>', 'a tag (registry/repo:tag), an image digest or an image ID')
    .option('--show-history', 'every evaluation the engine kept, not only the latest')
    .option('--detail', 'every trigger that fired')
    .option('--tag <tag>', 'the tag to evaluate the image as (needed for a digest or image ID)')
    .option('--policy <policy-id>', 'evaluate with this bundle (default: the active one)')
    .action((input: string, options: CheckOptions, self: Command) =>
      runEngineCommand(self, async (run) => {
        const image = await discoverImage(run.client, input);
        if (image.digest === undefined) throw failure('could not get image record from anchore');
        const tag = options.tag || (image.kind === 'tag' ? input : undefined);
        if (tag === undefined)
          throw failure('input image name is not a tag, and no --tag is specified');
        const response = run.payloadOf(
          await run.client.checkImage(image.digest, {
            history: options.showHistory === true,
            detail: options.detail === true,
            tag,
            ...(options.policy ? { policyId: options.policy } : {}),
          }),
        ) as AnchoreCheckResponse;
        await run.printOutput(response, checkResponseText);
        run.exitCode = verdictExitCode(response, image.digest);
        if (run.exitCode !== 0)
          run.reason =
            run.exitCode === 1
              ? `${tag} fails the policy evaluation`
              : `the engine gave no pass or fail for ${tag}`;
      }),
    );
}
