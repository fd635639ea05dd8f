/**
 * The results of a run against a running engine, drydock's or Anchore's, asked what the seeds'
 * on-premises job asks it with anchore-cli: the policy bundle added when one is given, the image
 * added (with its Dockerfile), its record polled until the analysis ends, then the documents the
 * reports need. A drydock engine also serves its own analysis and findings whole, for the scan
 * formats; an Anchore Engine answers 404 there, and those reports are not made.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { EngineClient, EngineResult } from '../client/api-client.js';
import { apiFailure } from '../client/cli-output.js';
import {
  DrydockError,
  type ImageAnalysis,
  type MatchResult,
  type PolicyBundle,
} from '../model/index.js';
import { parseReference } from '../reference/reference.js';
import type { AnchoreContentResponse } from '../report/anchore-content.js';
import type { AnchoreImage } from '../report/anchore-image.js';
import type { AnchoreCheckResponse } from '../report/policy/anchore-check.js';
import type { AnchoreVulnerabilityResponse } from '../report/scan/anchore-json.js';
import type { ScanReport } from '../report/scan/scan-format.js';
import { policyReportFromCheck } from './check-report.js';
import { CI_EXIT, CiFailure } from './failure.js';
import {
  CI_PACKAGE_TYPES,
  scanReport,
  type AnchoreDocuments,
  type CiPackageType,
  type CiResults,
} from './results.js';

/** How long to wait for the analysis, and how often to look. */
export interface AnalysisWait {
  /** Seconds from the start of the run (the image added) to the end of its analysis. */
  timeoutSeconds: number;
  /** Seconds between two looks at the image record. */
  pollIntervalSeconds: number;
  /** The most looks; only the timeout bounds them when absent. */
  maxPolls?: number;
}

export interface EngineGate {
  /** The full tag, normalised (`registry.example/team/app:1.0`): what the engine records. */
  tag: string;
  /** The Dockerfile, base64, as `anchore-cli image add --dockerfile` sends it. */
  dockerfile?: string;
  /** A bundle to add and evaluate with; without it, the engine's active bundle. */
  bundle?: PolicyBundle;
  wait: AnalysisWait;
  progress: (line: string) => void;
}

/** setTimeout's longest delay (about 24 days): a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export async function engineResults(client: EngineClient, gate: EngineGate): Promise<CiResults> {
  const deadline = Date.now() + gate.wait.timeoutSeconds * 1000;
  if (gate.bundle !== undefined) await addBundle(client, gate.bundle, gate.progress);
  gate.progress(`adding ${gate.tag} to the engine`);
  const digest = await addImage(client, gate);
  const image = await analysedImage(client, gate, digest, deadline);
  gate.progress('fetching the results');
  const [content, vulnerabilities, check, scan] = await Promise.all([
    contentDocuments(client, digest),
    vulnerabilityDocuments(client, digest),
    checkDocument(client, digest, gate.tag, gate.bundle?.id),
    drydockScan(client, digest, gate.tag),
  ]);
  const anchore: AnchoreDocuments = { image, content, vulnerabilities, check };
  return {
    anchore,
    policy: policyReportFromCheck(check),
    ...(scan === undefined ? {} : { scan }),
  };
}

/** Adds the bundle, or replaces the engine's bundle with its id; it is not activated. */
async function addBundle(
  client: EngineClient,
  bundle: PolicyBundle,
  progress: (line: string) => void,
): Promise<void> {
  progress(`adding policy bundle ${bundle.id} to the engine`);
  payloadOf(await client.addPolicy(bundle), `adding policy bundle ${bundle.id} to the engine`);
}

/** The digest the engine resolved the tag to; a tag it cannot pull is refused here. */
async function addImage(client: EngineClient, gate: EngineGate): Promise<string> {
  const body = {
    tag: gate.tag,
    ...(gate.dockerfile === undefined ? {} : { dockerfile: gate.dockerfile }),
  };
  const [record] = payloadOf(
    await client.addImage(body, { force: false, autosubscribe: true }),
    `adding ${gate.tag} to the engine`,
  ) as AnchoreImage[];
  if (record === undefined)
    throw new DrydockError(
      'not-found',
      `the engine added ${gate.tag} but answered no record of it`,
    );
  return record.imageDigest;
}

/**
 * The image record (`GET /images?fulltag=`, as `anchore-cli image get` prints it) once the
 * analysis has ended: looked at every poll interval until the timeout, or the most polls, ends
 * the wait (exit 3); a failed analysis is exit 4.
 */
async function analysedImage(
  client: EngineClient,
  gate: EngineGate,
  digest: string,
  deadline: number,
): Promise<AnchoreImage[]> {
  const { tag, wait } = gate;
  let shown: string | undefined;
  for (let polls = 1; ; polls += 1) {
    const records = payloadOf(
      await client.getImage({ tag }),
      `getting the engine's record of ${tag}`,
    ) as AnchoreImage[];
    const status = statusOf(records, tag, digest);
    if (status !== shown) gate.progress(`analysis status: ${status}`);
    shown = status;
    if (status === 'analyzed') return records;
    if (status === 'analysis_failed')
      throw new CiFailure(
        CI_EXIT.analysisFailed,
        new DrydockError(
          'registry-error',
          `the engine's analysis of ${tag} (${digest}) failed; \`drydock event list\` (or anchore-cli event list) says why`,
        ),
      );
    const left = deadline - Date.now();
    if (left <= 0 || (wait.maxPolls !== undefined && polls >= wait.maxPolls))
      throw new CiFailure(CI_EXIT.timeout, waitedTooLong(gate, polls, status));
    await sleep(Math.min(wait.pollIntervalSeconds * 1000, left, MAX_TIMER_MS));
  }
}

/** The analysis status of the image the tag names, which must still be the one added. */
function statusOf(records: readonly AnchoreImage[], tag: string, digest: string): string {
  const [record] = records;
  if (record?.imageDigest !== digest)
    throw new DrydockError(
      'not-found',
      `the engine's tag ${tag} names ${record?.imageDigest ?? 'no image'} now, not the ${digest} added: another job added the tag meanwhile; run again`,
    );
  return record.analysis_status;
}

function waitedTooLong(gate: EngineGate, polls: number, status: string): DrydockError {
  const { tag, wait } = gate;
  const bound =
    wait.maxPolls !== undefined && polls >= wait.maxPolls
      ? `after ${String(polls)} polls ${String(wait.pollIntervalSeconds)} s apart (--retries, ANCHORE_RETRIES)`
      : `within ${String(wait.timeoutSeconds)} s (--timeout, ANCHORE_TIMEOUT)`;
  return new DrydockError(
    'timeout',
    `the engine had not analysed ${tag} ${bound}; its analysis status is ${status}`,
  );
}

/**
 * `image content IMAGE TYPE` for each package type; a type the engine does not list (an older
 * Anchore Engine has no `go`) has no packages.
 */
async function contentDocuments(
  client: EngineClient,
  digest: string,
): Promise<AnchoreDocuments['content']> {
  const listed = payloadOf(
    await client.queryImage(digest, 'content', undefined),
    'getting the content types the engine lists',
  );
  const served = new Set(Array.isArray(listed) ? listed : []);
  const documents = await Promise.all(
    CI_PACKAGE_TYPES.map(async (type): Promise<[CiPackageType, AnchoreContentResponse]> => {
      if (!served.has(type))
        return [type, { imageDigest: digest, content_type: type, content: [] }];
      const result = await client.queryImage(digest, 'content', type);
      return [
        type,
        payloadOf(result, `getting the ${type} content from the engine`) as AnchoreContentResponse,
      ];
    }),
  );
  return Object.fromEntries(documents) as AnchoreDocuments['content'];
}

/** `image vuln IMAGE os` and `image vuln IMAGE all`, vendor-only as anchore-cli's default. */
async function vulnerabilityDocuments(
  client: EngineClient,
  digest: string,
): Promise<AnchoreDocuments['vulnerabilities']> {
  const vulnerabilities = async (type: 'os' | 'all') =>
    payloadOf(
      await client.queryImage(digest, 'vuln', type),
      `getting the ${type} vulnerabilities from the engine`,
    ) as AnchoreVulnerabilityResponse;
  const [os, all] = await Promise.all([vulnerabilities('os'), vulnerabilities('all')]);
  return { os, all };
}

/** `evaluate check IMAGE --detail`, by the bundle added or the active one. */
async function checkDocument(
  client: EngineClient,
  digest: string,
  tag: string,
  policyId: string | undefined,
): Promise<AnchoreCheckResponse> {
  const result = await client.checkImage(digest, {
    history: false,
    detail: true,
    tag,
    ...(policyId === undefined ? {} : { policyId }),
  });
  return payloadOf(result, `getting the engine's policy check of ${tag}`) as AnchoreCheckResponse;
}

/**
 * drydock's own analysis and findings (`GET /images/{digest}/drydock/analysis`); undefined from
 * an engine without the route (a real Anchore engine).
 */
async function drydockScan(
  client: EngineClient,
  digest: string,
  tag: string,
): Promise<ScanReport | undefined> {
  const result = await client.drydockAnalysis(digest);
  if (result.httpcode === 404) return undefined;
  const { analysis, match } = payloadOf(
    result,
    "getting drydock's analysis from the engine",
  ) as Partial<DrydockAnalysis>;
  if (analysis?.metadata === undefined || !Array.isArray(match?.findings))
    throw new DrydockError(
      'unsupported',
      `the engine's drydock analysis of ${digest} is not one this drydock reads: use the same drydock version as the engine`,
    );
  return scanReport(gatedAs(analysis, tag), match);
}

/** The engine pulled the image by digest; the reports name it by the tag gated, as embedded. */
function gatedAs(analysis: ImageAnalysis, tag: string): ImageAnalysis {
  const { registry, repository, tag: name } = parseReference(tag);
  return {
    ...analysis,
    metadata: { ...analysis.metadata, source: tag, registry, repository, tag: name },
  };
}

interface DrydockAnalysis {
  analysis: ImageAnalysis;
  match: MatchResult;
}

/** A successful answer's body; any other answer ends the run with the engine's message (exit 2). */
function payloadOf(result: EngineResult, what: string): unknown {
  if (!result.success)
    throw new DrydockError('invalid-argument', `${what} failed: ${apiFailure(result).message}`);
  return result.payload;
}
