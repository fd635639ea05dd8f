/**
 * Adds what the enrichment feeds know to findings, by each finding's CVE ids: CISA KEV, the
 * highest EPSS score, and NVD's CVSS scores when the record carried none of its own. A finding
 * whose severity did not come from its publisher is re-rated with the scores it now has.
 */
import type { Finding } from '../../model/index.js';
import type { VulnDb } from '../db.js';
import { enrichmentFor, type Enrichment } from '../enrich/lookup.js';
import { CVE } from './findings.js';
import { cvssRating } from './severity.js';

const cveIds = (finding: Finding): string[] =>
  [finding.id, ...finding.aliases].filter((id) => CVE.test(id));

export async function enrichFindings(db: VulnDb, findings: readonly Finding[]): Promise<void> {
  const known = await enrichmentFor(db, findings.flatMap(cveIds));
  if (known.size === 0) return;
  for (const finding of findings) {
    const facts = cveIds(finding).flatMap((id) => known.get(id) ?? []);
    if (facts.length > 0) enrich(finding, facts);
  }
}

function enrich(finding: Finding, facts: readonly Enrichment[]): void {
  const kev = facts.find((fact) => fact.kev !== undefined)?.kev;
  if (kev !== undefined) finding.kev = kev;
  const epss = facts
    .flatMap((fact) => fact.epss ?? [])
    .reduce<Finding['epss']>(
      (best, e) => (best === undefined || e.score > best.score ? e : best),
      undefined,
    );
  if (epss !== undefined) finding.epss = epss;
  if (finding.cvss.length === 0) finding.cvss = facts.flatMap((fact) => fact.cvss);
  if (finding.severitySource === 'feed') return;
  const rating = cvssRating(finding.cvss);
  if (rating === undefined) return;
  finding.severity = rating;
  finding.severitySource = 'cvss';
}
