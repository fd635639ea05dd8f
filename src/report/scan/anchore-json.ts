/**
 * The JSON Anchore Engine answers for `GET /v1/images/{digest}/vuln/{type}`
 * (VulnerabilityResponse), filled as its last release line fills it (anchore-engine, apiext
 * `make_response_vulnerability_report` over the Grype provider's matches):
 *
 * - `"None"` for a missing fix, URL, CPE; several fixed versions joined by `,`.
 * - `package` is `name-version`; `package_type` the engine's type name (`APKG` for apk);
 *   `package_path` is `pkgdb` for distribution packages, else where the package was found.
 * - `feed` is always `vulnerabilities`; `feed_group` the engine's namespace: `debian:12`,
 *   `alpine:3.19`, `rhel:9` for distribution records, `github:<type>` for language packages.
 * - `nvd_data`: one entry for the CVE when NVD scored it; `vendor_data`: one entry per v2 or v3
 *   score from the feed. Each entry has both `cvss_v2` and `cvss_v3`, with -1.0 for the version it
 *   does not hold; CVSS v4 is left out, as the engine leaves out every version but 2 and 3.
 * - `vendor_only` (the engine's default) drops the findings the distribution will not fix.
 *
 * Shared by `drydock scan -o anchore-json` and the engine API.
 */
import { DrydockError, type CvssScore, type Finding, OS_PACKAGE_TYPES } from '../../model/index.js';
import { DATA_UNAVAILABLE, sortFindings, type ScanFormat, type ScanReport } from './scan-format.js';

/** What `{type}` selects: distribution packages, the others, or all. */
export type AnchoreVulnerabilityType = 'os' | 'non-os' | 'all';

export interface AnchoreCvssScores {
  base_score: number;
  exploitability_score: number;
  impact_score: number;
}

export interface AnchoreCvssData {
  id: string;
  cvss_v2: AnchoreCvssScores;
  cvss_v3: AnchoreCvssScores;
}

/** The engine's keys, in its order. */
export interface AnchoreVulnerability {
  vuln: string;
  severity: string;
  url: string;
  fix: string;
  package: string;
  package_name: string;
  package_version: string;
  package_type: string;
  package_cpe: string;
  package_cpe23: string;
  package_path: string;
  feed: string;
  feed_group: string;
  nvd_data: AnchoreCvssData[];
  vendor_data: AnchoreCvssData[];
  will_not_fix: boolean;
}

export interface AnchoreVulnerabilityResponse {
  imageDigest: string;
  vulnerability_type: AnchoreVulnerabilityType;
  vulnerabilities: AnchoreVulnerability[];
}

export interface AnchoreVulnerabilityOptions {
  /** Drop what the distribution marked won't-fix, as the engine does unless told otherwise. */
  vendorOnly?: boolean;
}

export const anchoreJsonFormat: ScanFormat = {
  name: 'anchore-json',
  *render(report) {
    // Anchore's shape has no way to say the data was missing: an empty list would read as clean.
    if (!report.data.available)
      throw new DrydockError(
        'not-found',
        `-o anchore-json cannot show missing data, so no report is written: ${DATA_UNAVAILABLE}`,
      );
    yield `${JSON.stringify(anchoreVulnerabilities(report, 'all'), null, 2)}\n`;
  },
};

export function anchoreVulnerabilities(
  report: ScanReport,
  type: AnchoreVulnerabilityType,
  { vendorOnly = true }: AnchoreVulnerabilityOptions = {},
): AnchoreVulnerabilityResponse {
  const { subject, metadata } = report.sbom;
  const selected = sortFindings(report.findings).filter(
    (f) =>
      (type === 'all' || isOsPackage(f) === (type === 'os')) &&
      !(vendorOnly && f.fix.state === 'wont-fix'),
  );
  return {
    imageDigest: subject.digest ?? metadata?.imageId ?? '',
    vulnerability_type: type,
    vulnerabilities: selected.map(anchoreVulnerability),
  };
}

function isOsPackage(f: Finding): boolean {
  return OS_PACKAGE_TYPES.has(f.package.type);
}

function anchoreVulnerability(f: Finding): AnchoreVulnerability {
  const { name, version, type, paths } = f.package;
  const os = isOsPackage(f);
  return {
    vuln: f.id,
    severity: f.severity,
    url: f.urls[0] ?? 'None',
    fix: f.fix.state === 'fixed' && f.fix.versions.length > 0 ? f.fix.versions.join(',') : 'None',
    package: `${name}-${version}`,
    package_name: name,
    package_version: version,
    package_type: type === 'apk' ? 'APKG' : type,
    package_cpe: 'None',
    package_cpe23: 'None',
    package_path: os ? 'pkgdb' : (paths[0] ?? 'NA'),
    feed: 'vulnerabilities',
    feed_group: os ? distroFeedGroup(f.group) : `github:${type}`,
    nvd_data: nvdData(f),
    vendor_data: f.cvss
      .filter((score) => score.source !== 'nvd')
      .flatMap((score) => cvssData(f.id, [score]) ?? []),
    will_not_fix: f.fix.state === 'wont-fix',
  };
}

/** The engine's names for the distributions' OSV ecosystems. */
const DISTRO_NAMESPACE: Readonly<Record<string, string>> = {
  Debian: 'debian',
  Ubuntu: 'ubuntu',
  Alpine: 'alpine',
  'Red Hat': 'rhel',
  'Rocky Linux': 'rocky',
  AlmaLinux: 'almalinux',
};

/** `Debian:12` → `debian:12`, `Alpine:v3.19` → `alpine:3.19`, `Red Hat:9` → `rhel:9`. */
function distroFeedGroup(group: string): string {
  const colon = group.indexOf(':');
  const name = colon < 0 ? group : group.slice(0, colon);
  const release = colon < 0 ? '' : group.slice(colon + 1).replace(/^v(?=\d)/, '');
  const namespace = DISTRO_NAMESPACE[name] ?? name.toLowerCase();
  return release === '' ? namespace : `${namespace}:${release}`;
}

/** NVD's scores, under the CVE they score: the finding's id or its CVE alias. */
function nvdData(f: Finding): AnchoreCvssData[] {
  const cve = [f.id, ...f.aliases].find((id) => id.startsWith('CVE-')) ?? f.id;
  const data = cvssData(
    cve,
    f.cvss.filter((score) => score.source === 'nvd'),
  );
  return data === undefined ? [] : [data];
}

const UNSCORED: AnchoreCvssScores = { base_score: -1, exploitability_score: -1, impact_score: -1 };

/** One entry holding the v2 and v3 scores of `scores`; undefined when there are none. */
function cvssData(id: string, scores: readonly CvssScore[]): AnchoreCvssData | undefined {
  const v2 = scores.find((score) => score.version === '2.0');
  const v3 = scores.find((score) => score.version.startsWith('3.'));
  if (v2 === undefined && v3 === undefined) return undefined;
  return { id, cvss_v2: anchoreScores(v2), cvss_v3: anchoreScores(v3) };
}

function anchoreScores(score: CvssScore | undefined): AnchoreCvssScores {
  if (score === undefined) return { ...UNSCORED };
  return {
    base_score: score.baseScore,
    exploitability_score: score.exploitabilityScore ?? -1,
    impact_score: score.impactScore ?? -1,
  };
}
