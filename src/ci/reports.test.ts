import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleRun } from '../../test/fixtures/ci/sample-run.js';
import { anchoreCliJson } from '../report/anchore-cli-json.js';
import { embeddedResults } from './embedded.js';
import { CI_REPORT_NAMES, ciReportFiles, writeReports, type ReportFile } from './reports.js';

const TOOL = { name: 'drydock', version: '0.1.0', timestamp: new Date('2024-05-02T08:00:00Z') };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drydock-ci-reports-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ciReportFiles', () => {
  const results = embeddedResults(sampleRun());

  it('makes every report from an embedded run, the Anchore documents as anchore-cli prints them', () => {
    const { files, skipped } = ciReportFiles(results, TOOL);
    expect(skipped).toEqual([]);
    expect(files.map((file) => file.name)).toEqual(CI_REPORT_NAMES);
    const text = (name: string) => files.find((file) => file.name === name)?.render();
    expect([...(text('image-details.json') ?? [])].join('')).toBe(
      anchoreCliJson(results.anchore.image),
    );
    expect([...(text('image-vuln-report.json') ?? [])].join('')).toBe(
      anchoreCliJson(results.anchore.vulnerabilities.all),
    );
    expect([...(text('image-vulnerabilities.sarif') ?? [])].join('')).toMatch(
      /"version": "2\.1\.0"/,
    );
  });

  it('says which reports cannot be made without drydock’s own analysis, and still makes JUnit', () => {
    const { files, skipped } = ciReportFiles(
      { anchore: results.anchore, policy: results.policy },
      TOOL,
    );
    expect(files.map((file) => file.name)).toEqual(
      CI_REPORT_NAMES.filter((name) => !skipped.some((s) => s.name === name)),
    );
    expect(files.at(-1)?.name).toBe('image-policy.junit.xml');
    expect(skipped).toEqual(
      [
        'image-vulnerabilities.sarif',
        'image-sbom.cdx.json',
        'gl-container-scanning-report.json',
      ].map((name) => ({
        name,
        reason:
          "it is made from drydock's own analysis of the image, and the engine serves only Anchore's documents",
      })),
    );
  });
});

describe('writeReports', () => {
  const file = (name: string, ...chunks: string[]): ReportFile => ({ name, render: () => chunks });

  it('creates the directory and writes every file whole', async () => {
    const target = join(dir, 'nested', 'reports');
    await writeReports(target, [file('a.json', '{"a":', '1}\n'), file('b.xml', '<b/>\n')]);
    expect((await readdir(target)).sort()).toEqual(['a.json', 'b.xml']);
    expect(await readFile(join(target, 'a.json'), 'utf8')).toBe('{"a":1}\n');
  });

  it('leaves no half-written report and the earlier reports as they were when one fails', async () => {
    await writeFile(join(dir, 'a.json'), 'from the last run\n');
    function* failing(): Generator<string> {
      yield '{"half": ';
      throw new Error('the format broke');
    }
    await expect(
      writeReports(dir, [
        file('a.json', 'new\n'),
        { name: 'b.json', render: failing },
        file('c.json', 'never\n'),
      ]),
    ).rejects.toThrow('the format broke');
    expect(await readdir(dir)).toEqual(['a.json']);
    expect(await readFile(join(dir, 'a.json'), 'utf8')).toBe('from the last run\n');
  });

  it('names the directory it cannot write to', async () => {
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, '');
    await expect(
      writeReports(join(blocker, 'reports'), [file('a.json', '{}')]),
    ).rejects.toMatchObject({
      code: 'invalid-argument',
      message: expect.stringMatching(
        /cannot write the reports to .*a-file\/reports \(ENOTDIR\)/,
      ) as string,
    });
  });
});
