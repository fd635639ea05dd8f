/**
 * What anchore-cli prints for `evaluate check`: each check of the engine's answer as drydock's
 * own `evaluate` prints it (the same anchore-cli text, src/report/policy/table.ts), and the exit
 * code the verdict gives.
 */
import { pythonTruthy } from '../report/python-text.js';
import type { AnchoreCheckResponse } from '../report/policy/anchore-check.js';
import { anchoreCheckText } from '../report/policy/table.js';
import { keyValues } from './cli-output.js';

export function checkResponseText(response: AnchoreCheckResponse): string {
  let text = '';
  for (const record of response)
    for (const [digest, byTag] of Object.entries(record))
      for (const [tag, checks] of Object.entries(byTag)) {
        if (!pythonTruthy(checks))
          text += `${keyValues([
            ['Image Digest', digest],
            ['Full Tag', tag],
            ['Status', 'no_eval_available'],
          ])}\n`;
        else for (const check of checks) text += anchoreCheckText(digest, tag, check);
      }
  return text;
}

/** anchore-cli's `get_eval_ecode`: the first check's status; 0 pass, 1 fail, 2 anything else. */
export function verdictExitCode(response: AnchoreCheckResponse, digest: string): number {
  const byTag = response[0]?.[digest];
  const [firstTag] = Object.keys(byTag ?? {});
  const status = firstTag === undefined ? undefined : byTag?.[firstTag]?.[0]?.status;
  if (typeof status !== 'string') return 2;
  const verdict = status.toLowerCase();
  return verdict === 'pass' ? 0 : verdict === 'fail' ? 1 : 2;
}
