/**
 * `-o table`: what `anchore-cli evaluate check [--detail]` prints, read from the same check
 * response `-o json` gives (as anchore-cli reads it): the image and verdict as `Key: value` lines,
 * with `--detail` the Gate / Trigger / Detail / Status table in prettytable's PLAIN_COLUMNS style,
 * then drydock's gap line: how far the image is from passing.
 *
 * One deliberate difference: an allowlisted row's status names its allowlist by name, or by id
 * when it has none (anchore-cli shows the bare action then).
 */
import { printable } from '../../util/text.js';
import { plainColumns } from '../plain-columns.js';
import { pythonStr } from '../python-text.js';
import { anchoreCheck, type AnchoreCheck, type AnchoreRow } from './anchore-check.js';
import { gapSummary, type PolicyFormat } from './policy-format.js';

export const tableFormat: PolicyFormat = {
  name: 'table',
  *render(report) {
    const [byDigest = {}] = anchoreCheck(report);
    for (const [digest, byTag] of Object.entries(byDigest))
      for (const [tag, checks] of Object.entries(byTag))
        for (const check of checks) yield anchoreCheckText(digest, tag, check);
    // anchore-cli's print() ends its output with an empty line.
    yield `\nGap: ${gapSummary(report.evaluation)}\n`;
  },
};

/**
 * One check as anchore-cli prints it: `Key: value` lines, and with the detail the table after a
 * blank line. Shared with `drydock evaluate check`, which prints the engine's response.
 */
export function anchoreCheckText(digest: string, tag: string, check: AnchoreCheck): string {
  const result = check.detail.result;
  // anchore-cli's order: the image and verdict, with --detail the image id and final action too.
  const lines: [string, string][] = [
    ['Image Digest', digest],
    ['Full Tag', tag],
  ];
  if (result !== undefined) lines.push(['Image ID', result.image_id]);
  lines.push(
    ['Status', check.status],
    ['Last Eval', check.last_evaluation],
    ['Policy ID', check.policyId],
  );
  if (result !== undefined)
    lines.push(
      ['Final Action', result.final_action],
      ['Final Action Reason', result.final_action_reason],
    );
  const head = lines.map(([key, value]) => `${key}: ${printable(pythonStr(value))}\n`).join('');
  if (result === undefined) return head;
  const table = result.result[result.image_id];
  const rows = typeof table === 'object' && 'result' in table ? table.result.rows : [];
  return `${head}\n${plainColumns(['Gate', 'Trigger', 'Detail', 'Status'], rows.map(rowCells))}\n`;
}

function rowCells(row: AnchoreRow): string[] {
  const [, , , gate, trigger, detail, action, whitelisted] = row;
  const status =
    whitelisted === false
      ? action
      : `whitelisted(${whitelisted.whitelist_name ?? whitelisted.whitelist_id})`;
  return [gate, trigger, detail, status];
}
