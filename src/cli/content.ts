/**
 * `drydock content SOURCE [TYPE]`: the image's content as Anchore Engine serves it
 * (`GET /v1/images/{digest}/content/{type}`): `-o json` prints Anchore's response, the table is
 * anchore-cli's. Without TYPE: the content types and how many entries each has.
 */
import { Argument, Command } from 'commander';
import type { ImageAnalysis } from '../model/index.js';
import {
  ANCHORE_CONTENT_TYPES,
  anchoreContentInput,
  anchoreContentJson,
  anchoreContentTable,
  contentCounts,
  type AnchoreContentInput,
  type AnchoreContentType,
} from '../report/anchore-content.js';
import { columns } from '../report/table.js';
import { formatPlatform } from '../source/platform.js';
import { printable } from '../util/text.js';
import {
  addCommonOptions,
  analyzeForCli,
  SOURCE_HELP,
  type CommonOptions,
} from './common-options.js';
import { writeStdout } from './run.js';

export function contentCommand(): Command {
  const command = new Command('content')
    .description(
      "show an image's content as Anchore Engine does: os, files, npm, gem, python, java, go (binary is accepted, as Anchore clients ask for it, and is always empty: drydock has no binary cataloger)",
    )
    .argument('<source>', SOURCE_HELP)
    .addArgument(
      new Argument('[type]', 'content type (default: list the types)').choices(
        ANCHORE_CONTENT_TYPES,
      ),
    );
  return addCommonOptions(command).action(
    async (
      source: string,
      type: AnchoreContentType | undefined,
      options: CommonOptions,
      self: Command,
    ) => {
      // Files need no cataloguing; every other type (and the counts) does.
      const catalog = type === 'files' ? undefined : { secrets: false as const };
      const analyses = await analyzeForCli(source, options, self, catalog);
      const inputs = analyses.map(anchoreContentInput);
      if (type === undefined) {
        await writeStdout([
          options.output === 'json'
            ? `${JSON.stringify(ANCHORE_CONTENT_TYPES)}\n`
            : typeCounts(analyses, inputs),
        ]);
      } else if (options.output === 'json') {
        await writeStdout(anchoreContentJson(inputs, type, options.platform === 'all'));
      } else {
        await writeStdout([
          sections(
            analyses,
            inputs.map((input) => anchoreContentTable(input, type)),
          ),
        ]);
      }
    },
  );
}

function typeCounts(
  analyses: readonly ImageAnalysis[],
  inputs: readonly AnchoreContentInput[],
): string {
  return sections(
    analyses,
    inputs.map((input) => {
      const counts = contentCounts(input);
      return columns(
        ['TYPE', 'ENTRIES'],
        ANCHORE_CONTENT_TYPES.map((t) => [t, String(counts[t])]),
        ['left', 'right'],
      );
    }),
  );
}

/** One block per image, headed by the image and platform when there are several. */
function sections(analyses: readonly ImageAnalysis[], blocks: readonly string[]): string {
  if (blocks.length === 1) return `${blocks[0] ?? ''}\n`;
  return `${blocks
    .map((block, i) => {
      const metadata = analyses[i]?.metadata;
      const heading =
        metadata === undefined ? '' : `${metadata.source} (${formatPlatform(metadata)})`;
      return `# ${printable(heading)}\n${block}`;
    })
    .join('\n\n')}\n`;
}
