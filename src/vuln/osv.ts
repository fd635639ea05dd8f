/**
 * Parses and validates one OSV record (https://ossf.github.io/osv-schema/) into a Vulnerability.
 * Records come from feeds we do not control: every size, count and depth is bounded, and a record
 * that breaks the schema is refused whole with an OsvRecordError naming what is wrong.
 */
import type {
  AffectedPackage,
  AffectedRange,
  JsonObject,
  RangeEvent,
  RangeEventKind,
  SeverityScore,
  Vulnerability,
  VulnerabilityReference,
} from '../model/index.js';
import { pep503Name } from '../util/package-names.js';

export interface OsvLimits {
  /** Largest record, in bytes of JSON. */
  maxRecordBytes: number;
  maxAffected: number;
  maxRangesPerPackage: number;
  maxEventsPerRange: number;
  maxVersionsPerPackage: number;
  /** Aliases, related ids, references and severities, each. */
  maxListItems: number;
  /** Nesting of the kept ecosystem_specific / database_specific objects. */
  maxSpecificDepth: number;
}

export const DEFAULT_OSV_LIMITS: OsvLimits = {
  maxRecordBytes: 8 * 1024 ** 2,
  maxAffected: 10_000,
  maxRangesPerPackage: 200,
  maxEventsPerRange: 2_000,
  maxVersionsPerPackage: 50_000,
  maxListItems: 5_000,
  maxSpecificDepth: 16,
};

/** A record that is not valid OSV (or is over a limit): the import skips and counts it. */
export class OsvRecordError extends Error {
  override readonly name = 'OsvRecordError';
}

type Json = Record<string, unknown>;

export function parseOsvRecord(
  bytes: Buffer | string,
  limits: Partial<OsvLimits> = {},
): Vulnerability {
  const bounds = { ...DEFAULT_OSV_LIMITS, ...limits };
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length;
  if (size > bounds.maxRecordBytes)
    throw new OsvRecordError(`record is ${size} bytes, over the limit of ${bounds.maxRecordBytes}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch (error) {
    throw new OsvRecordError(`not JSON (${error instanceof Error ? error.message : 'unknown'})`);
  }
  return toVulnerability(object(parsed, 'record'), bounds);
}

function toVulnerability(record: Json, limits: OsvLimits): Vulnerability {
  const id = nonEmpty(record.id, 'id');
  const vulnerability: Vulnerability = {
    id,
    aliases: stringList(record.aliases, 'aliases', limits.maxListItems),
    related: stringList(record.related, 'related', limits.maxListItems),
    upstream: stringList(record.upstream, 'upstream', limits.maxListItems),
    modified: timestamp(record.modified, 'modified') ?? missing('modified'),
    severity: list(record.severity, 'severity', limits.maxListItems).map(severityScore),
    references: list(record.references, 'references', limits.maxListItems).map(reference),
    affected: list(record.affected, 'affected', limits.maxAffected).map((entry, i) =>
      affectedPackage(object(entry, `affected[${i}]`), `affected[${i}]`, limits),
    ),
  };
  assign(vulnerability, 'published', timestamp(record.published, 'published'));
  assign(vulnerability, 'withdrawn', timestamp(record.withdrawn, 'withdrawn'));
  assign(vulnerability, 'summary', optionalString(record.summary, 'summary'));
  assign(vulnerability, 'details', optionalString(record.details, 'details'));
  const databaseSpecific = record.database_specific;
  if (isObject(databaseSpecific))
    assign(vulnerability, 'feedSeverity', optionalString(databaseSpecific.severity, 'severity'));
  return vulnerability;
}

function affectedPackage(entry: Json, where: string, limits: OsvLimits): AffectedPackage {
  const pkg = object(entry.package, `${where}.package`);
  const ecosystem = nonEmpty(pkg.ecosystem, `${where}.package.ecosystem`);
  const name = nonEmpty(pkg.name, `${where}.package.name`);
  const ranges = list(entry.ranges, `${where}.ranges`, limits.maxRangesPerPackage)
    .map((range, i) => affectedRange(object(range, `${where}.ranges[${i}]`), limits))
    .filter((range) => range !== undefined);
  const affected: AffectedPackage = {
    ecosystem,
    name,
    lookupName: lookupName(ecosystem, name),
    ranges,
    versions: stringList(entry.versions, `${where}.versions`, limits.maxVersionsPerPackage),
  };
  assign(affected, 'purl', optionalString(pkg.purl, `${where}.package.purl`));
  assign(
    affected,
    'ecosystemSpecific',
    specific(entry.ecosystem_specific, `${where}.ecosystem_specific`, limits),
  );
  assign(
    affected,
    'databaseSpecific',
    specific(entry.database_specific, `${where}.database_specific`, limits),
  );
  return affected;
}

const EVENT_KINDS: Record<string, RangeEventKind> = {
  introduced: 'introduced',
  fixed: 'fixed',
  last_affected: 'lastAffected',
  limit: 'limit',
};

/** GIT ranges name commits, which an image never shows: dropped, not refused. */
function affectedRange(range: Json, limits: OsvLimits): AffectedRange | undefined {
  const type = requiredString(range.type, 'range type');
  if (type === 'GIT') return undefined;
  if (type !== 'ECOSYSTEM' && type !== 'SEMVER')
    throw new OsvRecordError(`unknown range type "${type}"`);
  const events = list(range.events, 'range events', limits.maxEventsPerRange).map(rangeEvent);
  if (events.length === 0) throw new OsvRecordError('a range has no events');
  return { type, events };
}

function rangeEvent(event: unknown): RangeEvent {
  const fields = Object.entries(object(event, 'range event'));
  const [field] = fields;
  const kind = field === undefined ? undefined : EVENT_KINDS[field[0]];
  if (fields.length !== 1 || field === undefined || kind === undefined)
    throw new OsvRecordError(
      'a range event must have exactly one of introduced, fixed, last_affected, limit',
    );
  return { kind, version: requiredString(field[1], `${field[0]} version`) };
}

function severityScore(value: unknown): SeverityScore {
  const score = object(value, 'severity');
  return {
    type: requiredString(score.type, 'severity type'),
    score: requiredString(score.score, 'severity score'),
  };
}

function reference(value: unknown): VulnerabilityReference {
  const ref = object(value, 'reference');
  return {
    type: requiredString(ref.type, 'reference type'),
    url: requiredString(ref.url, 'reference url'),
  };
}

/** Ecosystems (by the part before `:`) whose package names compare case-insensitively. */
const CASE_INSENSITIVE = new Set(['NuGet', 'Packagist', 'Debian', 'Ubuntu', 'Alpine', 'crates.io']);

/**
 * The name under which a package is looked up in `ecosystem`: PEP 503 for PyPI, lowercase where
 * the ecosystem ignores case, `group:artifact` (no spaces) for Maven; as given elsewhere (npm,
 * Go and RubyGems names are case-sensitive). The matcher normalises package names the same way.
 */
export function lookupName(ecosystem: string, name: string): string {
  const base = ecosystemBase(ecosystem);
  if (base === 'PyPI') return pep503Name(name);
  if (base === 'Maven') return name.replace(/\s+/g, '');
  if (CASE_INSENSITIVE.has(base)) return name.toLowerCase();
  return name;
}

/**
 * The ecosystem under which an affected package is indexed and looked up: OSV's name with the
 * parts that do not change what is affected dropped. `Ubuntu:22.04:LTS` → `Ubuntu:22.04`,
 * `Red Hat:enterprise_linux:9::appstream` → `Red Hat:9` (other Red Hat streams, such as EUS, keep
 * their full name and so match no image). Every other name is kept as it is.
 */
export function matchEcosystem(ecosystem: string): string {
  const ubuntu = /^Ubuntu:((?:Pro:)?\d+\.\d+)(?::LTS)?$/.exec(ecosystem);
  if (ubuntu?.[1] !== undefined) return `Ubuntu:${ubuntu[1]}`;
  const redHat = /^Red Hat:enterprise_linux:(\d+)(?:::.*)?$/.exec(ecosystem);
  if (redHat?.[1] !== undefined) return `Red Hat:${redHat[1]}`;
  return ecosystem;
}

/** The distinct (match ecosystem, lookup name) pairs under which a record is indexed. */
export function indexKeys(
  record: Vulnerability | undefined,
): { ecosystem: string; name: string }[] {
  const seen = new Set<string>();
  return (record?.affected ?? []).flatMap((affected) => {
    const key = { ecosystem: matchEcosystem(affected.ecosystem), name: affected.lookupName };
    const pair = `${key.ecosystem}\u0000${key.name}`;
    if (seen.has(pair)) return [];
    seen.add(pair);
    return [key];
  });
}

/** `Debian:12` → `Debian`; `npm` → `npm`. */
export function ecosystemBase(ecosystem: string): string {
  const colon = ecosystem.indexOf(':');
  return colon < 0 ? ecosystem : ecosystem.slice(0, colon);
}

function specific(value: unknown, where: string, limits: OsvLimits): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  const kept = object(value, where);
  if (depth(kept, limits.maxSpecificDepth) > limits.maxSpecificDepth)
    throw new OsvRecordError(`${where} is nested deeper than ${limits.maxSpecificDepth}`);
  return kept as JsonObject;
}

/** Nesting depth of a parsed JSON value, counted no further than `cap + 1`. */
function depth(value: unknown, cap: number): number {
  if (typeof value !== 'object' || value === null) return 0;
  if (cap < 0) return 1;
  let deepest = 0;
  for (const child of Object.values(value)) deepest = Math.max(deepest, depth(child, cap - 1));
  return deepest + 1;
}

function timestamp(value: unknown, field: string): string | undefined {
  const text = optionalString(value, field);
  if (text === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text))
    throw new OsvRecordError(`${field} "${text.slice(0, 40)}" is not an RFC 3339 time`);
  const time = new Date(text);
  if (Number.isNaN(time.getTime()))
    throw new OsvRecordError(`${field} "${text}" is not a valid time`);
  return time.toISOString();
}

function list(value: unknown, field: string, max: number): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new OsvRecordError(`${field} is not a list`);
  if (value.length > max)
    throw new OsvRecordError(`${field} has ${value.length} items, over the limit of ${max}`);
  return value;
}

function stringList(value: unknown, field: string, max: number): string[] {
  return list(value, field, max).map((item) => requiredString(item, `an item of ${field}`));
}

function object(value: unknown, field: string): Json {
  if (!isObject(value)) throw new OsvRecordError(`${field} is not an object`);
  return value;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requiredString(value: unknown, field: string): string {
  return optionalString(value, field) ?? missing(field);
}

function nonEmpty(value: unknown, field: string): string {
  const text = requiredString(value, field);
  if (text.trim() === '') throw new OsvRecordError(`${field} is empty`);
  return text;
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new OsvRecordError(`${field} is not a string`);
  return value;
}

function missing(field: string): never {
  throw new OsvRecordError(`${field} is missing`);
}

/** Sets an optional field only when it has a value, so records carry no `undefined` keys. */
function assign<T, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}
