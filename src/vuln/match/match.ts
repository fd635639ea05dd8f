/**
 * Matches an image's packages against the vulnerability database: each package's matcher says
 * what to look up, the records found are judged on their ranges with the ecosystem's version
 * scheme, and the matches become de-duplicated findings. Works on stored content as well as on a
 * fresh analysis, so a feed update re-checks old images without pulling them.
 */
import type {
  AffectedPackage,
  Finding,
  ImageContent,
  MatchResult,
  Package,
  VulnerabilityDataStatus,
} from '../../model/index.js';
import { SEVERITIES } from '../../model/index.js';
import type { VulnDb } from '../db.js';
import {
  groupsPresent,
  lookupKeyText,
  recordsFor,
  storedFeeds,
  type StoredRecord,
} from '../lookup.js';
import { matchEcosystem } from '../osv.js';
import { affectedVerdict, type RangeVerdict } from './affected-range.js';
import { enrichFindings } from './enrich-findings.js';
import { consolidate, findingFrom, type RecordMatch } from './findings.js';
import { packageMatcher } from './matchers.js';
import type { MatchQuery } from './package-matcher.js';

/** Packages whose records are read together: few queries, a bounded number of parsed records. */
const PACKAGES_PER_LOOKUP = 1_000;

interface PackageQueries {
  pkg: Package;
  queries: MatchQuery[];
}

/** Matches `content`; with no database (or an empty one) the data is reported unavailable. */
export async function matchContent(
  db: VulnDb | undefined,
  content: ImageContent,
): Promise<MatchResult> {
  const feeds = db === undefined ? [] : await storedFeeds(db);
  const data: VulnerabilityDataStatus = {
    available: feeds.length > 0,
    feeds,
    missingGroups: [],
    unchecked: [],
  };
  if (db === undefined || !data.available) return { findings: [], data };
  const planned = plan(content, data);
  const ecosystems = new Set(planned.flatMap(({ queries }) => queries.map((q) => q.ecosystem)));
  const present = await groupsPresent(db, ecosystems);
  data.missingGroups = [...ecosystems].filter((group) => !present.has(group)).sort();
  const matches: RecordMatch[] = [];
  // A slice of packages at a time: only its records are parsed and held at once.
  for (let i = 0; i < planned.length; i += PACKAGES_PER_LOOKUP) {
    const slice = planned.slice(i, i + PACKAGES_PER_LOOKUP);
    const keys = slice.flatMap(({ queries }) => queries.filter((q) => present.has(q.ecosystem)));
    const records = await recordsFor(db, keys);
    for (const entry of slice) matches.push(...matchPackage(entry, records, data));
  }
  const findings = consolidate(matches.map(findingFrom));
  await enrichFindings(db, findings);
  return { findings: sortFindings(findings), data };
}

/** Each package's lookups; a language package an OS package installed is matched as that one. */
function plan(content: ImageContent, data: VulnerabilityDataStatus): PackageQueries[] {
  return content.packages.flatMap((pkg) => {
    if (pkg.ownedBy !== undefined) return [];
    const matcher = packageMatcher(pkg.type);
    const queries = matcher?.queries(pkg, content.distro) ?? {
      unchecked: `no matcher for ${pkg.type} packages`,
    };
    if (!Array.isArray(queries)) {
      data.unchecked.push({ packageId: pkg.id, reason: queries.unchecked });
      return [];
    }
    const readable = queries.filter((q) => q.scheme.valid(q.version));
    if (readable.length < queries.length)
      data.unchecked.push({
        packageId: pkg.id,
        reason: `version "${pkg.version}" is not a valid ${queries[0]?.scheme.name ?? ''} version`,
      });
    return readable.length === 0 ? [] : [{ pkg, queries: readable }];
  });
}

function matchPackage(
  { pkg, queries }: PackageQueries,
  records: Map<string, StoredRecord[]>,
  data: VulnerabilityDataStatus,
): RecordMatch[] {
  const seen = new Set<number>();
  const matches: RecordMatch[] = [];
  for (const query of queries)
    for (const stored of records.get(lookupKeyText(query)) ?? []) {
      if (seen.has(stored.key) || stored.record.withdrawn !== undefined) continue;
      seen.add(stored.key);
      const entries = stored.record.affected.filter(
        (a) => matchEcosystem(a.ecosystem) === query.ecosystem && a.lookupName === query.name,
      );
      const judged = judge(query, entries);
      for (const ranges of judged.unreadable)
        data.unchecked.push({
          packageId: pkg.id,
          reason: `${stored.record.id}: range "${ranges}" is not readable as ${query.scheme.name} versions`,
        });
      if (judged.verdict !== undefined && judged.entry !== undefined)
        matches.push({
          pkg,
          query,
          record: stored.record,
          affected: judged.entry,
          verdict: judged.verdict,
          feed: stored.feed,
        });
    }
  return matches;
}

/** One verdict over all of a record's entries for the package (a GHSA may list it twice). */
function judge(
  query: MatchQuery,
  entries: readonly AffectedPackage[],
): { verdict?: RangeVerdict; entry?: AffectedPackage; unreadable: string[] } {
  const unreadable: string[] = [];
  let verdict: RangeVerdict | undefined;
  let entry: AffectedPackage | undefined;
  for (const candidate of entries) {
    const judged = affectedVerdict(query.version, candidate, query.scheme);
    unreadable.push(...judged.unreadable);
    if (!judged.affected) continue;
    entry ??= candidate;
    verdict =
      verdict === undefined
        ? judged
        : {
            ...verdict,
            fixedIn: [...verdict.fixedIn, ...judged.fixedIn],
            lastAffected: verdict.lastAffected || judged.lastAffected,
            byVersionList: verdict.byVersionList && judged.byVersionList,
          };
  }
  return {
    ...(verdict === undefined ? {} : { verdict }),
    ...(entry === undefined ? {} : { entry }),
    unreadable,
  };
}

/** Most severe first, then by package and id, so output is stable. */
function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) ||
      a.package.name.localeCompare(b.package.name) ||
      a.package.version.localeCompare(b.package.version) ||
      a.id.localeCompare(b.id),
  );
}
