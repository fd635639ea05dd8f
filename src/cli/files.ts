/** `drydock files SOURCE`: every file of the squashed image, with modes, owners and digests. */
import { Command } from 'commander';
import { filesJson, filesText } from '../report/files-report.js';
import {
  addCommonOptions,
  analyzeForCli,
  SOURCE_HELP,
  type CommonOptions,
} from './common-options.js';
import { writeStdout } from './run.js';

export function filesCommand(): Command {
  const command = new Command('files')
    .description('list the files of an image as a container sees them (all layers applied)')
    .argument('<source>', SOURCE_HELP);
  return addCommonOptions(command).action(
    async (source: string, options: CommonOptions, self: Command) => {
      const analyses = await analyzeForCli(source, options, self);
      await writeStdout(
        options.output === 'json'
          ? filesJson(analyses, options.platform === 'all')
          : [filesText(analyses)],
      );
    },
  );
}
