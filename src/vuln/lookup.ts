/**
 * Reads for matching: the records stored under many (ecosystem, name) keys at once, which
 * ecosystem groups the database holds, and its feeds. Queries are batched (one per ecosystem and
 * chunk of names) because a scan asks for thousands of names.
 */
import type { Vulnerability } from '../model/index.js';
import type { VulnDb } from './db.js';

export interface StoredRecord {
  /** The row key: the same record found under two names is one record. */
  key: number;
  feed: string;
  record: Vulnerability;
}

export interface LookupKey {
  ecosystem: string;
  name: string;
}

/** Names per statement: well below SQLite's bound-parameter limit. */
const NAMES_PER_QUERY = 500;

export const lookupKeyText = (key: LookupKey): string => `${key.ecosystem}\u0000${key.name}`;

/** The records under each key (withdrawn ones included), by `lookupKeyText`. */
export async function recordsFor(
  db: VulnDb,
  keys: readonly LookupKey[],
): Promise<Map<string, StoredRecord[]>> {
  const found = new Map<string, StoredRecord[]>();
  const parsed = new Map<number, Vulnerability>();
  for (const [ecosystem, names] of namesByEcosystem(keys))
    for (let i = 0; i < names.length; i += NAMES_PER_QUERY) {
      const rows = await db
        .selectFrom('affected')
        .innerJoin('vulnerabilities', 'vulnerabilities.key', 'affected.vuln_key')
        .innerJoin('feeds', 'feeds.id', 'vulnerabilities.feed_id')
        .select([
          'affected.name',
          'vulnerabilities.key',
          'vulnerabilities.record',
          'feeds.name as feed',
        ])
        .where('affected.ecosystem', '=', ecosystem)
        .where('affected.name', 'in', names.slice(i, i + NAMES_PER_QUERY))
        .execute();
      for (const row of rows) {
        const record = parsed.get(row.key) ?? (JSON.parse(row.record) as Vulnerability);
        parsed.set(row.key, record);
        const text = lookupKeyText({ ecosystem, name: row.name });
        const list = found.get(text) ?? [];
        list.push({ key: row.key, feed: row.feed, record });
        found.set(text, list);
      }
    }
  return found;
}

function namesByEcosystem(keys: readonly LookupKey[]): Map<string, string[]> {
  const byEcosystem = new Map<string, Set<string>>();
  for (const { ecosystem, name } of keys) {
    const names = byEcosystem.get(ecosystem) ?? new Set<string>();
    names.add(name);
    byEcosystem.set(ecosystem, names);
  }
  return new Map([...byEcosystem].map(([ecosystem, names]) => [ecosystem, [...names]]));
}

/** Which of `ecosystems` the database has any record for. */
export async function groupsPresent(
  db: VulnDb,
  ecosystems: Iterable<string>,
): Promise<Set<string>> {
  const present = new Set<string>();
  for (const ecosystem of new Set(ecosystems)) {
    const row = await db
      .selectFrom('affected')
      .select('vuln_key')
      .where('ecosystem', '=', ecosystem)
      .limit(1)
      .executeTakeFirst();
    if (row !== undefined) present.add(ecosystem);
  }
  return present;
}

/** The feeds the database holds: name, last sync and record count. */
export async function storedFeeds(
  db: VulnDb,
): Promise<{ name: string; lastSync: string; records: number }[]> {
  const rows = await db
    .selectFrom('feeds')
    .select(['name', 'last_sync', 'record_count'])
    .orderBy('name')
    .execute();
  return rows.map((row) => ({
    name: row.name,
    lastSync: row.last_sync,
    records: row.record_count,
  }));
}
