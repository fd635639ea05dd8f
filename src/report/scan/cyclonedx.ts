/**
 * `-o cyclonedx-json`: the image's CycloneDX 1.6 SBOM (as `drydock sbom` writes it) plus one
 * `vulnerabilities` entry per finding: the id and the feed it came from, its aliases as
 * references, a rating per CVSS score (and one `other` rating carrying the feed's severity when
 * that, not CVSS, decided it), the summary, advisories, dates, the affected package by its
 * component's bom-ref, and "Upgrade X to Y" when a fix exists. The fix state, KEV and EPSS are
 * properties; whether the data was available is said in the metadata's properties, since an SBOM
 * without vulnerabilities must not pass for a clean image.
 */
import type * as CycloneDX from '@cyclonedx/cyclonedx-library';
import type { CvssScore, Finding, Severity, VulnerabilityDataStatus } from '../../model/index.js';
import { cvssSeverity } from '../../vuln/cvss.js';
import { buildBom, serializeBom } from '../sbom/cyclonedx.js';
import { cyclonedxLibrary } from '../sbom/cyclonedx-library.js';
import { sortFindings, webUrl, type ScanFormat } from './scan-format.js';

/** Property names for what CycloneDX has no field for (see PROPERTY in sbom-format.ts). */
const SCAN_PROPERTY = {
  fixState: 'drydock:fix:state',
  fixVersion: 'drydock:fix:version',
  group: 'drydock:vulnerability:group',
  kevPrefix: 'drydock:kev:',
  epssPrefix: 'drydock:epss:',
  dataAvailable: 'drydock:vulnerabilityData:available',
  dataFeed: 'drydock:vulnerabilityData:feed',
  dataMissingGroup: 'drydock:vulnerabilityData:missingGroup',
  dataUnchecked: 'drydock:vulnerabilityData:uncheckedPackages',
} as const;

export const cyclonedxFormat: ScanFormat = {
  name: 'cyclonedx-json',
  *render(report, tool) {
    const bom = buildBom(report.sbom, tool);
    const refs = new Map([...bom.components].map((c) => [c.bomRef.value ?? '', c.bomRef]));
    for (const finding of sortFindings(report.findings))
      bom.vulnerabilities.add(vulnerability(finding, refs));
    addProperties(bom.metadata.properties, dataProperties(report.data));
    yield serializeBom(bom);
  },
};

function vulnerability(
  f: Finding,
  refs: ReadonlyMap<string, CycloneDX.Models.BomRef>,
): CycloneDX.Models.Vulnerability.Vulnerability {
  const { Enums, Models } = cyclonedxLibrary();
  const V = Models.Vulnerability;
  const fixed = f.fix.state === 'fixed' && f.fix.versions.length > 0;
  const vulnerability = new V.Vulnerability({
    // Stable, and unique: a package has one finding per vulnerability.
    bomRef: `vulnerability:${f.id}:${f.package.id}`,
    id: f.id,
    source: new V.Source({ name: f.feed, url: webUrl(f.urls[0]) }),
    description: f.summary,
    recommendation: fixed
      ? `Upgrade ${f.package.name} to ${f.fix.versions.join(' or ')}`
      : undefined,
    published: date(f.published),
    updated: date(f.modified),
  });
  for (const alias of f.aliases)
    vulnerability.references.add(new V.Reference(alias, idSource(alias)));
  for (const rating of ratings(f)) vulnerability.ratings.add(rating);
  for (const url of f.urls.map(webUrl)) if (url) vulnerability.advisories.add(new V.Advisory(url));
  const affected = new V.AffectedSingleVersion(f.package.version, {
    status: Enums.Vulnerability.AffectStatus.Affected,
  });
  vulnerability.affects.add(
    new V.Affect(refs.get(f.package.id) ?? new Models.BomRef(f.package.id), {
      versions: new V.AffectedVersionRepository([affected]),
    }),
  );
  addProperties(vulnerability.properties, findingProperties(f));
  return vulnerability;
}

/** Who publishes an alias: NVD for CVEs, GitHub for GHSAs, else OSV (it has every feed id). */
function idSource(id: string): CycloneDX.Models.Vulnerability.Source {
  const { Source } = cyclonedxLibrary().Models.Vulnerability;
  const path = encodeURIComponent(id);
  if (id.startsWith('CVE-'))
    return new Source({ name: 'NVD', url: `https://nvd.nist.gov/vuln/detail/${path}` });
  if (id.startsWith('GHSA-'))
    return new Source({ name: 'GitHub', url: `https://github.com/advisories/${path}` });
  return new Source({ name: 'OSV', url: `https://osv.dev/vulnerability/${path}` });
}

function ratings(f: Finding): CycloneDX.Models.Vulnerability.Rating[] {
  const { Enums, Models } = cyclonedxLibrary();
  const { Rating, Source } = Models.Vulnerability;
  const scored = f.cvss.map(
    (score) =>
      new Rating({
        source: new Source({ name: score.source === 'nvd' ? 'NVD' : f.feed }),
        score: score.baseScore,
        severity:
          score.baseScore === 0
            ? Enums.Vulnerability.Severity.None
            : cdxSeverity(cvssSeverity(score)),
        method: ratingMethod(score),
        vector: score.vector,
      }),
  );
  if (scored.length > 0 && f.severitySource === 'cvss') return scored;
  const word = new Rating({
    source: new Source({ name: f.feed }),
    severity: cdxSeverity(f.severity),
    method: Enums.Vulnerability.RatingMethod.Other,
  });
  return [...scored, word];
}

function ratingMethod(score: CvssScore): CycloneDX.Enums.Vulnerability.RatingMethod {
  const { RatingMethod } = cyclonedxLibrary().Enums.Vulnerability;
  const methods: Record<CvssScore['version'], CycloneDX.Enums.Vulnerability.RatingMethod> = {
    '2.0': RatingMethod.CVSSv2,
    '3.0': RatingMethod.CVSSv3,
    '3.1': RatingMethod.CVSSv31,
    '4.0': RatingMethod.CVSSv4,
  };
  return methods[score.version];
}

/** Anchore's scale in CycloneDX's words: Negligible is `info`. */
function cdxSeverity(severity: Severity): CycloneDX.Enums.Vulnerability.Severity {
  const { Severity: Cdx } = cyclonedxLibrary().Enums.Vulnerability;
  const words: Record<Severity, CycloneDX.Enums.Vulnerability.Severity> = {
    Critical: Cdx.Critical,
    High: Cdx.High,
    Medium: Cdx.Medium,
    Low: Cdx.Low,
    Negligible: Cdx.Info,
    Unknown: Cdx.Unknown,
  };
  return words[severity];
}

/** A feed's RFC 3339 time; undefined when absent or unreadable. */
function date(text: string | undefined): Date | undefined {
  const parsed = text === undefined ? Number.NaN : Date.parse(text);
  return Number.isNaN(parsed) ? undefined : new Date(parsed);
}

type PropertyEntry = readonly [string, string | number | boolean | undefined];

function findingProperties(f: Finding): PropertyEntry[] {
  const { kev, epss } = f;
  return [
    [SCAN_PROPERTY.fixState, f.fix.state],
    ...f.fix.versions.map((v): PropertyEntry => [SCAN_PROPERTY.fixVersion, v]),
    [SCAN_PROPERTY.group, f.group],
    [`${SCAN_PROPERTY.kevPrefix}dateAdded`, kev?.dateAdded],
    [`${SCAN_PROPERTY.kevPrefix}dueDate`, kev?.dueDate],
    [`${SCAN_PROPERTY.kevPrefix}knownRansomwareUse`, kev?.knownRansomwareUse],
    [`${SCAN_PROPERTY.epssPrefix}score`, epss?.score],
    [`${SCAN_PROPERTY.epssPrefix}percentile`, epss?.percentile],
    [`${SCAN_PROPERTY.epssPrefix}date`, epss?.date],
  ];
}

function dataProperties(data: VulnerabilityDataStatus): PropertyEntry[] {
  return [
    [SCAN_PROPERTY.dataAvailable, data.available],
    ...data.feeds.map((feed): PropertyEntry => [
      SCAN_PROPERTY.dataFeed,
      `${feed.name} ${feed.lastSync}`,
    ]),
    ...data.missingGroups.map((group): PropertyEntry => [SCAN_PROPERTY.dataMissingGroup, group]),
    [SCAN_PROPERTY.dataUnchecked, data.unchecked.length],
  ];
}

function addProperties(
  properties: CycloneDX.Models.PropertyRepository,
  entries: readonly PropertyEntry[],
): void {
  const { Property } = cyclonedxLibrary().Models;
  for (const [name, value] of entries)
    if (value !== undefined && value !== '') properties.add(new Property(name, String(value)));
}
