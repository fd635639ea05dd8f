/**
 * What the enrichment feeds know about a set of CVEs, for the matcher: whether CISA lists each as
 * exploited in the wild, its EPSS score, and NVD's CVSS scores. A scan asks for thousands of CVEs
 * at once, so they are looked up in batches of IN lists, three queries per batch.
 */
import type { CvssScore, ExploitPrediction, KnownExploited } from '../../model/index.js';
import type { VulnDb } from '../db.js';
import type { NvdScore } from './nvd.js';

export interface Enrichment {
  kev?: KnownExploited;
  epss?: ExploitPrediction;
  /** NVD's scores (source `nvd`), newest CVSS version first; empty when NVD has none. */
  cvss: CvssScore[];
}

/** Ids per query: well below SQLite's bound-parameter limit. */
const IDS_PER_QUERY = 500;

/** An entry for each of `cveIds` that some feed knows; CVEs no feed knows are left out. */
export async function enrichmentFor(
  db: VulnDb,
  cveIds: readonly string[],
): Promise<Map<string, Enrichment>> {
  const found = new Map<string, Enrichment>();
  const entry = (id: string): Enrichment => {
    let known = found.get(id);
    if (known === undefined) {
      known = { cvss: [] };
      found.set(id, known);
    }
    return known;
  };
  const ids = [...new Set(cveIds)];
  for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
    const batch = ids.slice(i, i + IDS_PER_QUERY);
    for (const row of await db
      .selectFrom('known_exploited')
      .selectAll()
      .where('cve_id', 'in', batch)
      .execute())
      entry(row.cve_id).kev = {
        dateAdded: row.date_added,
        ...(row.due_date === null ? {} : { dueDate: row.due_date }),
        ...(row.known_ransomware_use === null
          ? {}
          : { knownRansomwareUse: row.known_ransomware_use === 1 }),
      };
    for (const row of await db
      .selectFrom('exploit_predictions')
      .selectAll()
      .where('cve_id', 'in', batch)
      .execute())
      entry(row.cve_id).epss = { score: row.score, percentile: row.percentile, date: row.date };
    for (const row of await db
      .selectFrom('nvd_cvss')
      .select(['cve_id', 'scores'])
      .where('cve_id', 'in', batch)
      .execute()) {
      const scores = JSON.parse(row.scores) as NvdScore[];
      if (scores.length > 0)
        entry(row.cve_id).cvss = scores.map((score) => ({ ...score, source: 'nvd' }));
    }
  }
  return found;
}
