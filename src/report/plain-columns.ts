/**
 * prettytable's PLAIN_COLUMNS style, as anchore-cli prints its tables (`plain_column_table`,
 * prettytable 3): a header line, no borders, each cell left-aligned, padded to its column's
 * display width and followed by 8 spaces (the last column too), lines joined without a final
 * newline; nothing at all, not even the header, when there are no rows.
 *
 * Cells are made printable (control characters escaped) as in every drydock table, where
 * prettytable would print them raw and break a multi-line cell over several lines.
 */
import { printable } from '../util/text.js';
import { comparePythonStrings, pythonStr } from './python-text.js';

/** A cell as the table was given it: sorting compares numbers as numbers, as Python does. */
export type Cell = string | number | boolean | null;

export interface PlainColumnsOptions {
  /** `sortby`: the header of the column to sort on; ties are ordered by the whole row. */
  sortBy?: string;
  /** `reversesort`. */
  reverse?: boolean;
}

export function plainColumns(
  head: readonly string[],
  rows: readonly (readonly Cell[])[],
  options: PlainColumnsOptions = {},
): string {
  if (rows.length === 0) return '';
  const cells = [head, ...sortedRows(head, rows, options).map((row) => row.map(cellText))];
  // A loop, not Math.max(...): a file listing has many rows.
  const widths = head.map(() => 0);
  for (const row of cells)
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, displayWidth(cell))));
  return cells
    .map((row) =>
      row
        .map((cell, i) => `${cell}${' '.repeat((widths[i] ?? 0) - displayWidth(cell))}        `)
        .join(''),
    )
    .join('\n');
}

const cellText = (cell: Cell): string => printable(pythonStr(cell));

/** prettytable sorts `[row[sortby]] + row` with Python's ordering; the sort is stable. */
function sortedRows(
  head: readonly string[],
  rows: readonly (readonly Cell[])[],
  { sortBy, reverse = false }: PlainColumnsOptions,
): (readonly Cell[])[] {
  if (sortBy === undefined) return [...rows];
  const index = head.indexOf(sortBy);
  if (index < 0) throw new Error(`no column ${sortBy} to sort on`);
  const keyed = rows.map((row) => ({ key: [row[index] ?? null, ...row], row }));
  keyed.sort((a, b) => (reverse ? -1 : 1) * compareRows(a.key, b.key));
  return keyed.map(({ row }) => row);
}

function compareRows(a: readonly Cell[], b: readonly Cell[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const order = compareCells(a[i] ?? null, b[i] ?? null);
    if (order !== 0) return order;
  }
  return a.length - b.length;
}

/** Python's `<`: numbers (and booleans) by value, strings by code point. */
function compareCells(a: Cell, b: Cell): number {
  if (typeof a === 'string' && typeof b === 'string') return comparePythonStrings(a, b);
  if (typeof a === 'string' || typeof b === 'string' || a === null || b === null)
    // Python cannot order these at all; keep any stable order rather than fail.
    return rank(a) - rank(b);
  return Number(a) - Number(b);
}

const rank = (cell: Cell): number => (cell === null ? 0 : typeof cell === 'string' ? 2 : 1);

/** Combining marks take no column; East Asian wide and fullwidth characters take two (wcwidth). */
const ZERO_WIDTH = /[\p{Mn}\p{Me}\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]/u;
const WIDE: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f],
  [0x1f900, 0x1f9ff],
  [0x20000, 0x3fffd],
];

/** The columns a terminal gives `text`, as prettytable measures it. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x300) width += 1;
    else if (ZERO_WIDTH.test(ch)) continue;
    else width += WIDE.some(([low, high]) => code >= low && code <= high) ? 2 : 1;
  }
  return width;
}
