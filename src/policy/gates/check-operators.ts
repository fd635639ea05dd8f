/**
 * The comparison checks the `dockerfile` and `metadata` gates share (`=`, `like`, `in`, `>` …),
 * applied as Anchore applies them: `like` is a regular expression anchored at the start of the
 * value (Python's `re.match`), `in` takes a comma-separated list, and the value is read the way
 * the compared thing is (bytes for a size, an integer for a count).
 */
import type { Fired, TriggerParam } from '../gate.js';
import { paramProblem, splitList } from '../params.js';
import { matchesFromStart } from './content-search.js';

/** The checks of Anchore's `dockerfile` gate, in its order. */
export const TEXT_CHECKS = ['=', '!=', 'exists', 'not_exists', 'like', 'not_like', 'in', 'not_in'];
/** The checks of Anchore's `metadata` gate, in its order. */
export const ORDERED_CHECKS = ['=', '!=', '>', '<', '>=', '<=', ...TEXT_CHECKS.slice(2)];

/** How the values of one compared thing are read from a rule and ordered. */
export interface Operand<T> {
  /** The rule's value as a T, or undefined when it is not one. */
  parse(text: string): T | undefined;
  compare(a: T, b: T): number;
  /** What a value of this kind is, for errors: `a size in bytes (10, 512kb, 1gb)`. */
  kind: string;
}

/** Text, equal only when identical; ordered with digit runs compared as numbers (`3.9` < `3.19`). */
export const TEXT: Operand<string> = {
  parse: (text) => text,
  compare: naturalCompare,
  kind: 'text',
};

export const INTEGER: Operand<number> = {
  parse: (text) => (/^\s*-?\d+\s*$/.test(text) ? Number.parseInt(text, 10) : undefined),
  compare: (a, b) => a - b,
  kind: 'an integer',
};

const BYTE_UNITS: Record<string, number> = {
  kb: 1024,
  mb: 1024 ** 2,
  gb: 1024 ** 3,
  tb: 1024 ** 4,
};

/** Anchore's size values: bytes, or a whole number of kb, mb, gb or tb (powers of 1024). */
export const BYTES: Operand<number> = {
  parse: (text) => {
    const m = /^(\d+)([kmgt]b)?$/i.exec(text.trim());
    if (m === null) return undefined;
    return Number(m[1]) * (BYTE_UNITS[(m[2] ?? '').toLowerCase()] ?? 1);
  },
  compare: (a, b) => a - b,
  kind: 'a size in bytes (10, 512kb, 1gb)',
};

/** A check ready to apply to many values; `problem` says why the rule's value cannot be used. */
export type PreparedCheck<T> =
  { holds: (actual: T | undefined) => boolean; problem?: undefined } | { problem: string };

/**
 * Prepares `check` against the rule's `value` read as `operand`. A value that is missing, not an
 * `operand`, or (for `like`) not a regular expression is a problem: Anchore skips such rules
 * silently, which lets a policy pass that its author thought was checked.
 */
export function prepareCheck<T>(
  check: string,
  value: string | undefined,
  operand: Operand<T>,
): PreparedCheck<T> {
  if (check === 'exists') return { holds: (actual) => actual !== undefined && actual !== '' };
  if (check === 'not_exists') return { holds: (actual) => actual === undefined || actual === '' };
  if (value === undefined || value === '')
    return { problem: `check "${check}" needs a value to compare with` };
  if (check === 'like' || check === 'not_like') return prepareLike(check, value);
  const items = check === 'in' || check === 'not_in' ? splitList(value) : [value];
  if (items.length === 0) return { problem: `check "${check}" needs a list of values` };
  const parsed = items.map((item) => operand.parse(item));
  const bad = items.filter((_, i) => parsed[i] === undefined);
  if (bad.length > 0) return { problem: `value "${bad.join(', ')}" is not ${operand.kind}` };
  const wanted = parsed.filter((item) => item !== undefined);
  const holds = comparison(check, wanted, operand);
  if (holds === undefined) return { problem: `unknown check "${check}"` };
  // A value the image does not have (no distro) passes only the negative checks.
  const negative = check === '!=' || check === 'not_in';
  return { holds: (actual) => (actual === undefined ? negative : holds(actual)) };
}

function comparison<T>(
  check: string,
  wanted: readonly T[],
  operand: Operand<T>,
): ((actual: T) => boolean) | undefined {
  const [first] = wanted;
  if (first === undefined) return undefined;
  const order = (actual: T): number => operand.compare(actual, first);
  const inList = (actual: T): boolean => wanted.some((w) => operand.compare(actual, w) === 0);
  const checks: Record<string, (actual: T) => boolean> = {
    '=': (a) => order(a) === 0,
    '!=': (a) => order(a) !== 0,
    '>': (a) => order(a) > 0,
    '<': (a) => order(a) < 0,
    '>=': (a) => order(a) >= 0,
    '<=': (a) => order(a) <= 0,
    in: inList,
    not_in: (a) => !inList(a),
  };
  return checks[check];
}

const REGEX_PARAM: TriggerParam = { name: 'value', description: '', kind: 'regex', required: true };

function prepareLike<T>(check: string, value: string): PreparedCheck<T> {
  const problem = paramProblem(REGEX_PARAM, value);
  if (problem !== undefined) return { problem: `value "${value}" is ${problem}` };
  const matches = matchesFromStart(new RegExp(value));
  const like = (actual: T): boolean => matches(String(actual));
  return {
    holds: (actual) =>
      actual === undefined ? check === 'not_like' : like(actual) === (check === 'like'),
  };
}

/** Orders text with runs of digits compared as numbers; equal only when identical. */
function naturalCompare(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [];
  const pb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    const numeric = /^\d/.test(x) && /^\d/.test(y);
    const order = numeric ? compareDigits(x, y) : x < y ? -1 : x > y ? 1 : 0;
    if (order !== 0) return order;
  }
  return pa.length - pb.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** Compares digit runs of any length as numbers, without precision loss. */
function compareDigits(x: string, y: string): number {
  const a = x.replace(/^0+(?=\d)/, '');
  const b = y.replace(/^0+(?=\d)/, '');
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

/**
 * What a rule whose parameters cannot be applied reports: it fires, naming the problem, so the
 * policy fails loudly instead of passing an image on a check that never ran.
 */
export function unusableRule(problem: string): Fired {
  return {
    triggerId: 'invalid_rule',
    message: `this rule cannot be checked: ${problem}; correct its parameters`,
  };
}

/** `text` cut to its first line and `max` characters, for messages that quote the image. */
export function clip(text: string, max = 200): string {
  const first = text.split('\n', 1)[0] ?? '';
  const cut = first.length > max ? first.slice(0, max) : first;
  return cut === text ? text : `${cut}…`;
}
