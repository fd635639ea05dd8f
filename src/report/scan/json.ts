/**
 * `-o json`: drydock's own scan document, about the findings (`drydock sbom` gives the packages).
 * Its keys, always in this order:
 *
 * - `schema`: `"drydock-scan/1"`; a change that breaks readers gets a new number.
 * - `source`: the image as the user named it, its digest and platform.
 * - `distro`: the distribution, or null.
 * - `vulnerabilityData`: what the data knew (`available`, `feeds`, `missingGroups`, `unchecked`).
 *   With `available` false nothing was checked, and an empty `matches` means nothing.
 * - `matches`: the findings, worst first, then by package name and vulnerability id, one per line;
 *   each with the keys of `Finding` in the order of `findingJson` below.
 * - `suppressed`: findings a VEX statement (`vex`: not_affected or fixed) suppressed, in the same
 *   shape; they are not in `matches` or `summary`.
 * - `summary`: how many findings have each severity, Critical first, every severity present.
 */
import type { Finding } from '../../model/index.js';
import { jsonArray } from '../json-lines.js';
import { severityCounts, sortFindings, type ScanFormat } from './scan-format.js';

const SCAN_JSON_SCHEMA = 'drydock-scan/1';

export const jsonFormat: ScanFormat = {
  name: 'json',
  *render({ sbom, findings, data, suppressed = [] }) {
    const field = (key: string, value: unknown): string =>
      `\n  ${JSON.stringify(key)}: ${JSON.stringify(value)},`;
    yield '{';
    yield field('schema', SCAN_JSON_SCHEMA);
    yield field('source', sbom.subject);
    yield field('distro', sbom.content.distro ?? null);
    yield field('vulnerabilityData', data);
    yield '\n  "matches": ';
    yield* jsonArray(sortFindings(findings), '  ', findingJson);
    yield ',\n  "suppressed": ';
    yield* jsonArray(sortFindings(suppressed), '  ', findingJson);
    yield `,\n  "summary": ${JSON.stringify(severityCounts(findings))}\n}\n`;
  },
};

/**
 * A finding with its keys in a fixed order, whatever order the matcher built it in. Every key of
 * `Finding` must be listed, so a new field cannot be left out unnoticed; absent ones are omitted.
 */
function findingJson(f: Finding): string {
  const ordered: { [K in keyof Required<Finding>]: Finding[K] } = {
    id: f.id,
    aliases: f.aliases,
    related: f.related,
    severity: f.severity,
    severitySource: f.severitySource,
    cvss: f.cvss,
    package: f.package,
    matchedAs: f.matchedAs,
    fix: f.fix,
    feed: f.feed,
    group: f.group,
    summary: f.summary,
    urls: f.urls,
    published: f.published,
    modified: f.modified,
    kev: f.kev,
    epss: f.epss,
    vex: f.vex,
  };
  return JSON.stringify(ordered);
}
