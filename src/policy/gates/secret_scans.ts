/**
 * `secret_scans`: checks on the secrets the analysis found. Every text file is scanned with
 * drydock's secret patterns (built-in, and any named under secrets.patterns in the config); a
 * finding keeps its file, line, pattern name and a redacted match, never the secret.
 */
import type { Fired, Gate, Trigger } from '../gate.js';
import {
  findingLines,
  findingsByFileAndPattern,
  isSecretNamed,
  matchesFromStart,
  SECRET_NAMES_HELP,
} from './content-search.js';
import { messageTriggerId } from './message-trigger-id.js';

const contentRegexChecks: Trigger = {
  name: 'content_regex_checks',
  description:
    'Fires for each file and secret pattern the secret scan found (match_type found), or once if it found none (match_type notfound); findings are narrowed to one pattern with content_regex_name and to matching paths with filename_regex.',
  params: [
    {
      name: 'content_regex_name',
      description: `Only findings of this pattern: ${SECRET_NAMES_HELP}. Without it, every pattern counts.`,
      kind: 'string',
      required: false,
      example: 'AWS_ACCESS_KEY',
    },
    {
      name: 'filename_regex',
      description: 'Only findings in files whose absolute path matches this regex from its start.',
      kind: 'regex',
      required: false,
      example: '/etc/.*',
    },
    {
      name: 'match_type',
      description:
        'found: fire for each matching finding (default); notfound: fire if there is none.',
      kind: 'enum',
      required: false,
      values: ['found', 'notfound'],
      default: 'found',
      example: 'found',
    },
  ],
  evaluate: (input, params) => {
    const name = params.string('content_regex_name');
    const filename = params.regex('filename_regex');
    const inFile = filename === undefined ? () => true : matchesFromStart(filename);
    const selected = input.content.secrets.filter(
      (f) => inFile(f.path) && (name === undefined || isSecretNamed(f, name)),
    );
    if (params.choice('match_type') === 'notfound')
      return selected.length > 0 ? [] : [notFound(name, params.string('filename_regex'))];
    return findingsByFileAndPattern(selected).map((group) => {
      const pattern = group[0]?.pattern ?? '';
      return {
        // Anchore's id hashes its analyzer's regex text, which drydock's patterns do not share:
        // what was found and where, as vulnerabilities name theirs.
        triggerId: `${pattern}+${group[0]?.path ?? ''}`,
        message: `Secret scan found ${pattern} at ${findingLines(group)} (${group.map((f) => f.redacted).join(', ')}); remove it from the image and rotate it.`,
      };
    });
  },
};

function notFound(name: string | undefined, filename: string | undefined): Fired {
  const pattern = name ?? 'all';
  const files = filename ?? '*';
  return {
    triggerId: messageTriggerId(
      'secret_scans',
      'content_regex_checks',
      `Secret content search analyzer did not find regexp match in container: filename_regex=${files} content_regex_name=${pattern}`,
    ),
    message: `Secret scan found no match: content_regex_name=${pattern} filename_regex=${files}.`,
  };
}

export const secretScansGate: Gate = {
  name: 'secret_scans',
  description:
    "Checks on the secrets found in the image's text files by drydock's secret patterns (built-in and configured under secrets.patterns).",
  triggers: [contentRegexChecks],
};
