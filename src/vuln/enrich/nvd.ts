/**
 * NVD's CVE records in the CVE API 2.0 shape (https://nvd.nist.gov/developers/vulnerabilities):
 * an API page or a JSON 2.0 feed file (`nvdcve-2.0-2024.json.gz`), both
 * `{resultsPerPage, …, format: "NVD_CVE", version: "2.0", vulnerabilities: [{cve: {id,
 * lastModified, metrics: {cvssMetricV40, cvssMetricV31, cvssMetricV30, cvssMetricV2}}}]}`.
 * Only the CVSS scores are kept, for CVEs whose OSV records carry none. Pages are increments: a
 * CVE's scores are replaced only by a record with a later `lastModified`.
 */
import type { CvssScore } from '../../model/index.js';
import {
  CVE_ID,
  describe,
  EnrichmentFormatError,
  inBatches,
  timestamp,
  type EnrichmentFeed,
  type FeedFile,
} from './feed.js';
import { jsonMembers } from './json-members.js';

/** A score as stored: `source` is always NVD, so it is added when scores are looked up. */
export type NvdScore = Omit<CvssScore, 'source'>;

interface NvdRow {
  cve_id: string;
  last_modified: string;
  /** NvdScore[] as JSON. */
  scores: string;
}

/** NVD's metric lists, newest CVSS version first: the order scores are kept in. */
const METRIC_LISTS = ['cvssMetricV40', 'cvssMetricV31', 'cvssMetricV30', 'cvssMetricV2'] as const;
const MAX_VECTOR_LENGTH = 512;
const V2_BASE_VECTOR = /^AV:[LAN]\/AC:[HML]\/Au:[MSN]\/C:[NPC]\/I:[NPC]\/A:[NPC]/;

type Json = Record<string, unknown>;
const object = (value: unknown): Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};

export const nvdFeed: EnrichmentFeed = {
  name: 'nvd',
  title: 'NVD CVE API 2.0 JSON file',
  kind: 'pages',
  recognises: (head) =>
    /^\s*\{/.test(head) &&
    (/"format"\s*:\s*"NVD_CVE"/.test(head) ||
      /"vulnerabilities"\s*:\s*\[\s*\{\s*"cve"\s*:/.test(head)),
  async read(chunks, limits): Promise<FeedFile> {
    const rows = new Map<string, NvdRow>();
    let listed = false;
    for await (const event of jsonMembers(chunks, 'vulnerabilities', limits)) {
      if (event.kind === 'list') listed = true;
      else if (event.kind === 'element') {
        const row = nvdRow(event.value, event.index);
        const known = rows.get(row.cve_id);
        if (known === undefined || known.last_modified < row.last_modified)
          rows.set(row.cve_id, row);
      } else checkEnvelope(event.key, event.value);
    }
    if (!listed) throw new EnrichmentFormatError('it has no "vulnerabilities" list');
    const newest = [...rows.values()].reduce<string | undefined>(
      (max, row) => (max === undefined || row.last_modified > max ? row.last_modified : max),
      undefined,
    );
    return {
      records: rows.size,
      ...(newest === undefined ? {} : { asOf: newest }),
      async write(trx) {
        let changed = 0;
        await inBatches([...rows.values()], async (batch) => {
          const [result] = await trx
            .insertInto('nvd_cvss')
            .values(batch)
            .onConflict((conflict) =>
              conflict
                .column('cve_id')
                .doUpdateSet((eb) => ({
                  last_modified: eb.ref('excluded.last_modified'),
                  scores: eb.ref('excluded.scores'),
                }))
                .where('excluded.last_modified', '>', (eb) => eb.ref('nvd_cvss.last_modified')),
            )
            .execute();
          changed += Number(result?.numInsertedOrUpdatedRows ?? 0);
        });
        return changed;
      },
    };
  },
};

/** Another format or version of NVD's JSON is refused by name, not read as empty. */
function checkEnvelope(key: string, value: unknown): void {
  if (key === 'format' && value !== 'NVD_CVE')
    throw new EnrichmentFormatError(`its format is ${describe(value)}, not "NVD_CVE"`);
  if (key === 'version' && (typeof value !== 'string' || !value.startsWith('2.')))
    throw new EnrichmentFormatError(
      `it is version ${describe(value)} of NVD's JSON; drydock reads the CVE API 2.0 format`,
    );
}

function nvdRow(value: unknown, index: number): NvdRow {
  const cve = object(object(value).cve);
  const { id, lastModified } = cve;
  if (typeof id !== 'string' || !CVE_ID.test(id))
    throw new EnrichmentFormatError(
      `vulnerabilities[${index}].cve.id is not a CVE id (${describe(id)})`,
    );
  return {
    cve_id: id,
    last_modified: timestamp(lastModified, `${id}: lastModified`),
    scores: JSON.stringify(scoresOf(object(cve.metrics))),
  };
}

/**
 * One score per CVSS version: NVD's own (`Primary`) where it scored, else the first a CNA gave
 * (`Secondary`). Metrics that do not validate are left out rather than failing the record:
 * many parties write them, and one odd metric says nothing about the rest.
 */
export function scoresOf(metrics: Json): NvdScore[] {
  const chosen = new Map<NvdScore['version'], { score: NvdScore; primary: boolean }>();
  for (const list of METRIC_LISTS) {
    const entries = metrics[list];
    for (const entry of Array.isArray(entries) ? entries : []) {
      const score = scoreOf(object(entry));
      if (score === undefined) continue;
      const primary = object(entry).type === 'Primary';
      const known = chosen.get(score.version);
      if (known === undefined || (primary && !known.primary))
        chosen.set(score.version, { score, primary });
    }
  }
  return [...chosen.values()].map(({ score }) => score);
}

function scoreOf(metric: Json): NvdScore | undefined {
  const data = object(metric.cvssData);
  const vector = data.vectorString;
  const baseScore = data.baseScore;
  if (typeof vector !== 'string' || vector.length > MAX_VECTOR_LENGTH) return undefined;
  const version = vectorVersion(vector);
  if (version === undefined || !isScore(baseScore)) return undefined;
  const { exploitabilityScore, impactScore } = metric;
  return {
    version,
    vector,
    baseScore,
    ...(version !== '4.0' && isScore(exploitabilityScore) ? { exploitabilityScore } : {}),
    ...(version !== '4.0' && isScore(impactScore) ? { impactScore } : {}),
  };
}

/** `CVSS:3.1/…` says its version; a v2 vector has no prefix. */
export function vectorVersion(vector: string): NvdScore['version'] | undefined {
  const prefix = /^CVSS:(\d\.\d)\//.exec(vector)?.[1];
  if (prefix === '3.0' || prefix === '3.1' || prefix === '4.0') return prefix;
  return prefix === undefined && V2_BASE_VECTOR.test(vector) ? '2.0' : undefined;
}

const isScore = (value: unknown): value is number =>
  typeof value === 'number' && value >= 0 && value <= 10;
