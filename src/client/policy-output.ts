/** What anchore-cli prints for policy bundles: their records, the list, and `--detail`'s bundle. */
import type { PolicyBundleRecord } from '../engine/policies.js';
import { plainColumns } from '../report/plain-columns.js';
import { pythonStr } from '../report/python-text.js';
import { jsonDumps, keyValues } from './cli-output.js';

/** Each record's id, state, source and times, then a blank line. */
export function policyRecordsText(records: readonly PolicyBundleRecord[]): string {
  return records
    .map(
      (record) =>
        `${keyValues([
          ['Policy ID', record.policyId],
          ['Active', record.active],
          ['Source', record.policy_source],
          ['Created', record.created_at],
          ['Updated', record.last_updated],
        ])}\n`,
    )
    .join('');
}

/** `policy get --detail`: the bundle itself as JSON (the whole answer when it has none). */
export function policyBundleText(records: readonly PolicyBundleRecord[]): string {
  const bundle = records[0]?.policybundle;
  return jsonDumps(bundle === undefined ? records : bundle);
}

/** `policy list`: the active bundle first. */
export function policyListText(records: readonly PolicyBundleRecord[]): string {
  return plainColumns(
    ['Policy ID', 'Active', 'Created', 'Updated'],
    records.map((r) => [r.policyId, pythonStr(r.active), r.created_at, r.last_updated]),
    { sortBy: 'Active', reverse: true },
  );
}
