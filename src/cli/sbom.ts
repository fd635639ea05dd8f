/**
 * `drydock sbom SOURCE`: the image's packages as a table, drydock's JSON, CycloneDX 1.6 or SPDX
 * 2.3; `drydock sbom --from FILE` reads a CycloneDX or SPDX JSON SBOM made elsewhere and prints it
 * in any of those formats.
 */
import { Command } from 'commander';
import { DrydockError } from '../model/index.js';
import { SBOM_FORMATS, sbomFormat } from '../report/sbom/formats.js';
import {
  sbomInputFromAnalysis,
  type SbomFormat,
  type SbomInput,
} from '../report/sbom/sbom-format.js';
import { importSbomFile } from '../sbom-import/import-sbom.js';
import { printable } from '../util/text.js';
import {
  addCommonOptions,
  analyzeForCli,
  SOURCE_HELP,
  version,
  type CommonOptions,
} from './common-options.js';
import { writeOutput } from './run.js';

interface SbomOptions extends Omit<CommonOptions, 'output'> {
  output: string;
  from?: string;
  file?: string;
  catalogers?: string[];
}

export function sbomCommand(): Command {
  const command = new Command('sbom')
    .description(
      "list an image's packages as an SBOM (table, JSON, CycloneDX, SPDX), or convert one made elsewhere",
    )
    .argument('[source]', SOURCE_HELP)
    .option('--from <file>', 'read a CycloneDX or SPDX (2.2/2.3) JSON SBOM instead of an image')
    .option('--file <out>', 'write the SBOM to this file instead of standard output')
    .option(
      '--catalogers <list>',
      'comma-separated cataloger names or kinds (os, language) to run (default: all)',
      commaList,
    );
  return addCommonOptions(
    command,
    SBOM_FORMATS.map((format) => format.name),
  ).action(async (source: string | undefined, options: SbomOptions, self: Command) => {
    const format = sbomFormat(options.output);
    if (format === undefined)
      throw new DrydockError('invalid-argument', `unknown output format ${options.output}`);
    if (!format.manyImages && options.platform === 'all') {
      self.error(
        `drydock: -o ${format.name} describes one image; pick one with --platform os/arch`,
        {
          exitCode: 2,
        },
      );
    }
    const inputs = await sbomInputs(source, options, format, self);
    const chunks = format.render(inputs, {
      name: 'drydock',
      version: version(),
      timestamp: new Date(),
    });
    await writeOutput(options.file, chunks);
  });
}

async function sbomInputs(
  source: string | undefined,
  options: SbomOptions,
  format: SbomFormat,
  self: Command,
): Promise<SbomInput[]> {
  if (options.from !== undefined) {
    if (source !== undefined)
      self.error('drydock: give SOURCE or --from FILE, not both', { exitCode: 2 });
    const imported = await importSbomFile(options.from);
    for (const warning of imported.warnings)
      process.stderr.write(`drydock: warning: ${printable(warning)}\n`);
    return [imported.input];
  }
  if (source === undefined)
    self.error('drydock: missing SOURCE (an image) or --from FILE', { exitCode: 2 });
  const analyses = await analyzeForCli(source, options, self, {
    select: options.catalogers,
    secrets: format.showsSecrets ? undefined : false,
  });
  return analyses.map(sbomInputFromAnalysis);
}

function commaList(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== ''),
  ];
}
