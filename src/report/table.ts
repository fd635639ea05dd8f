/**
 * Building blocks for human-readable output: boxed tables for small lists, plain aligned columns
 * for long ones, sizes and short digests. Every cell goes through `printable`.
 */
import { createRequire } from 'node:module';
import type Table from 'cli-table3';
import { printable } from '../util/text.js';

/** Cuts to `width` characters, marking the cut with `…`. */
export function truncate(text: string, width: number): string {
  const chars = Array.from(text);
  return chars.length <= width ? text : `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** Decimal units, as Docker prints sizes: `12.3 MB`. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit] ?? ''}`;
}

/** `sha256:0123456789ab` — enough to tell layers apart, short enough for a table. */
export function shortDigest(digest: string | undefined, hexDigits = 12): string {
  if (digest === undefined) return '-';
  const colon = digest.indexOf(':');
  return digest.slice(0, colon + 1 + hexDigits);
}

/** A boxed table for short lists; cells are made printable. */
export function boxTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  // cli-table3 loads only for boxed tables: JSON runs never need it.
  const BoxTable = createRequire(import.meta.url)('cli-table3') as typeof Table;
  const table = new BoxTable({ head: [...head], style: { head: [], border: [] } });
  for (const row of rows) table.push(row.map((cell) => printable(cell)));
  return table.toString();
}

export type Align = 'left' | 'right';

/**
 * Plain columns separated by two spaces, for lists of any length (a file listing can have a
 * million rows; a boxed table would take minutes to lay out). The last column is not padded.
 */
export function columns(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[] = [],
): string {
  const cells = [head, ...rows.map((row) => row.map((cell) => printable(cell)))];
  // A loop, not Math.max(...cells): spreading a million arguments overflows the stack.
  const widths = head.map(() => 0);
  for (const row of cells) {
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  }
  const last = head.length - 1;
  return cells
    .map((row) =>
      row
        .map((cell, i) => {
          if (i === last) return cell;
          const width = widths[i] ?? 0;
          return align[i] === 'right' ? cell.padStart(width) : cell.padEnd(width);
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `Key:   value` lines with the values aligned; multi-line values are indented to match. */
export function keyValues(pairs: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...pairs.map(([key]) => key.length + 1));
  return pairs
    .map(([key, value]) => {
      const indent = ' '.repeat(width + 2);
      const lines = value.split('\n').map((line) => printable(line));
      return `${`${key}:`.padEnd(width)}  ${lines.join(`\n${indent}`)}`;
    })
    .join('\n');
}
