/**
 * Applies VEX statements to findings. A statement applies to a finding when it names the
 * finding's vulnerability (its id or one of its aliases, case-insensitively) and one of its
 * products names the finding's package:
 * - a package PURL equal to the package's once normalised, comparing only what the statement's
 *   PURL gives (no version: every version; qualifiers and subpath only when it has them);
 * - a CycloneDX bom-ref equal to the package's id (drydock's CycloneDX bom-ref), with
 *   `affects[].versions` narrowing to the versions listed;
 * - the image itself (`pkg:oci/…`, or `pkg:docker/…` as Docker Scout writes it): every package in
 *   it, or only its subcomponents when it lists some.
 * A package product with subcomponents (a Go binary and its modules) means the copies of them
 * inside that product; findings do not say what contains their package, so such a statement is
 * not applied rather than applied to every copy in the image.
 * Where several statements apply, the latest wins: by timestamp, else by order (documents in the
 * order given, statements in document order); a statement with a time outranks one without.
 */
import type { PackageURL } from 'packageurl-js';
import type { Finding, VexStatement } from '../../model/index.js';
import { rangeContains } from './vers.js';
import type {
  ParsedVexStatement,
  VexComponent,
  VexDocument,
  VexProduct,
  VexVersion,
} from './vex-document.js';
import { parsePurl } from './vex-fields.js';

/** What identifies the scanned image, so that statements about other images do not apply. */
export interface VexImage {
  /** The repository's last path segment, as image PURLs name it (`alpine`). */
  name?: string;
  /** The manifest (and index) digests the image is known by: `sha256:…`. */
  digests: readonly string[];
  /** The tag it was pulled by, for image PURLs whose version is a tag (`pkg:docker/…@v1`). */
  tag?: string;
}

const IMAGE_PURL_TYPES: ReadonlySet<string> = new Set(['oci', 'docker']);
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-f0-9]{32,}$/i;

export interface VexOutcome {
  /** No statement applies, or the winning one says affected or under investigation. */
  kept: Finding[];
  /** The winning statement says not affected or fixed. */
  suppressed: Finding[];
}

/** A statement with what is needed to rank it and cite it. */
interface Ranked {
  statement: ParsedVexStatement;
  document: VexDocument;
  /** Position over all documents, for "later wins" when times do not decide. */
  order: number;
}

/** The package as statements are matched against it. */
interface Target {
  id: string;
  version: string;
  purl?: PackageURL;
}

/**
 * Marks each finding a statement applies to with `finding.vex`, and returns the findings split:
 * kept (no statement, or affected/under_investigation) and suppressed (not_affected or fixed).
 * With `image`, statements about images apply only to that image. The input is not changed.
 */
export function applyVex(
  findings: readonly Finding[],
  documents: readonly VexDocument[],
  image?: VexImage,
): VexOutcome {
  const byVulnerability = indexStatements(documents);
  const outcome: VexOutcome = { kept: [], suppressed: [] };
  for (const finding of findings) {
    const winner = latest(applicable(finding, byVulnerability, image));
    if (winner === undefined) {
      outcome.kept.push(finding);
      continue;
    }
    const marked: Finding = { ...finding, vex: vexStatement(winner) };
    const suppresses = marked.vex?.status === 'not_affected' || marked.vex?.status === 'fixed';
    (suppresses ? outcome.suppressed : outcome.kept).push(marked);
  }
  return outcome;
}

/** Statements by every id they name, lowercase. */
function indexStatements(documents: readonly VexDocument[]): Map<string, Ranked[]> {
  const index = new Map<string, Ranked[]>();
  let order = 0;
  for (const document of documents) {
    for (const statement of document.statements) {
      const ranked: Ranked = { statement, document, order: order++ };
      const ids = new Set([statement.vulnerability, ...statement.aliases].map(lower));
      for (const id of ids) {
        const listed = index.get(id);
        if (listed === undefined) index.set(id, [ranked]);
        else listed.push(ranked);
      }
    }
  }
  return index;
}

function applicable(
  finding: Finding,
  byVulnerability: ReadonlyMap<string, readonly Ranked[]>,
  image: VexImage | undefined,
): Ranked[] {
  const candidates = new Set(
    [finding.id, ...finding.aliases].flatMap((id) => byVulnerability.get(lower(id)) ?? []),
  );
  if (candidates.size === 0) return [];
  const target: Target = {
    id: finding.package.id,
    version: finding.package.version,
    purl: finding.package.purl === '' ? undefined : parsePurl(finding.package.purl),
  };
  return [...candidates].filter((ranked) =>
    ranked.statement.products.some((product) => productNames(product, target, image)),
  );
}

function latest(statements: readonly Ranked[]): Ranked | undefined {
  let winner: Ranked | undefined;
  for (const candidate of statements)
    if (winner === undefined || rank(candidate, winner) > 0) winner = candidate;
  return winner;
}

/** Positive when `a` is later than `b`. */
function rank(a: Ranked, b: Ranked): number {
  const timeA = a.statement.timestamp ?? -Infinity;
  const timeB = b.statement.timestamp ?? -Infinity;
  return timeA === timeB ? a.order - b.order : timeA - timeB;
}

function productNames(product: VexProduct, target: Target, image: VexImage | undefined): boolean {
  const images = product.purls.filter((purl) => IMAGE_PURL_TYPES.has(purl.type));
  if (images.length > 0) {
    if (!images.some((purl) => isImage(purl, image)) || product.versions.length > 0) return false;
    return (
      product.subcomponents.length === 0 ||
      product.subcomponents.some((component) => componentNames(component, target))
    );
  }
  if (product.subcomponents.length > 0) return false;
  return componentNames(product, target) && versionListed(product.versions, target.version);
}

/**
 * A digest decides; a tag or no version needs the same name too. Without an image identity every
 * image product is taken to be the image scanned.
 */
function isImage(purl: PackageURL, image: VexImage | undefined): boolean {
  if (image === undefined) return true;
  const version = purl.version;
  if (version !== undefined && DIGEST.test(version))
    return image.digests.map(lower).includes(lower(version));
  const sameName = image.name === undefined || lower(image.name) === lower(purl.name);
  return sameName && (version === undefined || version === image.tag);
}

function componentNames(component: VexComponent, target: Target): boolean {
  if (component.bomRefs.includes(target.id)) return true;
  const purl = target.purl;
  return purl !== undefined && component.purls.some((pattern) => purlNames(pattern, purl));
}

/** Equal where the pattern says anything: its version, qualifiers and subpath only when given. */
function purlNames(pattern: PackageURL, purl: PackageURL): boolean {
  return (
    pattern.type === purl.type &&
    (pattern.namespace ?? '') === (purl.namespace ?? '') &&
    pattern.name === purl.name &&
    (pattern.version === undefined || pattern.version === purl.version) &&
    Object.entries(pattern.qualifiers ?? {}).every(
      ([key, value]) => purl.qualifiers?.[key] === value,
    ) &&
    (pattern.subpath === undefined || pattern.subpath === purl.subpath)
  );
}

/** Every version when none are listed; a range drydock cannot judge does not include it. */
function versionListed(versions: readonly VexVersion[], version: string): boolean {
  if (versions.length === 0) return true;
  return versions.some((entry) =>
    'version' in entry ? entry.version === version : rangeContains(entry.range, version) === true,
  );
}

function vexStatement({ statement, document }: Ranked): VexStatement {
  return {
    status: statement.status,
    justification: statement.justification,
    detail: statement.detail,
    document: document.id,
    statement: statement.place,
  };
}

const lower = (text: string): string => text.toLowerCase();
