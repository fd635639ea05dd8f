/**
 * Real analyses for policy tests: an image spec written as an OCI layout, read back through the
 * real source, layer reader and catalogers, optionally matched against OSV records imported into
 * a real SQLite database, and shaped as the PolicyInput the gates read.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeSource } from '../../src/analyzer/analyze-image.js';
import { openSource } from '../../src/analyzer/open-source.js';
import { ImageCataloger } from '../../src/catalog/catalog-image.js';
import { loadConfig } from '../../src/config/config.js';
import { DEFAULT_LIMITS, type ImageAnalysis, type MatchResult } from '../../src/model/index.js';
import type { PolicyInput } from '../../src/policy/gate.js';
import { openVulnDb } from '../../src/vuln/db.js';
import { importOsv } from '../../src/vuln/import.js';
import { matchContent } from '../../src/vuln/match/match.js';
import { buildImage, writeOciLayout, type ImageSpec } from './image-builder.js';

const NO_DATA: MatchResult = {
  findings: [],
  data: { available: false, feeds: [], missingGroups: [], unchecked: [] },
};

/** Analyses `spec` through the real pipeline (no layer cache), with `dockerfile` if given. */
export async function analyzeSpec(spec: ImageSpec, dockerfile?: string): Promise<ImageAnalysis> {
  const work = await mkdtemp(join(tmpdir(), 'drydock-policy-'));
  try {
    await writeOciLayout(join(work, 'layout'), buildImage(spec), 'policy');
    const config = await loadConfig(undefined, { HOME: work });
    const source = await openSource(`oci-dir:${join(work, 'layout')}:policy`, { config, env: {} });
    try {
      const [result] = await analyzeSource(
        source,
        { os: 'linux', architecture: 'amd64' },
        {
          limits: DEFAULT_LIMITS,
          collectors: [],
          cataloger: new ImageCataloger({
            secrets: config.secrets,
            retainedPaths: config.retainedFiles,
          }),
          ...(dockerfile === undefined ? {} : { dockerfile }),
        },
      );
      if (result === undefined) throw new Error('the layout holds no image');
      return result.analysis;
    } finally {
      await source.close();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Matches `analysis` against the OSV records in `recordsDir` (one subdirectory per ecosystem). */
export async function matchAgainst(
  analysis: ImageAnalysis,
  recordsDir: string,
): Promise<MatchResult> {
  const work = await mkdtemp(join(tmpdir(), 'drydock-policy-db-'));
  const db = await openVulnDb(join(work, 'vulndb.sqlite'));
  try {
    for (const ecosystem of await readdir(recordsDir))
      await importOsv(db, join(recordsDir, ecosystem), { cacheDir: join(work, 'cache') });
    return await matchContent(
      db,
      analysis.content ?? { packages: [], secrets: [], retainedFiles: [] },
    );
  } finally {
    await db.destroy();
    await rm(work, { recursive: true, force: true });
  }
}

export interface PolicyInputOptions {
  tag?: string;
  /** A directory of OSV records to match against; without it the data is unavailable. */
  records?: string;
  /** A match result to use as is (wins over `records`). */
  match?: MatchResult;
  dockerfile?: string;
  base?: PolicyInput;
  now?: Date;
}

export async function policyInputFor(
  spec: ImageSpec,
  options: PolicyInputOptions = {},
): Promise<PolicyInput> {
  const analysis = await analyzeSpec(spec, options.dockerfile);
  const match =
    options.match ??
    (options.records === undefined ? NO_DATA : await matchAgainst(analysis, options.records));
  const input: PolicyInput = {
    metadata: analysis.metadata,
    files: analysis.files,
    content: analysis.content ?? { packages: [], secrets: [], retainedFiles: [] },
    match,
    tag: options.tag ?? 'docker.io/library/policy-test:latest',
    now: options.now ?? new Date('2026-11-25T12:00:00Z'),
  };
  if (options.base !== undefined) input.base = options.base;
  return input;
}
