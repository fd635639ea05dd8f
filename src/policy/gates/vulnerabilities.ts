/**
 * `vulnerabilities`: the findings of the vulnerability match, gated as Anchore Engine 0.8–1.0 gates
 * them (`package`, `blacklist`, `stale_feed_data`, `vulnerability_data_unavailable`), plus
 * drydock's `known_exploited` (CISA KEV) and `epss_score` (FIRST EPSS). A finding's firing has
 * Anchore's trigger id, `<vulnerability id>+<package>`, so allowlists written for Anchore keep
 * matching, and says whether a fix exists (what clearing a STOP takes).
 */
import {
  SEVERITIES,
  type CvssScore,
  type Finding,
  type ImageContent,
  type KnownExploited,
  OS_PACKAGE_TYPES,
} from '../../model/index.js';
import { distroGroup } from '../../vuln/match/distro-groups.js';
import { packageMatcher } from '../../vuln/match/matchers.js';
import { ecosystemBase } from '../../vuln/osv.js';
import type { Fired, Gate, PolicyInput, Trigger, TriggerParam } from '../gate.js';
import type { TriggerParams } from '../params.js';
import { matchesFromStart } from './content-search.js';
import { messageTriggerId } from './message-trigger-id.js';

const DAY_MS = 86_400_000;

// ---- what every finding trigger shares ---------------------------------------------------------

const COMPARISONS = ['=', '!=', '<', '>', '<=', '>='] as const;

/** A validated comparison operator as a function; `>=` when none is given. */
function comparator(operator: string | undefined): (a: number, b: number) => boolean {
  switch (operator?.trim()) {
    case '=':
      return (a, b) => a === b;
    case '!=':
      return (a, b) => a !== b;
    case '<':
      return (a, b) => a < b;
    case '>':
      return (a, b) => a > b;
    case '<=':
      return (a, b) => a <= b;
    default:
      return (a, b) => a >= b;
  }
}

const isOsFinding = (f: Finding): boolean => OS_PACKAGE_TYPES.has(f.package.type);

const packageClass = (f: Finding): 'os' | 'non-os' => (isOsFinding(f) ? 'os' : 'non-os');

/** Anchore's fix test: the feed names a version that fixes it. */
const hasFix = (f: Finding): boolean => f.fix.state === 'fixed' && f.fix.versions.length > 0;

/** Anchore's `will_not_fix`, what `vendor_only` leaves out. */
const wontFix = (f: Finding): boolean => f.fix.state === 'wont-fix';

/** The findings in packages of the class `package_type` chose (all, os, non-os). */
function findingsOfClass(input: PolicyInput, params: TriggerParams): Finding[] {
  const wanted = params.choice('package_type') ?? 'all';
  return input.match.findings.filter((f) => wanted === 'all' || packageClass(f) === wanted);
}

/** Whether `f` passes an optional `fix_available` filter. */
function fixMatches(f: Finding, params: TriggerParams): boolean {
  const wanted = params.boolean('fix_available');
  return wanted === undefined || wanted === hasFix(f);
}

/**
 * The package half of Anchore's trigger id: an OS package's name; for jars and gems their file
 * name, as Anchore takes it from the location; the name for npm (Anchore takes the package's
 * directory, which loses an npm scope); `name-version` for the others.
 */
function triggerPackage(f: Finding): string {
  const { name, version, type, paths } = f.package;
  const path = paths[0];
  if (isOsFinding(f) || type === 'npm') return name;
  if ((type === 'java' || type === 'gem') && path !== undefined)
    return path.slice(path.lastIndexOf('/') + 1);
  return `${name}-${version}`;
}

/**
 * Anchore's sentence: `HIGH Vulnerability found in os package type (dpkg) - libc6 (fixed in:
 * 2.36-9+deb12u6)(CVE-2024-2961 - https://…)`, with `notes` (each in parentheses) before the id.
 * Language packages are named by where they were found, as Anchore does.
 */
function findingMessage(f: Finding, notes: readonly string[]): string {
  const { name, version, type, paths } = f.package;
  const where = isOsFinding(f) ? name : (paths[0] ?? `${name}-${version}`);
  const fix = hasFix(f) ? `(fixed in: ${f.fix.versions.join(', ')})` : '';
  const link = f.urls[0] === undefined ? '' : ` - ${f.urls[0]}`;
  return `${f.severity.toUpperCase()} Vulnerability found in ${packageClass(f)} package type (${type}) - ${where} ${fix}${notes.join('')}(${f.id}${link})`;
}

function fired(f: Finding, notes: readonly string[] = []): Fired {
  return {
    triggerId: `${f.id}+${triggerPackage(f)}`,
    message: findingMessage(f, notes),
    fixAvailable: hasFix(f),
    subject: { purl: f.package.purl, paths: f.package.paths },
  };
}

/** `(a=1 b=2)`, or nothing when there are no pairs. */
function note(pairs: readonly string[]): string[] {
  return pairs.length === 0 ? [] : [`(${pairs.join(' ')})`];
}

const packageTypeParam = (required: boolean): TriggerParam => ({
  name: 'package_type',
  description:
    'Only findings in packages of this class: os (dpkg, rpm, apk packages), non-os (npm, python, gem, java, go packages) or all.',
  kind: 'enum',
  required,
  values: ['all', 'os', 'non-os'],
  ...(required ? {} : { default: 'all' }),
  example: 'all',
});

const fixAvailableParam: TriggerParam = {
  name: 'fix_available',
  description:
    'If given, the finding must have a fixed version (true) or have none (false) to fire.',
  kind: 'boolean',
  required: false,
  example: 'true',
};

const vendorOnlyParam: TriggerParam = {
  name: 'vendor_only',
  description:
    "If true (the default), findings the distribution has marked won't-fix are left out.",
  kind: 'boolean',
  required: false,
  default: 'true',
  example: 'true',
};

const comparisonParam = (name: string, what: string, fallback: string): TriggerParam => ({
  name,
  description: `How ${what} is compared with the rule's value: ${COMPARISONS.join(' ')}. Default ${fallback}.`,
  kind: 'enum',
  required: false,
  values: COMPARISONS,
  default: fallback,
  example: '>',
});

// ---- package -----------------------------------------------------------------------------------

type ScorePart = 'base' | 'exploitability' | 'impact';

/** One of Anchore's six CVSS v3 filters: NVD's scores or the vulnerability record's own. */
interface ScoreFilter {
  /** `cvss_v3_base_score`, `vendor_cvss_v3_impact_score` … */
  param: string;
  nvd: boolean;
  part: ScorePart;
}

const SCORE_PARTS: readonly ScorePart[] = ['base', 'exploitability', 'impact'];

const SCORE_FILTERS: readonly ScoreFilter[] = [true, false].flatMap((nvd) =>
  SCORE_PARTS.map((part) => ({
    param: `${nvd ? '' : 'vendor_'}cvss_v3_${part}_score`,
    nvd,
    part,
  })),
);

const PART_TEXT: Record<ScorePart, string> = {
  base: 'base score',
  exploitability: 'exploitability sub-score',
  impact: 'impact sub-score',
};

function scoreParams(filter: ScoreFilter): TriggerParam[] {
  const whose = filter.nvd
    ? 'NVD gives the vulnerability (NVD data imported with drydock db import)'
    : "the vulnerability's own record gives (the feed's CVSS vectors)";
  return [
    comparisonParam(`${filter.param}_comparison`, filter.param, '>='),
    {
      name: filter.param,
      description: `Compared with the highest CVSS v3 ${PART_TEXT[filter.part]} ${whose}; a finding without one counts as -1, as in Anchore.`,
      kind: 'number',
      required: false,
      example: '5.0',
    },
  ];
}

/** The highest v3 score part from NVD (or from the record), -1 when there is none (Anchore's). */
function v3Score(f: Finding, filter: ScoreFilter): number {
  const scores = f.cvss.filter(
    (s) => s.version.startsWith('3') && (s.source === 'nvd') === filter.nvd,
  );
  return scores.length === 0 ? -1 : Math.max(...scores.map((s) => scorePart(s, filter.part)));
}

function scorePart(score: CvssScore, part: ScorePart): number {
  if (part === 'base') return score.baseScore;
  return (part === 'exploitability' ? score.exploitabilityScore : score.impactScore) ?? -1;
}

interface ActiveScoreFilter extends ScoreFilter {
  limit: number;
  holds: (score: number, limit: number) => boolean;
}

function activeScoreFilters(params: TriggerParams): ActiveScoreFilter[] {
  return SCORE_FILTERS.flatMap((filter) => {
    const limit = params.number(filter.param);
    if (limit === undefined) return [];
    return [{ ...filter, limit, holds: comparator(params.string(`${filter.param}_comparison`)) }];
  });
}

const severityRank = (severity: string): number =>
  SEVERITIES.findIndex((s) => s.toLowerCase() === severity.toLowerCase());

/** A finding's age test for max_days_since_creation; an unknown publication date counts as old. */
function createdBefore(params: TriggerParams, now: Date): (f: Finding) => boolean {
  const days = params.integer('max_days_since_creation');
  if (days === undefined) return () => true;
  const cutoff = now.getTime() - days * DAY_MS;
  return (f) => !(Date.parse(f.published ?? '') > cutoff);
}

/** Anchore applies package_path_exclude to language packages only, from the path's start. */
function pathExcluded(params: TriggerParams): (f: Finding) => boolean {
  const regex = params.regex('package_path_exclude');
  if (regex === undefined) return () => false;
  const matches = matchesFromStart(regex);
  return (f) => !isOsFinding(f) && matches(f.package.paths[0] ?? '');
}

function evaluatePackage(input: PolicyInput, params: TriggerParams): Fired[] {
  const severity = severityRank(params.choice('severity') ?? 'unknown');
  const severityHolds = comparator(params.string('severity_comparison'));
  const excluded = pathExcluded(params);
  const oldEnough = createdBefore(params, input.now);
  const vendorOnly = params.boolean('vendor_only') ?? true;
  const scores = activeScoreFilters(params);
  return findingsOfClass(input, params)
    .filter(
      (f) =>
        severityHolds(severityRank(f.severity), severity) &&
        !excluded(f) &&
        !(vendorOnly && wontFix(f)) &&
        oldEnough(f) &&
        scores.every((s) => s.holds(v3Score(f, s), s.limit)) &&
        fixMatches(f, params),
    )
    .map((f) => fired(f, packageNotes(f, scores, params)));
}

/** What the rule compared, in Anchore's order: NVD scores, age, the record's scores. */
function packageNotes(
  f: Finding,
  scores: readonly ActiveScoreFilter[],
  params: TriggerParams,
): string[] {
  const pairs = (nvd: boolean): string[] =>
    scores.filter((s) => s.nvd === nvd).map((s) => `${s.param}=${v3Score(f, s)}`);
  const published =
    params.integer('max_days_since_creation') === undefined ? undefined : f.published?.slice(0, 10);
  return [
    ...note(pairs(true)),
    ...note(published === undefined ? [] : [`max_days_since_creation=${published}`]),
    ...note(pairs(false)),
  ];
}

const packageTrigger: Trigger = {
  name: 'package',
  description:
    'Fires for each vulnerability found in a package that meets every criterion the rule gives: severity, CVSS v3 scores (NVD and the record\'s own), fix availability, age, package class and path. By default (severity_comparison ">", severity unknown) every finding of a known severity fires.',
  params: [
    packageTypeParam(true),
    comparisonParam('severity_comparison', "the finding's severity", '>'),
    {
      name: 'severity',
      description:
        "The severity to compare with, on the scale unknown < negligible < low < medium < high < critical. The finding's severity is the publisher's word, else its CVSS rating.",
      kind: 'enum',
      required: false,
      values: SEVERITIES.map((s) => s.toLowerCase()),
      default: 'unknown',
      example: 'high',
    },
    ...SCORE_FILTERS.filter((s) => s.nvd).flatMap(scoreParams),
    fixAvailableParam,
    vendorOnlyParam,
    {
      name: 'max_days_since_creation',
      description:
        'If given, the vulnerability must have been published more than this many days ago to fire (a grace period). A finding whose record gives no publication date counts as old enough.',
      kind: 'integer',
      required: false,
      example: '7',
    },
    {
      name: 'max_days_since_fix',
      description:
        'Accepted so that Anchore bundles load, but it has no effect: Anchore measures from when its feed first observed the fix, and OSV records carry no date for a fix, so drydock cannot tell how long a fix has been available. The rule fires as if the parameter were absent, as Anchore does when it has no fix date.',
      kind: 'integer',
      required: false,
      example: '30',
    },
    ...SCORE_FILTERS.filter((s) => !s.nvd).flatMap(scoreParams),
    {
      name: 'package_path_exclude',
      description:
        'A regular expression matched from the start of the path where a language package was found (its manifest, jar or gemspec); matching packages are left out. OS packages are never excluded, as in Anchore.',
      kind: 'regex',
      required: false,
      example: '.*test\\.jar',
    },
  ],
  evaluate: evaluatePackage,
};

// ---- blacklist ---------------------------------------------------------------------------------

const blacklistTrigger: Trigger = {
  name: 'blacklist',
  description:
    'Fires for each finding of a listed vulnerability, whether listed by the id reported or by one of its aliases or related ids (a Debian advisory that fixes a listed CVE).',
  params: [
    {
      name: 'vulnerability_ids',
      description: 'Comma-separated vulnerability ids (CVE, GHSA, DSA …), compared ignoring case.',
      kind: 'list',
      required: true,
      example: 'CVE-2019-1234',
    },
    vendorOnlyParam,
  ],
  evaluate: (input, params) => {
    const listed = new Set(params.list('vulnerability_ids').map((id) => id.toUpperCase()));
    const vendorOnly = params.boolean('vendor_only') ?? true;
    return input.match.findings.flatMap((f) => {
      if (vendorOnly && wontFix(f)) return [];
      const ids = [f.id, ...f.aliases, ...(f.related ?? [])];
      const named = ids.find((id) => listed.has(id.toUpperCase()));
      return named === undefined ? [] : [fired(f, [`(blacklisted: ${named})`])];
    });
  },
};

// ---- feed data ---------------------------------------------------------------------------------

/** The feeds the image's packages are looked up in (`Debian`, `npm`), as the database names them. */
function feedsNeeded(content: ImageContent): Set<string> {
  const feeds = new Set<string>();
  for (const pkg of content.packages) {
    if (pkg.ownedBy !== undefined) continue;
    const queries = packageMatcher(pkg.type)?.queries(pkg, content.distro);
    if (Array.isArray(queries)) for (const q of queries) feeds.add(ecosystemBase(q.ecosystem));
  }
  return feeds;
}

const staleFeedDataTrigger: Trigger = {
  name: 'stale_feed_data',
  description:
    "Fires for each vulnerability feed the image's packages are matched against (its distribution's, npm, PyPI …) whose last sync is more than max_days_since_sync days old, and once when there is no vulnerability data at all.",
  params: [
    {
      name: 'max_days_since_sync',
      description: 'Fire when a feed was last synced more than this many days ago.',
      kind: 'integer',
      required: true,
      example: '10',
    },
  ],
  evaluate: (input, params) => {
    const days = params.integer('max_days_since_sync') ?? 0;
    // Anchore fires once, with one message for any stale feed: its md5 is the trigger id.
    const triggerId = messageTriggerId(
      'vulnerabilities',
      'stale_feed_data',
      `The vulnerability feed for this image distro is older than MAXAGE (${days}) days`,
    );
    const { data } = input.match;
    if (!data.available)
      return [
        {
          triggerId,
          message: `No vulnerability feed has been synced, so the data is older than ${days} days; run \`drydock db update\`.`,
        },
      ];
    const needed = feedsNeeded(input.content);
    const cutoff = input.now.getTime() - days * DAY_MS;
    return data.feeds
      .filter((feed) => needed.has(feed.name) && !(Date.parse(feed.lastSync) >= cutoff))
      .map((feed) => ({
        triggerId,
        message: `The ${feed.name} vulnerability feed was last synced ${feed.lastSync.slice(0, 10)}, more than ${days} days ago; run \`drydock db update\`.`,
      }));
  },
};

/** Anchore's name for the image's distribution: `debian:12`, `alpine:3.19.1`. */
function anchoreNamespace(content: ImageContent): string {
  const { distro } = content;
  return distro === undefined ? 'unknown' : `${distro.id}:${distro.versionId ?? ''}`;
}

/** Why the image's OS packages could not be checked, or undefined when they could. */
function osDataProblem(input: PolicyInput): string | undefined {
  const { content, match } = input;
  if (!match.data.available)
    return 'no vulnerability data is available, so no package was checked: findings are unknown, not absent. Run `drydock db update` (or `drydock db import` offline)';
  if (!content.packages.some((p) => OS_PACKAGE_TYPES.has(p.type))) return undefined;
  const group = distroGroup(content.distro);
  if (typeof group !== 'string') return `${group.unchecked}: its OS packages were not checked`;
  if (match.data.missingGroups.includes(group))
    return `the vulnerability database has no records for ${group}, so its OS packages were not checked; import that feed (drydock db update)`;
  return undefined;
}

const dataUnavailableTrigger: Trigger = {
  name: 'vulnerability_data_unavailable',
  description:
    "Fires when no vulnerability data is available at all, or when the database holds none for the image's distribution (or the distribution has no feed), so its OS packages were not checked. Language packages are not considered, as in Anchore.",
  params: [],
  evaluate: (input) => {
    const problem = osDataProblem(input);
    if (problem === undefined) return [];
    const namespace = anchoreNamespace(input.content);
    const anchore = `Distro-specific feed data not found for distro namespace: ${namespace}. Cannot perform CVE scan OS/distro packages`;
    return [
      {
        triggerId: messageTriggerId('vulnerabilities', 'vulnerability_data_unavailable', anchore),
        message: `Vulnerability data unavailable for ${namespace}: ${problem}.`,
      },
    ];
  },
};

// ---- drydock: KEV and EPSS ---------------------------------------------------------------------

function kevNote(kev: KnownExploited): string {
  const due = kev.dueDate === undefined ? '' : `, remediation due ${kev.dueDate}`;
  const ransomware = kev.knownRansomwareUse === true ? ', used in ransomware campaigns' : '';
  return `(known exploited: in CISA KEV since ${kev.dateAdded}${due}${ransomware})`;
}

const knownExploitedTrigger: Trigger = {
  name: 'known_exploited',
  description:
    "Fires for each vulnerability found that is in CISA's Known Exploited Vulnerabilities catalogue (import it with drydock db import; without it nothing fires).",
  params: [packageTypeParam(false), fixAvailableParam],
  evaluate: (input, params) =>
    findingsOfClass(input, params).flatMap((f) =>
      f.kev !== undefined && fixMatches(f, params) ? [fired(f, [kevNote(f.kev)])] : [],
    ),
};

const probabilityParam = (name: string, what: string, example: string): TriggerParam => ({
  name,
  description: `The ${what} to compare with, from 0 to 1 (0.1 is 10%). If absent, it is not compared.`,
  kind: 'number',
  required: false,
  example,
});

const epssScoreTrigger: Trigger = {
  name: 'epss_score',
  description:
    "Fires for each vulnerability found whose FIRST EPSS probability of exploitation (and/or its percentile) compares with the rule's values as epss_comparison says; each value given must hold. Findings without an EPSS score never fire (import FIRST's score file with drydock db import).",
  params: [
    packageTypeParam(false),
    comparisonParam('epss_comparison', 'the EPSS score and percentile', '>='),
    probabilityParam('epss_score', 'probability of exploitation in the next 30 days', '0.1'),
    probabilityParam('epss_percentile', 'percentile of the score among all scored CVEs', '0.95'),
    fixAvailableParam,
  ],
  evaluate: (input, params) => {
    const holds = comparator(params.string('epss_comparison'));
    const score = params.number('epss_score');
    const percentile = params.number('epss_percentile');
    return findingsOfClass(input, params).flatMap((f) => {
      const { epss } = f;
      if (epss === undefined || !fixMatches(f, params)) return [];
      if (score !== undefined && !holds(epss.score, score)) return [];
      if (percentile !== undefined && !holds(epss.percentile, percentile)) return [];
      return [fired(f, [`(epss=${epss.score} percentile=${epss.percentile} on ${epss.date})`])];
    });
  },
};

export const vulnerabilitiesGate: Gate = {
  name: 'vulnerabilities',
  description: 'CVE/Vulnerability checks.',
  triggers: [
    packageTrigger,
    staleFeedDataTrigger,
    dataUnavailableTrigger,
    blacklistTrigger,
    knownExploitedTrigger,
    epssScoreTrigger,
  ],
};
