/**
 * Findings from matched records: one per vulnerability and package. Records for the same
 * vulnerability (a GHSA and the PYSEC that aliases it, a DEBIAN-CVE and the CVE record) become one
 * finding; a distribution advisory (DSA, USN) whose every related CVE is already a finding for the
 * package is folded into those findings rather than reported again.
 */
import type {
  AffectedPackage,
  Finding,
  FindingPackage,
  FixState,
  Package,
  Severity,
  Vulnerability,
} from '../../model/index.js';
import { SEVERITIES } from '../../model/index.js';
import type { RangeVerdict } from './affected-range.js';
import type { MatchQuery } from './package-matcher.js';
import { cvssRating, feedSeverity, recordCvss } from './severity.js';

/** One record that matched one package. */
export interface RecordMatch {
  pkg: Package;
  query: MatchQuery;
  record: Vulnerability;
  affected: AffectedPackage;
  verdict: RangeVerdict;
  feed: string;
}

const MAX_URLS = 20;
/** A distribution's copy of a CVE: `DEBIAN-CVE-2024-2961`, `UBUNTU-CVE-…`, `ALPINE-CVE-…`. */
const CVE_WRAPPER = /^[A-Z]+-(CVE-\d{4}-\d+)$/;
export const CVE = /^CVE-\d{4}-\d+$/;

export function findingFrom(match: RecordMatch): Finding {
  const { record, affected, pkg, query, verdict } = match;
  const cvss = recordCvss(record);
  const word = feedSeverity(record, affected);
  const rating = cvssRating(cvss);
  const finding: Finding = {
    id: reportedId(idsOf(record)),
    aliases: [],
    severity: word ?? rating ?? 'Unknown',
    severitySource: word !== undefined ? 'feed' : rating !== undefined ? 'cvss' : 'none',
    cvss,
    package: findingPackage(pkg),
    matchedAs: { ecosystem: query.ecosystem, name: affected.name, version: query.version },
    fix: fixOf(verdict, affected),
    feed: match.feed,
    group: query.ecosystem,
    urls: urlsOf(record),
    modified: record.modified,
  };
  finding.aliases = idsOf(record)
    .filter((id) => id !== finding.id)
    .sort();
  const related = relatedOf(record);
  if (related.length > 0) finding.related = related;
  if (record.summary !== undefined) finding.summary = record.summary;
  else if (record.details !== undefined) finding.summary = firstLine(record.details);
  if (record.published !== undefined) finding.published = record.published;
  return finding;
}

function findingPackage(pkg: Package): FindingPackage {
  return {
    id: pkg.id,
    name: pkg.name,
    version: pkg.version,
    type: pkg.type,
    purl: pkg.purl,
    paths: pkg.locations.map((location) => location.path),
  };
}

function fixOf(verdict: RangeVerdict, affected: AffectedPackage): Finding['fix'] {
  if (verdict.fixedIn.length > 0) return { state: 'fixed', versions: unique(verdict.fixedIn) };
  const urgency = affected.ecosystemSpecific?.urgency;
  if (urgency === 'end-of-life') return { state: 'end-of-life', versions: [] };
  const state: FixState = verdict.byVersionList ? 'unknown' : 'not-fixed';
  return { state, versions: [] };
}

function urlsOf(record: Vulnerability): string[] {
  const own = `https://osv.dev/vulnerability/${encodeURIComponent(record.id)}`;
  return unique([own, ...record.references.map((ref) => ref.url)]).slice(0, MAX_URLS);
}

/**
 * Every id a record answers to: its own, its aliases, and its upstream ids when they all name one
 * vulnerability (DSA-5673-1 of CVE-2024-2961 and DEBIAN-CVE-2024-2961). An advisory whose upstream
 * ids name several covers distinct vulnerabilities: those are related, not aliases.
 */
function idsOf(record: Vulnerability): string[] {
  const upstream = upstreamCves(record).size === 1 ? record.upstream : [];
  return unique([record.id, ...upstream, ...record.aliases]);
}

function relatedOf(record: Vulnerability): string[] {
  const upstream = upstreamCves(record).size > 1 ? record.upstream : [];
  return unique([...record.related, ...upstream]);
}

/** The distinct CVEs a record's upstream ids name, distribution copies unwrapped. */
function upstreamCves(record: Vulnerability): Set<string> {
  return new Set(record.upstream.map((id) => CVE_WRAPPER.exec(id)?.[1] ?? id));
}

/** GHSA first (it has the richest data for language packages), then the CVE, then the rest. */
function reportedId(ids: readonly string[]): string {
  const cves = ids.map((id) => CVE_WRAPPER.exec(id)?.[1] ?? id).filter((id) => CVE.test(id));
  return ids.find((id) => id.startsWith('GHSA-')) ?? cves[0] ?? ids[0] ?? '';
}

/** Merges the findings of one package that share an id, then folds covered advisories in. */
export function consolidate(findings: readonly Finding[]): Finding[] {
  const byPackage = new Map<string, Finding[]>();
  for (const finding of findings) {
    const list = byPackage.get(finding.package.id) ?? [];
    list.push(finding);
    byPackage.set(finding.package.id, list);
  }
  return [...byPackage.values()].flatMap((list) => foldAdvisories(mergeAliases(list)));
}

/** Groups findings whose id sets intersect (transitively) into one finding each. */
function mergeAliases(findings: readonly Finding[]): Finding[] {
  const groups: Finding[][] = [];
  const groupOfId = new Map<string, Finding[]>();
  for (const finding of findings) {
    const ids = [finding.id, ...finding.aliases];
    const joined = unique(
      ids.flatMap((id) => (groupOfId.has(id) ? [groupOfId.get(id)] : [])),
    ).filter((group): group is Finding[] => group !== undefined);
    const group = joined[0] ?? [];
    if (joined.length === 0) groups.push(group);
    for (const other of joined.slice(1)) {
      group.push(...other);
      groups.splice(groups.indexOf(other), 1);
    }
    group.push(finding);
    for (const member of group)
      for (const id of [member.id, ...member.aliases]) groupOfId.set(id, group);
  }
  return groups.map(mergeGroup);
}

function mergeGroup(group: readonly Finding[]): Finding {
  const [first, ...rest] = group;
  if (first === undefined) throw new Error('an empty alias group');
  if (rest.length === 0) return first;
  const ids = unique(group.flatMap((f) => [f.id, ...f.aliases]));
  const id = reportedId(ids);
  const lead = group.find((f) => f.id === id) ?? first;
  const fixed = group.filter((f) => f.fix.state === 'fixed');
  const merged: Finding = {
    ...lead,
    id,
    aliases: ids.filter((other) => other !== id).sort(),
    cvss: uniqueBy(
      group.flatMap((f) => f.cvss),
      (s) => `${s.source} ${s.vector}`,
    ),
    fix:
      fixed.length > 0
        ? { state: 'fixed', versions: unique(fixed.flatMap((f) => f.fix.versions)) }
        : lead.fix,
    urls: unique(group.flatMap((f) => f.urls)).slice(0, MAX_URLS),
    modified:
      group
        .map((f) => f.modified)
        .sort()
        .at(-1) ?? lead.modified,
  };
  if (lead.severity === 'Unknown') {
    merged.severity = highest(group.map((f) => f.severity));
    merged.severitySource =
      group.find((f) => f.severity === merged.severity)?.severitySource ?? 'none';
  }
  const related = unique(group.flatMap((f) => f.related ?? []));
  if (related.length > 0) merged.related = related;
  const summary = lead.summary ?? group.find((f) => f.summary !== undefined)?.summary;
  if (summary !== undefined) merged.summary = summary;
  return merged;
}

/**
 * Drops an advisory finding (its id not a CVE) when every CVE it relates to is already a finding
 * for the package, adding the advisory's id to those findings' aliases instead.
 */
function foldAdvisories(findings: Finding[]): Finding[] {
  const byCve = new Map<string, Finding>();
  for (const finding of findings) if (CVE.test(finding.id)) byCve.set(finding.id, finding);
  return findings.filter((finding) => {
    const related = finding.related ?? [];
    if (CVE.test(finding.id) || related.length === 0) return true;
    const covering = related.map((cve) => byCve.get(cve));
    if (covering.some((f) => f === undefined)) return true;
    for (const target of covering)
      if (target !== undefined && !target.aliases.includes(finding.id))
        target.aliases.push(finding.id);
    return false;
  });
}

function highest(severities: readonly Severity[]): Severity {
  return severities.reduce((a, b) => (SEVERITIES.indexOf(a) >= SEVERITIES.indexOf(b) ? a : b));
}

function firstLine(text: string): string {
  return (text.split('\n').find((line) => line.trim() !== '') ?? '').trim().slice(0, 300);
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(key(item))) seen.set(key(item), item);
  return [...seen.values()];
}
