import { describe, expect, it } from 'vitest';
import {
  CLEAN_REPORT,
  PARTIAL_REPORT,
  SAMPLE_FINDINGS,
  SAMPLE_REPORT,
  UNAVAILABLE_REPORT,
} from '../../../test/fixtures/scan-report/sample-report.js';
import type { ScanReport } from './scan-format.js';
import { tableFormat } from './table.js';

const TOOL = { name: 'drydock', version: '0.1.0', timestamp: new Date('2024-05-01T12:00:00Z') };

function render(report: ScanReport): string {
  return [...tableFormat.render(report, TOOL)].join('');
}

/** The cells of a line of plain columns, cut where the header's words start. */
function cellsUnder(head: string, line: string | undefined): string[] {
  const starts = [...head.matchAll(/\S+/g)].map((match) => match.index);
  return starts.map((start, i) => (line ?? '').slice(start, starts[i + 1]).trim());
}

describe('scan table', () => {
  // Reversed, so the order of the output is the format's doing.
  const text = render({ ...SAMPLE_REPORT, findings: [...SAMPLE_FINDINGS].reverse() });
  const lines = text.trimEnd().split('\n');
  const cells = (line: string | undefined): string[] => cellsUnder(lines[0] ?? '', line);

  it('lists one row per finding, worst first, then by package and id, with KEV and EPSS columns', () => {
    expect(cells(lines[0])).toEqual([
      'NAME',
      'INSTALLED',
      'FIXED-IN',
      'TYPE',
      'VULNERABILITY',
      'SEVERITY',
      'KEV',
      'EPSS',
    ]);
    const rows = lines.slice(1, 1 + SAMPLE_FINDINGS.length).map((line) => line.split(/\s+/));
    expect(
      rows.map((row) => [row[0], row.find((cell) => /^(CVE|GHSA|PYSEC)-/.test(cell))]),
    ).toEqual([
      ['bash', 'CVE-2024-1001'],
      ['openssl-libs', 'CVE-2024-1002'],
      ['commons-lang3', 'GHSA-j288-q9x7-2f5v'],
      ['libssl3', 'CVE-2024-0727'],
      ['openssl', 'CVE-2024-0727'],
      ['python3-requests', 'CVE-2023-32681'],
      ['requests', 'PYSEC-2023-74'],
      ['musl', 'CVE-2024-1003'],
      ['bash', 'CVE-2019-18276'],
      ['left-pad', 'GHSA-aaaa-bbbb-cccc'],
    ]);
  });

  it('says what the feed says about the fix, and marks KEV and EPSS', () => {
    const row = (name: string, id: string) =>
      cells(lines.find((line) => line.startsWith(`${name} `) && line.includes(id)));
    expect(row('bash', 'CVE-2024-1001')).toEqual([
      'bash',
      '5.2.15-2+b2',
      '5.2.15-2+b3, 5.2.21-1',
      'dpkg',
      'CVE-2024-1001',
      'Critical',
      'yes',
      '97.5%',
    ]);
    expect(row('python3-requests', 'CVE')[2]).toBe('(not fixed)');
    expect(row('openssl-libs', 'CVE')[2]).toBe("(won't fix)");
    expect(row('musl', 'CVE')[2]).toBe('(fix deferred)');
    expect(row('bash', 'CVE-2019-18276')[2]).toBe('(end of life)');
    // Unknown: an empty FIXED-IN cell; no KEV entry and no EPSS score either.
    const leftPad = ['left-pad', '1.3.0', '', 'npm', 'GHSA-aaaa-bbbb-cccc', 'Unknown', '', ''];
    expect(row('left-pad', 'GHSA')).toEqual(leftPad);
    expect(row('libssl3', 'CVE').at(-1)).toBe('<0.1%');
  });

  it('counts the findings by severity under the table', () => {
    expect(lines.at(-1)).toBe(
      '10 vulnerabilities: 1 Critical, 1 High, 5 Medium, 1 Low, 1 Negligible, 1 Unknown',
    );
    expect(lines).toHaveLength(1 + SAMPLE_FINDINGS.length + 1);
  });

  it('has no KEV or EPSS column when no finding has them', () => {
    const plain = SAMPLE_FINDINGS.map(({ kev: _kev, epss: _epss, ...rest }) => rest);
    const head = render({ ...SAMPLE_REPORT, findings: plain }).split('\n')[0] ?? '';
    expect(cellsUnder(head, head)).toEqual([
      'NAME',
      'INSTALLED',
      'FIXED-IN',
      'TYPE',
      'VULNERABILITY',
      'SEVERITY',
    ]);
    expect(render({ ...SAMPLE_REPORT, findings: plain.slice(-1) }).split('\n')[2]).toBe(
      '1 vulnerability: 0 Critical, 0 High, 0 Medium, 0 Low, 0 Negligible, 1 Unknown',
    );
  });

  it('says loudly that nothing was checked when there is no data, never that nothing was found', () => {
    // Even with findings in hand, a report without data shows no table.
    for (const report of [
      UNAVAILABLE_REPORT,
      { ...UNAVAILABLE_REPORT, findings: SAMPLE_FINDINGS },
    ]) {
      const out = render(report);
      expect(out).toBe(
        '!!! VULNERABILITY DATA IS UNAVAILABLE, SO NO PACKAGE WAS CHECKED: FINDINGS ARE UNKNOWN, NOT ' +
          'ABSENT. RUN `DRYDOCK DB UPDATE` (OR `DRYDOCK DB IMPORT BUNDLE` OFFLINE) AND SCAN AGAIN.\n',
      );
      expect(out).not.toMatch(/no vulnerabilities/i);
    }
  });

  it('says nothing was found, and with which feeds, when the data is there', () => {
    expect(render(CLEAN_REPORT)).toBe(
      'No vulnerabilities found (feeds: Debian (synced 2024-05-01), npm (synced 2024-05-02)).\n',
    );
  });

  it('warns about groups the database lacks and packages it could not check', () => {
    expect(render(PARTIAL_REPORT).split('\n')).toEqual([
      'No vulnerabilities found (feeds: Debian (synced 2024-05-01), npm (synced 2024-05-02)).',
      'Warning: the vulnerability database has no records for Alpine:v3.18: packages from there ' +
        'were not checked; import those feeds (drydock db update).',
      'Warning: 1 package could not be checked (-o json lists them and why).',
      '',
    ]);
    const withFindings = render({ ...PARTIAL_REPORT, findings: SAMPLE_FINDINGS });
    expect(withFindings).toMatch(/^Warning: the vulnerability database has no records for Alpine/m);
  });

  it('escapes control characters from the image', () => {
    const [first] = SAMPLE_FINDINGS;
    if (first === undefined) throw new Error('no sample finding');
    const evil = { ...first, package: { ...first.package, name: 'x\u001b[2Jy' } };
    const out = render({ ...SAMPLE_REPORT, findings: [evil] });
    expect(out).not.toContain('\u001b');
    expect(out).toContain('x\\u001b[2Jy');
  });
});
