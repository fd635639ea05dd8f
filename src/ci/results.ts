/**
 * What a `drydock ci` run produces before anything is written: the Anchore Engine documents the
 * seed pipelines save (the same whether drydock analysed the image in-process or an engine did),
 * the evaluation behind their verdict, and, when drydock analysed the image (here or in a
 * drydock engine), the findings its own scan formats take.
 */
import type { ImageAnalysis, MatchResult } from '../model/index.js';
import type { AnchoreContentResponse } from '../report/anchore-content.js';
import type { AnchoreImage } from '../report/anchore-image.js';
import type { AnchoreCheckResponse } from '../report/policy/anchore-check.js';
import type { PolicyReport } from '../report/policy/policy-format.js';
import type { AnchoreVulnerabilityResponse } from '../report/scan/anchore-json.js';
import type { ScanReport } from '../report/scan/scan-format.js';
import { sbomInputFromAnalysis } from '../report/sbom/sbom-format.js';

/** The Anchore content types that list packages (`binary` is always empty, `files` no package). */
export const CI_PACKAGE_TYPES = ['os', 'npm', 'gem', 'python', 'java', 'go'] as const;
export type CiPackageType = (typeof CI_PACKAGE_TYPES)[number];

/** Each as `anchore-cli --json` prints the engine's answer to the command named. */
export interface AnchoreDocuments {
  /** `image get IMAGE`: a list holding the image's record. */
  image: AnchoreImage[];
  /** `image content IMAGE TYPE`. */
  content: Record<CiPackageType, AnchoreContentResponse>;
  /** `image vuln IMAGE os` and `image vuln IMAGE all`. */
  vulnerabilities: Record<'os' | 'all', AnchoreVulnerabilityResponse>;
  /** `evaluate check IMAGE --detail`. */
  check: AnchoreCheckResponse;
}

export interface CiResults {
  anchore: AnchoreDocuments;
  /** The evaluation `anchore.check` reports, for JUnit. */
  policy: PolicyReport;
  /**
   * drydock's own analysis and findings, for SARIF, CycloneDX and GitLab; absent when the
   * engine that analysed the image serves only the Anchore documents (an Anchore Engine).
   */
  scan?: ScanReport;
}

/** The scan formats' input: an analysis and what it matched. */
export function scanReport(analysis: ImageAnalysis, match: MatchResult): ScanReport {
  return { sbom: sbomInputFromAnalysis(analysis), findings: match.findings, data: match.data };
}
