/**
 * What anchore-cli prints for images: the record (`image add`, `get`, `wait`), the list, the
 * types an image has, its content tables, metadata and vulnerabilities — each from the engine's
 * answer, as anchore-cli's `format_output` renders it.
 */
import type { AnchoreImage } from '../report/anchore-image.js';
import type { AnchoreContentResponse } from '../report/anchore-content.js';
import { plainColumns, type Cell } from '../report/plain-columns.js';
import { pythonStr, pythonTruthy } from '../report/python-text.js';
import type { AnchoreVulnerabilityResponse } from '../report/scan/anchore-json.js';
import { printable } from '../util/text.js';
import { keyValues } from './cli-output.js';

/** Image records: the image, a blank line, then each of its tags and a blank line. */
export function imageRecordsText(images: readonly AnchoreImage[]): string {
  return images.map(imageRecordText).join('');
}

function imageRecordText(image: AnchoreImage): string {
  const [first] = image.image_detail;
  if (first === undefined) throw new Error(`image ${image.imageDigest} has no image_detail`);
  const pairs: [string, unknown][] = [['Image Digest', image.imageDigest]];
  if (pythonTruthy(image.parentDigest)) pairs.push(['Parent Digest', image.parentDigest]);
  pairs.push(
    ['Analysis Status', image.analysis_status],
    ['Image Type', image.image_type],
    ['Analyzed At', image.analyzed_at],
    ['Image ID', first.imageId],
  );
  const metadata = image.image_content.metadata;
  if (metadata !== null && pythonTruthy(metadata))
    pairs.push(
      ['Dockerfile Mode', metadata.dockerfile_mode],
      ['Distro', metadata.distro],
      ['Distro Version', metadata.distro_version],
      ['Size', metadata.image_size],
      ['Architecture', metadata.arch],
      ['Layer Count', metadata.layer_count],
    );
  if (pythonTruthy(image.annotations))
    pairs.push([
      'Annotations',
      Object.entries(image.annotations)
        .map(([key, value]) => `${key}=${pythonStr(value)}`)
        .join(', '),
    ]);
  const tags = image.image_detail.map(
    (detail) =>
      `${keyValues([
        ['Full Tag', detail.fulltag],
        ['Tag Detected At', detail.tag_detected_at],
      ])}\n`,
  );
  return `${keyValues(pairs)}\n${tags.join('')}`;
}

export interface ImageListOptions {
  /** `--full`: the image ID column too. */
  full: boolean;
  /** `--show-all`: every image, not only the latest of each tag. */
  showAll: boolean;
}

/**
 * `image list`: one row per tag of each image shown, sorted by tag. Without `--show-all` only the
 * images that are the latest of some tag are shown (all of their tags, as anchore-cli does).
 */
export function imageListText(images: readonly AnchoreImage[], options: ImageListOptions): string {
  const shown = options.showAll ? images : latestOfEachTag(images);
  const rows: Cell[][] = [];
  const seen = new Set<string>();
  for (const image of shown)
    for (const detail of image.image_detail) {
      const fulltag = `${detail.registry}/${detail.repo}:${detail.tag}`;
      const row = [fulltag, image.imageDigest, image.analysis_status];
      if (options.full) row.push(detail.imageId);
      const key = JSON.stringify(row);
      if (!seen.has(key)) rows.push(row);
      seen.add(key);
    }
  const head = ['Full Tag', 'Image Digest', 'Analysis Status'];
  return plainColumns(options.full ? [...head, 'Image ID'] : head, rows, { sortBy: 'Full Tag' });
}

/** Per tag, the image it was added or detected as last (the later one on a tie). */
function latestOfEachTag(images: readonly AnchoreImage[]): AnchoreImage[] {
  const latest = new Map<string | null, { image: AnchoreImage; at: number }>();
  for (const image of images)
    for (const detail of image.image_detail) {
      const at = Date.parse(detail.created_at);
      if (Number.isNaN(at)) throw new Error(`unknown date ${detail.created_at}`);
      const current = latest.get(detail.fulltag);
      if (current === undefined || at >= current.at) latest.set(detail.fulltag, { image, at });
    }
  return [...latest.values()].map(({ image }) => image);
}

/** Without a type, `content`, `metadata` and `vuln` list the types: `os: available` lines. */
export function typesText(types: readonly string[]): string {
  return `${types.map((type) => `${printable(pythonStr(type))}: available\n`).join('')}\n`;
}

/** The columns of each content type's table; anything else shows what its entries hold. */
const CONTENT_TABLES: Record<string, { head: string[]; fields: string[]; sortBy: string }> = {
  files: { head: ['Filename', 'Size'], fields: ['filename', 'size'], sortBy: 'Size' },
  java: {
    head: ['Package', 'Specification-Version', 'Implementation-Version', 'Location'],
    fields: ['package', 'specification-version', 'implementation-version', 'location'],
    sortBy: 'Package',
  },
};
const LOCATED = {
  head: ['Package', 'Version', 'Location'],
  fields: ['package', 'version', 'location'],
  sortBy: 'Package',
};

type Entry = Record<string, unknown>;

/** `image content IMAGE TYPE`: empty when there is nothing to show. */
export function contentText(response: AnchoreContentResponse, type: string): string {
  const entries = response.content as unknown as Entry[];
  if (type === 'os')
    return plainColumns(
      ['Package', 'Version', 'Licenses'],
      entries.map((e) => [cell(e, 'package'), cell(e, 'version'), licenses(e)]),
      { sortBy: 'Package' },
    );
  if (['manifest', 'dockerfile', 'docker_history'].includes(type)) return decodedContent(response);
  const table =
    CONTENT_TABLES[type] ?? (['npm', 'gem', 'python'].includes(type) ? LOCATED : undefined);
  if (table !== undefined) return fieldTable(entries, table);
  return otherContentText(entries);
}

/** A type anchore-cli has no table for: package/version/location when the entries have them. */
function otherContentText(entries: readonly Entry[]): string {
  const [first] = entries;
  if (first === undefined) return '';
  const located = ['package', 'version', 'location'].every((key) => pythonTruthy(first[key]));
  if (located) return fieldTable(entries, LOCATED);
  const keys = Object.keys(first);
  return plainColumns(
    keys,
    entries.map((entry) => keys.map((key) => cell(entry, key))),
  );
}

function fieldTable(
  entries: readonly Entry[],
  table: { head: string[]; fields: string[]; sortBy: string },
): string {
  return plainColumns(
    table.head,
    entries.map((entry) => table.fields.map((field) => cell(entry, field))),
    { sortBy: table.sortBy, reverse: table.sortBy === 'Size' },
  );
}

/** A value for a table cell; nested values print as Python's str() shows them. */
function cell(entry: Entry, key: string): Cell {
  const value = entry[key];
  if (value === undefined) throw new Error(`a content entry has no ${key}`);
  if (typeof value === 'object' && value !== null) return pythonStr(value);
  return value as Cell;
}

/** `licenses`, else the single `license`, joined by spaces. */
function licenses(entry: Entry): string {
  const list = 'licenses' in entry ? entry.licenses : [entry.license];
  if (!Array.isArray(list)) throw new Error('licenses is not a list');
  return list.map((license) => pythonStr(license)).join(' ');
}

/** Content served as base64 text: the text, or nothing when it does not decode. */
function decodedContent(response: AnchoreContentResponse): string {
  const content = (response as unknown as { content?: unknown }).content;
  const text = Array.isArray(content) ? content.join('') : content;
  return typeof text === 'string' ? (decodeBase64Utf8(text) ?? '') : '';
}

function decodeBase64Utf8(text: string): string | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text.replace(/\s/g, ''))) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(text, 'base64'));
  } catch {
    return undefined;
  }
}

export interface MetadataResponse {
  imageDigest?: string;
  metadata_type?: string;
  /** base64 */
  metadata?: string;
}

/** `image metadata IMAGE TYPE`: the digest, the decoded metadata and its type. */
export function metadataText(response: MetadataResponse): string {
  if (!pythonTruthy(response)) return '';
  let text = '';
  if (pythonTruthy(response.imageDigest))
    text += `Image Digest: ${printable(pythonStr(response.imageDigest))}\n`;
  const decoded = pythonTruthy(response.metadata)
    ? decodeBase64Utf8(pythonStr(response.metadata))
    : undefined;
  // Multi-line text (a Dockerfile) keeps its lines; each is made safe for the terminal.
  if (decoded !== undefined)
    text += `Metadata: ${decoded
      .split('\n')
      .map((line) => printable(line))
      .join('\n')}\n`;
  if (pythonTruthy(response.metadata_type))
    text += `Metadata Type: ${printable(pythonStr(response.metadata_type))}\n`;
  return text;
}

const VULN_HEAD = [
  'Vulnerability ID',
  'Package',
  'Severity',
  'Fix',
  'CVE Refs',
  'Vulnerability URL',
  'Type',
  'Feed Group',
  'Package Path',
];

/** `image vuln IMAGE os|non-os|all`: one row per finding, by severity; other types print nothing. */
export function vulnerabilitiesText(response: AnchoreVulnerabilityResponse, type: string): string {
  if (!['os', 'non-os', 'all'].includes(type)) return '';
  const rows = response.vulnerabilities.map((v) => [
    v.vuln,
    v.package,
    v.severity,
    v.fix,
    v.nvd_data
      .map((nvd) => nvd.id)
      .filter(Boolean)
      .join(','),
    v.url,
    v.package_type,
    v.feed_group,
    v.package_path,
  ]);
  return plainColumns(VULN_HEAD, rows, { sortBy: 'Severity' });
}
