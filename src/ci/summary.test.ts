import { describe, expect, it } from 'vitest';
import { SAMPLE_TAG, sampleRun } from '../../test/fixtures/ci/sample-run.js';
import { SAMPLE_FINDINGS } from '../../test/fixtures/scan-report/sample-report.js';
import { embeddedResults } from './embedded.js';
import { ciSummary, ciVerdict } from './summary.js';

const docs = (findings = SAMPLE_FINDINGS) => embeddedResults(sampleRun(findings)).anchore;

describe('ciVerdict', () => {
  it('reads the verdict and its STOP rows from the check document', () => {
    const verdict = ciVerdict(docs().check);
    expect(verdict).toMatchObject({
      status: 'fail',
      tag: SAMPLE_TAG,
      bundleId: 'every-vulnerability-stops',
      reason: 'policy_evaluation',
      warns: 0,
    });
    expect(verdict.stops.length).toBeGreaterThan(5);
    expect(verdict.stops.every((row) => row[3] === 'vulnerabilities' && row[6] === 'stop')).toBe(
      true,
    );
  });
});

describe('ciSummary', () => {
  it('counts packages by type and findings by severity, and lists a few STOP results', () => {
    const anchore = docs();
    const lines = ciSummary(anchore).split('\n');
    const stops = ciVerdict(anchore.check).stops.length;
    expect(lines.slice(0, 5)).toEqual([
      `Image:           ${SAMPLE_TAG}`,
      `Digest:          ${anchore.image[0]?.imageDigest ?? ''}`,
      'Packages:        12 (os 6, npm 2, gem 1, python 1, java 1, go 1)',
      'Vulnerabilities: 9 (Critical 1, Medium 5, Low 1, Negligible 1, Unknown 1)',
      `Policy:          fail (bundle every-vulnerability-stops: ${stops} STOP results, 0 WARN results)`,
    ]);
    expect(
      lines.slice(5, 10).every((line) => /^ {2}STOP vulnerabilities\/package: /.test(line)),
    ).toBe(true);
    expect(lines.slice(10)).toEqual([`  and ${stops - 5} more (image-policy.json lists all)`, '']);
  });

  it('says none when nothing was found, and lists no STOP for a passing image', () => {
    const summary = ciSummary(docs([]));
    expect(summary).toMatch(/^Vulnerabilities: none$/m);
    expect(summary).toMatch(
      /^Policy: {10}pass \(bundle every-vulnerability-stops: 0 STOP results, 0 WARN results\)\n$/m,
    );
    expect(summary).not.toMatch(/STOP vulnerabilities/);
  });

  it('makes untrusted text printable', () => {
    const [first] = SAMPLE_FINDINGS;
    if (first === undefined) throw new Error('no sample finding');
    const summary = ciSummary(docs([{ ...first, id: 'CVE-2024-1\u001b[31m' }]));
    expect(summary).not.toContain('\u001b');
    expect(summary).toContain('CVE-2024-1\\u001b[31m');
  });
});
