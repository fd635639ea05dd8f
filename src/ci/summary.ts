/**
 * What a person reads at the end of a CI job: the image, its packages by type, its findings by
 * severity and the policy verdict with the STOP results behind it. Read from the Anchore
 * documents alone, so it says the same whoever produced them.
 */
import { SEVERITIES } from '../model/index.js';
import type { AnchoreCheck, AnchoreRow } from '../report/policy/anchore-check.js';
import { plural } from '../report/scan/scan-format.js';
import { printable } from '../util/text.js';
import { firstCheck, resultRows } from './check-report.js';
import { CI_PACKAGE_TYPES, type AnchoreDocuments } from './results.js';

/** STOP results listed before "and N more": the rest are in image-policy.json. */
const STOPS_SHOWN = 5;

/** The policy verdict, as the check document gives it. */
export interface CiVerdict {
  status: AnchoreCheck['status'];
  /** The image digest and the tag evaluated. */
  digest: string;
  tag: string;
  bundleId: string;
  /** `policy_evaluation`, or why the rules did not matter (`whitelisted`, `blacklisted`). */
  reason: string;
  stops: AnchoreRow[];
  warns: number;
}

export function ciVerdict(document: AnchoreDocuments['check']): CiVerdict {
  const { digest, tag, check } = firstCheck(document);
  const result = check.detail.result;
  const rows = resultRows(result);
  return {
    status: check.status,
    digest,
    tag,
    bundleId: check.policyId,
    reason: result?.final_action_reason ?? '',
    stops: rows.filter((row) => row[6] === 'stop'),
    warns: rows.filter((row) => row[6] === 'warn').length,
  };
}

export function ciSummary(docs: AnchoreDocuments): string {
  const verdict = ciVerdict(docs.check);
  const lines = [
    `Image:           ${printable(verdict.tag)}`,
    `Digest:          ${printable(verdict.digest)}`,
    `Packages:        ${packageCounts(docs)}`,
    `Vulnerabilities: ${severityCounts(docs)}`,
    `Policy:          ${policyLine(verdict)}`,
    ...verdict.stops
      .slice(0, STOPS_SHOWN)
      .map((row) => `  STOP ${printable(`${row[3]}/${row[4]}`)}: ${printable(row[5])}`),
  ];
  if (verdict.stops.length > STOPS_SHOWN)
    lines.push(`  and ${verdict.stops.length - STOPS_SHOWN} more (image-policy.json lists all)`);
  return `${lines.join('\n')}\n`;
}

/** `7 (os 4, npm 2, python 1)`: the types that have any, in Anchore's order. */
function packageCounts(docs: AnchoreDocuments): string {
  const counts = CI_PACKAGE_TYPES.map((type) => [type, docs.content[type].content.length] as const);
  return tally(counts);
}

/** `4 (Medium 2, Unknown 2)`: worst first, the severities that have any. */
function severityCounts(docs: AnchoreDocuments): string {
  const { vulnerabilities } = docs.vulnerabilities.all;
  const counts = [...SEVERITIES]
    .reverse()
    .map(
      (severity) =>
        [severity, vulnerabilities.filter((v) => v.severity === severity).length] as const,
    );
  return tally(counts);
}

function tally(counts: readonly (readonly [string, number])[]): string {
  const present = counts.filter(([, count]) => count > 0);
  const total = present.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return 'none';
  return `${total} (${present.map(([name, count]) => `${name} ${count}`).join(', ')})`;
}

/** `fail (bundle drydock-default-bundle: 1 STOP result, 2 WARN results)`. */
function policyLine(verdict: CiVerdict): string {
  const why =
    verdict.reason === 'policy_evaluation' || verdict.reason === ''
      ? `${plural(verdict.stops.length, 'STOP result')}, ${plural(verdict.warns, 'WARN result')}`
      : `the image is ${verdict.reason} by the bundle`;
  return `${verdict.status} (bundle ${printable(verdict.bundleId)}: ${why})`;
}
