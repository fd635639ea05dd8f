/**
 * A document as `anchore-cli --json` prints every engine response: Python's
 * `json.dumps(payload, indent=4, sort_keys=True)`, so keys sorted, four-space indents and every
 * non-ASCII character escaped. Shared by the policy check JSON and the `drydock ci` reports.
 */

/** The printed document, with the newline `print` adds. */
export function anchoreCliJson(value: unknown): string {
  return `${asciiOnly(JSON.stringify(value, sortedKeys, 4))}\n`;
}

/** Replacer: each object's keys in code-unit order, as Python sorts them. */
function sortedKeys(_key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const entries = Object.entries(value as Record<string, unknown>);
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Python's ensure_ascii: DEL and every UTF-16 unit above ASCII as `\uXXXX`, lowercase hex. */
function asciiOnly(json: string): string {
  return json.replace(
    /[\u007f-\uffff]/g,
    (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
