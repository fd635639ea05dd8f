/**
 * The results of a run in which drydock analysed, matched and evaluated the image itself: the
 * Anchore documents built from its own analysis, as the engine API builds them, with the
 * engine-side state a freshly analysed image has (added when the run started, analysed now,
 * active, owned by the engine's default account).
 */
import type { ImageAnalysis, PolicyBundle, PolicyEvaluation } from '../model/index.js';
import type { PolicyInput } from '../policy/gate.js';
import { anchoreContent, anchoreContentInput } from '../report/anchore-content.js';
import { anchoreImageRecord } from '../report/anchore-image.js';
import { anchoreCheck } from '../report/policy/anchore-check.js';
import type { PolicyReport } from '../report/policy/policy-format.js';
import { anchoreVulnerabilities } from '../report/scan/anchore-json.js';
import { CI_PACKAGE_TYPES, scanReport, type CiResults } from './results.js';

/** Anchore Engine's default account, which owns every image of a single-user install. */
export const EMBEDDED_USER = 'admin';

export interface EmbeddedRun {
  /** The image as analysed. */
  analysis: ImageAnalysis;
  /** What was evaluated: the analysis matched, named by the evaluated tag. */
  input: PolicyInput;
  evaluation: PolicyEvaluation;
  bundle: PolicyBundle;
  /** When the run began (the image was "added") and when its analysis finished. */
  startedAt: Date;
  analyzedAt: Date;
}

export function embeddedResults(run: EmbeddedRun): CiResults {
  const { analysis, input, evaluation, bundle } = run;
  const scan = scanReport(analysis, input.match);
  const policy: PolicyReport = { evaluation, bundle, detail: true };
  const content = anchoreContentInput(analysis);
  return {
    anchore: {
      image: [
        anchoreImageRecord(input, {
          userId: EMBEDDED_USER,
          analysisStatus: 'analyzed',
          imageStatus: 'active',
          createdAt: run.startedAt,
          lastUpdated: run.analyzedAt,
          analyzedAt: run.analyzedAt,
          tagDetectedAt: run.startedAt,
        }),
      ],
      content: Object.fromEntries(
        CI_PACKAGE_TYPES.map((type) => [type, anchoreContent(content, type)]),
      ) as CiResults['anchore']['content'],
      vulnerabilities: {
        os: anchoreVulnerabilities(scan, 'os'),
        all: anchoreVulnerabilities(scan, 'all'),
      },
      check: anchoreCheck(policy),
    },
    policy,
    scan,
  };
}
