/**
 * The query indexes of an analysed image: its packages and its findings as rows, written when
 * the analysis is stored and (findings) again when a feed sync re-matches it, so the query
 * routes look images up by package or vulnerability without reading every analysis.
 */
import type { Kysely } from 'kysely';
import type { ImageAnalysis, MatchResult } from '../model/index.js';
import {
  ANCHORE_CONTENT_TYPES,
  anchoreContentInput,
  contentEntries,
} from '../report/anchore-content.js';
import { anchoreVulnerabilities } from '../report/scan/anchore-json.js';
import { sbomInputFromAnalysis } from '../report/sbom/sbom-format.js';
import type { EngineSchema } from './store/schema.js';

/** Rows per insert: well under SQLite's and PostgreSQL's bound-parameter limits. */
const BATCH = 500;

type Db = Kysely<EngineSchema>;

export async function indexPackages(
  db: Db,
  account: string,
  digest: string,
  analysis: ImageAnalysis,
): Promise<void> {
  await db
    .deleteFrom('image_packages')
    .where('account_name', '=', account)
    .where('image_digest', '=', digest)
    .execute();
  const input = anchoreContentInput(analysis);
  const rows: EngineSchema['image_packages'][] = [];
  for (const type of ANCHORE_CONTENT_TYPES.filter((t) => t !== 'files'))
    for (const entry of contentEntries(input, type))
      if ('package' in entry)
        rows.push({
          account_name: account,
          image_digest: digest,
          name: entry.package,
          version: entry.version,
          type,
        });
  await insertInBatches(rows, (batch) => db.insertInto('image_packages').values(batch).execute());
}

export async function indexFindings(
  db: Db,
  account: string,
  digest: string,
  analysis: ImageAnalysis,
  match: MatchResult,
): Promise<void> {
  await db
    .deleteFrom('image_vulnerabilities')
    .where('account_name', '=', account)
    .where('image_digest', '=', digest)
    .execute();
  const report = {
    sbom: sbomInputFromAnalysis(analysis),
    findings: match.findings,
    data: match.data,
  };
  const rows = anchoreVulnerabilities(report, 'all', { vendorOnly: false }).vulnerabilities.map(
    (v) => ({
      account_name: account,
      image_digest: digest,
      vuln_id: v.vuln,
      package_name: v.package_name,
      package_version: v.package_version,
      package_type: v.package_type,
      severity: v.severity,
      namespace: v.feed_group,
      will_not_fix: v.will_not_fix ? 1 : 0,
    }),
  );
  await insertInBatches(rows, (batch) =>
    db.insertInto('image_vulnerabilities').values(batch).execute(),
  );
}

async function insertInBatches<T>(
  rows: readonly T[],
  insert: (batch: T[]) => Promise<unknown>,
): Promise<void> {
  for (let start = 0; start < rows.length; start += BATCH)
    await insert(rows.slice(start, start + BATCH));
}
