/**
 * CISA's Known Exploited Vulnerabilities catalogue
 * (https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json, schema
 * `known_exploited_vulnerabilities_schema.json`): `{catalogVersion, dateReleased, count,
 * vulnerabilities: [{cveID, dateAdded, dueDate, knownRansomwareCampaignUse, …}]}`. The catalogue
 * is published whole: an import replaces the stored one (CISA also removes entries).
 */
import type { Insertable } from 'kysely';
import type { VulnDbSchema } from '../db.js';
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

type KevRow = Insertable<VulnDbSchema['known_exploited']>;

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export const kevFeed: EnrichmentFeed = {
  name: 'kev',
  title: 'CISA KEV catalogue',
  kind: 'snapshot',
  recognises: (head) => /^\s*\{/.test(head) && /"(catalogVersion|cveID)"\s*:/.test(head),
  async read(chunks, limits): Promise<FeedFile> {
    const rows = new Map<string, KevRow>();
    let released: string | undefined;
    let listed = false;
    for await (const event of jsonMembers(chunks, 'vulnerabilities', limits)) {
      if (event.kind === 'list') listed = true;
      else if (event.kind === 'element') {
        const row = kevRow(event.value, event.index);
        // A CVE listed twice keeps its first entry (the catalogue lists newest additions first).
        if (!rows.has(row.cve_id)) rows.set(row.cve_id, row);
      } else if (event.key === 'dateReleased') released = timestamp(event.value, 'dateReleased');
    }
    if (!listed) throw new EnrichmentFormatError('it has no "vulnerabilities" list');
    if (rows.size === 0)
      throw new EnrichmentFormatError('its "vulnerabilities" list is empty: no catalogue is');
    return {
      records: rows.size,
      ...(released === undefined ? {} : { asOf: released }),
      async write(trx) {
        await trx.deleteFrom('known_exploited').execute();
        await inBatches([...rows.values()], (batch) =>
          trx.insertInto('known_exploited').values(batch).execute(),
        );
        return rows.size;
      },
    };
  },
};

function kevRow(value: unknown, index: number): KevRow {
  const entry = (typeof value === 'object' && value !== null ? value : {}) as Record<
    string,
    unknown
  >;
  const { cveID, dateAdded, dueDate, knownRansomwareCampaignUse: ransomware } = entry;
  const where = `vulnerabilities[${index}]`;
  if (typeof cveID !== 'string' || !CVE_ID.test(cveID))
    throw new EnrichmentFormatError(`${where}.cveID is not a CVE id (${describe(cveID)})`);
  if (typeof dateAdded !== 'string' || !DAY.test(dateAdded))
    throw new EnrichmentFormatError(`${cveID}: dateAdded is not a date (${describe(dateAdded)})`);
  if (dueDate !== undefined && (typeof dueDate !== 'string' || !DAY.test(dueDate)))
    throw new EnrichmentFormatError(`${cveID}: dueDate is not a date (${describe(dueDate)})`);
  return {
    cve_id: cveID,
    date_added: dateAdded,
    due_date: dueDate ?? null,
    // CISA says `Known` or `Unknown` (not confirmed); anything else is not a claim either way.
    known_ransomware_use: ransomware === 'Known' ? 1 : ransomware === 'Unknown' ? 0 : null,
  };
}
