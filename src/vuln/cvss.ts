/**
 * CVSS scores of the vectors OSV records carry in `severity[].score` (CVSS_V2, CVSS_V3, CVSS_V4).
 *
 * Parsing is strict and bounded: the version's prefix, every base metric exactly once, known
 * metrics and values only (case-sensitive), at most MAX_VECTOR_LENGTH characters. Metrics may
 * come in any order: the specifications list a canonical order, but published vectors break it
 * (GitHub advisories carry v4 vectors with VC/SC/VI/SI interleaved) and the score does not depend
 * on it. Anything else is not a score we can trust, so `scoreCvss` answers undefined.
 *
 * - v2 (FIRST CVSS v2 guide, 3.2.1): base score, exploitability and impact sub-scores, each rounded
 *   to one decimal. Temporal and environmental metrics are accepted and ignored.
 * - v3.0 and v3.1 (FIRST specifications, section 7.1): the base score (see roundUp for the one
 *   difference between the versions, which base scores never show). The sub-scores are NVD's:
 *   impact and exploitability rounded half up to one decimal (NVD publishes 6.0, not the rounded-up
 *   6.1, for scope changed C:H/I:H/A:H). Temporal and environmental metrics are accepted and
 *   ignored.
 * - v4.0 (FIRST specification, section 8): the MacroVector lookup and severity-distance
 *   interpolation, with threat and environmental metrics applied as the specification says (so
 *   `baseScore` is CVSS-B, -BT, -BE or -BTE, whichever the vector holds). No sub-scores.
 */
import type { CvssScore, Severity } from '../model/index.js';

/** The longest valid vector (v4, every metric given) is under 200 characters. */
const MAX_VECTOR_LENGTH = 512;

type Metrics = ReadonlyMap<string, string>;
type Values = Readonly<Record<string, readonly string[]>>;
type Weights = Readonly<Record<string, Readonly<Record<string, number>>>>;

/** What one version accepts: each metric's values, and the base metrics every vector must have. */
interface Grammar {
  readonly values: ReadonlyMap<string, ReadonlySet<string>>;
  readonly mandatory: readonly string[];
}

/** The score parts one version computes. */
interface Scored {
  baseScore: number;
  exploitabilityScore?: number;
  impactScore?: number;
}

function grammar(base: Values, others: Values): Grammar {
  const entries = [...Object.entries(base), ...Object.entries(others)];
  return {
    values: new Map(entries.map(([name, values]) => [name, new Set(values)])),
    mandatory: Object.keys(base),
  };
}

const valuesOf = (weights: Weights): Values =>
  Object.fromEntries(Object.entries(weights).map(([name, table]) => [name, Object.keys(table)]));

/** `NAME:VALUE` as a pair; without a colon the name is empty, which no grammar knows. */
function splitMetric(part: string): [string, string] {
  const colon = part.indexOf(':');
  return colon < 0 ? ['', part] : [part.slice(0, colon), part.slice(colon + 1)];
}

/**
 * `NAME:VALUE/NAME:VALUE…` read with `grammar`: undefined for an empty, unknown or repeated
 * metric, an unknown value, or a missing base metric.
 */
function parseMetrics(body: string, { values, mandatory }: Grammar): Metrics | undefined {
  const metrics = new Map<string, string>();
  for (const [name, value] of body.split('/').map(splitMetric)) {
    if (metrics.has(name) || values.get(name)?.has(value) !== true) return undefined;
    metrics.set(name, value);
  }
  return mandatory.every((name) => metrics.has(name)) ? metrics : undefined;
}

/** The weight of a metric's value; the grammar let through only values the table has. */
const weight = (weights: Weights, metrics: Metrics, name: string): number =>
  weights[name]?.[metrics.get(name) ?? ''] ?? Number.NaN;

/** Half up to one decimal, as the v2 guide and NVD's sub-scores round. */
const roundToTenth = (value: number): number => Math.round(value * 10) / 10;

// ---- CVSS v2 -------------------------------------------------------------------------------

const V2_IMPACT = { N: 0, P: 0.275, C: 0.66 };
const V2_WEIGHTS: Weights = {
  AV: { L: 0.395, A: 0.646, N: 1 },
  AC: { H: 0.35, M: 0.61, L: 0.71 },
  Au: { M: 0.45, S: 0.56, N: 0.704 },
  C: V2_IMPACT,
  I: V2_IMPACT,
  A: V2_IMPACT,
};
const V2_REQUIREMENT = ['L', 'M', 'H', 'ND'];
const V2_GRAMMAR = grammar(valuesOf(V2_WEIGHTS), {
  E: ['U', 'POC', 'F', 'H', 'ND'],
  RL: ['OF', 'TF', 'W', 'U', 'ND'],
  RC: ['UC', 'UR', 'C', 'ND'],
  CDP: ['N', 'L', 'LM', 'MH', 'H', 'ND'],
  TD: ['N', 'L', 'M', 'H', 'ND'],
  CR: V2_REQUIREMENT,
  IR: V2_REQUIREMENT,
  AR: V2_REQUIREMENT,
});

/**
 * The v2 guide's equations (3.2.1); no impact scores 0 outright (its f(Impact) = 0). Impact is
 * not capped at 10: the guide has no cap, and NVD scores AV:L/AC:L/Au:N/C:C/I:C/A:C 7.2, not 7.1.
 */
function scoreV2(metrics: Metrics): Scored {
  const w = (name: string): number => weight(V2_WEIGHTS, metrics, name);
  const impact = 10.41 * (1 - (1 - w('C')) * (1 - w('I')) * (1 - w('A')));
  const exploitability = 20 * w('AV') * w('AC') * w('Au');
  const base = impact === 0 ? 0 : (0.6 * impact + 0.4 * exploitability - 1.5) * 1.176;
  return {
    baseScore: roundToTenth(base),
    exploitabilityScore: roundToTenth(exploitability),
    impactScore: roundToTenth(impact),
  };
}

/** The v2 metrics of `(…)`, `CVSS:2.0/…` or a bare vector. */
function v2Body(vector: string): string {
  if (vector.startsWith('(') && vector.endsWith(')')) return vector.slice(1, -1);
  return vector.startsWith('CVSS:2.0/') ? vector.slice('CVSS:2.0/'.length) : vector;
}

// ---- CVSS v3.0 and v3.1 --------------------------------------------------------------------

const V3_IMPACT = { H: 0.56, L: 0.22, N: 0 };
const V3_WEIGHTS: Weights = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  PR: { N: 0.85, L: 0.62, H: 0.27 },
  UI: { N: 0.85, R: 0.62 },
  // Scope has no weight of its own (it picks the equations); listed for the grammar.
  S: { U: 0, C: 0 },
  C: V3_IMPACT,
  I: V3_IMPACT,
  A: V3_IMPACT,
};
/** Privileges Required weighs more when the scope changes. */
const V3_PR_SCOPE_CHANGED: Weights = { PR: { N: 0.85, L: 0.68, H: 0.5 } };
const V3_REQUIREMENT = ['X', 'L', 'M', 'H'];
const V3_MODIFIED_IMPACT = ['X', 'N', 'L', 'H'];
const V3_GRAMMAR = grammar(valuesOf(V3_WEIGHTS), {
  E: ['X', 'U', 'P', 'F', 'H'],
  RL: ['X', 'O', 'T', 'W', 'U'],
  RC: ['X', 'U', 'R', 'C'],
  CR: V3_REQUIREMENT,
  IR: V3_REQUIREMENT,
  AR: V3_REQUIREMENT,
  MAV: ['X', 'N', 'A', 'L', 'P'],
  MAC: ['X', 'L', 'H'],
  MPR: ['X', 'N', 'L', 'H'],
  MUI: ['X', 'N', 'R'],
  MS: ['X', 'U', 'C'],
  MC: V3_MODIFIED_IMPACT,
  MI: V3_MODIFIED_IMPACT,
  MA: V3_MODIFIED_IMPACT,
});

/**
 * Roundup: the smallest one-decimal number not below the input, on integers as v3.1's Appendix A
 * defines it (so 4.000000000000001 stays 4.0). v3.0 computed it as a float ceiling; the two agree
 * on every base vector and differ only in temporal and environmental scores, which we ignore.
 */
function roundUp(value: number): number {
  const scaled = Math.round(value * 100_000);
  return scaled % 10_000 === 0 ? scaled / 100_000 : (Math.floor(scaled / 10_000) + 1) / 10;
}

/** The v3.0 and v3.1 specifications' base equations (section 7.1; the same in both). */
function scoreV3(metrics: Metrics): Scored {
  const changed = metrics.get('S') === 'C';
  const w = (name: string): number => weight(V3_WEIGHTS, metrics, name);
  const privileges = changed ? weight(V3_PR_SCOPE_CHANGED, metrics, 'PR') : w('PR');
  const iss = 1 - (1 - w('C')) * (1 - w('I')) * (1 - w('A'));
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 : 6.42 * iss;
  const exploitability = 8.22 * w('AV') * w('AC') * privileges * w('UI');
  const sum = changed ? 1.08 * (impact + exploitability) : impact + exploitability;
  return {
    baseScore: impact <= 0 ? 0 : roundUp(Math.min(sum, 10)),
    exploitabilityScore: roundToTenth(exploitability),
    // A changed scope with no impact computes below zero: that is no impact, as the base says.
    impactScore: roundToTenth(Math.max(impact, 0)),
  };
}

// ---- CVSS v4.0 -----------------------------------------------------------------------------

const V4_IMPACT = ['H', 'L', 'N'];
const V4_REQUIREMENT = ['X', 'H', 'M', 'L'];
const V4_MODIFIED_IMPACT = ['X', 'H', 'L', 'N'];
const V4_MODIFIED_SUBSEQUENT = ['X', 'S', 'H', 'L', 'N'];
const V4_GRAMMAR = grammar(
  {
    AV: ['N', 'A', 'L', 'P'],
    AC: ['L', 'H'],
    AT: ['N', 'P'],
    PR: ['N', 'L', 'H'],
    UI: ['N', 'P', 'A'],
    VC: V4_IMPACT,
    VI: V4_IMPACT,
    VA: V4_IMPACT,
    SC: V4_IMPACT,
    SI: V4_IMPACT,
    SA: V4_IMPACT,
  },
  {
    E: ['X', 'A', 'P', 'U'],
    CR: V4_REQUIREMENT,
    IR: V4_REQUIREMENT,
    AR: V4_REQUIREMENT,
    MAV: ['X', 'N', 'A', 'L', 'P'],
    MAC: ['X', 'L', 'H'],
    MAT: ['X', 'N', 'P'],
    MPR: ['X', 'N', 'L', 'H'],
    MUI: ['X', 'N', 'P', 'A'],
    MVC: V4_MODIFIED_IMPACT,
    MVI: V4_MODIFIED_IMPACT,
    MVA: V4_MODIFIED_IMPACT,
    MSC: V4_MODIFIED_IMPACT,
    MSI: V4_MODIFIED_SUBSEQUENT,
    MSA: V4_MODIFIED_SUBSEQUENT,
    // Supplemental: accepted, never scored.
    S: ['X', 'N', 'P'],
    AU: ['X', 'N', 'Y'],
    R: ['X', 'A', 'U', 'I'],
    V: ['X', 'D', 'C'],
    RE: ['X', 'L', 'M', 'H'],
    U: ['X', 'Clear', 'Green', 'Amber', 'Red'],
  },
);

/** Not defined (X) means the worst case for these. */
const V4_WORST_CASE: Readonly<Record<string, string>> = { E: 'A', CR: 'H', IR: 'H', AR: 'H' };

/** The value scored: the modified metric when the vector sets it, the worst case for an X. */
function effective(metrics: Metrics, name: string): string {
  const modified = metrics.get(`M${name}`);
  if (modified !== undefined && modified !== 'X') return modified;
  const value = metrics.get(name) ?? 'X';
  return value === 'X' ? (V4_WORST_CASE[name] ?? value) : value;
}

/**
 * The score of each MacroVector (its EQ1…EQ6 levels), in tenths: FIRST's calculator
 * (github.com/FIRSTdotorg/cvss-v4-calculator, cvss_lookup.js at 01c7421), copied as data.
 */
const V4_MACROVECTOR_SCORES: ReadonlyMap<string, number> = tenthsByKey(`
  000000 10   000001 9.9  000010 9.8  000011 9.5  000020 9.5  000021 9.2  000100 10   000101 9.6
  000110 9.3  000111 8.7  000120 9.1  000121 8.1  000200 9.3  000201 9    000210 8.9  000211 8
  000220 8.1  000221 6.8  001000 9.8  001001 9.5  001010 9.5  001011 9.2  001020 9    001021 8.4
  001100 9.3  001101 9.2  001110 8.9  001111 8.1  001120 8.1  001121 6.5  001200 8.8  001201 8
  001210 7.8  001211 7    001220 6.9  001221 4.8  002001 9.2  002011 8.2  002021 7.2  002101 7.9
  002111 6.9  002121 5    002201 6.9  002211 5.5  002221 2.7  010000 9.9  010001 9.7  010010 9.5
  010011 9.2  010020 9.2  010021 8.5  010100 9.5  010101 9.1  010110 9    010111 8.3  010120 8.4
  010121 7.1  010200 9.2  010201 8.1  010210 8.2  010211 7.1  010220 7.2  010221 5.3  011000 9.5
  011001 9.3  011010 9.2  011011 8.5  011020 8.5  011021 7.3  011100 9.2  011101 8.2  011110 8
  011111 7.2  011120 7    011121 5.9  011200 8.4  011201 7    011210 7.1  011211 5.2  011220 5
  011221 3    012001 8.6  012011 7.5  012021 5.2  012101 7.1  012111 5.2  012121 2.9  012201 6.3
  012211 2.9  012221 1.7  100000 9.8  100001 9.5  100010 9.4  100011 8.7  100020 9.1  100021 8.1
  100100 9.4  100101 8.9  100110 8.6  100111 7.4  100120 7.7  100121 6.4  100200 8.7  100201 7.5
  100210 7.4  100211 6.3  100220 6.3  100221 4.9  101000 9.4  101001 8.9  101010 8.8  101011 7.7
  101020 7.6  101021 6.7  101100 8.6  101101 7.6  101110 7.4  101111 5.8  101120 5.9  101121 5
  101200 7.2  101201 5.7  101210 5.7  101211 5.2  101220 5.2  101221 2.5  102001 8.3  102011 7
  102021 5.4  102101 6.5  102111 5.8  102121 2.6  102201 5.3  102211 2.1  102221 1.3  110000 9.5
  110001 9    110010 8.8  110011 7.6  110020 7.6  110021 7    110100 9    110101 7.7  110110 7.5
  110111 6.2  110120 6.1  110121 5.3  110200 7.7  110201 6.6  110210 6.8  110211 5.9  110220 5.2
  110221 3    111000 8.9  111001 7.8  111010 7.6  111011 6.7  111020 6.2  111021 5.8  111100 7.4
  111101 5.9  111110 5.7  111111 5.7  111120 4.7  111121 2.3  111200 6.1  111201 5.2  111210 5.7
  111211 2.9  111220 2.4  111221 1.6  112001 7.1  112011 5.9  112021 3    112101 5.8  112111 2.6
  112121 1.5  112201 2.3  112211 1.3  112221 0.6  200000 9.3  200001 8.7  200010 8.6  200011 7.2
  200020 7.5  200021 5.8  200100 8.6  200101 7.4  200110 7.4  200111 6.1  200120 5.6  200121 3.4
  200200 7    200201 5.4  200210 5.2  200211 4    200220 4    200221 2.2  201000 8.5  201001 7.5
  201010 7.4  201011 5.5  201020 6.2  201021 5.1  201100 7.2  201101 5.7  201110 5.5  201111 4.1
  201120 4.6  201121 1.9  201200 5.3  201201 3.6  201210 3.4  201211 1.9  201220 1.9  201221 0.8
  202001 6.4  202011 5.1  202021 2    202101 4.7  202111 2.1  202121 1.1  202201 2.4  202211 0.9
  202221 0.4  210000 8.8  210001 7.5  210010 7.3  210011 5.3  210020 6    210021 5    210100 7.3
  210101 5.5  210110 5.9  210111 4    210120 4.1  210121 2    210200 5.4  210201 4.3  210210 4.5
  210211 2.2  210220 2    210221 1.1  211000 7.5  211001 5.5  211010 5.8  211011 4.5  211020 4
  211021 2.1  211100 6.1  211101 5.1  211110 4.8  211111 1.8  211120 2    211121 0.9  211200 4.6
  211201 1.8  211210 1.7  211211 0.7  211220 0.8  211221 0.2  212001 5.3  212011 2.4  212021 1.4
  212101 2.4  212111 1.2  212121 0.5  212201 1    212211 0.3  212221 0.1
`);

function tenthsByKey(table: string): Map<string, number> {
  const words = table.trim().split(/\s+/);
  const scores = new Map<string, number>();
  for (let i = 0; i + 1 < words.length; i += 2) {
    scores.set(words[i] ?? '', Math.round(Number(words[i + 1]) * 10));
  }
  return scores;
}

/**
 * One EQ of the MacroVector: the digits its level takes in the MacroVector (EQ3 and EQ6 are one
 * joint class keyed by both), the metrics whose severity distances it sums, and its levels.
 */
interface Eq {
  readonly positions: readonly number[];
  readonly metrics: readonly string[];
  readonly levels: ReadonlyMap<string, EqLevel>;
}

/**
 * An EQ level: its depth (the largest severity distance inside it, plus one: FIRST's
 * max_severity.js), the next lower levels, and its highest-severity vectors (max_composed.js).
 */
interface EqLevel {
  readonly depth: number;
  readonly lower: readonly string[];
  readonly highest: readonly Metrics[];
}

type EqLevelData = readonly [key: string, depth: number, lower: string[], highest: string[]];

function eq(positions: number[], metrics: string[], levels: EqLevelData[]): Eq {
  const toMetrics = (text: string): Metrics => new Map(text.split('/').map(splitMetric));
  const entries = levels.map(([key, depth, lower, highest]): [string, EqLevel] => [
    key,
    { depth, lower, highest: highest.map(toMetrics) },
  ]);
  return { positions, metrics, levels: new Map(entries) };
}

const V4_EQS: readonly Eq[] = [
  eq(
    [0],
    ['AV', 'PR', 'UI'],
    [
      ['0', 1, ['1'], ['AV:N/PR:N/UI:N']],
      ['1', 4, ['2'], ['AV:A/PR:N/UI:N', 'AV:N/PR:L/UI:N', 'AV:N/PR:N/UI:P']],
      ['2', 5, [], ['AV:P/PR:N/UI:N', 'AV:A/PR:L/UI:P']],
    ],
  ),
  eq(
    [1],
    ['AC', 'AT'],
    [
      ['0', 1, ['1'], ['AC:L/AT:N']],
      ['1', 2, [], ['AC:H/AT:N', 'AC:L/AT:P']],
    ],
  ),
  eq(
    [2, 5],
    ['VC', 'VI', 'VA', 'CR', 'IR', 'AR'],
    [
      ['00', 7, ['01', '10'], ['VC:H/VI:H/VA:H/CR:H/IR:H/AR:H']],
      ['01', 6, ['11'], ['VC:H/VI:H/VA:L/CR:M/IR:M/AR:H', 'VC:H/VI:H/VA:H/CR:M/IR:M/AR:M']],
      ['10', 8, ['11'], ['VC:L/VI:H/VA:H/CR:H/IR:H/AR:H', 'VC:H/VI:L/VA:H/CR:H/IR:H/AR:H']],
      [
        '11',
        8,
        ['21'],
        [
          'VC:L/VI:H/VA:L/CR:H/IR:M/AR:H',
          'VC:L/VI:H/VA:H/CR:H/IR:M/AR:M',
          'VC:H/VI:L/VA:H/CR:M/IR:H/AR:M',
          'VC:H/VI:L/VA:L/CR:M/IR:H/AR:H',
          'VC:L/VI:L/VA:H/CR:H/IR:H/AR:M',
        ],
      ],
      ['21', 10, [], ['VC:L/VI:L/VA:L/CR:H/IR:H/AR:H']],
    ],
  ),
  eq(
    [3],
    ['SC', 'SI', 'SA'],
    [
      ['0', 6, ['1'], ['SC:H/SI:S/SA:S']],
      ['1', 5, ['2'], ['SC:H/SI:H/SA:H']],
      ['2', 4, [], ['SC:L/SI:L/SA:L']],
    ],
  ),
  // EQ5 counts in the mean but moves nothing: each level holds a single E value.
  eq(
    [4],
    [],
    [
      ['0', 1, ['1'], ['E:A']],
      ['1', 1, ['2'], ['E:P']],
      ['2', 1, [], ['E:U']],
    ],
  ),
];

/** Each metric's severity level in steps of 0.1, the most severe value lowest. */
const V4_SEVERITY_LEVELS: Weights = {
  AV: { N: 0, A: 1, L: 2, P: 3 },
  PR: { N: 0, L: 1, H: 2 },
  UI: { N: 0, P: 1, A: 2 },
  AC: { L: 0, H: 1 },
  AT: { N: 0, P: 1 },
  VC: { H: 0, L: 1, N: 2 },
  VI: { H: 0, L: 1, N: 2 },
  VA: { H: 0, L: 1, N: 2 },
  SC: { H: 1, L: 2, N: 3 },
  SI: { S: 0, H: 1, L: 2, N: 3 },
  SA: { S: 0, H: 1, L: 2, N: 3 },
  CR: { H: 0, M: 1, L: 2 },
  IR: { H: 0, M: 1, L: 2 },
  AR: { H: 0, M: 1, L: 2 },
  E: { A: 0, P: 1, U: 2 },
};

const V4_IMPACT_METRICS = ['VC', 'VI', 'VA', 'SC', 'SI', 'SA'];

/** The MacroVector of a vector's effective values (specification tables 24–29), as digits. */
function macroVector(value: (name: string) => string): string {
  const is = (name: string, level: string): boolean => value(name) === level;
  const anyNone = is('AV', 'N') || is('PR', 'N') || is('UI', 'N');
  const allNone = is('AV', 'N') && is('PR', 'N') && is('UI', 'N');
  const eq1 = allNone ? 0 : anyNone && !is('AV', 'P') ? 1 : 2;
  const eq2 = is('AC', 'L') && is('AT', 'N') ? 0 : 1;
  const anyHigh = is('VC', 'H') || is('VI', 'H') || is('VA', 'H');
  const eq3 = is('VC', 'H') && is('VI', 'H') ? 0 : anyHigh ? 1 : 2;
  const subsequentHigh = is('SC', 'H') || is('SI', 'H') || is('SA', 'H');
  const eq4 = is('SI', 'S') || is('SA', 'S') ? 0 : subsequentHigh ? 1 : 2;
  const eq5 = is('E', 'A') ? 0 : is('E', 'P') ? 1 : 2;
  const needed = (requirement: string, impact: string): boolean =>
    is(requirement, 'H') && is(impact, 'H');
  const eq6 = needed('CR', 'VC') || needed('IR', 'VI') || needed('AR', 'VA') ? 0 : 1;
  return `${eq1}${eq2}${eq3}${eq4}${eq5}${eq6}`;
}

const eqKey = (macro: string, { positions }: Eq): string =>
  positions.map((position) => macro.charAt(position)).join('');

/** `macro` with the EQ's digits set to `key`. */
function withEqKey(macro: string, { positions }: Eq, key: string): string {
  let out = macro;
  positions.forEach((position, i) => {
    out = out.slice(0, position) + key.charAt(i) + out.slice(position + 1);
  });
  return out;
}

/** Every way to pick one item of each list, the first list varying slowest. */
const combinations = <T>(lists: readonly (readonly T[])[]): T[][] =>
  lists.reduce<T[][]>(
    (combos, list) => combos.flatMap((combo) => list.map((item) => [...combo, item])),
    [[]],
  );

/**
 * Each metric's severity distance from the highest-severity vector it falls under: of the
 * compositions of the EQ levels' highest vectors (in FIRST's order), the first that no metric
 * exceeds. One always fits (every combination of each EQ's values was checked against FIRST's
 * tables when this was written); none found leaves the vector unscored.
 */
function severityDistances(
  value: (name: string) => string,
  highest: readonly (readonly Metrics[])[],
): ReadonlyMap<string, number> | undefined {
  const level = (name: string, of: string): number => V4_SEVERITY_LEVELS[name]?.[of] ?? Number.NaN;
  const distancesTo = (composed: readonly Metrics[]): Map<string, number> =>
    new Map(
      Object.keys(V4_SEVERITY_LEVELS).map((name) => {
        const top = composed.find((part) => part.has(name))?.get(name) ?? '';
        return [name, level(name, value(name)) - level(name, top)];
      }),
    );
  return combinations(highest)
    .map(distancesTo)
    .find((distances) => [...distances.values()].every((distance) => distance >= 0));
}

/** Every level's depth divides this, so the interpolation stays in integers. */
const COMMON_DEPTH = 2520;

/** `top − numerator ÷ denominator` rounded half up, within 0–100 (tenths). */
function roundedTenths(top: number, numerator: number, denominator: number): number {
  const tenths = Math.floor(
    (2 * (top * denominator - numerator) + denominator) / (2 * denominator),
  );
  return Math.min(Math.max(tenths, 0), 100);
}

/**
 * The specification's score (8.2): the MacroVector's score less the mean, over the EQs that have
 * a lower MacroVector, of (score drop to it) × (severity distance ÷ depth); rounded half up to
 * one decimal. Exact, in integer tenths, where FIRST's calculator adds an epsilon to floats.
 */
function scoreV4(metrics: Metrics): Scored | undefined {
  const value = (name: string): string => effective(metrics, name);
  if (V4_IMPACT_METRICS.every((name) => value(name) === 'N')) return { baseScore: 0 };
  const macro = macroVector(value);
  const top = V4_MACROVECTOR_SCORES.get(macro);
  const parts = V4_EQS.flatMap((eqn) => {
    const level = eqn.levels.get(eqKey(macro, eqn));
    return level === undefined ? [] : [{ eqn, level }];
  });
  // Valid values always give a known MacroVector (EQ3 2 never comes with EQ6 0).
  if (top === undefined || parts.length !== V4_EQS.length) return undefined;
  const distances = severityDistances(
    value,
    parts.map(({ level }) => level.highest),
  );
  if (distances === undefined) return undefined;
  let numerator = 0;
  let counted = 0;
  for (const { eqn, level } of parts) {
    const lower = level.lower.flatMap(
      (key) => V4_MACROVECTOR_SCORES.get(withEqKey(macro, eqn, key)) ?? [],
    );
    if (lower.length === 0) continue;
    const distance = eqn.metrics.reduce((sum, name) => sum + (distances.get(name) ?? 0), 0);
    numerator += (top - Math.max(...lower)) * distance * (COMMON_DEPTH / level.depth);
    counted += 1;
  }
  return { baseScore: roundedTenths(top, numerator, COMMON_DEPTH * Math.max(counted, 1)) / 10 };
}

// ---- Entry points --------------------------------------------------------------------------

/** What each vector prefix selects: its version, grammar and equations. */
const VERSIONS: readonly {
  prefix: string;
  version: CvssScore['version'];
  grammar: Grammar;
  score: (metrics: Metrics) => Scored | undefined;
}[] = [
  { prefix: 'CVSS:4.0/', version: '4.0', grammar: V4_GRAMMAR, score: scoreV4 },
  { prefix: 'CVSS:3.1/', version: '3.1', grammar: V3_GRAMMAR, score: scoreV3 },
  { prefix: 'CVSS:3.0/', version: '3.0', grammar: V3_GRAMMAR, score: scoreV3 },
];

/** Parses and scores one vector; undefined (never a throw) for a vector that is malformed or not CVSS. */
export function scoreCvss(vector: string, source: string): CvssScore | undefined {
  if (typeof vector !== 'string' || vector.length > MAX_VECTOR_LENGTH) return undefined;
  const known = VERSIONS.find(({ prefix }) => vector.startsWith(prefix));
  const metrics = known
    ? parseMetrics(vector.slice(known.prefix.length), known.grammar)
    : parseMetrics(v2Body(vector), V2_GRAMMAR);
  if (metrics === undefined) return undefined;
  const scored = known ? known.score(metrics) : scoreV2(metrics);
  return scored && { version: known?.version ?? '2.0', vector, ...scored, source };
}

/**
 * The qualitative rating as Anchore names it: v3/v4 0.0 → 'Negligible' (CVSS "None"), 0.1–3.9
 * Low, 4.0–6.9 Medium, 7.0–8.9 High, 9.0–10.0 Critical; v2 (no Critical in v2): 0–3.9 Low,
 * 4.0–6.9 Medium, 7.0–10.0 High. A score outside 0–10 is 'Unknown'.
 */
export function cvssSeverity(score: CvssScore): Severity {
  const base = score.baseScore;
  if (!(base >= 0 && base <= 10)) return 'Unknown';
  if (score.version === '2.0') return base >= 7 ? 'High' : base >= 4 ? 'Medium' : 'Low';
  if (base === 0) return 'Negligible';
  return base >= 9 ? 'Critical' : base >= 7 ? 'High' : base >= 4 ? 'Medium' : 'Low';
}
