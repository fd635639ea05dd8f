/**
 * The maven scheme against Maven itself: maven-artifact's ComparableVersion from Debian's
 * libmaven3-core-java (/usr/share/java/maven3-artifact.jar), driven by a small Java class
 * compiled here with javac (openjdk-17-jdk-headless). One java process reads every pair on stdin
 * and prints the sign of `compareTo` per line; our `compare` must give the same sign for over
 * 10,000 seeded pairs: every pair of hand-picked tricky versions, random versions from a
 * Maven-shaped grammar, mutations of real-world versions, and pairs differing in one part.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mavenScheme } from '../src/version/maven.js';
import { editCharacters } from './harness/mutate.js';
import { seededRandom } from './harness/random.js';
import {
  askOracle,
  changeOneRun,
  crossProduct,
  expectAgreement,
  oracleSeed,
  pick,
  tabLines,
  type Pair,
  type Random,
} from './harness/version-oracle.js';

const MAVEN_JAR = '/usr/share/java/maven3-artifact.jar';
const SEED = oracleSeed(0x6d766e31);

const ORACLE_SOURCE = `
import java.io.*;
import java.nio.charset.StandardCharsets;
import org.apache.maven.artifact.versioning.ComparableVersion;

public class MavenCompare {
  public static void main(String[] args) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8)));
    for (String line; (line = in.readLine()) != null; ) {
      int tab = line.indexOf('\\t');
      ComparableVersion a = new ComparableVersion(line.substring(0, tab));
      ComparableVersion b = new ComparableVersion(line.substring(tab + 1));
      out.println(Integer.signum(a.compareTo(b)));
    }
    out.flush();
  }
}
`;

/** Versions whose order exercises one rule each: qualifiers, aliases, zeros, kinds of number. */
const TRICKY = [
  '1',
  '1.0',
  '1.0.0',
  '1-0',
  '1.0-0',
  '1-',
  '1.',
  '-1',
  '.1',
  '1..1',
  '1--1',
  '1.-1',
  '1-.1',
  '1.0-SNAPSHOT',
  '1.0-snapshot',
  '1.0.SNAPSHOT',
  '1-SNAPSHOT',
  '1.0.0-SNAPSHOT',
  '1.0.Final',
  '1.0.final',
  '1.0-GA',
  '1.0.RELEASE',
  '1.0-release',
  '1ga',
  '1final',
  '1.0-RC1',
  '1.0-rc-1',
  '1.0.RC1',
  '1.0-rc1',
  '1.0-CR1',
  '1.0-cr-1',
  '1.0.0.RC1',
  '1.0.0-RC2',
  '1-1',
  '1.1',
  '1.0-1',
  '1.0.1',
  '1-1-snapshot',
  '1-1.1',
  '1-0.alpha',
  '1-0.beta',
  '1.0-alpha',
  '1.0-alpha-1',
  '1.0-alpha1',
  '1.0a1',
  '1.0-a1',
  '1.0-a-1',
  '1.0-a',
  '1a',
  '1-a',
  '1.0-beta-2',
  '1.0b2',
  '1.0-b',
  '1.0-M1',
  '1.0-m1',
  '1.0.M1',
  '1.0-milestone-1',
  '1.0m',
  '1.0-sp',
  '1.0-sp1',
  '1.0-SP2',
  '1.0.sp',
  '1-sp-1',
  '01',
  '001.002',
  '1.01',
  '1.010',
  '0',
  '00',
  '0.0',
  '0000000000',
  '0000000000000000000',
  '00000000000.1',
  '5.1',
  '000000000000000000000.1',
  '123456789',
  '1234567890',
  '999999999',
  '1000000000',
  '999999999999999999',
  '1000000000000000000',
  '12345678901234567890',
  '123456789012345678901234567890',
  '2147483648',
  '9223372036854775808',
  '20190126.230843',
  '1234567890.12345',
  '6.1.0',
  '6.1.0rc3',
  '6.1H.5-beta',
  '1-abc',
  '1-def',
  '1-pom-1',
  '1-xyz',
  '1-123',
  '1.0-jre',
  '31.1-jre',
  '31.1-android',
  '2.0.1-klm',
  '2.0.1-lmn',
  '1-zzz',
  '1-alphabet',
  '1-spx',
  '1-rca',
  '1-aa1',
  '1.0_1',
  '1.0+build',
  '1_0',
  'a',
  'A',
  'alpha',
  'sp',
  'snapshot',
  'final',
  'x1',
  '-',
  '.',
  '1.0.0.0.0.0.1',
  '1-1-1-1',
  '1.0.x2',
  '1.0-x3',
  '1.0.0-x1',
  '1.0.0.x1',
  '2-abc',
  '2.0.abc',
  // Where Maven's order has cycles: a qualifier meeting a sublist at the same place.
  '1-ga.1',
  '1-0-alpha',
  '1-alpha.sp.x',
  '1-alpha-beta',
  '1-alpha',
  '0M9',
  '0-alpha',
  '1--alpha',
] as const;

/** Published versions to mutate: Spring, Hibernate, Guava, Jetty, Red Hat builds, old betas. */
const REAL_WORLD = [
  '5.3.20.RELEASE',
  '6.2.0.Final',
  '31.1-jre',
  '33.0.0-android',
  '9.4.48.v20220622',
  '1.2.3.redhat-00001',
  '2.0.0-M1',
  '3.0.0-beta-1',
  '1.0-rc-1',
  'Hoxton.SR12',
  '2021.0.3',
  '1.7.36',
  '4.13.2',
  '1.0b3',
  '2.0.0.AM26',
  'r09',
  '20030203.000129',
  '1.0.0-alpha+001',
  '2.13.4.2',
  '1.0-SNAPSHOT',
  '3.12.0',
  '2.17.1',
  '1.9.22',
  '5.10.0-M1',
  '0.9.1-incubating',
  '1.4.200',
  '11.0.2',
  '1.0.0.CR3',
  '4.0.0-rc-2',
  '7.0.0-SP1',
  '1.1.1-sp1',
  '2.0-beta9',
] as const;

const QUALIFIERS = [
  'alpha',
  'a',
  'beta',
  'b',
  'milestone',
  'm',
  'rc',
  'cr',
  'snapshot',
  'ga',
  'final',
  'release',
  'sp',
  'jre',
  'android',
  'incubating',
  'redhat',
  'v',
  'x',
  'abc',
  'pom',
  'sr',
  'h',
  'ea',
  'z',
];
const SEPARATORS = ['.', '-', ''];
const MUTATION_CHARS = '0123456789.-.-abmrscpABMRSC_+x~!Z';

function randomCase(random: Random, text: string): string {
  const style = random(4);
  if (style === 0) return text.toUpperCase();
  if (style === 1 && text.length > 0) return text.charAt(0).toUpperCase() + text.slice(1);
  return text;
}

/** Mostly small numbers; sometimes leading zeros, all-zero runs, or int/long/big sized ones. */
function randomNumber(random: Random): string {
  const kind = random(12);
  if (kind === 0) return '0'.repeat(1 + random(25));
  if (kind === 1) return '0'.repeat(1 + random(3)) + String(random(20));
  if (kind === 2) {
    let digits = String(1 + random(9));
    const length = pick(random, [8, 9, 10, 17, 18, 19, 20, 30]);
    while (digits.length < length) digits += String(random(10));
    return digits;
  }
  return String(random(kind < 6 ? 4 : 25));
}

function randomQualifier(random: Random): string {
  const word = randomCase(random, pick(random, QUALIFIERS));
  const tail = random(3);
  if (tail === 0) return word;
  return word + (tail === 1 ? '' : pick(random, SEPARATORS)) + randomNumber(random);
}

/** A version shaped like Maven's: numbers, then qualifiers joined by `.`, `-` or nothing. */
function randomVersion(random: Random): string {
  let version = randomNumber(random);
  const numbers = random(5);
  for (let i = 0; i < numbers; i++) version += pick(random, ['.', '.', '-']) + randomNumber(random);
  const qualifiers = random(4);
  for (let i = 0; i < qualifiers; i++) {
    version += pick(random, SEPARATORS) + randomQualifier(random);
  }
  if (random(20) === 0) version = pick(random, ['-', '.']) + version;
  if (random(20) === 0) version += pick(random, ['-', '.', '..', '--']);
  return version;
}

/** A few characters inserted, deleted or replaced; never the empty string Maven refuses. */
function mutate(random: Random, version: string): string {
  const text = editCharacters(version, MUTATION_CHARS, random);
  return text === '' ? version : text;
}

/** The same version with one run of digits, letters or separators changed; never empty. */
function changeOnePart(random: Random, version: string): string {
  const result = changeOneRun(random, version, {
    digits(r, run) {
      const choice = r(3);
      if (choice === 0) return String(BigInt(run) + 1n);
      if (choice === 1) return `0${run}`;
      return run === '0' ? '1' : String(BigInt(run) - 1n);
    },
    letters: (r) => randomCase(r, pick(r, QUALIFIERS)),
    other: (r) => pick(r, ['.', '-', '.0.', '-0-', '']),
  });
  return result === '' ? version : result;
}

function generatePairs(seed: number): Pair[] {
  const random = seededRandom(seed);
  const pairs: Pair[] = crossProduct(TRICKY);
  for (let i = 0; i < 3000; i++) pairs.push([randomVersion(random), randomVersion(random)]);
  for (let i = 0; i < 3000; i++) {
    const base = randomVersion(random);
    pairs.push([base, changeOnePart(random, base)]);
  }
  for (let i = 0; i < 3000; i++) {
    const base = pick(random, REAL_WORLD);
    const other = random(2) === 0 ? pick(random, REAL_WORLD) : changeOnePart(random, base);
    pairs.push([mutate(random, base), random(2) === 0 ? other : mutate(random, other)]);
  }
  return pairs;
}

describe('maven scheme against maven-artifact ComparableVersion', () => {
  /** The compiled oracle's directory; empty until beforeAll made it. */
  let work = '';

  beforeAll(async () => {
    if (!existsSync(MAVEN_JAR)) {
      throw new Error(`${MAVEN_JAR} is missing: install the Debian package libmaven3-core-java`);
    }
    if (spawnSync('javac', ['-version']).status !== 0) {
      throw new Error('javac is missing: install the Debian package openjdk-17-jdk-headless');
    }
    work = await mkdtemp(join(tmpdir(), 'drydock-maven-'));
    await writeFile(join(work, 'MavenCompare.java'), ORACLE_SOURCE);
    execFileSync('javac', ['-cp', MAVEN_JAR, '-d', work, join(work, 'MavenCompare.java')]);
  }, 120_000);

  afterAll(async () => {
    if (work !== '') await rm(work, { recursive: true, force: true });
  });

  it('orders over 10,000 generated pairs exactly as Maven does', () => {
    const pairs = generatePairs(SEED);
    expect(pairs.length).toBeGreaterThan(10_000);
    const invalid = pairs.flat().filter((version) => !mavenScheme.valid(version));
    expect(invalid, `seed ${SEED}`).toEqual([]);

    const classpath = `${work}:${MAVEN_JAR}`;
    const maven = askOracle(
      'java',
      ['-cp', classpath, 'MavenCompare'],
      tabLines(pairs),
      'openjdk-17-jdk-headless',
    );
    const ours = (a: string, b: string): string => String(Math.sign(mavenScheme.compare(a, b)));
    expectAgreement(pairs, maven, ours, 'maven', SEED);
  }, 120_000);
});
