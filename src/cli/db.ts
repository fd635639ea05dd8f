/**
 * `drydock db`: the vulnerability database. `update` downloads the OSV dumps, `import` reads an
 * OSV zip, a directory of records or an exported bundle, `export` writes the bundle, `status`
 * tells what is there and how old it is. `update` and `import` also take the enrichment feeds
 * (CISA KEV, FIRST EPSS, NVD CVE JSON), recognised by their content (src/vuln/enrich/).
 */
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { DrydockError } from '../model/index.js';
import { columns } from '../report/table.js';
import { printable } from '../util/text.js';
import type { FeedStatus, VulnDb } from '../vuln/db.js';
import type { EnrichmentImportResult } from '../vuln/enrich/import.js';
import type { ImportResult } from '../vuln/import.js';
import { collect, CONFIG_HELP, DB_FILE_HELP, outputOption } from './common-options.js';
import { writeStdout } from './run.js';

/** The OSV ecosystems `db update` fetches by default. */
export const DEFAULT_OSV_ECOSYSTEMS = [
  'Debian',
  'Ubuntu',
  'Alpine',
  'Red Hat',
  'Rocky Linux',
  'AlmaLinux',
  'npm',
  'PyPI',
  'Maven',
  'RubyGems',
  'Go',
  'crates.io',
  'NuGet',
  'Packagist',
];
const OSV_DUMPS = 'https://osv-vulnerabilities.storage.googleapis.com';

export const osvDumpUrl = (ecosystem: string): string =>
  `${OSV_DUMPS}/${encodeURIComponent(ecosystem)}/all.zip`;

interface DbOptions {
  dbFile?: string;
  config?: string;
  cacheDir?: string;
  output: 'table' | 'json';
  quiet?: boolean;
}

interface UpdateOptions extends DbOptions {
  source?: string[];
  ecosystem?: string[];
}

export function dbCommand(): Command {
  return new Command('db')
    .description('the vulnerability database: update, import, export, status')
    .addCommand(
      withDbOptions(new Command('update'))
        .description('download the OSV feeds and import what changed')
        .option(
          '--source <url>',
          'an OSV all.zip URL, or a CISA KEV, FIRST EPSS or NVD CVE JSON URL, to import instead of the defaults (repeatable)',
          collect,
        )
        .option(
          '--ecosystem <name>',
          `an OSV ecosystem to fetch (repeatable; default: ${DEFAULT_OSV_ECOSYSTEMS.join(', ')})`,
          collect,
        )
        .action((options: UpdateOptions) => withDb(options, (session) => update(session, options))),
    )
    .addCommand(
      withDbOptions(new Command('import'))
        .description(
          'import an OSV all.zip, a directory of OSV JSON records, a bundle from `db export`, or an enrichment feed: a CISA KEV catalogue, a FIRST EPSS score file, NVD CVE JSON (a file or a directory of pages)',
        )
        .argument('<path>', 'file or directory')
        .option('--feed <name>', 'the OSV feed name (default: the ecosystem of the records)')
        .action((path: string, options: DbOptions & { feed?: string }) =>
          withDb(options, async ({ db, cacheDir, dbFile, vuln }) => {
            // Enrichment files first: EPSS and NVD files may be gzip, as bundles are.
            const enrichment = await vuln.detectEnrichment(path);
            if (enrichment !== undefined) {
              if (options.feed !== undefined)
                throw new DrydockError(
                  'invalid-argument',
                  `--feed names OSV feeds; ${path} is a ${enrichment.title}, which is always the ${enrichment.name} feed`,
                );
              const result = await vuln.importEnrichment(db, path, { cacheDir });
              await report(options, result, enrichmentSummary(result));
            } else if (await vuln.isBundle(path)) {
              const result = await vuln.importBundle(db, dbFile, path);
              await report(
                options,
                result,
                `imported ${result.feeds} feeds, ${result.records} records from ${printable(path)}`,
              );
            } else {
              const feeds = options.feed === undefined ? await ecosystemDirectories(path) : [];
              if (feeds.length > 0) {
                await importFeedDirectories(options, { db, cacheDir, vuln }, feeds);
                return;
              }
              const result = await vuln.importOsv(db, path, {
                cacheDir,
                ...(options.feed === undefined ? {} : { feed: options.feed }),
              });
              await report(options, result, importSummary(result));
            }
          }),
        ),
    )
    .addCommand(
      withDbOptions(new Command('export'))
        .description('write the whole database as one compressed bundle (gzip) for offline use')
        .argument('<file>', 'the bundle to write')
        .action((file: string, options: DbOptions) =>
          withDb(options, async ({ db, vuln }) => {
            await vuln.exportBundle(db, file);
            await report(options, { file }, `wrote ${printable(file)}`);
          }),
        ),
    )
    .addCommand(
      withDbOptions(new Command('status'))
        .description('feeds, records, withdrawn records, newest record and age of the last sync')
        .action((options: DbOptions) =>
          withDb(options, async ({ db, vuln }) => {
            const feeds = await vuln.feedStatus(db);
            const now = Date.now();
            if (options.output === 'json')
              await writeStdout([
                `${JSON.stringify(
                  feeds.map((f) => ({ ...f, ageSeconds: ageSeconds(f, now) })),
                  null,
                  2,
                )}\n`,
              ]);
            else
              await writeStdout([
                feeds.length === 0
                  ? 'no vulnerability data: run `drydock db update` or `drydock db import`\n'
                  : `${statusTable(feeds, now)}\n`,
              ]);
          }),
        ),
    );
}

function withDbOptions(command: Command): Command {
  return command
    .option('--db-file <file>', DB_FILE_HELP)
    .option('--config <file>', CONFIG_HELP)
    .option(
      '--cache-dir <dir>',
      'cache directory (default: from the config, else ~/.cache/drydock)',
    )
    .addOption(outputOption(['table', 'json']))
    .option('-q, --quiet', 'no summary on stderr');
}

/**
 * The vulnerability modules bring Kysely, SQLite and an HTTP client: loaded here, so that only
 * `db` commands pay for them at start-up.
 */
async function loadVulnModules() {
  const [bundle, store, feeds, enrichment] = await Promise.all([
    import('../vuln/bundle.js'),
    import('../vuln/db.js'),
    import('../vuln/import.js'),
    import('../vuln/enrich/import.js'),
  ]);
  return { ...bundle, ...store, ...feeds, ...enrichment };
}

interface DbSession {
  db: VulnDb;
  cacheDir: string;
  dbFile: string;
  vuln: Awaited<ReturnType<typeof loadVulnModules>>;
}

async function withDb(
  options: DbOptions,
  run: (session: DbSession) => Promise<void>,
): Promise<void> {
  const vuln = await loadVulnModules();
  const config = await loadConfig(options.config);
  const cacheDir = options.cacheDir ?? config.cacheDir;
  const dbFile = options.dbFile ?? vuln.defaultDbFile(cacheDir);
  const db = await vuln.openVulnDb(dbFile);
  try {
    await run({ db, cacheDir, dbFile, vuln });
  } finally {
    await db.destroy();
  }
}

/** Each feed is its own transaction: one failing leaves the others imported, and the exit code 1. */
async function update(session: DbSession, options: UpdateOptions): Promise<void> {
  const sources = options.source ?? (options.ecosystem ?? DEFAULT_OSV_ECOSYSTEMS).map(osvDumpUrl);
  const results: (ImportResult | EnrichmentImportResult)[] = [];
  const failures: string[] = [];
  for (const source of sources) {
    try {
      const result = await updateFrom(session, source);
      results.push(result);
      const summary = 'written' in result ? enrichmentSummary(result) : importSummary(result);
      if (options.quiet !== true) process.stderr.write(`${printable(summary)}\n`);
    } catch (error) {
      if (!(error instanceof DrydockError)) throw error;
      failures.push(error.message);
      if (options.quiet !== true) process.stderr.write(`drydock: ${printable(error.message)}\n`);
    }
  }
  if (options.output === 'json') await writeStdout([`${JSON.stringify(results, null, 2)}\n`]);
  if (failures.length > 0)
    throw new DrydockError(
      'registry-unreachable',
      `${failures.length} of ${sources.length} feeds failed to update; the data they had before is unchanged`,
    );
}

/**
 * OSV dumps are zips (`…/all.zip`); any other URL is downloaded and judged by its content as an
 * enrichment feed, and a local path by its content too.
 */
async function updateFrom(
  { db, cacheDir, vuln }: DbSession,
  source: string,
): Promise<ImportResult | EnrichmentImportResult> {
  const enrichment = /^https?:\/\//i.test(source)
    ? !/\.zip$/i.test(source.replace(/[?#].*$/, ''))
    : (await vuln.detectEnrichment(source)) !== undefined;
  return enrichment
    ? vuln.importEnrichment(db, source, { cacheDir })
    : vuln.importOsv(db, source, { cacheDir });
}

function enrichmentSummary(result: EnrichmentImportResult): string {
  const asOf = result.asOf === undefined ? '' : ` (as of ${result.asOf})`;
  return `${result.feed}: ${result.read} records read from ${result.source}, ${result.written} added or changed; ${result.records} held${asOf}`;
}

function importSummary(result: ImportResult): string {
  const skipped =
    result.skipped === 0
      ? ''
      : `; skipped ${result.skipped} bad records (${result.skippedExamples.join('; ')})`;
  return `${result.feed}: ${result.added} added, ${result.updated} updated, ${result.unchanged} unchanged from ${result.source}${skipped}`;
}

/** JSON on stdout with `-o json`, else the one-line summary on stderr (stdout stays for data). */
/**
 * The subdirectories of `path` when it is laid out as osv.dev lays out its data, one directory of
 * records per ecosystem (`Debian/`, `npm/`) and no records beside them; else none.
 */
async function ecosystemDirectories(path: string): Promise<string[]> {
  const entries = await readdir(path, { withFileTypes: true }).catch(() => undefined);
  if (entries === undefined || entries.some((e) => e.isFile() && e.name.endsWith('.json')))
    return [];
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => join(path, e.name))
    .sort();
}

/** One feed per ecosystem directory, each its own transaction, as `db update` imports dumps. */
async function importFeedDirectories(
  options: DbOptions,
  { db, cacheDir, vuln }: Pick<DbSession, 'db' | 'cacheDir' | 'vuln'>,
  directories: readonly string[],
): Promise<void> {
  const results: ImportResult[] = [];
  for (const dir of directories) {
    const result = await vuln.importOsv(db, dir, { cacheDir, feed: basename(dir) });
    results.push(result);
    if (options.output !== 'json' && options.quiet !== true)
      process.stderr.write(`${printable(importSummary(result))}\n`);
  }
  if (options.output === 'json') await writeStdout([`${JSON.stringify(results, null, 2)}\n`]);
}

async function report(options: DbOptions, value: object, summary: string): Promise<void> {
  if (options.output === 'json') await writeStdout([`${JSON.stringify(value, null, 2)}\n`]);
  else if (options.quiet !== true) process.stderr.write(`${printable(summary)}\n`);
}

function statusTable(feeds: readonly FeedStatus[], now: number): string {
  return columns(
    ['FEED', 'RECORDS', 'WITHDRAWN', 'NEWEST MODIFIED', 'LAST SYNC', 'AGE'],
    feeds.map((f) => [
      printable(f.feed),
      String(f.records),
      String(f.withdrawn),
      f.newestModified ?? '-',
      f.lastSync,
      formatAge(ageSeconds(f, now)),
    ]),
    ['left', 'right', 'right', 'left', 'left', 'right'],
  );
}

function ageSeconds(feed: FeedStatus, now: number): number {
  return Math.max(0, Math.round((now - Date.parse(feed.lastSync)) / 1000));
}

function formatAge(seconds: number): string {
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}
