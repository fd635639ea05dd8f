import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../test/harness/random.js';
import {
  awkwardFindings,
  PARTIAL_REPORT,
  SAMPLE_FINDINGS,
  SAMPLE_REPORT,
  UNAVAILABLE_REPORT,
} from '../../../test/fixtures/scan-report/sample-report.js';
import { sarif210Validator } from '../../../test/fixtures/scan-report/schemas.js';
import { sarifFormat } from './sarif.js';
import type { ScanReport } from './scan-format.js';

const TOOL = { name: 'drydock', version: '0.1.0', timestamp: new Date('2024-05-01T12:00:00Z') };

interface SarifRule {
  id: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  helpUri?: string;
  help: { text: string; markdown: string };
  properties: { 'security-severity'?: string; tags: string[] };
}
interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: { physicalLocation: { artifactLocation: { uri: string }; region: object } }[];
  partialFingerprints: { primaryLocationLineHash: string };
}
interface SarifRun {
  tool: { driver: { name: string; version: string; rules: SarifRule[] } };
  invocations: {
    executionSuccessful: boolean;
    toolExecutionNotifications?: { level: string; message: { text: string } }[];
  }[];
  results: SarifResult[];
}
interface SarifLog {
  $schema: string;
  version: string;
  runs: SarifRun[];
}

function render(report: ScanReport): SarifLog {
  return JSON.parse([...sarifFormat.render(report, TOOL)].join('')) as SarifLog;
}

function firstRun(log: SarifLog): SarifRun {
  const [run] = log.runs;
  if (run === undefined) throw new Error('no run');
  return run;
}

describe('sarif', () => {
  const validate = sarif210Validator();
  const log = render({ ...SAMPLE_REPORT, findings: [...SAMPLE_FINDINGS].reverse() });
  const run = firstRun(log);
  const rule = (id: string): SarifRule | undefined =>
    run.tool.driver.rules.find((r) => r.id === id);
  const results = (id: string): SarifResult[] => run.results.filter((r) => r.ruleId === id);

  it('is valid SARIF 2.1.0, with or without findings and data', () => {
    for (const report of [SAMPLE_REPORT, UNAVAILABLE_REPORT, PARTIAL_REPORT]) {
      const doc = render(report);
      expect(validate(doc), JSON.stringify(validate.errors, null, 2)).toBe(true);
    }
    // The validator is not vacuous: a result level SARIF does not have fails it.
    const broken = structuredClone(log);
    const [result] = firstRun(broken).results;
    if (result) result.level = 'critical';
    expect(validate(broken)).toBe(false);
    expect(log).toMatchObject({
      version: '2.1.0',
      $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    });
    expect(run.tool.driver).toMatchObject({ name: 'drydock', version: '0.1.0' });
  });

  it('has one rule per vulnerability id and one result per finding, each pointing at its rule', () => {
    expect(run.results).toHaveLength(SAMPLE_FINDINGS.length);
    expect(run.tool.driver.rules).toHaveLength(new Set(SAMPLE_FINDINGS.map((f) => f.id)).size);
    expect(results('CVE-2024-0727')).toHaveLength(2);
    for (const result of run.results)
      expect(run.tool.driver.rules[result.ruleIndex]?.id).toBe(result.ruleId);
    // Worst first, as everywhere.
    expect(run.results.map((r) => r.ruleId).slice(0, 2)).toEqual([
      'CVE-2024-1001',
      'CVE-2024-1002',
    ]);
  });

  it('describes a rule by its summary, first URL and a help table of the affected packages', () => {
    const openssl = rule('CVE-2024-0727');
    expect(openssl).toMatchObject({
      shortDescription: {
        text: 'CVE-2024-0727: Processing a maliciously formatted PKCS12 file may lead OpenSSL to crash',
      },
      fullDescription: {
        text: 'Processing a maliciously formatted PKCS12 file may lead OpenSSL to crash',
      },
      helpUri: 'https://osv.dev/vulnerability/CVE-2024-0727',
    });
    // `~` is escaped: two in one line would strike through the text between them.
    expect(openssl?.help.markdown).toContain(
      '| libssl3 | 3.0.11-1\\~deb12u2 | 3.0.13-1\\~deb12u1 | /var/lib/dpkg/status |',
    );
    expect(openssl?.help.markdown).toContain(
      '| openssl | 3.0.11-1\\~deb12u2 | 3.0.13-1\\~deb12u1 | /var/lib/dpkg/status |',
    );
    expect(openssl?.help.text).toMatch(/^libssl3\s+3\.0\.11-1~deb12u2\s+3\.0\.13-1~deb12u1$/m);
    // Markup in feed text cannot break the table or inject links; bad URLs are left out.
    const bash = rule('CVE-2024-1001');
    expect(bash?.help.markdown).toContain(
      'Bash \\| runs \\`commands\\` from \\*crafted\\* environment variables',
    );
    expect(bash?.help.markdown).toContain(
      'Known to be exploited: in the CISA KEV catalogue since 2024-02-05.',
    );
    expect(bash?.help.markdown).toContain(
      '- <https://osv.dev/vulnerability/DEBIAN-CVE-2024-1001>\n- <https://security-tracker.debian.org/tracker/CVE-2024-1001>',
    );
    expect(bash?.help.markdown).toContain('EPSS 97.5% (percentile 99.9) on 2024-05-01.');
    expect(`${bash?.help.markdown ?? ''}${bash?.help.text ?? ''}`).not.toContain('not a url');
    // No summary and no URL: the heading stands in, and there is no helpUri.
    expect(rule('GHSA-aaaa-bbbb-cccc')).toMatchObject({
      shortDescription: { text: 'GHSA-aaaa-bbbb-cccc (Unknown)' },
      fullDescription: { text: 'GHSA-aaaa-bbbb-cccc (Unknown)' },
    });
    expect(rule('GHSA-aaaa-bbbb-cccc')).not.toHaveProperty('helpUri');
  });

  it('rates rules for GitHub: the highest CVSS score, else a value for the severity', () => {
    const severity = (id: string) => rule(id)?.properties['security-severity'];
    expect(severity('CVE-2024-1001')).toBe('10.0'); // v3.1 9.8 and NVD's v2 10.0
    expect(severity('GHSA-j288-q9x7-2f5v')).toBe('6.3'); // v4 6.3 over v3.1 5.3
    expect(severity('CVE-2024-1003')).toBe('2.0');
    expect(severity('CVE-2019-18276')).toBe('1.0'); // Negligible, no score
    expect(severity('GHSA-aaaa-bbbb-cccc')).toBeUndefined(); // Unknown: no security severity
    expect(rule('CVE-2024-1002')?.properties.tags).toEqual(['security', 'vulnerability', 'high']);
  });

  it('gives each result its level, a message naming package, version and fix, and a location', () => {
    const levels = Object.fromEntries(run.results.map((r) => [r.ruleId, r.level]));
    expect(levels).toMatchObject({
      'CVE-2024-1001': 'error',
      'CVE-2024-1002': 'error',
      'CVE-2024-0727': 'warning',
      'CVE-2024-1003': 'note',
      'CVE-2019-18276': 'note',
      'GHSA-aaaa-bbbb-cccc': 'note',
    });
    const [bash] = results('CVE-2024-1001');
    expect(bash?.message.text).toBe(
      'bash 5.2.15-2+b2 is affected by CVE-2024-1001 (Critical); fixed in 5.2.15-2+b3, 5.2.21-1.',
    );
    expect(results('CVE-2024-1002')[0]?.message.text).toBe(
      'openssl-libs 1:3.0.7-25.el9 is affected by CVE-2024-1002 (High); the distribution will not fix it.',
    );
    expect(bash?.locations[0]?.physicalLocation.artifactLocation.uri).toBe('var/lib/dpkg/status');
    expect(
      results('GHSA-j288-q9x7-2f5v')[0]?.locations[0]?.physicalLocation.artifactLocation.uri,
    ).toBe('app/lib/commons-lang3-3.12.0.jar');
  });

  it('keeps paths valid URI references, and falls back to the image for a package with none', () => {
    const [first] = SAMPLE_FINDINGS;
    if (first === undefined) throw new Error('no sample finding');
    const odd = [
      { ...first, package: { ...first.package, paths: ['/app/a b.war:WEB-INF/lib/x#1.jar'] } },
      { ...first, id: 'CVE-2024-9999', package: { ...first.package, paths: [] } },
    ];
    const oddLog = render({ ...SAMPLE_REPORT, findings: odd });
    expect(validate(oddLog), JSON.stringify(validate.errors, null, 2)).toBe(true);
    expect(
      firstRun(oddLog).results.map((r) => r.locations[0]?.physicalLocation.artifactLocation.uri),
    ).toEqual(['app/a%20b.war%3AWEB-INF/lib/x%231.jar', 'registry.example%3A5000/team/app%3A1.0']);
  });

  it('stays valid SARIF whatever text the image and the feeds supply', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const findings = awkwardFindings(seededRandom(seed), 25);
      const doc = render({ ...SAMPLE_REPORT, findings });
      expect(validate(doc), `seed ${seed}: ${JSON.stringify(validate.errors)}`).toBe(true);
      expect(firstRun(doc).results).toHaveLength(findings.length);
      // GitHub refuses empty strings where it requires a value.
      for (const r of firstRun(doc).tool.driver.rules)
        for (const text of [r.shortDescription.text, r.fullDescription.text, r.help.text])
          expect(text.trim()).not.toBe('');
    }
  });

  it('fingerprints a finding by id, package, version and path: stable across runs, distinct within one', () => {
    const prints = run.results.map((r) => r.partialFingerprints.primaryLocationLineHash);
    expect(new Set(prints).size).toBe(prints.length);
    for (const print of prints) expect(print).toMatch(/^[0-9a-f]{16}:1$/);
    const again = firstRun(render(SAMPLE_REPORT)).results.map(
      (r) => r.partialFingerprints.primaryLocationLineHash,
    );
    expect(new Set(again)).toEqual(new Set(prints));
  });

  it('says in the invocation when there was no data, and warns about what was not checked', () => {
    expect(run.invocations).toEqual([{ executionSuccessful: true }]);
    const [none] = firstRun(render(UNAVAILABLE_REPORT)).invocations;
    expect(none?.executionSuccessful).toBe(false);
    expect(none?.toolExecutionNotifications?.[0]).toMatchObject({ level: 'error' });
    expect(none?.toolExecutionNotifications?.[0]?.message.text).toMatch(
      /^vulnerability data is unavailable/,
    );
    const [partial] = firstRun(render(PARTIAL_REPORT)).invocations;
    expect(partial?.executionSuccessful).toBe(true);
    expect(partial?.toolExecutionNotifications?.map((n) => n.level)).toEqual([
      'warning',
      'warning',
    ]);
    expect(partial?.toolExecutionNotifications?.[0]?.message.text).toContain('Alpine:v3.18');
  });
});
