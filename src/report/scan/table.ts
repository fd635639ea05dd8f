/**
 * `-o table`: one row per finding, worst first, then a line counting them by severity. KEV and
 * EPSS columns appear when some finding has them. Without vulnerability data the table gives
 * way to one loud line: an empty table would read as a clean image.
 */
import type { Finding, VulnerabilityDataStatus } from '../../model/index.js';
import { printable } from '../../util/text.js';
import { columns } from '../table.js';
import {
  DATA_UNAVAILABLE,
  dataWarnings,
  epssPercent,
  fixText,
  plural,
  severityCounts,
  sortFindings,
  type ScanFormat,
} from './scan-format.js';

export const tableFormat: ScanFormat = {
  name: 'table',
  *render({ findings, data, suppressed = [] }) {
    const lines = reportLines(findings, data);
    if (data.available && suppressed.length > 0) lines.push(vexLine(suppressed));
    yield `${lines.join('\n')}\n`;
  },
};

function reportLines(findings: readonly Finding[], data: VulnerabilityDataStatus): string[] {
  if (!data.available) return [`!!! ${DATA_UNAVAILABLE.toUpperCase()}.`];
  const warnings = dataWarnings(data).map((warning) => `Warning: ${warning}.`);
  if (findings.length === 0) return [`No vulnerabilities found (${feedsUsed(data)}).`, ...warnings];
  return [findingTable(findings), summary(findings), ...warnings];
}

function vexLine(suppressed: readonly Finding[]): string {
  const ids = suppressed.map((f) => `${f.id} in ${f.package.name} (${f.vex?.status ?? ''})`);
  return printable(`Suppressed by VEX: ${ids.join(', ')}.`);
}

function feedsUsed({ feeds }: VulnerabilityDataStatus): string {
  if (feeds.length === 0) return 'the database holds no feeds';
  const list = feeds.map((feed) => `${feed.name} (synced ${feed.lastSync.slice(0, 10)})`);
  return `feeds: ${printable(list.join(', '))}`;
}

function findingTable(findings: readonly Finding[]): string {
  const kev = findings.some((f) => f.kev !== undefined);
  const epss = findings.some((f) => f.epss !== undefined);
  const head = ['NAME', 'INSTALLED', 'FIXED-IN', 'TYPE', 'VULNERABILITY', 'SEVERITY'];
  if (kev) head.push('KEV');
  if (epss) head.push('EPSS');
  const rows = sortFindings(findings).map((f) => [
    f.package.name,
    f.package.version,
    fixText(f.fix),
    f.package.type,
    f.id,
    f.severity,
    ...(kev ? [f.kev === undefined ? '' : 'yes'] : []),
    ...(epss ? [f.epss === undefined ? '' : epssPercent(f.epss.score)] : []),
  ]);
  return columns(head, rows);
}

function summary(findings: readonly Finding[]): string {
  const counts = Object.entries(severityCounts(findings)).map(([s, n]) => `${n} ${s}`);
  return `${plural(findings.length, 'vulnerability', 'vulnerabilities')}: ${counts.join(', ')}`;
}
