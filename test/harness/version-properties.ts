/**
 * The properties every version scheme's fuzz test checks, as lists of violations (empty when the
 * scheme holds them) so that a failure shows the first few offending versions at once.
 */
import { DrydockError } from '../../src/model/index.js';
import type { VersionScheme } from '../../src/version/scheme.js';

/** compare's sign, `invalid` when it threw invalidVersion, `crashed: …` when it threw else. */
export function outcome(scheme: VersionScheme, a: string, b: string): string {
  try {
    return String(Math.sign(scheme.compare(a, b)));
  } catch (error) {
    if (error instanceof DrydockError && error.code === 'invalid-argument') return 'invalid';
    return `crashed: ${String(error)}`;
  }
}

/**
 * For each pair, both ways round: compare throws nothing but invalidVersion, and throws it
 * exactly when valid() refuses a side; otherwise swapping the sides negates the order.
 */
export function pairViolations(
  scheme: VersionScheme,
  pairs: readonly (readonly [string, string])[],
): string[] {
  const violations: string[] = [];
  for (const [a, b] of pairs) {
    const forward = outcome(scheme, a, b);
    const backward = outcome(scheme, b, a);
    const refused = !scheme.valid(a) || !scheme.valid(b);
    const consistent = refused
      ? forward === 'invalid' && backward === 'invalid'
      : /^-?[01]$/.test(forward) && backward === String(-Number(forward) || 0);
    if (!consistent) {
      violations.push(`${JSON.stringify([a, b])}: ${forward} one way, ${backward} the other`);
    }
  }
  return violations;
}

/** Each input with itself and with a valid `reference`: what pairViolations checks them in. */
export function withItselfAndReference(
  inputs: readonly string[],
  reference: string,
): [string, string][] {
  return inputs.flatMap((input): [string, string][] => [
    [input, input],
    [input, reference],
  ]);
}

/**
 * Sorts the valid `versions` with compare, then checks each against the next `window` (all, by
 * default): a later one never sorts before an earlier one (transitivity: a comparator that is
 * not transitive leaves some pair out of order, not only neighbours), each equals itself, and
 * swapping the sides negates the order (antisymmetry).
 */
export function orderViolations(
  scheme: VersionScheme,
  versions: readonly string[],
  window = Infinity,
): string[] {
  const sorted = versions.filter((version) => scheme.valid(version));
  sorted.sort((a, b) => scheme.compare(a, b));
  const violations: string[] = [];
  sorted.forEach((a, i) => {
    for (let j = i; j < Math.min(sorted.length, i + 1 + window); j++) {
      const b = sorted[j] ?? '';
      const forward = Math.sign(scheme.compare(a, b));
      if (forward > 0 || (i === j && forward !== 0)) {
        violations.push(`sorted ${JSON.stringify(a)} before ${JSON.stringify(b)}`);
      }
      if (Math.sign(scheme.compare(b, a)) !== -forward) {
        violations.push(`${JSON.stringify(a)} vs ${JSON.stringify(b)} is not antisymmetric`);
      }
    }
  });
  return violations;
}

/** Each version with the one 7i+1 places on (wrapping): pairs spread over the whole list. */
export function scatteredPairs(versions: readonly string[]): [string, string][] {
  return versions.map((a, i) => [a, versions[(i * 7 + 1) % versions.length] ?? '']);
}
