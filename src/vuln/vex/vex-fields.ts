/**
 * Strict reading of an untrusted VEX document: a field a statement needs that is missing or of
 * the wrong type is an error naming the file and the field's place (`statements[2].status`), lists
 * and strings are bounded. Optional fields may be absent, never of another type.
 */
import { PackageURL } from 'packageurl-js';
import { DrydockError } from '../../model/index.js';
import { printable } from '../../util/text.js';
import type { VexLimits } from './vex-document.js';

export type JsonObject = Readonly<Record<string, unknown>>;

/** The file being read (it names every error) and the limits in force. */
export interface VexContext {
  origin: string;
  limits: VexLimits;
}

export function invalidVex(context: VexContext, what: string): DrydockError {
  return new DrydockError('invalid-argument', `${context.origin}: ${what}`);
}

/** A value from the document as an error message may show it: escaped and clipped. */
export function shown(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : describeType(value);
  return printable(text, 80);
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function requireObject(value: unknown, where: string, context: VexContext): JsonObject {
  if (isObject(value)) return value;
  throw invalidVex(context, `${where} is ${shown(value)}, not an object`);
}

/** A non-empty string within the length limit. */
export function requireString(value: unknown, where: string, context: VexContext): string {
  if (value === undefined) throw invalidVex(context, `${where} is missing`);
  const text = optionalString(value, where, context);
  if (text === undefined || text.trim() === '')
    throw invalidVex(context, `${where} is empty; it must name something`);
  return text;
}

/** A string or nothing; an empty string counts as nothing. */
export function optionalString(
  value: unknown,
  where: string,
  context: VexContext,
): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string')
    throw invalidVex(context, `${where} is ${shown(value)}, not a string`);
  if (value.length > context.limits.maxStringChars)
    throw limit(
      context,
      `${where} is ${value.length} characters long`,
      context.limits.maxStringChars,
    );
  return value;
}

/** A list (absent is empty) of at most `max` items. */
export function optionalList(
  value: unknown,
  where: string,
  context: VexContext,
  max = context.limits.maxListItems,
): readonly unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalidVex(context, `${where} is ${shown(value)}, not a list`);
  if (value.length > max) throw limit(context, `${where} has ${value.length} entries`, max);
  return value;
}

export function stringList(value: unknown, where: string, context: VexContext): string[] {
  return optionalList(value, where, context).map((item, i) =>
    requireString(item, `${where}[${i}]`, context),
  );
}

/** An RFC 3339 date-time as epoch milliseconds, or undefined when absent. */
export function optionalTimestamp(
  value: unknown,
  where: string,
  context: VexContext,
): number | undefined {
  const text = optionalString(value, where, context);
  if (text === undefined) return undefined;
  const time = Date.parse(text);
  if (!/^\d{4}-\d\d-\d\dT/.test(text) || Number.isNaN(time))
    throw invalidVex(context, `${where} ${shown(text)} is not an RFC 3339 date-time`);
  return time;
}

/** `text` as a PURL, normalised per its type by packageurl-js; an error when it is not one. */
export function requirePurl(text: string, where: string, context: VexContext): PackageURL {
  const purl = parsePurl(text);
  if (purl === undefined) throw invalidVex(context, `${where} ${shown(text)} is not a valid PURL`);
  return purl;
}

export function parsePurl(text: string): PackageURL | undefined {
  try {
    return PackageURL.fromString(text);
  } catch {
    return undefined;
  }
}

/** A bound drydock puts on untrusted documents was passed. */
export function limit(context: VexContext, what: string, max: number): DrydockError {
  return new DrydockError(
    'limit-exceeded',
    `${context.origin}: ${what}, more than the ${max} drydock reads in a VEX document`,
  );
}
