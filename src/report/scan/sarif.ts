/**
 * `-o sarif`: SARIF 2.1.0 as GitHub code scanning reads it. Each vulnerability id is a rule (its
 * summary, first URL, and a help table of the packages it affects); each finding is a result at
 * the package's first path inside the image. GitHub uses:
 *
 * - `properties.security-severity` on the rule: a number up to 10.0 it turns into critical / high /
 *   medium / low. The highest CVSS base score among the rule's findings, else a value standing
 *   for the feed's severity; none for Unknown (the results then rank by `level` alone).
 * - `level` on the result: error for Critical and High, warning for Medium, note below.
 * - `locations[0]`: a relative URI and a region. The image's files are not in the repository, so
 *   the region is line 1: GitHub requires one.
 * - `partialFingerprints.primaryLocationLineHash`, the only fingerprint GitHub reads: here a hash
 *   of (id, package, version, path), so a finding keeps its alert across runs and a line hash
 *   that GitHub would compute from a file that is not in the repository is never needed.
 *
 * Whether the data was available is said in `invocations[0]` (`executionSuccessful` false and an
 * error notification), with warnings for groups and packages that were not checked.
 */
import { createHash } from 'node:crypto';
import type { Finding, FixState, Severity, VulnerabilityDataStatus } from '../../model/index.js';
import { columns, truncate } from '../table.js';
import type { SbomSubject, ToolInfo } from '../sbom/sbom-format.js';
import {
  DATA_UNAVAILABLE,
  dataWarnings,
  epssPercent,
  fixText,
  groupFindings,
  sortFindings,
  webUrl,
  type ScanFormat,
  type ScanReport,
} from './scan-format.js';

const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

/** GitHub truncates longer descriptions (1024 characters). */
const MAX_DESCRIPTION = 1024;

export const sarifFormat: ScanFormat = {
  name: 'sarif',
  *render(report, tool) {
    yield `${JSON.stringify(sarifLog(report, tool), null, 2)}\n`;
  },
};

type RuleFindings = readonly [Finding, ...Finding[]];

function sarifLog(report: ScanReport, tool: ToolInfo): object {
  const findings = sortFindings(report.findings);
  const rules = findingsById(findings);
  const ruleIndex = new Map(rules.map(([lead], i) => [lead.id, i]));
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: tool.name, version: tool.version, rules: rules.map(rule) } },
        invocations: [invocation(report.data)],
        results: findings.map((f) => result(f, ruleIndex.get(f.id) ?? 0, report.sbom.subject)),
      },
    ],
  };
}

/** The findings of each vulnerability id, in the order the ids first appear. */
function findingsById(findings: readonly Finding[]): RuleFindings[] {
  return groupFindings(findings, (finding) => finding.id);
}

/** The findings come worst first: the first speaks for the rule. */
function rule(ruleFindings: RuleFindings): object {
  const [lead] = ruleFindings;
  const { id } = lead;
  const summary = summaryOf(lead);
  const heading = summary === undefined ? `${id} (${lead.severity})` : `${id}: ${summary}`;
  const helpUri = webUrl(lead.urls[0]);
  const securitySeverity = ruleSecuritySeverity(ruleFindings);
  return {
    id,
    shortDescription: { text: clip(heading) },
    fullDescription: { text: clip(summary ?? heading) },
    ...(helpUri === undefined ? {} : { helpUri }),
    help: { text: helpText(ruleFindings), markdown: helpMarkdown(ruleFindings) },
    properties: {
      ...(securitySeverity === undefined ? {} : { 'security-severity': securitySeverity }),
      tags: ['security', 'vulnerability', lead.severity.toLowerCase()],
    },
  };
}

/** The summary, unless blank: GitHub refuses empty descriptions. */
function summaryOf(f: Finding): string | undefined {
  const text = f.summary?.trim();
  return text === '' ? undefined : text;
}

function clip(text: string): string {
  return truncate(text.replace(/\s+/g, ' ').trim(), MAX_DESCRIPTION);
}

/** Inside GitHub's bands (critical over 9.0, high 7.0–8.9, medium 4.0–6.9, low 0.1–3.9). */
const SEVERITY_SCORE: Record<Severity, string | undefined> = {
  Critical: '9.5',
  High: '8.0',
  Medium: '5.5',
  Low: '2.0',
  Negligible: '1.0',
  Unknown: undefined,
};

function ruleSecuritySeverity(ruleFindings: RuleFindings): string | undefined {
  const scores = ruleFindings.flatMap((f) => f.cvss.map((score) => score.baseScore));
  if (scores.length > 0) return Math.max(...scores).toFixed(1);
  return SEVERITY_SCORE[ruleFindings[0].severity];
}

function helpText(ruleFindings: RuleFindings): string {
  const [lead] = ruleFindings;
  const rows = ruleFindings.map((f) => [f.package.name, f.package.version, fixText(f.fix)]);
  return [
    `${lead.id} (${lead.severity})`,
    summaryOf(lead) ?? '',
    columns(['PACKAGE', 'INSTALLED', 'FIXED-IN'], rows),
    ...exploitNotes(lead),
    webUrls(lead).join('\n'),
  ]
    .filter((part) => part !== '')
    .join('\n\n');
}

function helpMarkdown(ruleFindings: RuleFindings): string {
  const [lead] = ruleFindings;
  const rows = ruleFindings.map((f) =>
    [f.package.name, f.package.version, fixText(f.fix), f.package.paths[0] ?? ''].map(markdownCell),
  );
  return [
    `**${markdownCell(lead.id)}** (${lead.severity})`,
    markdownCell(summaryOf(lead) ?? ''),
    [
      '| Package | Installed | Fixed in | Path |',
      '| --- | --- | --- | --- |',
      ...rows.map((row) => `| ${row.join(' | ')} |`),
    ].join('\n'),
    ...exploitNotes(lead),
    webUrls(lead)
      .map((url) => `- <${url}>`)
      .join('\n'),
  ]
    .filter((part) => part !== '')
    .join('\n\n');
}

/** The finding's URLs that are http(s) URLs. */
function webUrls({ urls }: Finding): string[] {
  return urls.flatMap((url) => webUrl(url) ?? []);
}

/** Feed text on one line, with what Markdown would read as markup escaped. */
function markdownCell(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/[\\`*_[\]<>|#!~]/g, '\\$&');
}

function exploitNotes({ kev, epss }: Finding): string[] {
  const notes: string[] = [];
  if (kev !== undefined)
    notes.push(`Known to be exploited: in the CISA KEV catalogue since ${kev.dateAdded}.`);
  if (epss !== undefined) {
    // Floored: percentile 0.9998 is the 99.9th, not the 100th.
    const percentile = Math.floor(epss.percentile * 1000) / 10;
    notes.push(`EPSS ${epssPercent(epss.score)} (percentile ${percentile}) on ${epss.date}.`);
  }
  return notes;
}

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  Critical: 'error',
  High: 'error',
  Medium: 'warning',
  Low: 'note',
  Negligible: 'note',
  Unknown: 'note',
};

function result(f: Finding, ruleIndex: number, subject: SbomSubject): object {
  const path = f.package.paths[0] ?? subject.name;
  return {
    ruleId: f.id,
    ruleIndex,
    level: LEVEL[f.severity],
    message: { text: message(f) },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: relativeUri(path) },
          region: { startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 },
        },
      },
    ],
    partialFingerprints: { primaryLocationLineHash: fingerprint(f, path) },
  };
}

const FIX_SENTENCE: Record<Exclude<FixState, 'fixed'>, string> = {
  'not-fixed': 'no fix is available yet',
  'wont-fix': 'the distribution will not fix it',
  'fix-deferred': 'the distribution has deferred the fix',
  'end-of-life': 'the release is at end of life, so no fix will come',
  unknown: 'the feed does not say whether a fix exists',
};

/** One sentence: GitHub shows only the first when space is short. */
function message(f: Finding): string {
  const fix = f.fix.state === 'fixed' ? `fixed in ${fixText(f.fix)}` : FIX_SENTENCE[f.fix.state];
  return `${f.package.name} ${f.package.version} is affected by ${f.id} (${f.severity}); ${fix}.`;
}

/** The path inside the image as a relative URI reference: each segment percent-encoded. */
function relativeUri(path: string): string {
  const segments = path.split('/').filter((segment) => segment !== '');
  return segments.map((segment) => encodeURIComponent(segment)).join('/') || '.';
}

/** In the form GitHub's own line hashes take (16 hex digits, `:` occurrence). */
function fingerprint(f: Finding, path: string): string {
  const key = [f.id, f.package.name, f.package.version, path].join('\u0000');
  return `${createHash('sha256').update(key).digest('hex').slice(0, 16)}:1`;
}

function invocation(data: VulnerabilityDataStatus): object {
  const notifications = [
    ...(data.available ? [] : [{ level: 'error', message: { text: `${DATA_UNAVAILABLE}.` } }]),
    ...dataWarnings(data).map((text) => ({ level: 'warning', message: { text: `${text}.` } })),
  ];
  return {
    executionSuccessful: data.available,
    ...(notifications.length === 0 ? {} : { toolExecutionNotifications: notifications }),
  };
}
