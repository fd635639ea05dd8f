/**
 * `files`: checks on the image's squashed file tree — names, attributes (sha256, mode), setuid and
 * setgid bits — and on what the analysis learned of file contents. drydock keeps no file contents
 * beyond the files it retains and its secret findings, so content_regex_match searches those two.
 * Trigger ids are Anchore's (the md5 of its message text) wherever drydock can write that text, so
 * allowlists written for Anchore Engine keep working.
 */
import {
  DrydockError,
  type FileEntry,
  type FileType,
  type SecretFinding,
} from '../../model/index.js';
import type { Fired, Gate, PolicyInput, Trigger } from '../gate.js';
import type { TriggerParams } from '../params.js';
import {
  compiledOrUndefined,
  findingLines,
  findingsByFileAndPattern,
  isSecretNamed,
  matchesFromStart,
  retainedTexts,
  SECRET_NAMES_HELP,
  textLines,
} from './content-search.js';
import { messageTriggerId } from './message-trigger-id.js';

const MAX_LINES_LISTED = 10;

const contentRegexMatch: Trigger = {
  name: 'content_regex_match',
  description:
    "Fires for each file whose content matched a named content pattern during analysis, or (with regex_name) a regular expression. What is searched: (1) drydock's secret findings — every text file scanned at analysis with the built-in secret patterns and those named under secrets.patterns in the drydock config (drydock's counterpart of Anchore's content_search regexes): one firing per file and pattern; (2) with regex_name, the content of the files the analysis retained (retainedFiles in the config; by default /etc/passwd, /etc/group, a password-status summary of /etc/shadow, /etc/sudoers and /etc/sudoers.d/*), each line matched from its start as Anchore does. No other file content is kept, so no other file is searched.",
  params: [
    {
      name: 'regex_name',
      description: `Limit the check to one pattern: ${SECRET_NAMES_HELP}; or a regular expression matched from the start of each line of the retained files. Without it, every secret finding fires and retained files are not searched.`,
      kind: 'string',
      required: false,
      example: '.*password.*',
    },
  ],
  evaluate: (input, params) => {
    const name = params.string('regex_name');
    return [
      ...namedPatternMatches(input.content.secrets, name),
      ...(name === undefined ? [] : retainedLineMatches(input, name)),
    ];
  },
};

function namedPatternMatches(
  findings: readonly SecretFinding[],
  name: string | undefined,
): Fired[] {
  const selected = findings.filter((f) => name === undefined || isSecretNamed(f, name));
  return findingsByFileAndPattern(selected).map((group) => {
    const pattern = group[0]?.pattern ?? '';
    return {
      // Anchore's id hashes its analyzer's regex text, which drydock's patterns do not share:
      // what matched and where, as vulnerabilities name theirs.
      triggerId: `${pattern}+${group[0]?.path ?? ''}`,
      message: `Content pattern ${pattern} matched at ${findingLines(group)}; remove the content from the image or allowlist this finding.`,
    };
  });
}

function retainedLineMatches(input: PolicyInput, source: string): Fired[] {
  const regex = compiledOrUndefined(source);
  if (regex === undefined) return [];
  const matches = matchesFromStart(regex);
  return retainedTexts(input).flatMap((file) => {
    const lines = textLines(file.text).flatMap((line, i) => (matches(line) ? [i + 1] : []));
    if (lines.length === 0) return [];
    const shown = lines.slice(0, MAX_LINES_LISTED).join(', ');
    const more =
      lines.length > MAX_LINES_LISTED ? ` and ${lines.length - MAX_LINES_LISTED} more` : '';
    return [
      {
        triggerId: anchoreId(
          'content_regex_match',
          `File content analyzer found regexp match in container: file=${file.path} regexp=${source}`,
        ),
        message: `Regex "${source}" matched retained file ${file.path} at line${lines.length > 1 ? 's' : ''} ${shown}${more}.`,
      },
    ];
  });
}

const nameMatch: Trigger = {
  name: 'name_match',
  description:
    'Fires for each path in the image (files, directories, links) whose full path matches the regex from its start, as Anchore applies it (Python re.match).',
  params: [
    {
      name: 'regex',
      description: 'Regular expression matched against each absolute path, from its start.',
      kind: 'regex',
      required: true,
      example: '.*\\.pem',
    },
  ],
  evaluate: (input, params) => {
    const source = params.string('regex') ?? '';
    const regex = params.regex('regex');
    if (regex === undefined) return [];
    const matches = matchesFromStart(regex);
    return input.files
      .filter((file) => matches(file.path))
      .map((file) => ({
        triggerId: anchoreId(
          'name_match',
          `Application of regex matched file found in container: file=${file.path} regexp=${source}`,
        ),
        message: `${file.path} (${file.type}) matches the name regex "${source}".`,
      }));
  },
};

/**
 * What one attribute check found: not asked for (undefined), asked and failed (false), or asked
 * and held: our description, and Anchore's text for the trigger id.
 */
type CheckResult = undefined | false | { ours: string; anchore: string };

const attributeMatch: Trigger = {
  name: 'attribute_match',
  description:
    'Fires if the file at filename has every attribute given: its sha256 equals (or not) checksum, and its permission bits (including setuid, setgid and sticky) equal (or not) mode. With skip_missing false, also fires when the file is absent. Gives nothing when neither checksum nor mode is set.',
  params: [
    {
      name: 'filename',
      description: 'Absolute path of the file to check.',
      kind: 'string',
      required: true,
      example: '/etc/passwd',
    },
    {
      name: 'checksum_algorithm',
      description: 'Checksum algorithm; sha256 is the one Anchore and drydock record.',
      kind: 'enum',
      required: false,
      values: ['sha256'],
      default: 'sha256',
      example: 'sha256',
    },
    {
      name: 'checksum',
      description: 'Hex sha256 of the file content to compare with.',
      kind: 'string',
      required: false,
      example: '832cd0f75b227d13aac82b1f70b7f90191a4186c151f9db50851d209c45ede11',
    },
    {
      name: 'checksum_match',
      description: 'Whether the checksum must equal or differ for the trigger to fire.',
      kind: 'enum',
      required: false,
      values: ['equals', 'not_equals'],
      default: 'equals',
      example: 'equals',
    },
    {
      name: 'mode',
      description:
        'Permission bits in octal (0644, 4755, 00644), setuid/setgid/sticky included, file type excluded.',
      kind: 'string',
      required: false,
      example: '00644',
    },
    {
      name: 'mode_op',
      description: 'Whether the mode must equal or differ for the trigger to fire.',
      kind: 'enum',
      required: false,
      values: ['equals', 'not_equals'],
      default: 'equals',
      example: 'equals',
    },
    {
      name: 'skip_missing',
      description:
        'true (default): do not fire when the file is absent. false: fire when the file is absent, whatever the other parameters say.',
      kind: 'boolean',
      required: false,
      default: 'true',
      example: 'true',
    },
  ],
  evaluate: (input, params) => {
    const filename = params.string('filename') ?? '';
    const entry = input.files.find((file) => file.path === filename);
    if (entry === undefined)
      return params.boolean('skip_missing') === false ? [missing(filename)] : [];
    const results = [checksumCheck(entry, params), modeCheck(entry, params)];
    if (results.includes(false)) return [];
    const held = results.filter((r) => r !== undefined && r !== false);
    if (held.length === 0) return [];
    return [
      {
        triggerId: anchoreId(
          'attribute_match',
          [`filename=${filename}`, ...held.map((r) => r.anchore)].join(' and '),
        ),
        message: `${filename}: ${held.map((r) => r.ours).join('; ')}.`,
      },
    ];
  },
};

const missing = (filename: string): Fired => ({
  triggerId: anchoreId('attribute_match', `filename=${filename} and skip_missing=False`),
  message: `${filename} is not in the image (skip_missing is false).`,
});

function checksumCheck(entry: FileEntry, params: TriggerParams): CheckResult {
  const given = params.string('checksum');
  if (given === undefined) return undefined;
  // Anchore's placeholder for entries without content.
  const actual = entry.sha256 ?? 'DIRECTORY_OR_OTHER';
  const op = params.choice('checksum_match') ?? 'equals';
  if ((actual === given.trim().toLowerCase()) !== (op === 'equals')) return false;
  return {
    ours: `sha256 ${actual} ${op === 'equals' ? 'equals' : 'differs from'} the given ${given}`,
    anchore: `checksum=${actual} op=${op} specified_checksum=${given}`,
  };
}

function modeCheck(entry: FileEntry, params: TriggerParams): CheckResult {
  const given = params.string('mode');
  if (given === undefined) return undefined;
  const wanted = octalMode(given);
  const actual = entry.mode & 0o7777;
  const op = params.choice('mode_op') ?? 'equals';
  if ((actual === wanted) !== (op === 'equals')) return false;
  return {
    ours: `mode ${formatMode(actual)} ${op === 'equals' ? 'equals' : 'differs from'} the given ${formatMode(wanted)}`,
    anchore: `mode=${pythonOct(actual)} op=${op} specified_mode=${pythonOct(wanted)}`,
  };
}

/** The rule's mode as a number; a bundle cannot declare it octal, so it is checked here. */
function octalMode(value: string): number {
  const text = value.trim();
  if (!/^0*[0-7]{1,4}$/.test(text))
    throw new DrydockError(
      'invalid-argument',
      `files/attribute_match: parameter mode "${text.slice(0, 20)}" is not an octal file mode of at most 7777 (e.g. 0644 or 4755); fix the rule in the policy bundle`,
    );
  return Number.parseInt(text, 8);
}

const formatMode = (mode: number): string => mode.toString(8).padStart(4, '0');
/** Python's `oct()`, which Anchore's messages (and so its trigger ids) print modes with. */
const pythonOct = (mode: number): string => `0o${mode.toString(8)}`;

const SUID = 0o4000;
const SGID = 0o2000;
/** The file type bits Anchore adds to a tar entry's mode (hard links are regular files). */
const TYPE_BITS: Readonly<Record<FileType, number>> = {
  file: 0o100000,
  hardlink: 0o100000,
  symlink: 0o120000,
  block: 0o060000,
  dir: 0o040000,
  char: 0o020000,
  fifo: 0o010000,
};

const suidOrGuidSet: Trigger = {
  name: 'suid_or_guid_set',
  description:
    'Fires for each path in the image with the setuid or setgid bit set, directories included as in Anchore.',
  params: [],
  evaluate: (input) =>
    input.files
      .filter((file) => (file.mode & (SUID | SGID)) !== 0)
      .map((file) => ({
        triggerId: anchoreId(
          'suid_or_guid_set',
          `SUID or SGID found set on file ${file.path}. Mode: ${pythonOct(TYPE_BITS[file.type] | file.mode)}`,
        ),
        message: `${file.path} has ${specialBits(file.mode)} set (${file.type}, mode ${formatMode(file.mode & 0o7777)}, owner ${file.uid}:${file.gid}).`,
      })),
};

function specialBits(mode: number): string {
  const bits = [(mode & SUID) !== 0 ? 'setuid' : '', (mode & SGID) !== 0 ? 'setgid' : ''];
  return bits.filter((bit) => bit !== '').join(' and ');
}

/** Anchore's id for a firing of this gate: the md5 of its message text (see message-trigger-id). */
const anchoreId = (trigger: string, anchoreMessage: string): string =>
  messageTriggerId('files', trigger, anchoreMessage);

export const filesGate: Gate = {
  name: 'files',
  description:
    'Checks against the files of the image: names, attributes (sha256, mode), setuid/setgid bits, and what the analysis learned of their content.',
  triggers: [contentRegexMatch, nameMatch, attributeMatch, suidOrGuidSet],
};
