/**
 * `drydock scan SOURCE`: the image's packages matched against the vulnerability database, as a
 * table, drydock's JSON, SARIF, CycloneDX with vulnerabilities, or Anchore Engine's vulnerability
 * shape. `--fail-on SEVERITY` makes it a gate: exit 1 when a finding is that severe or worse (and
 * when there is no vulnerability data to vouch for the image).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig } from '../config/config.js';
import {
  DrydockError,
  SEVERITIES,
  type Finding,
  type ImageMetadata,
  type ImageContent,
  type MatchResult,
  type Severity,
} from '../model/index.js';
import { SCAN_FORMATS, scanFormat } from '../report/scan/formats.js';
import type { ScanReport } from '../report/scan/scan-format.js';
import { sbomInputFromAnalysis, type SbomInput } from '../report/sbom/sbom-format.js';
import { importSbomFile } from '../sbom-import/import-sbom.js';
import { printable } from '../util/text.js';
import {
  addCommonOptions,
  DB_FILE_HELP,
  analyzeForCli,
  SOURCE_HELP,
  vexOption,
  version,
  type CommonOptions,
} from './common-options.js';
import { writeOutput } from './run.js';

interface ScanOptions extends Omit<CommonOptions, 'output'> {
  output: string;
  from?: string;
  file?: string;
  failOn?: Severity;
  onlyFixed?: boolean;
  dbFile?: string;
  vex?: string[];
}

/** The severities `--fail-on` takes: Unknown would fail on every unrated finding, so it is left out. */
const GATE_SEVERITIES = SEVERITIES.filter((s) => s !== 'Unknown');

function severityArgument(value: string): Severity {
  const severity = GATE_SEVERITIES.find((s) => s.toLowerCase() === value.toLowerCase());
  if (severity === undefined)
    throw new InvalidArgumentError(`expected one of ${GATE_SEVERITIES.join(', ').toLowerCase()}`);
  return severity;
}

export function scanCommand(): Command {
  const command = new Command('scan')
    .description("match an image's packages against the vulnerability database")
    .argument('[source]', SOURCE_HELP)
    .option('--from <file>', 'scan a CycloneDX or SPDX JSON SBOM instead of an image')
    .option('--file <out>', 'write the report to this file instead of standard output')
    .addOption(
      new Option(
        '--fail-on <severity>',
        'exit 1 when a finding is this severe or worse (negligible, low, medium, high, critical)',
      ).argParser(severityArgument),
    )
    .option('--only-fixed', 'report only findings that have a fixed version')
    .addOption(vexOption())
    .option('--db-file <file>', DB_FILE_HELP);
  return addCommonOptions(
    command,
    SCAN_FORMATS.map((format) => format.name),
  ).action(async (source: string | undefined, options: ScanOptions, self: Command) => {
    const format = scanFormat(options.output);
    if (format === undefined)
      throw new DrydockError('invalid-argument', `unknown output format ${options.output}`);
    if (options.platform === 'all')
      self.error('drydock: scan one image at a time; pick it with --platform os/arch', {
        exitCode: 2,
      });
    const sbom = await scanInput(source, options, self);
    const match = await matchWithDb(sbom.content, options);
    const { kept, suppressed } = await applyVexFiles(
      match.findings,
      sbom.metadata,
      options.vex ?? [],
    );
    const findings = options.onlyFixed ? kept.filter((f) => f.fix.state === 'fixed') : kept;
    const report: ScanReport = { sbom, findings, data: match.data, suppressed };
    warnAboutData(report, options.quiet === true);
    await writeOutput(
      options.file,
      format.render(report, { name: 'drydock', version: version(), timestamp: new Date() }),
    );
    const failure = options.failOn === undefined ? undefined : gateFailure(report, options.failOn);
    if (failure !== undefined) throw new DrydockError('gate-failed', failure);
  });
}

async function scanInput(
  source: string | undefined,
  options: ScanOptions,
  self: Command,
): Promise<SbomInput> {
  if (options.from !== undefined) {
    if (source !== undefined)
      self.error('drydock: give SOURCE or --from FILE, not both', { exitCode: 2 });
    const imported = await importSbomFile(options.from);
    for (const warning of imported.warnings)
      process.stderr.write(`drydock: warning: ${printable(warning)}\n`);
    return imported.input;
  }
  if (source === undefined)
    self.error('drydock: missing SOURCE (an image) or --from FILE', { exitCode: 2 });
  const [analysis] = await analyzeForCli(source, options, self, { secrets: false });
  if (analysis === undefined) throw new DrydockError('not-found', `${source}: no image to scan`);
  return sbomInputFromAnalysis(analysis);
}

/**
 * Matches against the database file, which is only read: a missing file means no data (said
 * loudly), not an empty database to create.
 */
export async function matchWithDb(
  content: ImageContent,
  options: Pick<ScanOptions, 'dbFile' | 'config'>,
): Promise<MatchResult> {
  const [{ defaultDbFile, withVulnDb }, { matchContent }] = await Promise.all([
    import('../vuln/db.js'),
    import('../vuln/match/match.js'),
  ]);
  const dbFile = options.dbFile ?? defaultDbFile((await loadConfig(options.config)).cacheDir);
  return withVulnDb(
    dbFile,
    (db) => matchContent(db, content),
    () => matchContent(undefined, content),
  );
}

/** The VEX documents' statements applied to `findings`, for this image only. */
export async function applyVexFiles(
  findings: readonly Finding[],
  metadata: ImageMetadata | undefined,
  files: readonly string[],
): Promise<{ kept: Finding[]; suppressed: Finding[] }> {
  if (files.length === 0) return { kept: [...findings], suppressed: [] };
  const [{ readVexFile }, { applyVex }] = await Promise.all([
    import('../vuln/vex/vex-document.js'),
    import('../vuln/vex/apply-vex.js'),
  ]);
  const documents = await Promise.all(files.map((file) => readVexFile(file)));
  const image = {
    digests: [metadata?.manifestDigest, metadata?.indexDigest].filter((d) => d !== undefined),
    ...(metadata?.repository === undefined ? {} : { name: metadata.repository.split('/').pop() }),
    ...(metadata?.tag === undefined ? {} : { tag: metadata.tag }),
  };
  return applyVex(findings, documents, image);
}

export function warnAboutData({ data }: Pick<ScanReport, 'data'>, quiet: boolean): void {
  if (!data.available) {
    process.stderr.write(
      'drydock: WARNING: no vulnerability data: findings are UNKNOWN, not absent. ' +
        'Run `drydock db update` (or `drydock db import BUNDLE` offline) first.\n',
    );
    return;
  }
  if (quiet) return;
  if (data.missingGroups.length > 0)
    process.stderr.write(
      `drydock: warning: the database has no records for ${data.missingGroups.join(', ')}; those packages were not checked\n`,
    );
  if (data.unchecked.length > 0)
    process.stderr.write(
      `drydock: warning: ${data.unchecked.length} package(s) could not be checked (e.g. ${printable(data.unchecked[0]?.reason ?? '')})\n`,
    );
}

/** Why `--fail-on` trips, if it does: a finding at or above the severity, or no data to judge by. */
function gateFailure({ findings, data }: ScanReport, threshold: Severity): string | undefined {
  const flag = `--fail-on ${threshold.toLowerCase()}`;
  if (!data.available)
    return `${flag}: failing, because there is no vulnerability data to judge by`;
  const bar = SEVERITIES.indexOf(threshold);
  const tripping = findings.filter((f: Finding) => SEVERITIES.indexOf(f.severity) >= bar);
  if (tripping.length === 0) return undefined;
  return `${flag}: ${tripping.length} finding(s) at or above ${threshold}`;
}
