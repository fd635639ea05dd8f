/** What anchore-cli prints for `system status` and `system feeds list|sync`. */
import type { ServiceRecord } from '../engine/services.js';
import { plainColumns, type Cell } from '../report/plain-columns.js';
import { pythonStr } from '../report/python-text.js';
import { printable } from '../util/text.js';

/** Only what the status text reads: every field may be missing. */
type ServiceState = Partial<ServiceRecord>;

/**
 * One line per service, then the engine's database and code versions: those of the first API
 * service that is up, else the first any service reports.
 */
export function systemStatusText(status: { service_states?: ServiceState[] }): string {
  let dbVersion: unknown;
  let codeVersion: unknown;
  const lines = (status.service_states ?? []).map((service) => {
    const up = Boolean(service.status);
    const detail = service.service_detail;
    dbVersion ||= detail?.db_version;
    codeVersion ||= detail?.version;
    if (service.servicename === 'apiext' && up) {
      dbVersion = detail?.db_version;
      codeVersion = detail?.version;
    }
    const state = up ? 'up' : `down (${pythonStr(service.status_message ?? 'Status Unknown')})`;
    return printable(
      `Service ${pythonStr(service.servicename ?? 'ServiceName Unknown')} (${pythonStr(service.hostid ?? 'HostID Unknown')}, ${pythonStr(service.base_url ?? 'Base URL Unknown')}): ${state}`,
    );
  });
  return (
    `${lines.join('\n')}\n\nEngine DB Version: ${printable(pythonStr(dbVersion || 'Not Found'))}\n` +
    `Engine Code Version: ${printable(pythonStr(codeVersion || 'Not Found'))}`
  );
}

export interface FeedRecord {
  name?: string;
  enabled?: boolean;
  groups: { name?: string; enabled?: boolean; last_sync?: string | null; record_count?: number }[];
}

/** Each feed's groups, when they last synced and how many records they hold; a blank line after. */
export function feedsListText(feeds: readonly FeedRecord[]): string {
  const rows: Cell[][] = [];
  for (const feed of feeds) {
    const feedEnabled = feed.enabled ?? true;
    const name = `${pythonStr(feed.name ?? 'N/A')}${feedEnabled ? '' : '(disabled)'}`;
    for (const group of feed.groups) {
      const groupEnabled = group.enabled ?? true;
      const lastSync = group.last_sync || (feedEnabled && groupEnabled ? 'pending' : '-');
      const groupName = `${pythonStr(group.name ?? 'N/A')}${groupEnabled ? '' : '(disabled)'}`;
      rows.push([name, groupName, lastSync, group.record_count ?? 'N/A']);
    }
  }
  const head = ['Feed', 'Group', 'LastSync', 'RecordCount'];
  return `${plainColumns(head, rows, { sortBy: 'Feed' })}\n`;
}

export interface FeedSyncRecord {
  feed: string;
  groups: {
    group: string;
    status: string;
    updated_record_count: number;
    total_time_seconds: number;
  }[];
}

/** `system feeds sync`: each group synced, or `Success` when the engine lists none. */
export function feedsSyncText(result: unknown): string {
  if (!Array.isArray(result)) return 'Success';
  const rows = (result as FeedSyncRecord[]).flatMap((feed) =>
    feed.groups.map((group) => [
      feed.feed,
      group.group,
      group.status,
      group.updated_record_count,
      `${group.total_time_seconds.toFixed(2)}s`,
    ]),
  );
  const head = ['Feed', 'Group', 'Status', 'Records Updated', 'Sync Duration'];
  return plainColumns(head, rows, { sortBy: 'Feed' });
}
