/** What anchore-cli prints for registries: never the password, which the engine hides anyway. */
import type { RegistryRecord } from '../engine/registries.js';
import { plainColumns } from '../report/plain-columns.js';
import { keyValues } from './cli-output.js';

/** `registry add`, `get`, `update`: each record, then a blank line. */
export function registryRecordsText(records: readonly RegistryRecord[]): string {
  return records
    .map(
      (record) =>
        `${keyValues([
          ['Registry', record.registry],
          ['Name', nameOf(record)],
          ['User', record.registry_user],
          ['Type', record.registry_type],
          ['Verify TLS', record.registry_verify],
          ['Created', record.created_at],
          ['Updated', record.last_updated],
        ])}\n`,
    )
    .join('');
}

export function registryListText(records: readonly RegistryRecord[]): string {
  return plainColumns(
    ['Registry', 'Name', 'Type', 'User'],
    records.map((r) => [r.registry, nameOf(r), r.registry_type, r.registry_user]),
    { sortBy: 'Registry' },
  );
}

/** An engine older than registry names has none: `N/A`. */
const nameOf = (record: RegistryRecord): string =>
  'registry_name' in record ? record.registry_name : 'N/A';
