/**
 * CVSS scoring, checked three ways. v2, v3.0 and v3.1 against the cvss-suite Ruby gem (Debian's
 * ruby-cvss-suite; Debian has no python3-cvss, and no packaged tool scores v4): one Ruby process
 * scores every base vector of each version and random vectors with temporal and environmental
 * metrics, base score and (v2) sub-scores. v4.0 against 3,000 vectors scored by FIRST's
 * calculator (test/fixtures/cvss/README.md), and the specification's rules as properties of
 * random vectors. Published scores: the specifications' examples and NVD records. Then what is
 * refused, the severity scale, and a seeded fuzz.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { editCharacters, mutate, randomText } from '../../test/harness/mutate.js';
import { seededRandom } from '../../test/harness/random.js';
import {
  askOracle,
  disagreements,
  expectEveryKind,
  oracleSeed,
  pick,
  type Random,
} from '../../test/harness/version-oracle.js';
import type { CvssScore } from '../model/index.js';
import { cvssSeverity, scoreCvss } from './cvss.js';

const SEED = oracleSeed(3131);
const FIXTURES = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'cvss');

/** One vector a line in; its scores out (v2: base, exploitability, impact), or `invalid`. */
const ORACLE = String.raw`
require 'cvss_suite'
out = STDIN.each_line.map do |line|
  cvss = CvssSuite.new(line.chomp)
  if !cvss.valid?
    'invalid'
  elsif cvss.version == 2
    # The v2 sub-scores are private methods of the gem's base metric group.
    base = cvss.base
    [cvss.base_score, base.send(:calc_exploitability).round(1), base.send(:calc_impact, 1, 1, 1).round(1)].join(' ')
  else
    cvss.base_score.to_s
  end
end
puts out
`;

type Table = readonly (readonly [string, readonly string[]])[];

const V2_IMPACT = ['N', 'P', 'C'];
const V2_BASE: Table = [
  ['AV', ['L', 'A', 'N']],
  ['AC', ['H', 'M', 'L']],
  ['Au', ['M', 'S', 'N']],
  ['C', V2_IMPACT],
  ['I', V2_IMPACT],
  ['A', V2_IMPACT],
];
const V2_TEMPORAL: Table = [
  ['E', ['U', 'POC', 'F', 'H', 'ND']],
  ['RL', ['OF', 'TF', 'W', 'U', 'ND']],
  ['RC', ['UC', 'UR', 'C', 'ND']],
];
const V2_REQUIREMENT = ['L', 'M', 'H', 'ND'];
const V2_ENVIRONMENTAL: Table = [
  ['CDP', ['N', 'L', 'LM', 'MH', 'H', 'ND']],
  ['TD', ['N', 'L', 'M', 'H', 'ND']],
  ['CR', V2_REQUIREMENT],
  ['IR', V2_REQUIREMENT],
  ['AR', V2_REQUIREMENT],
];

const V3_IMPACT = ['N', 'L', 'H'];
const V3_BASE: Table = [
  ['AV', ['N', 'A', 'L', 'P']],
  ['AC', ['L', 'H']],
  ['PR', ['N', 'L', 'H']],
  ['UI', ['N', 'R']],
  ['S', ['U', 'C']],
  ['C', V3_IMPACT],
  ['I', V3_IMPACT],
  ['A', V3_IMPACT],
];
const V3_REQUIREMENT = ['X', 'L', 'M', 'H'];
const V3_MODIFIED_IMPACT = ['X', 'N', 'L', 'H'];
const V3_OTHERS: Table = [
  ['E', ['X', 'U', 'P', 'F', 'H']],
  ['RL', ['X', 'O', 'T', 'W', 'U']],
  ['RC', ['X', 'U', 'R', 'C']],
  ['CR', V3_REQUIREMENT],
  ['IR', V3_REQUIREMENT],
  ['AR', V3_REQUIREMENT],
  ['MAV', ['X', 'N', 'A', 'L', 'P']],
  ['MAC', ['X', 'L', 'H']],
  ['MPR', ['X', 'N', 'L', 'H']],
  ['MUI', ['X', 'N', 'R']],
  ['MS', ['X', 'U', 'C']],
  ['MC', V3_MODIFIED_IMPACT],
  ['MI', V3_MODIFIED_IMPACT],
  ['MA', V3_MODIFIED_IMPACT],
];

const V4_IMPACT = ['H', 'L', 'N'];
const V4_BASE: Table = [
  ['AV', ['N', 'A', 'L', 'P']],
  ['AC', ['L', 'H']],
  ['AT', ['N', 'P']],
  ['PR', ['N', 'L', 'H']],
  ['UI', ['N', 'P', 'A']],
  ['VC', V4_IMPACT],
  ['VI', V4_IMPACT],
  ['VA', V4_IMPACT],
  ['SC', V4_IMPACT],
  ['SI', V4_IMPACT],
  ['SA', V4_IMPACT],
];
const V4_REQUIREMENT = ['X', 'H', 'M', 'L'];
const V4_THREAT_ENVIRONMENTAL: Table = [
  ['E', ['X', 'A', 'P', 'U']],
  ['CR', V4_REQUIREMENT],
  ['IR', V4_REQUIREMENT],
  ['AR', V4_REQUIREMENT],
  ['MAV', ['X', 'N', 'A', 'L', 'P']],
  ['MAC', ['X', 'L', 'H']],
  ['MAT', ['X', 'N', 'P']],
  ['MPR', ['X', 'N', 'L', 'H']],
  ['MUI', ['X', 'N', 'P', 'A']],
  ['MVC', ['X', ...V4_IMPACT]],
  ['MVI', ['X', ...V4_IMPACT]],
  ['MVA', ['X', ...V4_IMPACT]],
  ['MSC', ['X', ...V4_IMPACT]],
  ['MSI', ['X', 'S', ...V4_IMPACT]],
  ['MSA', ['X', 'S', ...V4_IMPACT]],
];
const V4_SUPPLEMENTAL: Table = [
  ['S', ['X', 'N', 'P']],
  ['AU', ['X', 'N', 'Y']],
  ['R', ['X', 'A', 'U', 'I']],
  ['V', ['X', 'D', 'C']],
  ['RE', ['X', 'L', 'M', 'H']],
  ['U', ['X', 'Clear', 'Green', 'Amber', 'Red']],
];

/** Every vector of `table` (one value of each metric, in order), as metric lists. */
const everyVector = (table: Table): string[][] =>
  table.reduce<string[][]>(
    (vectors, [name, values]) =>
      vectors.flatMap((parts) => values.map((value) => [...parts, `${name}:${value}`])),
    [[]],
  );

/** One random value of each metric of `table`. */
const randomParts = (random: Random, table: Table): string[] =>
  table.map(([name, values]) => `${name}:${pick(random, values)}`);

/** Each metric of `table` with odds 1/2, a random value each. */
const someParts = (random: Random, table: Table): string[] =>
  randomParts(random, table).filter(() => random(2) === 0);

function shuffled<T>(random: Random, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = random(i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const score = (vector: string): CvssScore | undefined => scoreCvss(vector, 'test');
const baseScore = (vector: string): number | undefined => score(vector)?.baseScore;

/** Our scores in the oracle's words (numbers compared by value, `invalid` for undefined). */
function ourAnswer(vector: string): string {
  const scored = score(vector);
  if (scored === undefined) return 'invalid';
  const { baseScore: base, exploitabilityScore, impactScore } = scored;
  return (scored.version === '2.0' ? [base, exploitabilityScore, impactScore] : [base]).join(' ');
}
const byValue = (answer: string): string =>
  answer === 'invalid' ? answer : answer.split(' ').map(Number).join(' ');

/** v2 vectors: every base vector, then random ones with whole temporal/environmental groups. */
function v2Vectors(random: Random): string[] {
  const vectors = everyVector(V2_BASE).map((parts) => parts.join('/'));
  for (let n = 0; n < 2400; n++) {
    const parts = [
      ...randomParts(random, V2_BASE),
      ...(random(2) === 0 ? randomParts(random, V2_TEMPORAL) : []),
      ...(random(2) === 0 ? randomParts(random, V2_ENVIRONMENTAL) : []),
    ].join('/');
    vectors.push(random(2) === 0 ? parts : `(${parts})`);
  }
  return vectors;
}

/** v3 vectors: every base vector, then random ones with other metrics, in any order. */
function v3Vectors(random: Random, prefix: string): string[] {
  const vectors = everyVector(V3_BASE).map((parts) => prefix + parts.join('/'));
  for (let n = 0; n < 1000; n++) {
    const parts = [...randomParts(random, V3_BASE), ...someParts(random, V3_OTHERS)];
    vectors.push(prefix + shuffled(random, parts).join('/'));
  }
  return vectors;
}

/**
 * Where cvss-suite is wrong, what it answers there, and the published score. The gem caps v2
 * Impact at 10 (Cvss2Base#calc_impact takes `[10, …].min`), which the guide's equation does not;
 * of all base vectors the cap changes only this one's score: NVD publishes 7.2 (CVE-2016-5195).
 */
const ORACLE_ERRATA = [
  { base: 'AV:L/AC:L/Au:N/C:C/I:C/A:C', oracle: '7.1 3.9 10', published: '7.2 3.9 10' },
];
const v2Base = (vector: string): string =>
  vector.replace(/[()]/g, '').split('/').slice(0, 6).join('/');

/** The oracle's answers by value, with each erratum (checked to be what it answered) corrected. */
function corrected(vectors: readonly string[], answers: readonly string[]): string[] {
  return answers.map((answer, i) => {
    const erratum = ORACLE_ERRATA.find(({ base }) => v2Base(vectors[i] ?? '') === base);
    if (erratum === undefined) return byValue(answer);
    expect(byValue(answer), `cvss-suite on ${vectors[i] ?? ''}`).toBe(byValue(erratum.oracle));
    return byValue(erratum.published);
  });
}

/** The severity of an oracle answer's base score, to see that every band was exercised. */
const bandOf =
  (version: CvssScore['version']) =>
  (answer: string): string =>
    cvssSeverity({ version, vector: '', baseScore: Number(answer.split(' ')[0]), source: '' });

describe('scoreCvss against cvss-suite (Ruby)', () => {
  const random = seededRandom(SEED);
  const cases = [
    { version: '2.0', vectors: v2Vectors(random), bands: ['Low', 'Medium', 'High'] },
    {
      version: '3.0',
      vectors: v3Vectors(random, 'CVSS:3.0/'),
      bands: ['Negligible', 'Low', 'Medium', 'High', 'Critical'],
    },
    {
      version: '3.1',
      vectors: v3Vectors(random, 'CVSS:3.1/'),
      bands: ['Negligible', 'Low', 'Medium', 'High', 'Critical'],
    },
  ] as const;
  const all = cases.flatMap(({ vectors }) => vectors);
  let answers: string[] | undefined;
  const oracle = (): string[] =>
    (answers ??= askOracle('ruby', ['-e', ORACLE], `${all.join('\n')}\n`, 'ruby-cvss-suite'));

  it('answers every vector, each version with at least 3,000', () => {
    for (const { vectors } of cases) expect(vectors.length).toBeGreaterThanOrEqual(3000);
    expect(oracle()).toHaveLength(all.length);
  });

  cases.forEach(({ version, vectors, bands }, index) => {
    const start = cases.slice(0, index).reduce((sum, earlier) => sum + earlier.vectors.length, 0);
    const what = version === '2.0' ? 'base score and sub-scores' : 'base score';
    it(`agrees on every v${version} vector: ${what}`, () => {
      const expected = oracle().slice(start, start + vectors.length);
      expectEveryKind(expected, bands, 10, bandOf(version));
      const differences = disagreements(
        vectors,
        corrected(vectors, expected),
        ourAnswer,
        'cvss-suite',
      );
      expect(differences, `seed ${SEED} (DRYDOCK_SEED replays it)`).toEqual([]);
      expect(vectors.map((vector) => score(vector)?.version)).toEqual(vectors.map(() => version));
    });
  });

  it('reads v2 with the CVSS:2.0/ prefix and in any order the same', () => {
    const again = seededRandom(SEED);
    for (const parts of everyVector(V2_BASE)) {
      const expected = score(parts.join('/'));
      expect(score(`CVSS:2.0/${parts.join('/')}`)).toEqual({
        ...expected,
        vector: `CVSS:2.0/${parts.join('/')}`,
      });
      const reordered = shuffled(again, [...parts, ...randomParts(again, V2_TEMPORAL)]).join('/');
      expect(score(reordered)?.baseScore).toBe(expected?.baseScore);
    }
  });
});

describe('scoreCvss v4.0', () => {
  const fixture = readFileSync(join(FIXTURES, 'v4-first-calculator.tsv'), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t') as [string, string]);

  it('agrees with FIRST’s calculator on 3,000 vectors (every MacroVector, rounding edges)', () => {
    expect(fixture).toHaveLength(3000);
    expectEveryKind(
      fixture.map(([expected]) => expected),
      ['Negligible', 'Low', 'Medium', 'High', 'Critical'],
      5,
      bandOf('4.0'),
    );
    const differences = disagreements(
      fixture,
      fixture.map(([expected]) => Number(expected)),
      ([, vector]) => baseScore(vector),
      'FIRST',
    );
    expect(differences).toEqual([]);
  });

  /** ≥ 3,000 random base vectors, each with some threat/environmental metrics. */
  const random = seededRandom(SEED + 4);
  const samples = Array.from({ length: 3000 }, () => ({
    base: randomParts(random, V4_BASE),
    others: someParts(random, V4_THREAT_ENVIRONMENTAL),
  }));
  const v4 = (parts: readonly string[]): string => `CVSS:4.0/${parts.join('/')}`;

  it('scores the same in any metric order, and with any supplemental metrics', () => {
    for (const { base, others } of samples) {
      const expected = baseScore(v4([...base, ...others]));
      expect(expected).toBeDefined();
      expect(baseScore(v4(shuffled(random, [...base, ...others])))).toBe(expected);
      expect(baseScore(v4([...base, ...others, ...someParts(random, V4_SUPPLEMENTAL)]))).toBe(
        expected,
      );
    }
  });

  it('reads X as not given, and not-given E, CR, IR, AR as their worst case (A, H)', () => {
    const worst = ['E:A', 'CR:H', 'IR:H', 'AR:H'];
    for (const { base } of samples) {
      const expected = baseScore(v4(base));
      const notDefined = V4_THREAT_ENVIRONMENTAL.map(([name]) => `${name}:X`);
      expect(baseScore(v4([...base, ...notDefined]))).toBe(expected);
      expect(baseScore(v4([...base, ...worst]))).toBe(expected);
    }
  });

  it('scores a modified metric as if it were the base value', () => {
    for (const { base, others } of samples) {
      const modified = others.filter((part) => part.startsWith('M') && !/:[XS]$/.test(part));
      const replaced = base.map(
        (part) =>
          modified
            .find((m) => m.slice(1, m.indexOf(':')) === part.slice(0, part.indexOf(':')))
            ?.slice(1) ?? part,
      );
      const rest = others.filter((part) => !modified.includes(part));
      expect(baseScore(v4([...base, ...others]))).toBe(baseScore(v4([...replaced, ...rest])));
    }
  });

  it('lets safety (MSI:S, MSA:S) raise the score and E:U lower it', () => {
    const base = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H';
    expect(baseScore(base)).toBe(10);
    expect(baseScore(`${base}/E:U`)).toBeLessThan(10);
    const low = 'CVSS:4.0/AV:L/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:L/SA:N';
    expect(baseScore(`${low}/MSI:S`)).toBeGreaterThan(baseScore(low) ?? Infinity);
  });
});

/** Published scores: [vector, base, exploitability, impact] (sub-scores where published). */
const PUBLISHED: readonly (readonly [string, number, number?, number?])[] = [
  // FIRST CVSS v2 guide, 3.3 (examples): CVE-2002-0392, CVE-2003-0818, CVE-2003-0062.
  ['AV:N/AC:L/Au:N/C:N/I:N/A:C', 7.8, 10.0, 6.9],
  ['AV:N/AC:L/Au:N/C:C/I:C/A:C', 10.0, 10.0, 10.0],
  ['AV:L/AC:H/Au:N/C:C/I:C/A:C', 6.2, 1.9, 10.0],
  // The 3.3.1 example with its temporal metrics: the base score stays.
  ['AV:N/AC:L/Au:N/C:N/I:N/A:C/E:F/RL:OF/RC:C', 7.8, 10.0, 6.9],
  // NVD (cvssMetricV2): CVE-2021-44228, CVE-2014-0160, CVE-2020-11022, CVE-2018-1312,
  // CVE-2016-10033, CVE-2025-0168.
  ['AV:N/AC:M/Au:N/C:C/I:C/A:C', 9.3, 8.6, 10.0],
  ['AV:N/AC:L/Au:N/C:P/I:N/A:N', 5.0, 10.0, 2.9],
  ['AV:N/AC:M/Au:N/C:N/I:P/A:N', 4.3, 8.6, 2.9],
  ['AV:N/AC:M/Au:N/C:P/I:P/A:P', 6.8, 8.6, 6.4],
  ['AV:N/AC:L/Au:N/C:P/I:P/A:P', 7.5, 10.0, 6.4],
  ['AV:N/AC:L/Au:S/C:P/I:P/A:P', 6.5, 8.0, 6.4],
  // NVD (cvssMetricV2 and V31): CVE-2016-5195, where cvss-suite's v2 says 7.1 (ORACLE_ERRATA).
  ['AV:L/AC:L/Au:N/C:C/I:C/A:C', 7.2, 3.9, 10.0],
  ['CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:H/A:H', 7.0, 1.0, 5.9],
  // FIRST CVSS v3.1 Examples: CVE-2013-1937, CVE-2013-0375, CVE-2014-3566, CVE-2012-1516,
  // CVE-2009-0783, CVE-2012-0384, CVE-2015-1098, CVE-2014-6271, CVE-2008-1447, CVE-2014-2005,
  // CVE-2010-0467, CVE-2014-0224, CVE-2012-5376.
  ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1],
  ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N', 6.4],
  ['CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N', 3.1],
  ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H', 9.9],
  ['CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:L', 4.2],
  ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 8.8],
  ['CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H', 7.8],
  ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
  ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:H/A:N', 6.8],
  ['CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 6.8],
  ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N', 5.8],
  ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N', 7.4],
  ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H', 9.6],
  // NVD (cvssMetricV31, nvd@nist.gov or the CNA): CVE-2021-44228, CVE-2014-0160, CVE-2020-11022
  // (NVD's and GitHub's), CVE-2017-5638, CVE-2025-0089, CVE-2025-0054, CVE-2025-0168.
  ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10.0, 3.9, 6.0],
  ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N', 7.5, 3.9, 3.6],
  ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1, 2.8, 2.7],
  ['CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:L/A:N', 6.9, 1.6, 4.7],
  ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8, 3.9, 5.9],
  ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 7.8, 1.8, 5.9],
  ['CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N', 5.4, 2.3, 2.7],
  ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:L', 6.3, 2.8, 3.4],
  // NVD (cvssMetricV40 from VulDB): CVE-2025-0168, every other metric given as X.
  [
    'CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N/E:X/CR:X/IR:X/AR:X/MAV:X/MAC:X/MAT:X/MPR:X/MUI:X/MVC:X/MVI:X/MVA:X/MSC:X/MSI:X/MSA:X/S:X/AU:X/R:X/V:X/RE:X/U:X',
    5.3,
  ],
  // The example in FIRST's calculator (cvss40.js, class CVSS40).
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:L/SC:N/SI:N/SA:N/E:A/MAV:A', 8.7],
];

describe('scoreCvss on published scores', () => {
  const cases = PUBLISHED.map(([vector, base, exploitability, impact]) => ({
    vector,
    base,
    exploitability,
    impact,
  }));
  it.each(cases)('$vector is $base', ({ vector, base, exploitability, impact }) => {
    const scored = score(vector);
    expect(scored?.baseScore).toBe(base);
    if (exploitability !== undefined) {
      expect([scored?.exploitabilityScore, scored?.impactScore]).toEqual([exploitability, impact]);
    }
  });

  it('keeps the vector and the source, and names the version', () => {
    expect(scoreCvss('CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'GHSA-x')).toEqual({
      version: '3.0',
      vector: 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
      baseScore: 9.8,
      exploitabilityScore: 3.9,
      impactScore: 5.9,
      source: 'GHSA-x',
    });
    expect(scoreCvss('(AV:N/AC:L/Au:N/C:N/I:N/A:N)', 'nvd')).toMatchObject({
      version: '2.0',
      baseScore: 0,
    });
    expect(
      scoreCvss('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N', 'x'),
    ).toEqual({
      version: '4.0',
      vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N',
      baseScore: 0,
      source: 'x',
    });
  });

  it('gives a changed scope with no impact 0.0 and no negative impact sub-score', () => {
    expect(score('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:N/A:N')).toMatchObject({
      baseScore: 0,
      impactScore: 0,
    });
  });
});

describe('scoreCvss refuses', () => {
  const V3 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
  const V4 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';
  const V2 = 'AV:N/AC:L/Au:N/C:P/I:P/A:P';
  it.each([
    ['empty', ''],
    ['a prefix alone', 'CVSS:3.1/'],
    ['an unknown version', V3.replace('3.1', '3.2')],
    ['a missing base metric', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H'],
    ['a repeated metric', `${V3}/AV:N`],
    ['a repeated temporal metric', `${V3}/E:P/E:P`],
    ['an unknown metric', `${V3}/XX:N`],
    ['an unknown value', V3.replace('AV:N', 'AV:Q')],
    ['a value from another metric', V3.replace('UI:N', 'UI:P')],
    ['lower case', V3.toLowerCase()],
    ['a lower-case prefix', V3.replace('CVSS', 'cvss')],
    ['a trailing slash', `${V3}/`],
    ['an empty metric', V3.replace('/AC', '//AC')],
    ['a metric without a value', `${V3}/E`],
    ['a metric without a colon', `${V3}/EX`],
    ['a value with a colon', `${V3}/E:X:X`],
    ['spaces', ` ${V3}`],
    ['v3 metrics under the v4 prefix', V3.replace('CVSS:3.1', 'CVSS:4.0')],
    ['v4 metrics under the v3 prefix', V4.replace('CVSS:4.0', 'CVSS:3.1')],
    ['v2 metrics under the v3 prefix', `CVSS:3.1/${V2}`],
    ['a v2 vector with an X', `${V2}/E:X`],
    ['a v2 vector with AU for Au', V2.replace('Au', 'AU')],
    ['an unbalanced parenthesis', `(${V2}`],
    ['a v4 vector without SA', V4.replace('/SA:N', '')],
    ['a v4 base SI:S (only MSI has Safety)', V4.replace('SI:N', 'SI:S')],
    ['a v4 U in lower case', `${V4}/U:clear`],
    ['a v4 E with a v3 value', `${V4}/E:F`],
    ['an object key as a metric', `${V3}/constructor:X`],
    ['__proto__ as a metric', `${V3}/__proto__:X`],
    ['a vector over 512 characters', `${V3}/${'E:X/'.repeat(200)}E:X`],
  ])('%s', (_, vector) => {
    expect(score(vector)).toBeUndefined();
  });

  it('anything that is not a string', () => {
    for (const value of [undefined, null, 7.5, { score: V3 }]) {
      expect(scoreCvss(value as unknown as string, 'x')).toBeUndefined();
    }
  });
});

describe('cvssSeverity', () => {
  const at = (version: CvssScore['version'], baseScore: number) =>
    cvssSeverity({ version, vector: '', baseScore, source: '' });

  it.each(['3.0', '3.1', '4.0'] as const)('v%s: None is Negligible, and Critical from 9.0', (v) => {
    expect([0, 0.1, 3.9, 4, 6.9, 7, 8.9, 9, 10].map((s) => at(v, s))).toEqual([
      'Negligible',
      'Low',
      'Low',
      'Medium',
      'Medium',
      'High',
      'High',
      'Critical',
      'Critical',
    ]);
  });

  it('v2: Low from 0, High up to 10', () => {
    expect([0, 3.9, 4, 6.9, 7, 10].map((s) => at('2.0', s))).toEqual([
      'Low',
      'Low',
      'Medium',
      'Medium',
      'High',
      'High',
    ]);
  });

  it('a score outside 0–10 is Unknown', () => {
    expect([Number.NaN, -0.1, 10.1].map((s) => at('3.1', s))).toEqual([
      'Unknown',
      'Unknown',
      'Unknown',
    ]);
  });
});

describe('scoreCvss fuzzed', () => {
  it('never throws, and whatever it scores is a one-decimal score in 0–10 (seeded)', () => {
    const random = seededRandom(SEED + 7);
    const samples = [
      ...PUBLISHED.map(([vector]) => vector),
      'CVSS:4.0/AV:L/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:L/SA:N/E:U/CR:L/MSI:S/U:Red',
    ];
    const splices = ['/', ':', 'CVSS:4.0/', 'CVSS:3.1/', '(', ')', 'X', '/E:P', '\u0000', '%'];
    const alphabet = 'AVCNLHPUISERTMXaq:/()0123456789.';
    let scored = 0;
    for (let n = 0; n < 20_000; n++) {
      const sample = pick(random, samples);
      const input = [
        () => mutate(Buffer.from(sample), random, pick(random, splices)).toString('latin1'),
        () => editCharacters(sample, alphabet, random),
        () => randomText(alphabet, 600, random).toString('latin1'),
        () =>
          `CVSS:${pick(random, ['2.0', '3.0', '3.1', '4.0'])}/${randomText(alphabet, 80, random).toString('latin1')}`,
      ][random(4)]?.();
      const result = score(input ?? '');
      if (result === undefined) continue;
      scored += 1;
      expect(result.vector).toBe(input);
      expect(result.baseScore, input).toBeGreaterThanOrEqual(0);
      expect(result.baseScore, input).toBeLessThanOrEqual(10);
      expect(Math.round(result.baseScore * 10) / 10, input).toBe(result.baseScore);
    }
    // Some mutations stay valid (a value swapped for another): the checks above ran on them.
    expect(scored).toBeGreaterThan(20);
  });
});
