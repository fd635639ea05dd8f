/**
 * What every anchore-cli command shares: the exit code an answer gives (`get_ecode`), `--json`
 * (the payload as Python's json.dumps prints it), the fallback when a payload cannot be
 * rendered, `Key: value` blocks, and the error text (`format_error_output`).
 */
import { anchoreCliJson } from '../report/anchore-cli-json.js';
import { pythonStr, pythonTruthy } from '../report/python-text.js';
import { printable } from '../util/text.js';
import type { EngineResult } from './api-client.js';

/** anchore-cli's `get_ecode`: 2xx is 0; 401 and 500 are 2 (cannot work); other refusals 1. */
export function exitCodeOf(result: EngineResult): number {
  const status = result.httpcode;
  if (status >= 200 && status < 299) return 0;
  return status === 401 || status === 500 ? 2 : 1;
}

/** Python's `json.dumps(value, indent=4, sort_keys=True)`, without print's newline. */
export function jsonDumps(value: unknown): string {
  return anchoreCliJson(value).replace(/\n$/, '');
}

/**
 * anchore-cli's `format_output`: under `--json` the payload's JSON; else the rendered text, or,
 * when the payload lacks what the rendering needs, a warning and the JSON.
 */
export function formatOutput(
  json: boolean,
  payload: unknown,
  render: (payload: never) => string,
): string {
  if (json) return jsonDumps(payload);
  try {
    return render(payload as never);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return `WARNING: failed to format output (returning raw output) - exception: ${reason}\n${jsonDumps(payload)}`;
  }
}

/** `Key: value` lines, each value as Python's str() prints it, escaped for the terminal. */
export function keyValues(pairs: readonly (readonly [string, unknown])[]): string {
  return pairs.map(([key, value]) => `${key}: ${printable(pythonStr(value))}\n`).join('');
}

/**
 * An anchore-cli `raise Exception(text)` inside a command: the error output parses `text` back
 * (the engine's error body, or a plain message), and the command exits with `exitCode`, or 2
 * when no answer set one.
 */
export class CommandFailure extends Error {
  constructor(
    /** What format_error_output read from the exception text. */
    readonly errdata: unknown,
    /** The exception text itself: printed when errdata has nothing anchore-cli looks for. */
    readonly text: string,
    readonly exitCode?: number,
  ) {
    super(failureMessage(errdata, text));
    this.name = 'CommandFailure';
  }
}

/** `raise Exception("...")`. */
export const failure = (message: string, exitCode?: number): CommandFailure =>
  new CommandFailure({ message }, message, exitCode);

/** `raise Exception(json.dumps(ret["error"], indent=4))`: the engine's error body. */
export const apiFailure = (result: EngineResult): CommandFailure =>
  new CommandFailure(result.error, jsonDumps(result.error));

function failureMessage(errdata: unknown, text: string): string {
  const fields = asRecord(errdata);
  if (fields?.message === undefined) return text;
  const status = fields.httpcode === undefined ? '' : ` (HTTP ${pythonStr(fields.httpcode)})`;
  return `${pythonStr(fields.message)}${status}`;
}

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;

/** anchore-cli's `format_error_output` for a failure. */
export function formatError(json: boolean, failed: CommandFailure): string {
  if (json) return jsonDumps(failed.errdata);
  const fields = asRecord(failed.errdata) ?? {};
  const pairs: [string, unknown][] = [];
  if ('message' in fields) pairs.push(['Error', fields.message]);
  if ('httpcode' in fields) pairs.push(['HTTP Code', fields.httpcode]);
  if (pythonTruthy(fields.detail)) pairs.push(['Detail', fields.detail]);
  // The engine's words are escaped for the terminal, line by line.
  const text =
    pairs.length === 0
      ? failed.text
          .split('\n')
          .map((line) => printable(line))
          .join('\n')
      : keyValues(pairs);
  return text + missingKeyHint(pairs.find(([key]) => key === 'Detail')?.[1]);
}

/** anchore-cli's hint when a bundle fails validation for a missing key. */
function missingKeyHint(detail: unknown): string {
  if (detail === undefined) return '';
  const text = pythonStr(detail);
  if (!text.includes('is a required property')) return '';
  const key = /'(.*?)'/.exec(text)?.[1];
  if (!key) return '';
  return (
    `Hint: The "${key}" key is not present in the JSON file, make sure it exists:\n\n` +
    `    {\n        "${key}": <value>\n        ...\n    }\n`
  );
}
