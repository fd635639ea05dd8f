/** `drydock inspect` output: the image metadata as a human report or as JSON. */
import type { ContainerConfig, ImageMetadata } from '../model/index.js';
import { formatPlatform } from '../source/platform.js';
import { oneLine, printable } from '../util/text.js';
import { boxTable, formatBytes, keyValues, shortDigest, truncate } from './table.js';

/** One image: its metadata object; several (`--platform all`): an array of them. */
export function inspectJson(images: readonly ImageMetadata[], asArray: boolean): string {
  return `${JSON.stringify(asArray ? images : images[0], null, 2)}\n`;
}

export function inspectText(images: readonly ImageMetadata[]): string {
  return `${images.map(imageReport).join('\n\n')}\n`;
}

const CREATED_BY_WIDTH = 70;

function imageReport(m: ImageMetadata): string {
  return [
    keyValues(summary(m)),
    '',
    'LAYERS',
    layersTable(m),
    '',
    'CONFIG',
    keyValues(configLines(m.config)),
    '',
    m.dockerfile.origin === 'supplied'
      ? 'DOCKERFILE (supplied)'
      : 'DOCKERFILE (reconstructed from history)',
    m.dockerfile.text
      .trimEnd()
      .split('\n')
      .map((line) => printable(line))
      .join('\n'),
  ].join('\n');
}

function summary(m: ImageMetadata): [string, string][] {
  const lines: [string, string][] = [['Source', m.source]];
  if (m.manifestDigest) lines.push(['Digest', m.manifestDigest]);
  if (m.indexDigest) lines.push(['Index', m.indexDigest]);
  if (m.manifestMediaType) lines.push(['Media type', m.manifestMediaType]);
  if (m.imageId) lines.push(['Image ID', m.imageId]);
  lines.push(
    ['Platform', formatPlatform(m)],
    ['Created', m.created ?? '-'],
    ['Size', `${formatBytes(m.size)} (${formatBytes(m.uncompressedSize)} uncompressed)`],
    ['Layers', String(m.layerCount)],
  );
  return lines;
}

function layersTable(m: ImageMetadata): string {
  const rows = m.layers.map((layer) => [
    String(layer.index),
    shortDigest(layer.digest),
    formatBytes(layer.size),
    formatBytes(layer.uncompressedSize),
    String(layer.entryCount),
    truncate(oneLine(layer.createdBy ?? '-'), CREATED_BY_WIDTH),
  ]);
  return boxTable(['#', 'Digest', 'Size', 'Unpacked', 'Files', 'Created by'], rows);
}

function configLines(c: ContainerConfig): [string, string][] {
  return [
    ['User', c.User ? c.User : 'root (not set)'],
    ['Env', list(c.Env)],
    ['Exposed ports', list(Object.keys(c.ExposedPorts ?? {}))],
    ['Entrypoint', command(c.Entrypoint)],
    ['Cmd', command(c.Cmd)],
    ['Working dir', c.WorkingDir || '-'],
    ['Labels', list(Object.entries(c.Labels ?? {}).map(([k, v]) => `${k}=${v}`))],
    ['Volumes', list(Object.keys(c.Volumes ?? {}))],
    ['Healthcheck', healthcheck(c.Healthcheck)],
    ['Stop signal', c.StopSignal ?? '-'],
  ];
}

function list(items: readonly string[] | undefined): string {
  return items && items.length > 0 ? items.map(oneLine).join('\n') : '-';
}

function command(args: readonly string[] | null | undefined): string {
  return args && args.length > 0 ? JSON.stringify(args) : '-';
}

function healthcheck(h: ContainerConfig['Healthcheck']): string {
  const [kind, ...args] = h?.Test ?? [];
  if (!h || kind === undefined) return '-';
  if (kind === 'NONE') return 'disabled (NONE)';
  const test = kind === 'CMD-SHELL' ? `CMD-SHELL ${args.join(' ')}` : `CMD ${JSON.stringify(args)}`;
  const settings = [
    h.Interval ? `interval ${duration(h.Interval)}` : '',
    h.Timeout ? `timeout ${duration(h.Timeout)}` : '',
    h.StartPeriod ? `start period ${duration(h.StartPeriod)}` : '',
    h.Retries ? `retries ${h.Retries}` : '',
  ].filter((s) => s !== '');
  return settings.length > 0 ? `${test} (${settings.join(', ')})` : test;
}

/** Config durations are nanoseconds; shown as Go prints them (`1m30s`). */
export function duration(nanoseconds: number): string {
  const totalSeconds = nanoseconds / 1e9;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = Number((totalSeconds % 60).toFixed(3));
  const parts = [hours ? `${hours}h` : '', hours || minutes ? `${minutes}m` : '', `${seconds}s`];
  return parts.join('');
}
