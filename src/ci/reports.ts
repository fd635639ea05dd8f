/**
 * The report files of a `drydock ci` run, and writing them. The Anchore documents go out under
 * the names the seed pipelines give them (the GitLab integrated job's `jq` stage reads
 * `image-content-os-report.json` and `image-vuln-report.json`); drydock's own formats are found
 * by name in the format lists, so a format added there is written the moment it exists.
 *
 * Every file is first written whole to a temp file in the report directory, and only when all of
 * them are written are they renamed into place: a run that fails leaves no half-written report.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DrydockError } from '../model/index.js';
import { anchoreCliJson } from '../report/anchore-cli-json.js';
import { policyFormat } from '../report/policy/formats.js';
import { scanFormat } from '../report/scan/formats.js';
import type { ToolInfo } from '../report/sbom/sbom-format.js';
import type { AnchoreDocuments, CiResults } from './results.js';

/** One file to write: its name in the report directory and its content, in pieces. */
export interface ReportFile {
  name: string;
  render(): Iterable<string>;
}

/** A report that cannot be written, and why. */
export interface SkippedReport {
  name: string;
  reason: string;
}

interface AnchoreReport {
  name: string;
  document: (docs: AnchoreDocuments) => unknown;
}

const ANCHORE_REPORTS: readonly AnchoreReport[] = [
  { name: 'image-details.json', document: (docs) => docs.image },
  { name: 'image-packages.json', document: (docs) => docs.content.os },
  { name: 'image-npm.json', document: (docs) => docs.content.npm },
  { name: 'image-gem.json', document: (docs) => docs.content.gem },
  { name: 'image-python.json', document: (docs) => docs.content.python },
  { name: 'image-java.json', document: (docs) => docs.content.java },
  { name: 'image-vulnerabilities.json', document: (docs) => docs.vulnerabilities.os },
  { name: 'image-policy.json', document: (docs) => docs.check },
  { name: 'image-content-os-report.json', document: (docs) => docs.content.os },
  { name: 'image-vuln-report.json', document: (docs) => docs.vulnerabilities.all },
];

/**
 * A report in one of drydock's formats, its format looked up by name when the report is made:
 * how to render it from a run's results, or why it cannot be.
 */
interface NativeReport {
  name: string;
  renderer: (results: CiResults) => ((tool: ToolInfo) => Iterable<string>) | { missing: string };
}

const scanReport = (name: string, formatName: string): NativeReport => ({
  name,
  renderer: ({ scan }) => {
    const format = scanFormat(formatName);
    if (format === undefined) return { missing: `this drydock has no ${formatName} scan format` };
    if (scan === undefined)
      return {
        missing:
          "it is made from drydock's own analysis of the image, and the engine serves only Anchore's documents",
      };
    return (tool) => format.render(scan, tool);
  },
});

const policyReport = (name: string, formatName: string): NativeReport => ({
  name,
  renderer: ({ policy }) => {
    const format = policyFormat(formatName);
    if (format === undefined) return { missing: `this drydock has no ${formatName} policy format` };
    return () => format.render(policy);
  },
});

const NATIVE_REPORTS: readonly NativeReport[] = [
  scanReport('image-vulnerabilities.sarif', 'sarif'),
  scanReport('image-sbom.cdx.json', 'cyclonedx-json'),
  scanReport('gl-container-scanning-report.json', 'gitlab'),
  policyReport('image-policy.junit.xml', 'junit'),
];

/** Every report file name, in the order they are written. */
export const CI_REPORT_NAMES: readonly string[] = [...ANCHORE_REPORTS, ...NATIVE_REPORTS].map(
  (report) => report.name,
);

/** The files `results` make, and those they cannot (a format this drydock lacks, no analysis). */
export function ciReportFiles(
  results: CiResults,
  tool: ToolInfo,
): { files: ReportFile[]; skipped: SkippedReport[] } {
  const files: ReportFile[] = ANCHORE_REPORTS.map(({ name, document }) => ({
    name,
    render: () => [anchoreCliJson(document(results.anchore))],
  }));
  const skipped: SkippedReport[] = [];
  for (const { name, renderer } of NATIVE_REPORTS) {
    const render = renderer(results);
    if (typeof render === 'function') files.push({ name, render: () => render(tool) });
    else skipped.push({ name, reason: render.missing });
  }
  return { files, skipped };
}

/**
 * Writes `files` into `dir` (created): each whole to a temp file first, then all renamed into
 * place. On any failure the temp files are removed and the reports already there stay as they were.
 */
export async function writeReports(dir: string, files: readonly ReportFile[]): Promise<void> {
  await mkdir(dir, { recursive: true }).catch((error: unknown) => {
    throw cannotWrite(dir, error);
  });
  const staged: { temp: string; target: string }[] = [];
  try {
    for (const file of files) {
      const temp = join(dir, `.${file.name}.${randomBytes(6).toString('hex')}.tmp`);
      staged.push({ temp, target: join(dir, file.name) });
      await writeFile(temp, file.render());
    }
    for (const { temp, target } of staged) await rename(temp, target);
  } catch (error) {
    await Promise.all(staged.map(({ temp }) => rm(temp, { force: true })));
    throw isFileSystemError(error) ? cannotWrite(dir, error) : error;
  }
}

/** A failed file system call (it names the call), not a format that refused to render. */
function isFileSystemError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

function cannotWrite(dir: string, error: unknown): DrydockError {
  const code = isFileSystemError(error) ? error.code : String(error);
  return new DrydockError(
    'invalid-argument',
    `cannot write the reports to ${dir} (${code ?? 'unknown error'}); give --report-dir a directory you can write to`,
    { cause: error },
  );
}
