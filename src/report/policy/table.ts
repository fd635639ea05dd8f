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
import { anchoreCheck, type AnchoreCheck, type AnchoreRow } from './anchore-check.js';
import { gapSummary, type PolicyFormat } from './policy-format.js';

export const tableFormat: PolicyFormat = {
  name: 'table',
  *render(report) {
    const [byDigest = {}] = anchoreCheck(report);
    for (const [digest, byTag] of Object.entries(byDigest))
      for (const [tag, checks] of Object.entries(byTag))
        for (const check of checks) yield checkText(digest, tag, check);
    // anchore-cli's print() ends its output with an empty line.
    yield `\nGap: ${gapSummary(report.evaluation)}\n`;
  },
};

function checkText(digest: string, tag: string, check: AnchoreCheck): string {
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
  const head = lines.map(([key, value]) => `${key}: ${printable(value)}\n`).join('');
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

/**
 * prettytable's PLAIN_COLUMNS: a header, no borders, each cell left-aligned and then 8 spaces;
 * nothing at all, not even the header, when there are no rows.
 */
function plainColumns(head: readonly string[], rows: readonly string[][]): string {
  if (rows.length === 0) return '';
  const cells = [head, ...rows.map((row) => row.map((cell) => printable(cell)))];
  // A loop, not Math.max(...): an image with many findings gives many rows.
  const widths = head.map(() => 0);
  for (const row of cells)
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return cells
    .map((row) => row.map((cell, i) => `${cell.padEnd(widths[i] ?? 0)}        `).join(''))
    .join('\n');
}
