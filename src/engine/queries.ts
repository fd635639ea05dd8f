/**
 * The query routes: the account's images that hold a package, the account's images a
 * vulnerability affects (from the indexes of src/engine/image-index.ts), and what the
 * vulnerability database knows of given ids.
 */
import type { Vulnerability } from '../model/index.js';
import { withVulnDb, type VulnDb } from '../vuln/db.js';
import { badRequest } from './api-error.js';
import { vulnDbFile, type Engine } from './engine.js';

export interface Page {
  page: number;
  limit: number;
}

const MAX_LIMIT = 1000;

export function pageOf(page: string | undefined, limit: string | undefined): Page {
  const p = Number(page ?? 1);
  const l = Number(limit ?? 100);
  if (!Number.isInteger(p) || p < 1 || !Number.isInteger(l) || l < 1)
    throw badRequest('page and limit must be whole numbers ≥ 1');
  return { page: p, limit: Math.min(l, MAX_LIMIT) };
}

/** Anchore's ImageReference: the digest, id, analysis time and the tags it was seen as. */
async function imageReferences(engine: Engine, account: string, digests: readonly string[]) {
  if (digests.length === 0) return new Map<string, object>();
  const [images, tags] = await Promise.all([
    engine.db
      .selectFrom('images')
      .select(['image_digest', 'image_id', 'analyzed_at'])
      .where('account_name', '=', account)
      .where('image_digest', 'in', digests)
      .execute(),
    engine.db
      .selectFrom('image_tags')
      .selectAll()
      .where('account_name', '=', account)
      .where('image_digest', 'in', digests)
      .orderBy('tag_detected_at', 'desc')
      .execute(),
  ]);
  return new Map(
    images.map((image) => [
      image.image_digest,
      {
        digest: image.image_digest,
        // The engine's own responses (and anchore-cli's tables) use imageDigest and fulltag,
        // the swagger digest and pullstring: both are given.
        imageDigest: image.image_digest,
        id: (image.image_id ?? '').replace(/^sha256:/, ''),
        analyzed_at: image.analyzed_at,
        tag_history: tags
          .filter((t) => t.image_digest === image.image_digest)
          .map((t) => ({
            pullstring: t.fulltag,
            fulltag: t.fulltag,
            registry: t.registry,
            repository: t.repo,
            tag: t.tag,
            detected_at: t.tag_detected_at,
          })),
      },
    ]),
  );
}

/** Groups rows by image, pages over the images, and attaches each image's reference. */
async function pagedByImage<Row extends { image_digest: string }, Item>(
  engine: Engine,
  account: string,
  rows: readonly Row[],
  page: Page,
  item: (row: Row) => Item,
): Promise<{ image: object; items: Item[] }[]> {
  const byImage = new Map<string, Item[]>();
  for (const row of rows)
    byImage.set(row.image_digest, [...(byImage.get(row.image_digest) ?? []), item(row)]);
  const digests = [...byImage.keys()]
    .sort()
    .slice((page.page - 1) * page.limit, page.page * page.limit);
  const references = await imageReferences(engine, account, digests);
  return digests.map((digest) => ({
    image: references.get(digest) ?? { digest },
    items: byImage.get(digest) ?? [],
  }));
}

export async function imagesByPackage(
  engine: Engine,
  account: string,
  filter: { name?: string; version?: string; type?: string },
  page: Page,
) {
  if (filter.name === undefined || filter.name === '') throw badRequest('name is required');
  let query = engine.db
    .selectFrom('image_packages')
    .selectAll()
    .where('account_name', '=', account)
    .where('name', '=', filter.name);
  if (filter.version !== undefined) query = query.where('version', '=', filter.version);
  if (filter.type !== undefined) query = query.where('type', '=', filter.type);
  const grouped = await pagedByImage(engine, account, await query.execute(), page, (row) => ({
    name: row.name,
    version: row.version,
    type: row.type,
  }));
  return {
    page: String(page.page),
    returned_count: grouped.length,
    total_count: grouped.length,
    images: grouped.map((g) => ({ image: g.image, packages: g.items })),
  };
}

export async function imagesByVulnerability(
  engine: Engine,
  account: string,
  filter: {
    id?: string;
    namespace?: string;
    affectedPackage?: string;
    severity?: string;
    vendorOnly: boolean;
  },
  page: Page,
) {
  if (filter.id === undefined || filter.id === '') throw badRequest('vulnerability_id is required');
  let query = engine.db
    .selectFrom('image_vulnerabilities')
    .selectAll()
    .where('account_name', '=', account)
    .where('vuln_id', '=', filter.id);
  if (filter.namespace !== undefined) query = query.where('namespace', '=', filter.namespace);
  if (filter.affectedPackage !== undefined)
    query = query.where('package_name', '=', filter.affectedPackage);
  if (filter.severity !== undefined) query = query.where('severity', '=', filter.severity);
  if (filter.vendorOnly) query = query.where('will_not_fix', '=', 0);
  const grouped = await pagedByImage(engine, account, await query.execute(), page, (row) => ({
    name: row.package_name,
    version: row.package_version,
    type: row.package_type,
    severity: row.severity,
    namespace: row.namespace,
  }));
  return {
    page: String(page.page),
    returned_count: grouped.length,
    total_count: grouped.length,
    vulnerability_id: filter.id,
    images: grouped.map((g) => ({
      image: g.image,
      affected_packages: g.items,
      vulnerable_packages: g.items,
    })),
  };
}

/** The records the vulnerability database holds under these ids (not per account: feeds are shared). */
export async function vulnerabilitiesById(engine: Engine, ids: readonly string[], page: Page) {
  if (ids.length === 0) throw badRequest('id is required: one or more vulnerability ids');
  const found = await withVulnDb(
    vulnDbFile(engine),
    async (db) => {
      const named: { id: string; record: Vulnerability }[] = [];
      for (const id of ids)
        named.push(...(await recordsNamed(db, id)).map((record) => ({ id, record })));
      return named;
    },
    () => [],
  );
  const all = found.flatMap(({ id, record }) => standalone(id, record));
  const shown = all.slice((page.page - 1) * page.limit, page.page * page.limit);
  return {
    page: String(page.page),
    returned_count: shown.length,
    total_count: all.length,
    vulnerabilities: shown,
  };
}

/**
 * The records with this id, else those that name it as an alias or upstream (a CVE that
 * Debian's feed files as DEBIAN-CVE-…): found by a text search, then checked on the parsed record.
 */
async function recordsNamed(db: VulnDb, id: string): Promise<Vulnerability[]> {
  const live = db.selectFrom('vulnerabilities').select('record').where('withdrawn', 'is', null);
  let rows = await live.where('id', '=', id).execute();
  if (rows.length === 0)
    rows = await live.where('record', 'like', `%"${id.replace(/[%_"\\]/g, '')}"%`).execute();
  return rows
    .map((row) => JSON.parse(row.record) as Vulnerability)
    .filter((r) => [r.id, ...r.aliases, ...r.upstream, ...r.related].includes(id));
}

/**
 * One entry per ecosystem the record affects, as Anchore lists a vulnerability per namespace,
 * under the id asked for (a DSA found for its CVE is listed as the CVE).
 */
function standalone(id: string, record: Vulnerability) {
  const namespaces = [...new Set(record.affected.map((a) => a.ecosystem))];
  return namespaces.map((namespace) => ({
    id,
    namespace,
    severity: record.feedSeverity ?? 'Unknown',
    link: record.references[0]?.url ?? `https://osv.dev/vulnerability/${record.id}`,
    description: record.summary ?? record.details ?? '',
    references: record.references.map((r) => ({ source: 'osv', url: r.url, tags: [r.type] })),
    affected_packages: record.affected
      .filter((a) => a.ecosystem === namespace)
      .map((a) => ({
        name: a.name,
        version: fixedVersion(a.ranges) ?? null,
        type: namespace,
        will_not_fix: false,
      })),
    nvd_data: [],
    vendor_data: [],
  }));
}

function fixedVersion(ranges: Vulnerability['affected'][number]['ranges']): string | undefined {
  return ranges.flatMap((range) => range.events).find((event) => event.kind === 'fixed')?.version;
}
