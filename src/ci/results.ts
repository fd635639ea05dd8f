/**
 * What a `drydock ci` run produces before anything is written: the Anchore Engine documents the
 * seed pipelines save (the same whether drydock analysed the image in-process or an engine did),
 * and, when drydock analysed it, the inputs of its own report formats.
 */
import type { AnchoreContentResponse } from '../report/anchore-content.js';
import type { AnchoreImage } from '../report/anchore-image.js';
import type { AnchoreCheckResponse } from '../report/policy/anchore-check.js';
import type { PolicyReport } from '../report/policy/policy-format.js';
import type { AnchoreVulnerabilityResponse } from '../report/scan/anchore-json.js';
import type { ScanReport } from '../report/scan/scan-format.js';

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
  /**
   * drydock's own findings and evaluation, for SARIF, CycloneDX, GitLab and JUnit; absent when
   * only the Anchore documents are at hand.
   */
  native?: { scan: ScanReport; policy: PolicyReport };
}
