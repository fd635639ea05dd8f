/**
 * Reads two CycloneDX JSON documents and compares the packages they found by package URL.
 *
 * Tools write the same package with different PURL details, so a PURL is reduced to a key before
 * comparing: type, namespace, name and version only (qualifiers such as `arch`, `distro` and
 * `repository_url` and the subpath dropped); a Debian `epoch` qualifier is folded into the version
 * (`epoch=1` + `2.3` → `1:2.3`, as the version field of another tool may carry it); PyPI names are
 * normalised as PEP 503 says. A package found at two places counts once.
 */
import { PackageURL } from 'packageurl-js';

export interface SbomSummary {
  /** Distinct package keys, by PURL type. */
  packages: Map<string, Set<string>>;
  /** Components (other than files) with no PURL or one that does not parse: the OS, apps. */
  withoutPurl: number;
  /** `file` components, and how many of them carry a SHA-256. */
  files: number;
  filesWithSha256: number;
}

interface Component {
  type?: unknown;
  purl?: unknown;
  hashes?: unknown;
  components?: unknown;
}

/** Nested components count too (a jar inside a war, as some tools nest them). */
function* walkComponents(list: unknown): Generator<Component> {
  if (!Array.isArray(list)) return;
  for (const item of list as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const component = item as Component;
    yield component;
    yield* walkComponents(component.components);
  }
}

function hasSha256(hashes: unknown): boolean {
  return (
    Array.isArray(hashes) &&
    (hashes as unknown[]).some((h) => (h as { alg?: unknown } | null)?.alg === 'SHA-256')
  );
}

export function summariseSbom(json: unknown): SbomSummary {
  const summary: SbomSummary = {
    packages: new Map(),
    withoutPurl: 0,
    files: 0,
    filesWithSha256: 0,
  };
  const document = (typeof json === 'object' && json !== null ? json : {}) as {
    components?: unknown;
  };
  for (const component of walkComponents(document.components)) {
    if (component.type === 'file') {
      summary.files++;
      if (hasSha256(component.hashes)) summary.filesWithSha256++;
      continue;
    }
    const key = typeof component.purl === 'string' ? purlKey(component.purl) : undefined;
    if (key === undefined) {
      summary.withoutPurl++;
      continue;
    }
    const type = key.slice('pkg:'.length, key.indexOf('/'));
    let keys = summary.packages.get(type);
    if (keys === undefined) summary.packages.set(type, (keys = new Set()));
    keys.add(key);
  }
  return summary;
}

/** `pkg:type/namespace/name@version` with the details tools disagree on taken out. */
export function purlKey(purl: string): string | undefined {
  let parsed: PackageURL;
  try {
    parsed = PackageURL.fromString(purl);
  } catch {
    return undefined;
  }
  const type = parsed.type.toLowerCase();
  const name = type === 'pypi' ? parsed.name.toLowerCase().replace(/[-_.]+/g, '-') : parsed.name;
  const epoch = parsed.qualifiers?.epoch;
  let version = parsed.version ?? '';
  if (epoch !== undefined && epoch !== '' && !version.includes(':'))
    version = `${epoch}:${version}`;
  const namespace = parsed.namespace ? `${parsed.namespace}/` : '';
  return `pkg:${type}/${namespace}${name}${version === '' ? '' : `@${version}`}`;
}

export interface Comparison {
  /** PURL types seen by either tool, sorted. */
  types: string[];
  byType: Map<string, { reference: number; candidate: number; both: number }>;
  both: number;
  onlyReference: string[];
  onlyCandidate: string[];
}

/** Which package keys both SBOMs have, and which only one of them. */
export function compareSboms(reference: SbomSummary, candidate: SbomSummary): Comparison {
  const types = [...new Set([...reference.packages.keys(), ...candidate.packages.keys()])].sort();
  const byType: Comparison['byType'] = new Map();
  const result: Comparison = { types, byType, both: 0, onlyReference: [], onlyCandidate: [] };
  for (const type of types) {
    const ref = reference.packages.get(type) ?? new Set<string>();
    const cand = candidate.packages.get(type) ?? new Set<string>();
    let both = 0;
    for (const key of ref) {
      if (cand.has(key)) both++;
      else result.onlyReference.push(key);
    }
    for (const key of cand) if (!ref.has(key)) result.onlyCandidate.push(key);
    byType.set(type, { reference: ref.size, candidate: cand.size, both });
    result.both += both;
  }
  result.onlyReference.sort();
  result.onlyCandidate.sort();
  return result;
}

export function packageCount(summary: SbomSummary): number {
  let total = 0;
  for (const keys of summary.packages.values()) total += keys.size;
  return total;
}
