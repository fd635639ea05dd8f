import { describe, expect, it } from 'vitest';
import {
  SAMPLE_DATA,
  SAMPLE_FINDINGS,
  SAMPLE_REPORT,
  UNAVAILABLE_REPORT,
} from '../../../test/fixtures/scan-report/sample-report.js';
import type { Finding } from '../../model/index.js';
import { jsonFormat } from './json.js';
import type { ScanReport } from './scan-format.js';

const TOOL = { name: 'drydock', version: '0.1.0', timestamp: new Date('2024-05-01T12:00:00Z') };

function render(report: ScanReport): string {
  return [...jsonFormat.render(report, TOOL)].join('');
}

describe('scan json', () => {
  const text = render({ ...SAMPLE_REPORT, findings: [...SAMPLE_FINDINGS].reverse() });
  const doc = JSON.parse(text) as Record<string, unknown> & { matches: Finding[] };

  it('has its documented keys, in order', () => {
    expect(Object.keys(doc)).toEqual([
      'schema',
      'source',
      'distro',
      'vulnerabilityData',
      'matches',
      'suppressed',
      'summary',
    ]);
    expect(doc).toMatchObject({
      schema: 'drydock-scan/1',
      source: SAMPLE_REPORT.sbom.subject,
      distro: SAMPLE_REPORT.sbom.content.distro,
      vulnerabilityData: SAMPLE_DATA,
    });
    expect(doc).not.toHaveProperty('packages');
  });

  it('lists every finding whole, worst first, then by package and id', () => {
    expect(doc.matches).toEqual(SAMPLE_FINDINGS);
  });

  it('writes each finding on its own line, its keys in the same order whatever order it was built in', () => {
    const [first] = SAMPLE_FINDINGS;
    if (first === undefined) throw new Error('no sample finding');
    const shuffled = Object.fromEntries(Object.entries(first).reverse()) as unknown as Finding;
    const line = (report: ScanReport) =>
      render(report)
        .split('\n')
        .find((l) => l.includes('"id":"CVE-2024-1001"'));
    const again = line({ ...SAMPLE_REPORT, findings: [shuffled] });
    expect(again).toBeDefined();
    expect(again?.trim()).toBe(line({ ...SAMPLE_REPORT, findings: [first] })?.trim());
    expect(Object.keys(JSON.parse(again ?? '{}') as object).slice(0, 4)).toEqual([
      'id',
      'aliases',
      'severity',
      'severitySource',
    ]);
  });

  it('counts findings by severity, Critical first', () => {
    expect(Object.entries(doc.summary as object)).toEqual([
      ['Critical', 1],
      ['High', 1],
      ['Medium', 5],
      ['Low', 1],
      ['Negligible', 1],
      ['Unknown', 1],
    ]);
  });

  it('says when there was no data, rather than only listing no matches', () => {
    const empty = JSON.parse(render(UNAVAILABLE_REPORT)) as Record<string, unknown>;
    expect(empty).toMatchObject({
      vulnerabilityData: { available: false },
      matches: [],
      summary: { Critical: 0, Unknown: 0 },
    });
  });
});
