/**
 * Reading untrusted JSON without trusting its shape: every accessor checks the type and returns
 * undefined (or an empty list) for anything else, and lists are bounded.
 */
import { DrydockError } from '../model/index.js';

export type JsonObject = Readonly<Record<string, unknown>>;

export interface ImportLimits {
  /** Largest SBOM file read. */
  maxBytes: number;
  /** Most packages (components) in one document. */
  maxPackages: number;
  /** Most entries in any other list (properties of a component, relationships …). */
  maxListItems: number;
  /** Deepest nesting of CycloneDX components inside components. */
  maxNesting: number;
  /** Longest string taken as a name, version, PURL …; longer ones are ignored. */
  maxStringChars: number;
}

export const DEFAULT_IMPORT_LIMITS: ImportLimits = {
  maxBytes: 64 * 1024 * 1024,
  maxPackages: 200_000,
  maxListItems: 2_000_000,
  maxNesting: 32,
  maxStringChars: 8 * 1024,
};

/** Where problems are reported: the file the user named and the limits in force. */
export interface ReadContext {
  origin: string;
  limits: ImportLimits;
  warnings: string[];
}

export function invalidSbom(origin: string, what: string): DrydockError {
  return new DrydockError('invalid-argument', `${origin}: ${what}`);
}

export function objectOf(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as JsonObject)
    : undefined;
}

export function stringOf(value: unknown, context: ReadContext): string | undefined {
  return typeof value === 'string' && value.length <= context.limits.maxStringChars && value !== ''
    ? value
    : undefined;
}

/** The array at `value` (or none); more than `max` items is an error naming the field. */
export function listOf(
  value: unknown,
  field: string,
  context: ReadContext,
  max = context.limits.maxListItems,
): readonly unknown[] {
  if (!Array.isArray(value)) return [];
  if (value.length > max) {
    throw new DrydockError(
      'limit-exceeded',
      `${context.origin}: ${field} has ${value.length} entries, more than the ${max} drydock reads`,
    );
  }
  return value;
}

export function objectsOf(
  value: unknown,
  field: string,
  context: ReadContext,
  max?: number,
): JsonObject[] {
  return listOf(value, field, context, max).flatMap((item): JsonObject[] => {
    const object = objectOf(item);
    return object === undefined ? [] : [object];
  });
}
