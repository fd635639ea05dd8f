/**
 * What every policy evaluation output format takes, and the interface each format implements. A
 * format is one file exporting one `PolicyFormat`, listed once in `formats.ts`.
 */
import type { PolicyBundle, PolicyEvaluation } from '../../model/index.js';
import { plural } from '../scan/scan-format.js';

export interface PolicyReport {
  evaluation: PolicyEvaluation;
  /** The bundle evaluated: Anchore's check response carries it whole. */
  bundle: PolicyBundle;
  /** `--detail`: every fired trigger and the bundle, not only the verdict. */
  detail: boolean;
}

export interface PolicyFormat {
  /** The `-o` value: `json`. */
  readonly name: string;
  render(report: PolicyReport): Iterable<string>;
}

/**
 * How far the image is from passing, in one sentence: the STOP results left to clear and how many
 * of them a fixed version would clear, or why no result matters (a black- or whitelisted image).
 */
export function gapSummary({ finalActionReason, gap }: PolicyEvaluation): string {
  const warns = gap.warns === 0 ? '' : ` (and ${plural(gap.warns, 'WARN result')})`;
  switch (finalActionReason) {
    case 'blacklisted':
      return 'the image is blacklisted by the bundle (blacklisted_images): no result can clear it';
    case 'whitelisted':
      return 'none: the image is whitelisted by the bundle (whitelisted_images)';
    case 'policy_evaluation':
      return gap.stops === 0
        ? `none: no STOP results${warns}`
        : `${plural(gap.stops, 'STOP result')} to clear, ${gap.stopsWithFix} of them ${gap.stopsWithFix === 1 ? 'has' : 'have'} a fix${warns}`;
  }
}
