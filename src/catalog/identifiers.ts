/** Package URLs and CPEs, built one way for every cataloger. */
import { PackageURL } from 'packageurl-js';
import type { Distro } from '../model/index.js';

export interface PurlParts {
  /** PURL type: `deb`, `apk`, `rpm`, `npm`, `pypi`, `gem`, `maven`, `golang`. */
  type: string;
  namespace?: string;
  name: string;
  version?: string;
  qualifiers?: Record<string, string | undefined>;
  subpath?: string;
}

/** The canonical PURL string (packageurl-js normalises names as each type's spec says). */
export function purl(parts: PurlParts): string {
  const qualifiers = Object.fromEntries(
    Object.entries(parts.qualifiers ?? {}).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
    ),
  );
  return new PackageURL(
    parts.type,
    parts.namespace,
    parts.name,
    parts.version,
    Object.keys(qualifiers).length > 0 ? qualifiers : undefined,
    parts.subpath,
  ).toString();
}

/** The `distro` qualifier of OS package PURLs: `debian-12`, `alpine-3.19.1`. */
export function distroQualifier(distro: Distro | undefined): string | undefined {
  if (distro === undefined) return undefined;
  return distro.versionId === undefined ? distro.id : `${distro.id}-${distro.versionId}`;
}

/**
 * CPE 2.3 names for an application: one per vendor and product candidate. Candidates are
 * lowercased and de-duplicated; the version is the package's own.
 */
export function cpes(
  vendors: readonly string[],
  products: readonly string[],
  version: string,
): string[] {
  const out = new Set<string>();
  for (const vendor of unique(vendors))
    for (const product of unique(products))
      out.add(
        `cpe:2.3:a:${cpeValue(vendor)}:${cpeValue(product)}:${cpeValue(version)}:*:*:*:*:*:*:*`,
      );
  return [...out];
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values.map((v) => v.toLowerCase()).filter((v) => v !== ''))];
}

/** CPE 2.3 formatted-string escaping: every character outside [A-Za-z0-9_] except `-` and `.`. */
function cpeValue(value: string): string {
  if (value === '') return '-';
  return value.replace(/[^A-Za-z0-9_.-]/g, (c) => `\\${c}`);
}
