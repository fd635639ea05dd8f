/**
 * anchore-cli's own printers, run in Debian's Python 3 (with python3-prettytable and
 * python3-yaml): what drydock's anchore-cli-compatible output is compared against.
 */
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';

/** `--json`: json.dumps(indent=4, sort_keys=True), then print's newline. */
export const PYTHON_JSON =
  'import json,sys; print(json.dumps(json.load(sys.stdin), indent=4, sort_keys=True))';

/** prettytable with PLAIN_COLUMNS, left-aligned, optionally sorted: the text alone. */
const PRETTYTABLE = `
import json, sys
from prettytable import PrettyTable, PLAIN_COLUMNS
spec = json.load(sys.stdin)
t = PrettyTable(spec["head"])
t.set_style(PLAIN_COLUMNS)
t.align = "l"
for row in spec["rows"]:
    t.add_row(row)
options = {"sortby": spec["sortBy"], "reversesort": spec["reverse"]} if spec["sortBy"] else {}
sys.stdout.write(t.get_string(**options))
`;

/** Runs `code` with `input` as JSON on stdin; its stdout (the test fails if Python does). */
export function python(code: string, input: unknown, args: readonly string[] = []): string {
  const result = spawnSync('/usr/bin/python3', ['-c', code, ...args], {
    input: JSON.stringify(input),
    encoding: 'utf8',
  });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

export function prettytable(
  head: readonly string[],
  rows: readonly (readonly unknown[])[],
  sortBy: string | null = null,
  reverse = false,
): string {
  return python(PRETTYTABLE, { head, rows, sortBy, reverse });
}
