/**
 * `-o gitlab`: GitLab's container scanning report (security-report-schemas 15.2.1,
 * `container-scanning-report-format.json`), what a job uploads as
 * `artifacts:reports:container_scanning` for the merge request widget and the vulnerability report.
 *
 * - One vulnerability per vulnerability id, package name and version: that is all the schema's
 *   location holds (GitLab tracks a container finding by image, package and primary identifier),
 *   so a package found at two paths is one entry, its paths listed in the description.
 * - `id` is a UUID-shaped hash of that triple: the same finding keeps its id across runs and tags.
 * - The first identifier (GitLab's primary one) is the finding's id, then its aliases.
 * - Severities map one to one, except Negligible, which GitLab does not have: `Info`, its word for
 *   a finding that is no real risk (Negligible is the publisher saying so), rather than `Low`.
 * - `cvss_vectors` carries the v2 and v3 scores: the schema has no pattern for v4.
 * - Whether the data was available is `scan.status` (`failure` when nothing could be checked)
 *   and `scan.messages`, with warnings for groups and packages that were not checked.
 * - `remediations` is empty: GitLab's remediations are patches, and drydock has none to offer.
 */
import { createHash } from 'node:crypto';
import type { CvssScore, Finding, Severity, VulnerabilityDataStatus } from '../../model/index.js';
import type { ToolInfo } from '../sbom/sbom-format.js';
import { truncate } from '../table.js';
import {
  DATA_UNAVAILABLE,
  dataWarnings,
  fixText,
  groupFindings,
  sortFindings,
  webUrl,
  type ScanFormat,
  type ScanReport,
} from './scan-format.js';

export const GITLAB_SCHEMA_VERSION = '15.2.1';

/** The schema's bounds on text fields, in characters. */
const MAX_NAME = 255;
const MAX_SOLUTION = 7000;
const MAX_DESCRIPTION = 1_048_576;
/** The schema's bounds on CVSS vectors (v2 at least 16 characters, v3 at least 32). */
const VECTOR_LENGTH: Partial<Record<CvssScore['version'], readonly [number, number]>> = {
  '2.0': [16, 128],
  '3.0': [32, 128],
  '3.1': [32, 128],
};
const MAX_CVSS_VECTORS = 10;

const GITLAB_SEVERITY: Record<Severity, string> = {
  Critical: 'Critical',
  High: 'High',
  Medium: 'Medium',
  Low: 'Low',
  Negligible: 'Info',
  Unknown: 'Unknown',
};

export const gitlabFormat: ScanFormat = {
  name: 'gitlab',
  *render(report, tool) {
    yield `${JSON.stringify(gitlabReport(report, tool), null, 2)}\n`;
  },
};

function gitlabReport(report: ScanReport, tool: ToolInfo): object {
  const { distro } = report.sbom.content;
  const operatingSystem =
    [distro?.id, distro?.versionId].filter((part) => part !== undefined && part !== '').join(' ') ||
    'Unknown';
  const image = report.sbom.subject.name;
  return {
    version: GITLAB_SCHEMA_VERSION,
    scan: scan(report.data, tool),
    vulnerabilities: uniqueFindings(sortFindings(report.findings)).map((findings) =>
      vulnerability(findings, operatingSystem, image),
    ),
    remediations: [],
  };
}

function scan(data: VulnerabilityDataStatus, tool: ToolInfo): object {
  const identity = {
    id: tool.name,
    name: tool.name,
    version: tool.version,
    vendor: { name: tool.name },
  };
  // One clock read per run (ToolInfo): the scan's start is not known here, so both are its end.
  const time = tool.timestamp.toISOString().slice(0, 19);
  const messages = [
    ...(data.available ? [] : [{ level: 'fatal', value: `${DATA_UNAVAILABLE}.` }]),
    ...dataWarnings(data).map((text) => ({ level: 'warn', value: `${text}.` })),
  ];
  return {
    analyzer: identity,
    scanner: identity,
    type: 'container_scanning',
    start_time: time,
    end_time: time,
    status: data.available ? 'success' : 'failure',
    ...(messages.length === 0 ? {} : { messages }),
  };
}

type SamePackageFindings = readonly [Finding, ...Finding[]];

/** The findings of each (id, package name, version), in the order they first appear. */
function uniqueFindings(findings: readonly Finding[]): SamePackageFindings[] {
  return groupFindings(findings, findingKey);
}

const findingKey = (f: Finding): string => [f.id, f.package.name, f.package.version].join('\u0000');

function vulnerability(
  findings: SamePackageFindings,
  operatingSystem: string,
  image: string,
): object {
  const [f] = findings;
  const summary = f.summary?.replace(/\s+/g, ' ').trim();
  const fixed = f.fix.state === 'fixed' && f.fix.versions.length > 0;
  const links = f.urls.flatMap((url) => webUrl(url) ?? []);
  const vectors = cvssVectors(f.cvss);
  return {
    id: stableUuid(findingKey(f)),
    name: truncate(summary ? `${f.id}: ${summary}` : f.id, MAX_NAME),
    description: truncate(description(findings, summary), MAX_DESCRIPTION),
    severity: GITLAB_SEVERITY[f.severity],
    ...(fixed
      ? {
          solution: truncate(
            `Upgrade ${f.package.name} to ${f.fix.versions.join(' or ')}`,
            MAX_SOLUTION,
          ),
        }
      : {}),
    location: {
      dependency: { package: { name: f.package.name }, version: f.package.version },
      operating_system: operatingSystem,
      image,
    },
    identifiers: identifiers(f, links[0]),
    ...(links.length === 0 ? {} : { links: links.map((url) => ({ url })) }),
    ...(vectors.length === 0 ? {} : { cvss_vectors: vectors }),
  };
}

/** What the schema has no field for: the package's type and paths, and the fix state. */
function description(findings: SamePackageFindings, summary: string | undefined): string {
  const [f] = findings;
  const paths = [...new Set(findings.flatMap((finding) => finding.package.paths))];
  const fix = f.fix.state === 'fixed' ? '' : fixText(f.fix);
  return [
    summary || `${f.id} (${f.severity})`,
    `${f.package.type} package ${f.package.name} ${f.package.version}` +
      (paths.length === 0 ? '' : ` at ${paths.join(', ')}`) +
      (fix === '' ? '' : `; fix: ${fix}`),
  ].join('\n\n');
}

/** The finding's id first (GitLab's primary identifier), then its aliases; typed by prefix. */
function identifiers(f: Finding, url: string | undefined): object[] {
  const ids = [...new Set([f.id, ...f.aliases])].filter((id) => id !== '');
  return ids.map((id, i) => ({
    type: identifierType(id),
    name: id,
    value: id,
    ...(i === 0 && url !== undefined ? { url } : {}),
  }));
}

/** The id's prefix in lower case, as GitLab's analyzers type theirs: `cve`, `ghsa`, `dsa`. */
function identifierType(id: string): string {
  return /^([A-Za-z]+)-/.exec(id)?.[1]?.toLowerCase() ?? 'vulnerability';
}

function cvssVectors(scores: readonly CvssScore[]): object[] {
  return scores
    .filter(({ version, vector }) => {
      const [min, max] = VECTOR_LENGTH[version] ?? [Infinity, 0];
      return vector.length >= min && vector.length <= max;
    })
    .slice(0, MAX_CVSS_VECTORS)
    .map(({ source, vector }) => ({ vendor: source || 'unknown', vector }));
}

/** A UUID (RFC 9562 version 8: name-based on SHA-256) from `name`, the same on every run. */
function stableUuid(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    `8${hex.slice(13, 16)}`,
    `${variant}${hex.slice(17, 20)}`,
    hex.slice(20, 32),
  ].join('-');
}
