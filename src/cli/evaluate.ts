/**
 * `drydock evaluate SOURCE`: the image judged by an Anchore policy bundle, printed as
 * `anchore-cli evaluate check` prints it (`-o table`) or as Anchore Engine's check response
 * (`-o json`). Exit 0 when the image passes, 1 when it fails, 2 when it could not be evaluated
 * (usage, a bad bundle, an image that cannot be read): a CI gate can tell "no" from "could not say".
 * The policy engine (every gate) loads only when the command runs, not with every drydock command.
 */
import { Command } from 'commander';
import {
  DrydockError,
  isDrydockError,
  type ImageReference,
  type PolicyBundle,
} from '../model/index.js';
import type { PolicyInput } from '../policy/gate.js';
import { parseReference } from '../reference/reference.js';
import { POLICY_FORMATS, policyFormat } from '../report/policy/formats.js';
import { gapSummary } from '../report/policy/policy-format.js';
import { oneLine, printable } from '../util/text.js';
import {
  addCommonOptions,
  analyzeForCli,
  DB_FILE_HELP,
  SOURCE_HELP,
  vexOption,
  type CommonOptions,
} from './common-options.js';
import { defaultTag, matchedPolicyInput, readBundle, tagReference } from './policy-input.js';
import { writeStdout } from './run.js';
import { warnAboutData } from './scan.js';

interface EvaluateOptions extends Omit<CommonOptions, 'output'> {
  output: string;
  policy?: string;
  policyId?: string;
  tag?: string;
  base?: string;
  detail?: boolean;
  dbFile?: string;
  vex?: string[];
}

export function evaluateCommand(): Command {
  const command = new Command('evaluate')
    .description('judge an image by an Anchore policy bundle (exit 0 pass, 1 fail, 2 error)')
    .argument('<source>', SOURCE_HELP)
    .option(
      '--policy <file>',
      'the policy bundle, Anchore JSON (default: the bundle drydock ships)',
    )
    .option('--policy-id <id>', 'evaluate this policy of the bundle, not the one its mappings pick')
    .option(
      '--tag <tag>',
      "the tag mappings match (default: the image's reference; localhost/<name> for local sources)",
    )
    .option('--base <source>', 'the base image, for triggers that compare the image with it')
    .option('--detail', 'show every fired trigger, not only the verdict')
    .addOption(vexOption())
    .option('--db-file <file>', DB_FILE_HELP);
  return addCommonOptions(
    command,
    POLICY_FORMATS.map((format) => format.name),
  ).action(async (source: string, options: EvaluateOptions, self: Command) => {
    try {
      await evaluate(source, options, self);
    } catch (error) {
      // A gate failure is exit 1; anything else that stopped the evaluation is exit 2.
      if (isDrydockError(error) && error.code !== 'gate-failed')
        self.error(`drydock: ${printable(oneLine(error.message))}`, { exitCode: 2 });
      throw error;
    }
  });
}

async function evaluate(source: string, options: EvaluateOptions, self: Command): Promise<void> {
  const format = policyFormat(options.output);
  if (format === undefined)
    throw new DrydockError('invalid-argument', `unknown output format ${options.output}`);
  if (options.platform === 'all')
    throw new DrydockError(
      'invalid-argument',
      'evaluate one image at a time; pick it with --platform os/arch',
    );
  const bundle = await readBundle(options.policy);
  const input = await policyInput(
    source,
    tagReference(options.tag ?? defaultTag(source), 'give --tag REPOSITORY:TAG'),
    options,
    self,
  );
  if (usesGate(bundle, 'vulnerabilities')) warnAboutData(input.match, options.quiet === true);
  // The base is never matched against mappings: it may be named by digest alone.
  if (options.base !== undefined)
    input.base = await policyInput(
      options.base,
      parseReference(defaultTag(options.base)),
      options,
      self,
    );
  const { evaluatePolicy } = await import('../policy/evaluate.js');
  const evaluation = evaluatePolicy(
    bundle,
    input,
    options.policyId === undefined ? {} : { policyId: options.policyId },
  );
  const report = {
    evaluation,
    bundle,
    detail: options.detail === true,
  };
  await writeStdout(format.render(report));
  if (evaluation.status === 'fail')
    throw new DrydockError(
      'gate-failed',
      `${printable(evaluation.tag)} fails policy bundle ${printable(evaluation.bundleId)} (${evaluation.finalActionReason}): ${gapSummary(evaluation)}`,
    );
}

/** One image analysed and matched, as the gates read it, evaluated as `ref`. */
async function policyInput(
  source: string,
  ref: ImageReference,
  options: EvaluateOptions,
  self: Command,
): Promise<PolicyInput> {
  const [analysis] = await analyzeForCli(source, options, self, {});
  if (analysis === undefined)
    throw new DrydockError('not-found', `${source}: no image to evaluate`);
  return matchedPolicyInput(analysis, ref, options);
}

const usesGate = (bundle: PolicyBundle, gate: string): boolean =>
  bundle.policies.some((policy) => policy.rules.some((rule) => rule.gate === gate));
