/**
 * The differential tests of the version schemes: one process of the ecosystem's own tool answers
 * a whole batch of pairs (never one process per pair), our scheme answers the same pairs in the
 * same words, and a failure shows the first mismatches with the seed that replays them. Also the
 * pair generators the tests share.
 */
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import type { VersionScheme } from '../../src/version/scheme.js';
import { mutate } from './mutate.js';
import { outcome } from './version-properties.js';

export type Random = (n: number) => number;
export type Pair = readonly [string, string];

/** The seed of a differential test: DRYDOCK_SEED when set (to replay a failure), else `usual`. */
export function oracleSeed(usual: number): number {
  return Number(process.env.DRYDOCK_SEED ?? usual);
}

/** One JSON array `[a, b]` a line. */
export const jsonLines = (pairs: readonly Pair[]): string =>
  pairs.map((pair) => `${JSON.stringify(pair)}\n`).join('');

const hex = (text: string): string => Buffer.from(text, 'utf8').toString('hex');

/** `hex(a)\thex(b)` a line, so that any character survives a line-reading oracle. */
export const hexLines = (pairs: readonly Pair[]): string =>
  pairs.map(([a, b]) => `${hex(a)}\t${hex(b)}\n`).join('');

/** `a\tb` a line, for versions that hold neither a tab nor a newline. */
export const tabLines = (pairs: readonly Pair[]): string =>
  pairs.map(([a, b]) => `${a}\t${b}\n`).join('');

/**
 * The lines one oracle process prints for `input` (those `keep` accepts: by default the
 * non-empty ones). Fails, naming the Debian package to install, when the oracle cannot run.
 */
export function askOracle(
  command: string,
  args: readonly string[],
  input: string,
  debianPackage: string,
  keep: (line: string) => boolean = (line) => line !== '',
): string[] {
  const result = spawnSync(command, args, { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.error !== undefined || result.status !== 0) {
    throw new Error(
      `the oracle ${command} did not run (${result.error?.message ?? result.stderr}): ` +
        `install the Debian package ${debianPackage} (scripts/install-deps.sh does)`,
    );
  }
  return result.stdout.split('\n').filter(keep);
}

/**
 * Our answer in the words every oracle script prints: `validA validB order`, where order is
 * compare's sign or `invalid` (only invalidVersion counts as that; anything else thrown shows).
 */
export function ourAnswer(scheme: VersionScheme, a: string, b: string): string {
  return `${scheme.valid(a)} ${scheme.valid(b)} ${outcome(scheme, a, b)}`;
}

/** Where `actual` differs from what the oracle said of each item, the first 20 shown. */
export function disagreements<T>(
  items: readonly T[],
  expected: readonly unknown[],
  actual: (item: T, index: number) => unknown,
  oracle: string,
): string[] {
  const out: string[] = [];
  items.forEach((item, i) => {
    const got = actual(item, i);
    if (got !== expected[i] && out.length < 20) {
      out.push(`${JSON.stringify(item)}: ${oracle} ${String(expected[i])}, ours ${String(got)}`);
    }
  });
  return out;
}

/** Ours agrees with the oracle's `answers` on every pair; a failure names the seed. */
export function expectAgreement(
  pairs: readonly Pair[],
  answers: readonly string[],
  ours: (a: string, b: string) => string,
  oracle: string,
  seed: number,
): void {
  expect(answers, `${oracle} answered every pair`).toHaveLength(pairs.length);
  const differences = disagreements(pairs, answers, ([a, b]) => ours(a, b), oracle);
  expect(differences, `seed ${seed} (DRYDOCK_SEED replays it)`).toEqual([]);
}

/**
 * The pairs are not all trivial: each of `kinds` (of the answer, or of what `kindOf` makes of
 * it) occurs at least `atLeast` times.
 */
export function expectEveryKind(
  answers: readonly string[],
  kinds: readonly string[],
  atLeast = 1,
  kindOf: (answer: string) => string = (answer) => answer,
): void {
  const counts = new Map<string, number>();
  for (const answer of answers) counts.set(kindOf(answer), (counts.get(kindOf(answer)) ?? 0) + 1);
  for (const kind of kinds) {
    expect(counts.get(kind) ?? 0, `answers of kind "${kind}"`).toBeGreaterThanOrEqual(atLeast);
  }
}

/** Every answer a differential test must see: both orders, equality, each side refused. */
export const EVERY_ANSWER = [
  'true true -1',
  'true true 0',
  'true true 1',
  'true false invalid',
  'false true invalid',
  'false false invalid',
];

export const pick = <T>(random: Random, items: readonly T[]): T => items[random(items.length)] as T;

/** Every ordered pair of `versions`, each with itself too. */
export function crossProduct(versions: readonly string[]): Pair[] {
  return versions.flatMap((a) => versions.map((b): Pair => [a, b]));
}

/** What `mixedPairs` draws from, and how many pairs of each kind. */
export interface PairMix {
  /** Every pair of these is included. */
  tricky: readonly string[];
  /** A version from the scheme's grammar. */
  fresh(random: Random): string;
  /** Published versions. */
  real: readonly string[];
  changeOnePart(random: Random, version: string): string;
  mutate(random: Random, version: string): string;
  /** Any text at all. */
  arbitrary(random: Random): string;
  counts: { fresh: number; changed: number; mutated: number; arbitrary: number };
}

/**
 * The tricky cross product, then grammar pairs, pairs one part apart, mutations of published
 * versions (against themselves or another mutation), and arbitrary text.
 */
export function mixedPairs(random: Random, mix: PairMix): Pair[] {
  const { counts } = mix;
  const pairs = crossProduct(mix.tricky);
  for (let n = 0; n < counts.fresh; n++) pairs.push([mix.fresh(random), mix.fresh(random)]);
  for (let n = 0; n < counts.changed; n++) {
    const version = random(2) === 0 ? mix.fresh(random) : pick(random, mix.real);
    pairs.push([version, mix.changeOnePart(random, version)]);
  }
  for (let n = 0; n < counts.mutated; n++) {
    const real = pick(random, mix.real);
    pairs.push([mix.mutate(random, real), random(2) === 0 ? real : mix.mutate(random, real)]);
  }
  for (let n = 0; n < counts.arbitrary; n++)
    pairs.push([mix.arbitrary(random), mix.arbitrary(random)]);
  return pairs;
}

/** How changeOneRun changes a run of digits, of letters, or of anything else. */
export interface RunChanges {
  digits(random: Random, run: string): string;
  letters(random: Random, run: string): string;
  other(random: Random, run: string): string;
}

/** The same version with one run of digits, ASCII letters or other characters changed. */
export function changeOneRun(random: Random, version: string, changes: RunChanges): string {
  const runs = version.match(/\d+|[a-z]+|[^\da-z]+/gi) ?? [version];
  const at = random(runs.length);
  const run = runs[at] ?? '';
  if (/^\d/.test(run)) runs[at] = changes.digits(random, run);
  else if (/^[a-z]/i.test(run)) runs[at] = changes.letters(random, run);
  else runs[at] = changes.other(random, run);
  return runs.join('');
}

/**
 * `count` pairs from a grammar given as `parts` (each draws one part with its punctuation):
 * alternately two random versions or one and the same with one part redrawn, and a mutation of
 * a real version (spliced with one of `splices`) against it or another real one.
 */
export function grammarPairs(
  random: Random,
  count: number,
  parts: readonly ((random: Random) => string)[],
  realVersions: readonly string[],
  splices: readonly string[],
): Pair[] {
  const generate = (): string[] => parts.map((part) => part(random));
  const pairs: Pair[] = [];
  while (pairs.length < count) {
    const a = generate();
    const changed = random(a.length);
    const b =
      random(2) === 0
        ? generate()
        : a.map((part, index) => (index === changed ? (parts[index]?.(random) ?? part) : part));
    pairs.push([a.join(''), b.join('')]);
    const real = pick(random, realVersions);
    const mutated = mutate(Buffer.from(real), random, pick(random, splices)).toString();
    pairs.push([mutated, random(2) === 0 ? real : pick(random, realVersions)]);
  }
  return pairs;
}
