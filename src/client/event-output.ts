/** What anchore-cli prints for events: the list (short or `--full`), one event, and deletions. */
import { plainColumns } from '../report/plain-columns.js';
import { pyyamlSafeDump } from './pyyaml.js';

/** An event as the engine lists it (`GET /events`). */
export interface EventRecord {
  generated_uuid: string;
  event: {
    timestamp: string;
    level: string;
    type: string;
    resource: { id?: string | null; type?: string | null };
    source: { servicename: string; hostid: string };
  };
}

export interface EventPage {
  results: EventRecord[];
}

/** In the engine's order (newest first); `--full` adds the resource type, service and host. */
export function eventListText(page: EventPage, full: boolean): string {
  const rows = page.results.map(({ event, generated_uuid }) =>
    full
      ? [
          event.timestamp,
          event.level,
          event.type,
          event.resource.type ?? null,
          event.resource.id ?? null,
          event.source.servicename,
          event.source.hostid,
          generated_uuid,
        ]
      : [event.timestamp, event.level, event.type, event.resource.id ?? null, generated_uuid],
  );
  const head = full
    ? ['Timestamp', 'Level', 'Event', 'ResourceType', 'Resource', 'Service', 'Host', 'ID']
    : ['Timestamp', 'Level', 'Event', 'Resource', 'ID'];
  return plainColumns(head, rows);
}

/**
 * `event get`: the event as YAML. Safe to print as it is: PyYAML's output is printable ASCII
 * and line breaks, every other character escaped inside double quotes.
 */
export function eventText(record: { event: unknown }): string {
  if (record.event === undefined) throw new Error('the answer has no event');
  return pyyamlSafeDump(record.event);
}

/** `event delete` without an id: how many the engine deleted. */
export function eventsDeletedText(deleted: unknown): string {
  if (!Array.isArray(deleted)) return 'Success';
  return deleted.length > 0
    ? `Deleted ${String(deleted.length)} events`
    : 'No matching events found';
}
