/**
 * What every scan output format takes, and the interface each format implements. A format is one
 * file exporting one `ScanFormat`, listed once in `formats.ts`. A report is the image's SBOM, the
 * findings for its packages and what the vulnerability data knew: no format may present missing
 * data as "no vulnerabilities".
 */
import {
  SEVERITIES,
  type Finding,
  type FixState,
  type Severity,
  type VulnerabilityDataStatus,
} from '../../model/index.js';
import type { SbomInput, ToolInfo } from '../sbom/sbom-format.js';

export interface ScanReport {
  sbom: SbomInput;
  findings: readonly Finding[];
  data: VulnerabilityDataStatus;
  /** Findings a VEX statement (`not_affected`, `fixed`) suppressed: listed apart, never counted. */
  suppressed?: readonly Finding[];
}

export interface ScanFormat {
  /** The `-o` value: `sarif`. */
  readonly name: string;
  /** The document, in pieces. */
  render(report: ScanReport, tool: ToolInfo): Iterable<string>;
}

/** Critical first: the order every report lists severities in. */
const SEVERITIES_WORST_FIRST: readonly Severity[] = [...SEVERITIES].reverse();

/** What to tell a user who has no vulnerability data, and what to do about it. */
export const DATA_UNAVAILABLE =
  'vulnerability data is unavailable, so no package was checked: findings are unknown, not ' +
  'absent. Run `drydock db update` (or `drydock db import BUNDLE` offline) and scan again';

/**
 * Worst first, then by package name and vulnerability id; version and package id last so the
 * order is total. Code-unit comparison: the same order in every locale.
 */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) ||
      compareText(a.package.name, b.package.name) ||
      compareText(a.id, b.id) ||
      compareText(a.package.version, b.package.version) ||
      compareText(a.package.id, b.package.id),
  );
}

/** The findings grouped by `key`, each group non-empty, in the order the keys first appear. */
export function groupFindings(
  findings: readonly Finding[],
  key: (finding: Finding) => string,
): [Finding, ...Finding[]][] {
  const groups = new Map<string, [Finding, ...Finding[]]>();
  for (const finding of findings) {
    const group = groups.get(key(finding));
    if (group === undefined) groups.set(key(finding), [finding]);
    else group.push(finding);
  }
  return [...groups.values()];
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** How many findings have each severity, Critical first; every severity is present. */
export function severityCounts(findings: readonly Finding[]): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES_WORST_FIRST.map((s) => [s, 0])) as Record<
    Severity,
    number
  >;
  for (const finding of findings) counts[finding.severity]++;
  return counts;
}

const UNFIXED_TEXT: Record<Exclude<FixState, 'fixed'>, string> = {
  'not-fixed': '(not fixed)',
  'wont-fix': "(won't fix)",
  'fix-deferred': '(fix deferred)',
  'end-of-life': '(end of life)',
  unknown: '',
};

/** The fixed versions, or what the feed says instead; empty when it says nothing. */
export function fixText({ state, versions }: Finding['fix']): string {
  return state === 'fixed' ? versions.join(', ') : UNFIXED_TEXT[state];
}

/** Warnings about parts of the image the data could not vouch for (none when it had no data). */
export function dataWarnings(data: VulnerabilityDataStatus): string[] {
  if (!data.available) return [];
  const warnings: string[] = [];
  if (data.missingGroups.length > 0)
    warnings.push(
      `the vulnerability database has no records for ${data.missingGroups.join(', ')}: ` +
        'packages from there were not checked; import those feeds (drydock db update)',
    );
  if (data.unchecked.length > 0)
    warnings.push(
      `${plural(data.unchecked.length, 'package')} could not be checked ` +
        '(-o json lists them and why)',
    );
  return warnings;
}

/** `1 package`, `2 packages`. */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nouns}`;
}

/** An EPSS probability as a percentage: `97.5%`, `<0.1%`. */
export function epssPercent(score: number): string {
  const percent = score * 100;
  return percent > 0 && percent < 0.1 ? '<0.1%' : `${percent.toFixed(1)}%`;
}

/** An http(s) URL from a feed, normalised (spaces and the like escaped), or undefined. */
export function webUrl(text: string | undefined): string | undefined {
  if (text === undefined || !URL.canParse(text)) return undefined;
  const url = new URL(text);
  return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
}
