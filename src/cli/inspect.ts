/** `drydock inspect SOURCE`: digests, platform, layers, config and Dockerfile of an image. */
import { Command } from 'commander';
import { inspectJson, inspectText } from '../report/inspect-report.js';
import {
  addCommonOptions,
  analyzeForCli,
  SOURCE_HELP,
  type CommonOptions,
} from './common-options.js';
import { writeStdout } from './run.js';

export function inspectCommand(): Command {
  const command = new Command('inspect')
    .description("show an image's metadata: digests, platform, size, layers, config and Dockerfile")
    .argument('<source>', SOURCE_HELP);
  return addCommonOptions(command).action(
    async (source: string, options: CommonOptions, self: Command) => {
      const analyses = await analyzeForCli(source, options, self);
      const metadata = analyses.map((a) => a.metadata);
      const output =
        options.output === 'json'
          ? inspectJson(metadata, options.platform === 'all')
          : inspectText(metadata);
      await writeStdout([output]);
    },
  );
}
