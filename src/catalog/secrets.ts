/**
 * Finds secrets left in an image's text files: cloud and forge tokens, private keys, and
 * `password=` style assignments. Files are scanned while their layer streams, and only findings
 * with the secret masked are kept, so no secret reaches the layer cache or a report.
 */
import { createHash } from 'node:crypto';
import type { CollectableFile, SecretFinding } from '../model/index.js';
import type { FileTree } from '../source/squash.js';
import { bytesCollector, type TypedCollector } from './collectors.js';

export interface SecretScanOptions {
  /**
   * Extra patterns by name: JavaScript regular expressions, matched within a line. A named group
   * `secret` marks the part to mask; without one the whole match is masked.
   */
  patterns?: Readonly<Record<string, string>>;
  /** Names of built-in patterns not to use. */
  disabledPatterns?: readonly string[];
  /** Larger files are not scanned; default 1 MiB. */
  maxFileBytes?: number;
}

/** A finding as the layer stage keeps it; path and layer come from the tree. */
export interface KeptFinding {
  line: number;
  pattern: string;
  redacted: string;
}

/** Bump when what the scanner keeps for the same patterns changes (filters, redaction). */
const SCANNER_VERSION = 1;
const COLLECTOR_NAME = 'secrets';
const DEFAULT_MAX_SECRET_FILE_BYTES = 1024 * 1024;
/** A NUL byte in the first KiB marks a binary file. */
const BINARY_SNIFF_BYTES = 1024;
/**
 * Lines are scanned in windows of this many characters, overlapping by more than the longest
 * built-in match, so a pathological line (minified JavaScript, base64) bounds every regex run.
 */
const MAX_LINE_CHARS = 4096;
const LINE_OVERLAP_CHARS = 256;
/** Short lines are scanned together, one regex run per block rather than per line. */
const BLOCK_CHARS = 64 * 1024;
const MAX_FINDINGS_PER_FILE = 100;
const MAX_FINDINGS_PER_IMAGE = 10_000;
const MAX_REDACTED_CHARS = 120;
/** Limits on user patterns, checked by the config (secretPatternProblem). */
const MAX_USER_PATTERN_CHARS = 1000;

interface SecretPattern {
  name: string;
  regex: RegExp;
  /** The part of the match to mask ('' for none); undefined rejects the match as a false positive. */
  secret(match: RegExpExecArray): string | undefined;
}

/** Values that are templates, variables or documentation rather than secrets. */
const PLACEHOLDER =
  /example|xxxx|placeholder|changeme|change_me|your[_-]|dummy|redacted|\*\*\*|<[^>]*>|\$\{|\{\{|^\$|%\(|%s|^(?:password|passwd|secret|none|null|nil|true|false|undefined|string|required|optional)$/i;

function notPlaceholder(value: string | undefined): string | undefined {
  if (value === undefined || PLACEHOLDER.test(value) || /^(.)\1*$/.test(value)) return undefined;
  return value;
}

/**
 * An assigned value is code or prose more often than a secret (`password=self.password`,
 * `secret=None`, `"password": "{password}"`, `secret_file=/run/secrets/db`): keep it only if it
 * has a digit or a symbol, and is not a path or a template.
 */
function plausibleValue(value: string | undefined): string | undefined {
  if (value === undefined || !/[^A-Za-z._-]/.test(value)) return undefined;
  if (value.startsWith('/') || /\{[^}]*\}/.test(value)) return undefined;
  return notPlaceholder(value);
}

const group = (match: RegExpExecArray, name: string): string | undefined => match.groups?.[name];

const BUILTIN_PATTERNS: readonly SecretPattern[] = [
  {
    name: 'aws-access-key-id',
    regex: /(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)(?<secret>[A-Z0-9]{16})(?![A-Z0-9])/g,
    secret: (m) => notPlaceholder(group(m, 'secret')),
  },
  {
    name: 'aws-secret-access-key',
    // Forty base64 characters are everywhere; only next to an AWS secret key name are they one.
    regex:
      /(?:(?:aws[_-]?)?secret[_-]?access[_-]?key|aws[_-]?secret[_-]?key)["']?[ \t]*(?::=|=>|[:=](?!=))[ \t]*["']?(?<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/gi,
    secret: (m) => notPlaceholder(group(m, 'secret')),
  },
  {
    name: 'private-key',
    // A PEM header alone on its line (a key file), or followed by an escaped newline and key
    // data (a key inside JSON or YAML); code that merely names the header does not match.
    regex:
      /^[ \t]*-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----[ \t]*\r?$|-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----(?:\\r)?\\n(?<secret>[A-Za-z0-9+/]{16})/gm,
    secret: (m) => group(m, 'secret') ?? '',
  },
  {
    name: 'github-token',
    regex: /(?<![A-Za-z0-9_])gh[pousr]_(?<secret>[A-Za-z0-9]{36})(?![A-Za-z0-9_])/g,
    secret: (m) => notPlaceholder(group(m, 'secret')),
  },
  {
    name: 'github-fine-grained-token',
    regex: /(?<![A-Za-z0-9_])github_pat_(?<secret>[A-Za-z0-9_]{82})(?![A-Za-z0-9_])/g,
    secret: (m) => notPlaceholder(group(m, 'secret')),
  },
  {
    name: 'gitlab-token',
    regex: /(?<![A-Za-z0-9_-])glpat-(?<secret>[A-Za-z0-9_-]{20,100})(?![A-Za-z0-9_-])/g,
    secret: (m) => notPlaceholder(group(m, 'secret')),
  },
  {
    name: 'slack-token',
    regex: /(?<![A-Za-z0-9])xox[baprs]-(?<secret>\d+-[0-9A-Za-z-]{8,200})(?![0-9A-Za-z-])/g,
    secret: (m) => notPlaceholder(group(m, 'secret')),
  },
  {
    name: 'slack-webhook',
    regex:
      /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/(?<secret>[A-Za-z0-9+/_-]{20,200})/g,
    secret: (m) => notPlaceholder(group(m, 'secret')),
  },
  {
    name: 'generic-secret',
    regex:
      /(?<![A-Za-z0-9])(?:passw(?:or)?d|secret|api[_-]?key|(?:access|auth)[_-]?token|client[_-]?secret)["']?[ \t]*(?::=|[:=](?![=>]))[ \t]*(?:"(?<dq>[^"\s]{4,200})"|'(?<sq>[^'\s]{4,200})'|(?<bare>[^\s"'<>;,=()[\]{}]{4,200}))/gi,
    secret: (m) => plausibleValue(group(m, 'dq') ?? group(m, 'sq') ?? group(m, 'bare')),
  },
];

export const BUILTIN_SECRET_PATTERN_NAMES: readonly string[] = BUILTIN_PATTERNS.map((p) => p.name);

/**
 * Every built-in pattern needs one of these words, so a block without any skips the built-ins:
 * most text in an image (scripts, modules, configs) has none.
 */
const BUILTIN_TRIGGER =
  /AKIA|ASIA|ABIA|ACCA|PRIVATE KEY|gh[pousr]_|github_pat_|glpat-|xox[baprs]-|hooks\.slack\.com|passw|secret|api[_-]?key|token/i;

/** Where no secret worth reporting lives, or where scanning costs much and finds nothing. */
const SKIPPED_DIRECTORIES = [
  '/proc/',
  '/sys/',
  '/dev/',
  '/usr/share/doc/',
  '/usr/share/man/',
  '/usr/share/info/',
  '/usr/share/locale/',
  '/usr/share/i18n/',
  '/usr/share/zoneinfo/',
  '/usr/share/icons/',
  '/usr/share/fonts/',
  '/usr/share/mime/',
  '/usr/lib/locale/',
  '/var/lib/dpkg/',
  '/var/lib/rpm/',
  '/var/lib/apk/',
  '/lib/apk/db/',
  '/var/cache/',
];
const BINARY_EXTENSION =
  /\.(?:so(?:\.\d+)*|a|o|ko|png|jpe?g|gif|ico|bmp|webp|tiff?|gz|tgz|xz|bz2|zst|lz4|zip|jar|war|ear|whl|egg|pyc|pyo|class|mo|gmo|woff2?|ttf|otf|eot|pdf|db|sqlite3?|wasm|node|deb|rpm|apk|mp[34]|ogg|wav|bin|pack|idx)$/i;

/** Cheap enough to run for every file of every layer: size and a few string checks. */
function worthScanning(file: CollectableFile, maxFileBytes: number): boolean {
  if (file.size === 0 || file.size > maxFileBytes) return false;
  if (SKIPPED_DIRECTORIES.some((dir) => file.path.startsWith(dir))) return false;
  return !BINARY_EXTENSION.test(file.path);
}

/** Why a user pattern cannot be used, or undefined when it can. */
export function secretPatternProblem(source: string): string | undefined {
  if (source.length > MAX_USER_PATTERN_CHARS) {
    return `is longer than ${MAX_USER_PATTERN_CHARS} characters`;
  }
  let regex: RegExp;
  try {
    regex = new RegExp(source, 'g');
  } catch (e) {
    return `is not a valid regular expression (${e instanceof Error ? e.message : String(e)})`;
  }
  return regex.test('') ? 'matches empty text; it would report every line' : undefined;
}

function userPattern(name: string, source: string): SecretPattern {
  return {
    name,
    regex: new RegExp(source, 'g'),
    secret: (m) => group(m, 'secret') ?? m[0],
  };
}

/** The patterns in use: the built-ins not disabled, then the user's. */
function activePatterns(options: SecretScanOptions): SecretPattern[] {
  const disabled = new Set(options.disabledPatterns ?? []);
  return [
    ...BUILTIN_PATTERNS.filter((p) => !disabled.has(p.name)),
    ...Object.entries(options.patterns ?? {}).map(([name, source]) => userPattern(name, source)),
  ];
}

/**
 * The collector's version names everything that decides its findings (the scanner, each
 * pattern, the size limit), so a config change is a new cache key, never a stale result.
 */
function scannerVersion(patterns: readonly SecretPattern[], maxFileBytes: number): number {
  const identity = JSON.stringify({
    scanner: SCANNER_VERSION,
    maxFileBytes,
    patterns: patterns.map((p) => [p.name, p.regex.source, p.regex.flags]),
  });
  return Number.parseInt(createHash('sha256').update(identity).digest('hex').slice(0, 12), 16);
}

export function secretCollectors(options: SecretScanOptions = {}): TypedCollector<KeptFinding[]>[] {
  const patterns = activePatterns(options);
  if (patterns.length === 0) return [];
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_SECRET_FILE_BYTES;
  const scanner = new TextScanner(patterns);
  return [
    bytesCollector({
      name: COLLECTOR_NAME,
      version: scannerVersion(patterns, maxFileBytes),
      maxBytes: maxFileBytes,
      wants: (file) => worthScanning(file, maxFileBytes),
      // A NUL byte near the start means a binary: the rest of it is never copied.
      rejectByStart: { bytes: BINARY_SNIFF_BYTES, test: (start) => start.includes(0) },
      parse: ({ data }) => {
        const findings = scanner.scan(data.toString('latin1'));
        return findings.length > 0 ? findings : undefined;
      },
    }),
  ];
}

export function findSecrets(tree: FileTree): SecretFinding[] {
  const findings: SecretFinding[] = [];
  for (const { path, value } of tree.collectedBy(COLLECTOR_NAME)) {
    const layerDigest = tree.get(path)?.layerDigest ?? '';
    for (const finding of value as KeptFinding[]) {
      if (findings.length >= MAX_FINDINGS_PER_IMAGE) return findings;
      findings.push({ path, ...finding, layerDigest });
    }
  }
  return findings;
}

// ---- scanning -----------------------------------------------------------------------------

/** A stretch of the text scanned in one regex run: whole short lines, or a window of a long one. */
interface Segment {
  start: number;
  end: number;
  /** 1-based line number of `start`. */
  line: number;
}

/** Splits text into blocks of short lines and overlapping windows of long lines. */
export function* segments(text: string): Generator<Segment> {
  let blockStart = 0;
  let blockLine = 1;
  let line = 1;
  for (let pos = 0; pos < text.length; line++) {
    const newline = text.indexOf('\n', pos);
    const end = newline === -1 ? text.length : newline;
    if (end - pos > MAX_LINE_CHARS) {
      if (pos > blockStart) yield { start: blockStart, end: pos, line: blockLine };
      for (let start = pos; ; start += MAX_LINE_CHARS - LINE_OVERLAP_CHARS) {
        yield { start, end: Math.min(start + MAX_LINE_CHARS, end), line };
        if (start + MAX_LINE_CHARS >= end) break;
      }
      blockStart = end + 1;
      blockLine = line + 1;
    } else if (end - blockStart > BLOCK_CHARS) {
      yield { start: blockStart, end: pos, line: blockLine };
      blockStart = pos;
      blockLine = line;
    }
    pos = end + 1;
  }
  if (blockStart < text.length) yield { start: blockStart, end: text.length, line: blockLine };
}

class TextScanner {
  private readonly builtins: SecretPattern[];
  private readonly others: SecretPattern[];

  constructor(patterns: readonly SecretPattern[]) {
    const builtinSet = new Set<SecretPattern>(BUILTIN_PATTERNS);
    this.builtins = patterns.filter((p) => builtinSet.has(p));
    this.others = patterns.filter((p) => !builtinSet.has(p));
  }

  scan(text: string): KeptFinding[] {
    const findings = new Map<string, KeptFinding>();
    for (const segment of segments(text)) {
      const block = text.slice(segment.start, segment.end);
      const patterns = BUILTIN_TRIGGER.test(block)
        ? [...this.builtins, ...this.others]
        : this.others;
      for (const pattern of patterns) {
        for (const finding of matches(block, segment.line, pattern)) {
          // Overlapping windows of a long line can see the same secret twice.
          findings.set(`${finding.line}\0${finding.pattern}\0${finding.redacted}`, finding);
          if (findings.size >= MAX_FINDINGS_PER_FILE) return [...findings.values()];
        }
      }
    }
    return [...findings.values()];
  }
}

function* matches(
  block: string,
  firstLine: number,
  pattern: SecretPattern,
): Generator<KeptFinding> {
  const regex = pattern.regex;
  regex.lastIndex = 0;
  let counted = 0;
  let line = firstLine;
  for (let match = regex.exec(block); match !== null; match = regex.exec(block)) {
    if (match[0] === '') {
      regex.lastIndex++;
      continue;
    }
    const secret = pattern.secret(match);
    if (secret === undefined) continue;
    line += countNewlines(block, counted, match.index);
    counted = match.index;
    yield { line, pattern: pattern.name, redacted: redact(match[0], secret) };
  }
}

function countNewlines(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

/** The match with all but a short start of the secret masked; at most MAX_REDACTED_CHARS. */
export function redact(match: string, secret: string): string {
  const at = secret === '' ? -1 : match.indexOf(secret);
  const shown =
    at === -1 ? match : match.slice(0, at) + mask(secret) + match.slice(at + secret.length);
  const clean = shown.trim();
  return clean.length > MAX_REDACTED_CHARS ? `${clean.slice(0, MAX_REDACTED_CHARS - 1)}…` : clean;
}

function mask(secret: string): string {
  const keep = Math.min(4, Math.floor(secret.length / 4));
  return secret.slice(0, keep) + '*'.repeat(Math.min(secret.length - keep, 32));
}
