/**
 * A finding's severity. The publisher's own word comes first (Debian's urgency, Ubuntu's
 * priority, GitHub's rating, Red Hat's impact): it is what Anchore shows for a feed group, and
 * it already weighs how the distribution builds the package. Without one, the highest CVSS base
 * score of the newest CVSS version decides; without either, `Unknown`.
 */
import type {
  AffectedPackage,
  CvssScore,
  JsonObject,
  Severity,
  Vulnerability,
} from '../../model/index.js';
import { cvssSeverity, scoreCvss } from '../cvss.js';

/** The words feeds use, lowercase, on Anchore's scale. Others (`not yet assigned`) say nothing. */
const FEED_WORDS: Record<string, Severity> = {
  critical: 'Critical',
  important: 'High',
  high: 'High',
  moderate: 'Medium',
  medium: 'Medium',
  low: 'Low',
  negligible: 'Negligible',
  unimportant: 'Negligible',
};

/** The severity word the feed gives for this record and package, on Anchore's scale. */
export function feedSeverity(
  record: Vulnerability,
  affected: AffectedPackage,
): Severity | undefined {
  const words = [
    wordIn(affected.ecosystemSpecific, 'urgency'),
    wordIn(affected.ecosystemSpecific, 'severity'),
    wordIn(affected.databaseSpecific, 'severity'),
    record.feedSeverity,
    ...record.severity.filter((s) => !s.type.startsWith('CVSS_')).map((s) => s.score),
  ];
  for (const word of words) {
    const severity = word === undefined ? undefined : FEED_WORDS[word.trim().toLowerCase()];
    if (severity !== undefined) return severity;
  }
  return undefined;
}

function wordIn(specific: JsonObject | undefined, key: string): string | undefined {
  const value = specific?.[key];
  return typeof value === 'string' ? value : undefined;
}

/** The record's CVSS vectors, scored; vectors that do not parse are left out. */
export function recordCvss(record: Vulnerability): CvssScore[] {
  return record.severity
    .filter((s) => s.type.startsWith('CVSS_'))
    .flatMap((s) => scoreCvss(s.score, record.id) ?? []);
}

/** The severity the highest score of the newest CVSS version gives, if there is a score. */
export function cvssRating(scores: readonly CvssScore[]): Severity | undefined {
  const newest = scores.reduce<CvssScore | undefined>((best, score) => {
    if (best === undefined) return score;
    const newer = score.version.localeCompare(best.version, 'en', { numeric: true });
    return newer > 0 || (newer === 0 && score.baseScore > best.baseScore) ? score : best;
  }, undefined);
  return newest === undefined ? undefined : cvssSeverity(newest);
}
