/** Package names as an ecosystem compares them, shared by the catalogers and the vulnerability store. */

/** PEP 503: runs of `-`, `_` and `.` are one `-`, and case does not matter. */
export function pep503Name(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}
