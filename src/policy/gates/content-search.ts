/**
 * What the gates that read file contents share (files, passwd_file, retrieved_files,
 * secret_scans): the text of a file the analysis retained, Anchore's way of applying a regex
 * (Python's `re.match`: from the start of the text, not necessarily to its end), and Anchore's
 * default secret regex names mapped onto drydock's secret patterns.
 */
import { BUILTIN_SECRET_PATTERN_NAMES } from '../../catalog/secrets.js';
import type { RetainedFile, SecretFinding } from '../../model/index.js';
import type { PolicyInput } from '../gate.js';

/** A retained file's content as text (drydock keeps it base64, since files may be binary). */
export interface RetainedText {
  path: string;
  text: string;
  /** Only the start of a larger file was kept: a search may miss what comes later. */
  truncated: boolean;
}

export function retainedText(input: PolicyInput, path: string): RetainedText | undefined {
  const file = input.content.retainedFiles.find((f) => f.path === path);
  return file === undefined ? undefined : decoded(file);
}

export const retainedTexts = (input: PolicyInput): RetainedText[] =>
  input.content.retainedFiles.map(decoded);

const decoded = (file: RetainedFile): RetainedText => ({
  path: file.path,
  text: Buffer.from(file.contentBase64, 'base64').toString('utf8'),
  truncated: file.truncated,
});

/** Why the analysis holds no content for `path`, as a sentence that says what to do. */
export function notRetainedReason(input: PolicyInput, path: string): string {
  return input.files.some((file) => file.path === path)
    ? `${path} is in the image but its content was not retained: add it to retainedFiles in the drydock config and analyse the image again.`
    : `The image has no ${path}.`;
}

export const textLines = (text: string): string[] => text.split(/\r?\n/);

/** A test that `regex` matches at the start of a text, as Python's `re.match` (Anchore's choice). */
export function matchesFromStart(regex: RegExp): (text: string) => boolean {
  const sticky = new RegExp(regex.source, regex.flags.replace(/[gy]/g, '') + 'y');
  return (text) => {
    sticky.lastIndex = 0;
    return sticky.test(text);
  };
}

/** `regex` compiled, or undefined when it is not a valid JavaScript regular expression. */
export function compiledOrUndefined(source: string): RegExp | undefined {
  try {
    return new RegExp(source);
  } catch {
    return undefined;
  }
}

/**
 * Anchore's default `secret_search` regex names and the drydock secret finding each one means.
 * `API_KEY` is the part of drydock's `generic-secret` pattern whose key is an API key name.
 * `DOCKER_AUTH` has no built-in counterpart: define a pattern of that name under
 * `secrets.patterns` in the drydock config and findings of it match by name.
 */
export const ANCHORE_SECRET_NAMES: Readonly<Record<string, { pattern: string; keyName?: RegExp }>> =
  {
    AWS_ACCESS_KEY: { pattern: 'aws-access-key-id' },
    AWS_SECRET_KEY: { pattern: 'aws-secret-access-key' },
    PRIV_KEY: { pattern: 'private-key' },
    API_KEY: { pattern: 'generic-secret', keyName: /^["']?api[_-]?key/i },
  };

/** The secret pattern names a rule may give, for parameter descriptions. */
export const SECRET_NAMES_HELP = `a drydock secret pattern name (${BUILTIN_SECRET_PATTERN_NAMES.join(', ')}, or one named under secrets.patterns in the config) or an Anchore default name, read as: ${Object.entries(
  ANCHORE_SECRET_NAMES,
)
  .map(
    ([anchore, ours]) =>
      `${anchore} = ${ours.pattern}${ours.keyName ? ' with an API key name' : ''}`,
  )
  .join(', ')} (DOCKER_AUTH has no built-in counterpart: name a config pattern DOCKER_AUTH)`;

/** Whether `finding` is one of the pattern `name`: a drydock pattern name or an Anchore one. */
export function isSecretNamed(finding: SecretFinding, name: string): boolean {
  if (finding.pattern === name) return true;
  const anchore = Object.hasOwn(ANCHORE_SECRET_NAMES, name)
    ? ANCHORE_SECRET_NAMES[name]
    : undefined;
  if (anchore === undefined || anchore.pattern !== finding.pattern) return false;
  return anchore.keyName === undefined || anchore.keyName.test(finding.redacted);
}

/** Secret findings grouped by pattern and file, in the order first seen: one firing each. */
export function findingsByFileAndPattern(findings: readonly SecretFinding[]): SecretFinding[][] {
  const groups = new Map<string, SecretFinding[]>();
  for (const finding of findings) {
    const key = `${finding.pattern}\0${finding.path}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [finding]);
    else group.push(finding);
  }
  return [...groups.values()];
}

/** `/app/.env line 1, 4` for a group of findings in one file. */
export function findingLines(group: readonly SecretFinding[]): string {
  const lines = group.map((f) => f.line);
  return `${group[0]?.path ?? ''} line${lines.length > 1 ? 's' : ''} ${lines.join(', ')}`;
}
