/**
 * Whether a version falls in an OSV affected package's ranges, following the OSV schema's
 * evaluation: events sorted by version (`introduced: 0` first); `introduced` opens a vulnerable
 * span, `fixed` and `limit` close it at their version, `last_affected` closes it after its version.
 * The `versions` list is an extra, explicit set of affected versions.
 */
import type { AffectedPackage, AffectedRange, RangeEvent } from '../../model/index.js';
import type { VersionScheme } from '../../version/scheme.js';

export interface RangeVerdict {
  affected: boolean;
  /** The versions that fix it: the closing `fixed` event of each span the version is in. */
  fixedIn: string[];
  /** True when a span the version is in ends with `last_affected`: no fixed version is known. */
  lastAffected: boolean;
  /** True when only the `versions` list says so (the feed gave no ranges that hold it). */
  byVersionList: boolean;
  /** Ranges skipped because the scheme cannot read one of their versions. */
  unreadable: string[];
}

export function affectedVerdict(
  version: string,
  affected: AffectedPackage,
  scheme: VersionScheme,
): RangeVerdict {
  const verdict: RangeVerdict = {
    affected: false,
    fixedIn: [],
    lastAffected: false,
    byVersionList: false,
    unreadable: [],
  };
  for (const range of affected.ranges) judgeRange(version, range, scheme, verdict);
  if (!verdict.affected && affected.versions.some((listed) => same(version, listed, scheme))) {
    verdict.affected = true;
    verdict.byVersionList = true;
  }
  return verdict;
}

function judgeRange(
  version: string,
  range: AffectedRange,
  scheme: VersionScheme,
  verdict: RangeVerdict,
): void {
  const events = sortedEvents(range.events, scheme);
  if (events === undefined) {
    verdict.unreadable.push(range.events.map((e) => `${e.kind} ${e.version}`).join(', '));
    return;
  }
  let vulnerable = false;
  /** The first event above `version` that ends the span it is in. */
  let closing: RangeEvent | undefined;
  for (const event of events) {
    if (event.kind === 'introduced') {
      if (event.version === '0' || scheme.compare(version, event.version) >= 0) {
        vulnerable = true;
        closing = undefined;
      }
      continue;
    }
    const order = scheme.compare(version, event.version);
    const past = event.kind === 'lastAffected' ? order > 0 : order >= 0;
    if (past) vulnerable = false;
    else if (vulnerable) closing ??= event;
  }
  if (!vulnerable) return;
  verdict.affected = true;
  if (closing?.kind === 'fixed') verdict.fixedIn.push(closing.version);
  if (closing?.kind === 'lastAffected') verdict.lastAffected = true;
}

/** The events in version order (`0` first), or undefined when the scheme cannot read one. */
function sortedEvents(
  events: readonly RangeEvent[],
  scheme: VersionScheme,
): RangeEvent[] | undefined {
  if (
    events.some((e) => !(e.kind === 'introduced' && e.version === '0') && !scheme.valid(e.version))
  )
    return undefined;
  return [...events].sort((a, b) => {
    if (a.version === '0' && a.kind === 'introduced') return -1;
    if (b.version === '0' && b.kind === 'introduced') return 1;
    return scheme.compare(a.version, b.version);
  });
}

function same(version: string, listed: string, scheme: VersionScheme): boolean {
  if (version === listed) return true;
  return scheme.valid(version) && scheme.valid(listed) && scheme.compare(version, listed) === 0;
}
