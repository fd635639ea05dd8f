/**
 * Trigger parameters: validated once when a bundle is loaded (an error names the policy, rule and
 * parameter), then read typed by the trigger.
 */
import type { TriggerParam } from './gate.js';

/** Bound on a regex parameter, against patterns that take forever to compile or run. */
const MAX_REGEX_LENGTH = 1024;

/** Why `value` is not acceptable for `param`, or undefined when it is. */
export function paramProblem(param: TriggerParam, value: string): string | undefined {
  return kindProblem(param, value) ?? param.check?.(value);
}

function kindProblem(param: TriggerParam, value: string): string | undefined {
  switch (param.kind) {
    case 'integer':
      return /^-?\d+$/.test(value.trim()) ? undefined : 'expected an integer';
    case 'number':
      return value.trim() !== '' && Number.isFinite(Number(value))
        ? undefined
        : 'expected a number';
    case 'boolean':
      return /^(true|false)$/i.test(value.trim()) ? undefined : 'expected true or false';
    case 'enum':
      return allowed(param, value.trim()) ? undefined : `expected one of ${expected(param)}`;
    case 'enum-list': {
      const bad = splitList(value).filter((item) => !allowed(param, item));
      return bad.length === 0
        ? undefined
        : `${bad.join(', ')}: expected items of ${expected(param)}`;
    }
    case 'integer-list':
      return splitList(value).every((item) => /^\d+$/.test(item))
        ? undefined
        : 'expected comma-separated integers';
    case 'regex':
      return regexProblem(value);
    case 'list':
    case 'string':
      return undefined;
  }
}

const allowed = (param: TriggerParam, value: string): boolean =>
  (param.values ?? []).some((v) => v.toLowerCase() === value.toLowerCase());

const expected = (param: TriggerParam): string => (param.values ?? []).join(', ');

function regexProblem(value: string): string | undefined {
  if (value.length > MAX_REGEX_LENGTH) return `longer than ${MAX_REGEX_LENGTH} characters`;
  try {
    compileRegex(value);
    return undefined;
  } catch (error) {
    return `not a valid regular expression (${error instanceof Error ? error.message : 'unknown'})`;
  }
}

/**
 * Compiles a bundle's regular expression. Anchore's are Python's: a leading inline flag group
 * such as `(?i)` (common in real bundles) becomes the JavaScript flag.
 */
export function compileRegex(value: string): RegExp {
  const inline = /^\(\?([ims]+)\)/.exec(value);
  if (inline?.[1] === undefined) return new RegExp(value);
  return new RegExp(value.slice(inline[0].length), [...new Set(inline[1])].join(''));
}

export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** A rule's parameter values, already validated, read by type. Names are case-insensitive. */
export class TriggerParams {
  private readonly values: Map<string, string>;

  constructor(values: Iterable<[string, string]>, defaults: readonly TriggerParam[] = []) {
    this.values = new Map([...values].map(([name, value]) => [name.toLowerCase(), value]));
    for (const param of defaults)
      if (param.default !== undefined && !this.values.has(param.name.toLowerCase()))
        this.values.set(param.name.toLowerCase(), param.default);
  }

  string(name: string): string | undefined {
    return this.values.get(name.toLowerCase());
  }

  integer(name: string): number | undefined {
    const value = this.string(name);
    return value === undefined ? undefined : Number.parseInt(value, 10);
  }

  number(name: string): number | undefined {
    const value = this.string(name);
    return value === undefined ? undefined : Number(value);
  }

  boolean(name: string): boolean | undefined {
    const value = this.string(name);
    return value === undefined ? undefined : value.trim().toLowerCase() === 'true';
  }

  /** An enum value, lowercased. */
  choice(name: string): string | undefined {
    return this.string(name)?.trim().toLowerCase();
  }

  list(name: string): string[] {
    const value = this.string(name);
    return value === undefined ? [] : splitList(value);
  }

  regex(name: string): RegExp | undefined {
    const value = this.string(name);
    return value === undefined ? undefined : compileRegex(value);
  }
}
