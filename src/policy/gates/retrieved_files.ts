/**
 * `retrieved_files`: checks on the files whose content the analysis retained (retainedFiles in
 * the drydock config): that a file was kept, and what its lines hold.
 */
import type { Gate, Trigger, TriggerParam } from '../gate.js';
import { matchesFromStart, notRetainedReason, retainedText, textLines } from './content-search.js';
import { messageTriggerId } from './message-trigger-id.js';

const pathParam: TriggerParam = {
  name: 'path',
  description:
    'Absolute path of a retained file (one listed under retainedFiles in the drydock config).',
  kind: 'string',
  required: true,
  example: '/etc/httpd.conf',
};

const contentNotAvailable: Trigger = {
  name: 'content_not_available',
  description:
    'Fires if the content of the file at path was not retained by the analysis: the image has no such file, or the path is not listed under retainedFiles in the drydock config.',
  params: [pathParam],
  evaluate: (input, params) => {
    const path = params.string('path') ?? '';
    return retainedText(input, path) === undefined
      ? [
          {
            // Anchore's message, so its id, is the same for every path: kept for compatibility.
            triggerId: messageTriggerId(
              'retrieved_files',
              'content_not_available',
              'Cannot locate file in the image analysis',
            ),
            message: notRetainedReason(input, path),
          },
        ]
      : [];
  },
};

const contentRegex: Trigger = {
  name: 'content_regex',
  description:
    'Fires if some line of the retained file at path matches the regex (check match), or if none does (check no_match); each line is matched from its start, as Anchore applies regexes (Python re.match). Gives nothing when the file was not retained: use content_not_available for that.',
  params: [
    pathParam,
    {
      name: 'check',
      description: 'match: fire when a line matches; no_match: fire when no line matches.',
      kind: 'enum',
      required: true,
      values: ['match', 'no_match'],
      example: 'match',
    },
    {
      name: 'regex',
      description: 'Regular expression matched against each line of the file, from its start.',
      kind: 'regex',
      required: true,
      example: '.*SSLEnabled.*',
    },
  ],
  evaluate: (input, params) => {
    const path = params.string('path') ?? '';
    const source = params.string('regex') ?? '';
    const regex = params.regex('regex');
    const file = retainedText(input, path);
    if (file === undefined || regex === undefined) return [];
    const check = params.choice('check') === 'no_match' ? 'no_match' : 'match';
    const line = textLines(file.text).findIndex(matchesFromStart(regex));
    if (line >= 0 !== (check === 'match')) return [];
    const where =
      line >= 0 ? ` (line ${line + 1})` : file.truncated ? ' (only its start was kept)' : '';
    return [
      {
        // Anchore's id is `<rule id>+file://<path>`; a trigger is not told its rule id, so the
        // regex stands in for it: stable for the rule, and `*+file://<path>` matches either.
        triggerId: `${source}+file://${path}`,
        message: `Content regex '${source}' check '${check}' holds for retained file ${path}${where}.`,
      },
    ];
  },
};

export const retrievedFilesGate: Gate = {
  name: 'retrieved_files',
  description:
    'Checks on the content and presence of the files the analysis retained (retainedFiles in the drydock config).',
  triggers: [contentNotAvailable, contentRegex],
};
