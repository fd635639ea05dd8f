/**
 * The quality gate for matching (the idea of Grype's): a labelled corpus of images, scanned end to
 * end through the built CLI against a database of real OSV records, scored as precision and
 * recall. Every finding not labelled is a false positive; every label not found a false negative.
 * The corpus is fully labelled, so both must stay at 1.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../src/model/index.js';
import { corpusCases, type CorpusCase } from './fixtures/vuln-corpus/cases.js';
import { ensureBuilt, runCli } from './harness/cli.js';
import { buildImage, writeOciLayout } from './harness/image-builder.js';

const RECORDS = join(import.meta.dirname, 'fixtures', 'vuln-corpus', 'osv');
let work: string;
let dbFile: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'drydock-corpus-'));
  dbFile = join(work, 'vulndb.sqlite');
  await ensureBuilt();
  for (const ecosystem of await readdir(RECORDS)) {
    const result = await runCli(
      ['db', 'import', join(RECORDS, ecosystem), '--db-file', dbFile, '-q'],
      work,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  }
}, 120_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function scan(corpusCase: CorpusCase): Promise<Finding[]> {
  const layout = join(work, corpusCase.name);
  await writeOciLayout(layout, buildImage(corpusCase.image), 'corpus');
  const result = await runCli(
    ['scan', `oci-dir:${layout}:corpus`, '-o', 'json', '-q', '--no-cache', '--db-file', dbFile],
    work,
  );
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { matches: Finding[] }).matches;
}

const label = (pkg: string, version: string, id: string): string => `${pkg}@${version} ${id}`;

describe('matching quality on the labelled corpus', () => {
  it('finds exactly the labelled findings: precision and recall 1', async () => {
    let truePositives = 0;
    const falsePositives: string[] = [];
    const falseNegatives: string[] = [];
    const wrongFix: string[] = [];
    for (const corpusCase of corpusCases) {
      const findings = await scan(corpusCase);
      const found = new Map(
        findings.map((f) => [label(f.package.name, f.package.version, f.id), f] as const),
      );
      for (const expected of corpusCase.expected) {
        const key = label(expected.package, expected.version, expected.id);
        const finding = found.get(key);
        if (finding === undefined) {
          falseNegatives.push(`${corpusCase.name}: ${key}`);
          continue;
        }
        truePositives += 1;
        found.delete(key);
        const fixes = expected.fixedIn === undefined ? [] : [expected.fixedIn];
        if (JSON.stringify(finding.fix.versions) !== JSON.stringify(fixes))
          wrongFix.push(
            `${corpusCase.name}: ${key} fixed in ${finding.fix.versions.join(', ') || '-'}`,
          );
      }
      for (const key of found.keys()) falsePositives.push(`${corpusCase.name}: ${key}`);
      for (const trap of corpusCase.notExpected) {
        const hit = findings.some(
          (f) =>
            f.package.name === trap.package &&
            (trap.version === undefined || f.package.version === trap.version) &&
            f.id === trap.id,
        );
        if (hit)
          falsePositives.push(`${corpusCase.name}: ${trap.package} ${trap.id} (${trap.why})`);
      }
    }
    const precision = truePositives / (truePositives + falsePositives.length);
    const recall = truePositives / (truePositives + falseNegatives.length);
    console.log(
      `corpus: ${corpusCases.length} images, ${truePositives} true positives, precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)}`,
    );
    expect({ falsePositives, falseNegatives, wrongFix }).toEqual({
      falsePositives: [],
      falseNegatives: [],
      wrongFix: [],
    });
    expect(precision).toBe(1);
    expect(recall).toBe(1);
  }, 300_000);
});
