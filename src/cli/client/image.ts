/**
 * `drydock image add|wait|get|list|content|metadata|vuln|del`: anchore-cli's image commands
 * against the engine, with its arguments, output and exit codes. One difference: `image wait`
 * exits 1 when the analysis failed (anchore-cli exits 0), so a CI job stops there.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Argument, type Command, InvalidArgumentError } from 'commander';
import type { AnchoreImage } from '../../report/anchore-image.js';
import { exitCodeOf, failure, apiFailure, formatOutput } from '../../client/cli-output.js';
import {
  contentText,
  imageListText,
  imageRecordsText,
  metadataText,
  typesText,
  vulnerabilitiesText,
} from '../../client/image-output.js';
import { discoverImage, imageSelector } from '../../client/image-input.js';
import { pythonFloat, pythonStr, pythonTruthy } from '../../report/python-text.js';
import { collect } from '../common-options.js';
import {
  clientCommand,
  clientGroup,
  readInputFile,
  runEngineCommand,
  type EngineRun,
} from './engine-command.js';

const IMAGE_HELP = 'a tag (registry/repo:tag), an image digest (sha256:…) or an image ID';
/** setTimeout's longest wait; a longer --interval waits this long. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** The engine keeps a Dockerfile of at most this many bytes. */
export const MAX_DOCKERFILE_BYTES = 1024 * 1024;

export function imageCommand(): Command {
  return clientGroup('image', 'images in the engine: add, wait for, show, delete (anchore-cli)')
    .addCommand(addCommand())
    .addCommand(waitCommand())
    .addCommand(getCommand())
    .addCommand(listCommand())
    .addCommand(contentCommand())
    .addCommand(metadataCommand())
    .addCommand(vulnCommand())
    .addCommand(deleteCommand());
}

interface AddOptions {
  force?: boolean;
  dockerfile?: string;
  annotation?: string[];
  noautosubscribe?: boolean;
}

function addCommand(): Command {
  return clientCommand('add', 'add an image by its tag; the engine analyses it')
    .argument('<image>', 'registry/repo:tag')
    .option('--force', 'analyse the image again')
    .option('--dockerfile <file>', 'the Dockerfile the image was built from')
    .option('--annotation <key=value>', 'a label kept with the image (repeatable)', collect)
    .option('--noautosubscribe', 'do not watch the tag for new digests (tag_update)')
    .action(async (input: string, options: AddOptions, self: Command) => {
      const dockerfile =
        options.dockerfile === undefined
          ? undefined
          : await readInputFile(self, options.dockerfile, MAX_DOCKERFILE_BYTES, '--dockerfile');
      await runEngineCommand(self, async (run) => {
        if (!('tag' in imageSelector(input))) throw failure('can only add a tag');
        const annotations = parseAnnotations(options.annotation ?? []);
        const body = {
          tag: input,
          ...(dockerfile ? { dockerfile: base64Text(dockerfile) } : {}),
          ...(pythonTruthy(annotations) ? { annotations } : {}),
        };
        const flags = { force: options.force === true, autosubscribe: !options.noautosubscribe };
        const images = run.payloadOf(await run.client.addImage(body, flags));
        await run.printOutput(images, imageRecordsText);
      });
    });
}

/** As anchore-cli reads the file (Python's text mode: any line ending becomes \n), base64. */
export const base64Text = (text: string): string =>
  Buffer.from(text.replace(/\r\n?/g, '\n')).toString('base64');

function parseAnnotations(values: readonly string[]): Record<string, string> {
  const annotations: Record<string, string> = {};
  for (const value of values) {
    const equals = value.indexOf('=');
    const [key, text] = [value.slice(0, equals), value.slice(equals + 1)];
    if (equals < 0 || key === '' || text === '')
      throw failure(
        `annotation format error - annotations must be of the form (--annotation key=value), found: ${value}`,
      );
    annotations[key] = text;
  }
  return annotations;
}

interface WaitOptions {
  timeout: number;
  interval: number;
}

function secondsOption(value: string): number {
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds))
    throw new InvalidArgumentError('expected a number of seconds');
  return seconds;
}

function waitCommand(): Command {
  return clientCommand(
    'wait',
    'wait until the image is analysed; exit 1 if its analysis failed, 2 on timeout',
  )
    .argument('<image>', IMAGE_HELP)
    .option(
      '--timeout <seconds>',
      'give up after this long (below 0: wait forever; 0: do not wait)',
      secondsOption,
      -1,
    )
    .option('--interval <seconds>', 'time between checks', secondsOption, 5)
    .action((input: string, options: WaitOptions, self: Command) =>
      runEngineCommand(self, (run) => waitForAnalysis(run, input, options)),
    );
}

const TERMINAL_STATES = ['analyzed', 'analysis_failed'];

async function waitForAnalysis(run: EngineRun, input: string, options: WaitOptions) {
  const { timeout, interval } = options;
  const started = Date.now();
  const elapsed = (): number => (Date.now() - started) / 1000;
  for (;;) {
    if (timeout >= 0 && elapsed() >= timeout)
      throw failure(
        'Timed-out waiting for analyis status to reach terminal state (analyzed or analysis_failed)',
      );
    const result = await run.client.getImage(imageSelector(input));
    const images = result.payload as AnchoreImage[];
    const status = pythonTruthy(images) ? images[0]?.analysis_status : undefined;
    if (status !== undefined && TERMINAL_STATES.includes(status)) {
      await run.printOutput(run.payloadOf(result), imageRecordsText);
      if (status === 'analysis_failed') {
        run.exitCode = 1;
        run.reason = `the analysis of ${input} failed`;
      }
      return;
    }
    if (!pythonTruthy(images)) throw failure('Requested image not found in system');
    await run.print(`Status: ${pythonStr(status)}`);
    const remaining =
      timeout > 0 ? ` Total timeout remaining: ${Math.trunc(timeout - elapsed())}` : '';
    await run.print(`Waiting ${pythonFloat(interval)} seconds for next retry.${remaining}`);
    await sleep(Math.min(Math.max(interval, 0) * 1000, MAX_TIMER_MS));
  }
}

function getCommand(): Command {
  return clientCommand('get', "show an image's record")
    .argument('<image>', IMAGE_HELP)
    .option('--show-history', 'every image the tag has named, not only the latest')
    .action((input: string, options: { showHistory?: boolean }, self: Command) =>
      runEngineCommand(self, async (run) => {
        const selector = imageSelector(input);
        const history = 'tag' in selector && options.showHistory === true;
        const images = run.payloadOf(await run.client.getImage(selector, history));
        await run.printOutput(images, imageRecordsText);
      }),
    );
}

function listCommand(): Command {
  return clientCommand('list', 'list images, the latest of each tag')
    .option('--full', 'show image IDs too')
    .option('--show-all', 'show every image, not only the latest of each tag')
    .action((options: { full?: boolean; showAll?: boolean }, self: Command) =>
      runEngineCommand(self, async (run) => {
        const images = run.payloadOf(await run.client.listImages());
        await run.printOutput(images, (list: AnchoreImage[]) =>
          imageListText(list, { full: options.full === true, showAll: options.showAll === true }),
        );
      }),
    );
}

/** The digest the input names; exit 1 when there is none. */
async function digestOf(run: EngineRun, input: string, message: string): Promise<string> {
  const { digest } = await discoverImage(run.client, input);
  if (digest === undefined) throw failure(message, 1);
  return digest;
}

const NO_DIGEST = 'cannot use input image string (no discovered imageDigest)';

function contentCommand(): Command {
  return clientCommand('content', "an image's content: packages of a type, or files")
    .argument('<image>', IMAGE_HELP)
    .argument('[type]', 'os, files, npm, gem, python, java, go, binary (default: list the types)')
    .action((input: string, type: string | undefined, _options: object, self: Command) =>
      runEngineCommand(self, async (run) => {
        const digest = await digestOf(run, input, NO_DIGEST);
        const payload = run.payloadOf(await run.client.queryImage(digest, 'content', type));
        const output = formatOutput(run.json, payload, (p: never) =>
          type === undefined ? typesText(p) : contentText(p, type),
        );
        if (output === '')
          throw failure(`There is no image content (${type ?? 'None'}) to provide for ${input}`);
        await run.print(output);
      }),
    );
}

const METADATA_TYPES = ['manifest', 'dockerfile', 'docker_history'];

function metadataCommand(): Command {
  return clientCommand('metadata', "an image's manifest, history or Dockerfile")
    .argument('<image>', IMAGE_HELP)
    .argument('[type]', 'manifest, docker_history, dockerfile (default: list the types)')
    .action((input: string, type: string | undefined, _options: object, self: Command) =>
      runEngineCommand(self, async (run) => {
        const digest = await digestOf(run, input, NO_DIGEST);
        const payload = run.payloadOf(await run.client.queryImage(digest, 'metadata', type));
        await run.printOutput(payload, (p: never) =>
          type === undefined
            ? typesText(p)
            : METADATA_TYPES.includes(type)
              ? metadataText(p)
              : contentText(p, type),
        );
      }),
    );
}

/** click's BOOL: what `--vendor-only` accepts. */
function booleanOption(value: string): boolean {
  const text = value.trim().toLowerCase();
  if (['1', 'true', 't', 'yes', 'y', 'on'].includes(text)) return true;
  if (['0', 'false', 'f', 'no', 'n', 'off'].includes(text)) return false;
  throw new InvalidArgumentError(`${value} is not a valid boolean`);
}

function vulnCommand(): Command {
  return clientCommand(
    'vuln',
    "an image's vulnerabilities; exit 100 while it is being analysed, 101 until then",
  )
    .argument('<image>', IMAGE_HELP)
    .addArgument(new Argument('[type]', 'os, non-os or all (default: list the types)'))
    .option(
      '--vendor-only <bool>',
      'only what the distribution will fix (default true)',
      booleanOption,
      true,
    )
    .action(
      (input: string, type: string | undefined, options: { vendorOnly: boolean }, self: Command) =>
        runEngineCommand(self, async (run) => {
          const digest = await digestOf(run, input, NO_DIGEST);
          const result = await run.client.queryImage(digest, 'vuln', type, options.vendorOnly);
          run.exitCode = exitCodeOf(result);
          if (!result.success) {
            run.exitCode = notAnalyzedExitCode(result.error) ?? run.exitCode;
            throw apiFailure(result);
          }
          await run.printOutput(result.payload, (p: never) =>
            type === undefined ? typesText(p) : vulnerabilitiesText(p, type),
          );
        }),
    );
}

/** anchore-cli's codes for an image not analysed yet: 100 analysing, 101 waiting. */
function notAnalyzedExitCode(error: unknown): number | undefined {
  const message = pythonStr((error as { message?: unknown } | null)?.message ?? '');
  if (message.includes('analysis_status: analyzing')) return 100;
  if (message.includes('analysis_status: not_analyzed')) return 101;
  return undefined;
}

interface DeleteOptions {
  force?: boolean;
  all?: boolean;
}

function deleteCommand(): Command {
  return clientCommand(
    'del',
    'delete an image; refused while its tags have active subscriptions, unless --force',
  )
    .argument('[image]', IMAGE_HELP)
    .option('--force', 'delete it even so')
    .option('--all', 'delete every image')
    .action((input: string | undefined, options: DeleteOptions, self: Command) =>
      runEngineCommand(self, (run) =>
        options.all === true
          ? deleteAll(run, options.force === true)
          : deleteOne(run, input, options.force === true),
      ),
    );
}

async function deleteOne(run: EngineRun, input: string | undefined, force: boolean) {
  if (input === undefined) throw failure('Missing argument INPUT_IMAGE');
  const digest = await digestOf(
    run,
    input,
    'cannot use input image string: no discovered imageDigest',
  );
  const answer = run.payloadOf(await run.client.deleteImage(digest, force));
  refusedDelete(answer, 1);
  await run.printOutput(answer, () => 'Success');
}

/** An engine that answers 200 but did not delete says so in `status` and `detail`. */
function refusedDelete(answer: unknown, exitCode?: number): void {
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) return;
  const { status, detail } = answer as { status?: unknown; detail?: unknown };
  if (status !== 'deleting')
    throw failure(pythonStr('detail' in answer ? detail : 'cannot delete image'), exitCode);
}

/** Every image, each printed as its tags once deleted; the first refusal ends it. */
async function deleteAll(run: EngineRun, force: boolean) {
  const images = run.payloadOf(await run.client.listImages()) as AnchoreImage[];
  for (const image of images) {
    if (!pythonTruthy(image.imageDigest)) continue;
    const result = await run.client.deleteImage(image.imageDigest, force);
    if (!result.success) throw apiFailure(result);
    refusedDelete(result.payload);
    for (const detail of image.image_detail)
      await run.print(`${detail.registry}/${detail.repo}:${detail.tag}`);
  }
}
