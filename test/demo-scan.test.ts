/**
 * The demo's vulnerability step end to end through the built CLI: the shipped bundle of real OSV
 * records imported offline, then `scan` of the demo image finds what a careful reader of those
 * records expects, in every output format, and `--fail-on` gates on it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoImageSpec } from '../examples/demo-image/spec.js';
import type { Finding } from '../src/model/index.js';
import { ensureBuilt, runCli } from './harness/cli.js';
import { buildImage, writeOciLayout } from './harness/image-builder.js';

const BUNDLE = join(import.meta.dirname, '..', 'examples', 'demo-image', 'osv');
let work: string;
let source: string;
let dbFile: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'drydock-demo-scan-'));
  await writeOciLayout(join(work, 'layout'), buildImage(demoImageSpec), 'demo');
  source = `oci-dir:${join(work, 'layout')}:demo`;
  dbFile = join(work, 'vulndb.sqlite');
  await ensureBuilt();
}, 120_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const scan = (...args: string[]) =>
  runCli(['scan', source, '-q', '--no-cache', '--db-file', dbFile, ...args], work);

describe('drydock scan on the demo image', () => {
  it('says loudly that there is no data before any import, and --fail-on fails', async () => {
    const result = await scan('--fail-on', 'critical');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no vulnerability data: findings are UNKNOWN, not absent/);
    expect(result.stdout).toMatch(/unavailable/i);
    expect(result.stdout).not.toMatch(/no vulnerabilities/i);
  });

  it('finds the glibc and express vulnerabilities in the shipped records', async () => {
    const imported = await runCli(['db', 'import', BUNDLE, '--db-file', dbFile, '-q'], work);
    expect(imported.code, imported.stderr).toBe(0);
    const result = await scan('-o', 'json');
    expect(result.code, result.stderr).toBe(0);
    const matches = (JSON.parse(result.stdout) as { matches: Finding[] }).matches;
    expect(
      matches
        .map((f) => `${f.package.name} ${f.id} ${f.severity} ${f.fix.versions.join(',')} ${f.feed}`)
        .sort(),
    ).toEqual([
      'express GHSA-qw6h-vgh9-j6wx Medium 4.20.0 npm',
      'express GHSA-rv95-896h-c2vc Medium 4.19.2 npm',
      'libc6 CVE-2024-2961 Unknown 2.36-9+deb12u6 Debian',
      'libc6 DSA-5678-1 Unknown 2.36-9+deb12u7 Debian',
    ]);
  });

  it('matches a stored SBOM as it matches the image', async () => {
    const bom = join(work, 'demo.cdx.json');
    const written = await runCli(
      ['sbom', source, '-o', 'cyclonedx-json', '-q', '--no-cache', '--file', bom],
      work,
    );
    expect(written.code, written.stderr).toBe(0);
    const fromImage = await scan('-o', 'json');
    const fromBom = await runCli(['scan', '--from', bom, '-o', 'json', '--db-file', dbFile], work);
    expect(fromBom.code, fromBom.stderr).toBe(0);
    const ids = (stdout: string) =>
      (JSON.parse(stdout) as { matches: Finding[] }).matches.map(
        (f) => `${f.package.name} ${f.id}`,
      );
    expect(ids(fromBom.stdout)).toEqual(ids(fromImage.stdout));
  });

  it('prints a table, and gates with --fail-on', async () => {
    const table = await scan();
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/libc6\s.*2\.36-9\+deb12u4\s.*2\.36-9\+deb12u6/);
    // The express advisories are GitHub-rated moderate; Debian's advisories carry no rating.
    const gated = await scan('--fail-on', 'medium');
    expect(gated.code).toBe(1);
    expect(gated.stderr).toMatch(/--fail-on medium: 2 finding\(s\) at or above Medium/);
    expect((await scan('--fail-on', 'high')).code).toBe(0);
    expect((await scan('--fail-on', 'medium', '--only-fixed')).code).toBe(1);
    const usage = await scan('--fail-on', 'severe');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/expected one of negligible, low, medium, high, critical/);
  });

  it('suppresses a finding a VEX statement says does not affect the image', async () => {
    const vex = join(work, 'demo.openvex.json');
    await writeFile(
      vex,
      JSON.stringify({
        '@context': 'https://openvex.dev/ns/v0.2.0',
        '@id': 'https://example.com/vex/demo-1',
        author: 'demo team',
        timestamp: '2026-11-01T00:00:00Z',
        version: 1,
        statements: [
          {
            vulnerability: { name: 'CVE-2024-29041' },
            products: [{ '@id': 'pkg:npm/express@4.17.1' }],
            status: 'not_affected',
            justification: 'vulnerable_code_not_in_execute_path',
          },
        ],
      }),
    );
    const result = await scan('-o', 'json', '--vex', vex);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { matches: Finding[]; suppressed: Finding[] };
    expect(report.matches.map((f) => f.id)).not.toContain('GHSA-rv95-896h-c2vc');
    expect(report.suppressed).toMatchObject([
      {
        id: 'GHSA-rv95-896h-c2vc',
        vex: { status: 'not_affected', document: 'https://example.com/vex/demo-1' },
      },
    ]);
    const table = await scan('--vex', vex);
    expect(table.stdout).toMatch(
      /Suppressed by VEX: GHSA-rv95-896h-c2vc in express \(not_affected\)/,
    );
  });

  it('writes SARIF, CycloneDX and the Anchore shape', async () => {
    const sarif = JSON.parse((await scan('-o', 'sarif')).stdout) as {
      runs: { results: { ruleId: string }[] }[];
    };
    expect(sarif.runs[0]?.results.map((r) => r.ruleId).sort()).toHaveLength(4);
    const bom = JSON.parse((await scan('-o', 'cyclonedx-json')).stdout) as {
      vulnerabilities: { id: string }[];
    };
    expect(bom.vulnerabilities.map((v) => v.id).sort()).toEqual([
      'CVE-2024-2961',
      'DSA-5678-1',
      'GHSA-qw6h-vgh9-j6wx',
      'GHSA-rv95-896h-c2vc',
    ]);
    const anchore = JSON.parse((await scan('-o', 'anchore-json')).stdout) as {
      vulnerability_type: string;
      vulnerabilities: { vuln: string; package: string; fix: string }[];
    };
    expect(anchore.vulnerability_type).toBe('all');
    expect(anchore.vulnerabilities).toContainEqual(
      expect.objectContaining({
        vuln: 'CVE-2024-2961',
        package: 'libc6-2.36-9+deb12u4',
        fix: '2.36-9+deb12u6',
      }),
    );
  });
});
