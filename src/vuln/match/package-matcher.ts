/**
 * The interface every package matcher implements: how one package type is looked up in the
 * vulnerability database. A matcher is one file exporting one `PackageMatcher`, listed once in
 * `matchers.ts`; range evaluation, de-duplication and reporting are shared.
 */
import type { Distro, Package, PackageType } from '../../model/index.js';
import type { VersionScheme } from '../../version/scheme.js';

/** One lookup: the records naming `name` in `ecosystem`, judged on `version` with `scheme`. */
export interface MatchQuery {
  /** The match ecosystem, as `matchEcosystem` in osv.ts names it: `Debian:12`, `npm`. */
  ecosystem: string;
  /** The name as the feed spells it, normalised as `lookupName` in osv.ts does. */
  name: string;
  /** The version compared against the records' ranges. */
  version: string;
  scheme: VersionScheme;
}

/** Why a package cannot be checked (no feed group for its distro, no group id …). */
export interface Unchecked {
  unchecked: string;
}

export interface PackageMatcher {
  readonly packageType: PackageType;
  /** The lookups for `pkg` (several when the feed may name its source or its binary). */
  queries(pkg: Package, distro: Distro | undefined): MatchQuery[] | Unchecked;
}
