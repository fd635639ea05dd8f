/** What anchore-cli prints for `subscription list`. */
import type { Subscription } from '../engine/subscriptions.js';
import { plainColumns, type Cell } from '../report/plain-columns.js';
import { pythonStr } from '../report/python-text.js';

/** One row per subscription, by tag; `--full` adds the id `activate`/`del` need. */
export function subscriptionListText(
  subscriptions: readonly Subscription[],
  full: boolean,
): string {
  const head = ['Tag', 'Subscription Type', 'Active', ...(full ? ['Subscription ID'] : [])];
  const rows = subscriptions.map((s) => {
    const row: Cell[] = [s.subscription_key, s.subscription_type, pythonStr(s.active)];
    if (full) row.push('subscription_id' in s ? s.subscription_id : '');
    return row;
  });
  return plainColumns(head, rows, { sortBy: 'Tag' });
}
