/**
 * Rebuilds a Dockerfile from an image's history, the way `docker history`, dive and Anchore show
 * it, but as a Dockerfile that reads like the one that was written.
 *
 * History lines come in two dialects:
 * - the classic builder: `/bin/sh -c #(nop)  CMD ["sh"]` for steps that make no layer,
 *   `/bin/sh -c apt-get update` for RUN, `|2 A=1 B=2 /bin/sh -c …` for RUN with build args, and
 *   `/bin/sh -c #(nop) ADD file:<hash> in / ` for ADD/COPY (a custom SHELL replaces `/bin/sh -c`);
 * - BuildKit: the instruction itself (`ENV A=1`, `EXPOSE map[80/tcp:{}]`), with RUN, ADD and COPY
 *   marked `# buildkit` and RUN carrying the shell: `RUN |1 A=1 /bin/sh -c make # buildkit`.
 *
 * Values Go printed with `%v`/`%q` (CMD, ENTRYPOINT, VOLUME, SHELL, EXPOSE, HEALTHCHECK) are turned
 * back into Dockerfile syntax. Build-arg values in front of RUN are dropped: the ARG steps that
 * declared them come earlier in the history.
 *
 * The result starts with `FROM scratch`: the history covers every layer, the base image's too, so
 * the rebuilt file describes the whole image from nothing rather than guessing the base's name.
 */
import type { HistoryEntry } from '../model/index.js';
import { oneLine } from '../util/text.js';

export function reconstructDockerfile(history: readonly HistoryEntry[]): string {
  return dockerfileFrom(instructionsFor(history));
}

/** One instruction per history entry, in order: parsed once, for the Dockerfile and the layers. */
export function instructionsFor(history: readonly HistoryEntry[]): string[] {
  return history.map((entry) => instructionFor(entry));
}

/** The Dockerfile text from `instructionsFor(history)`. */
export function dockerfileFrom(instructions: readonly string[]): string {
  const lines = ['FROM scratch'];
  if (instructions.length === 0) lines.push('# the image config records no build history');
  lines.push(...instructions);
  return lines.join('\n') + '\n';
}

/** One Dockerfile line (possibly continued with `\`) for one history entry. */
export function instructionFor(entry: HistoryEntry): string {
  const createdBy = entry.created_by?.trim() ?? '';
  if (createdBy === '') {
    return entry.comment
      ? `# step not recorded (${oneLine(entry.comment)})`
      : '# step not recorded';
  }
  const instruction = instructionFromCreatedBy(createdBy, entry.empty_layer !== true);
  return instruction === undefined ? commentLines(createdBy) : continueLines(instruction);
}

/** A comment does not continue with `\`: every line of it is commented instead. */
function commentLines(text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) => `# ${line}`)
    .join('\n');
}

const BUILDKIT_MARK = / # buildkit$/;
const INSTRUCTION =
  /^(ADD|ARG|CMD|COPY|ENTRYPOINT|ENV|EXPOSE|HEALTHCHECK|LABEL|MAINTAINER|ONBUILD|RUN|SHELL|STOPSIGNAL|USER|VOLUME|WORKDIR)(?:\s+|$)/;
/**
 * `/bin/sh -c`, `/bin/bash -o pipefail -c`, `bash -eux -c`, and Windows' `cmd /S /C`. Options are
 * bounded ({0,8}): an unbounded repeat scans to the end of the line from every space that
 * `shellAfterSpace` tries, which is quadratic on hostile history lines.
 */
const SHELL_PREFIX =
  /^(?:(?:\/\S*\/)?(?:sh|bash|ash|dash|zsh|ksh)(?: -[a-zA-Z]+(?: (?!-)[a-z]+)?){0,8}? -c|cmd \/S \/C|powershell(?: -\S+){0,8} -Command)(?: |$)/;
const NOP = /^#\(nop\)\s*/;

/** The instruction `createdBy` records, or undefined for a step that is not a Dockerfile's. */
function instructionFromCreatedBy(createdBy: string, madeLayer: boolean): string | undefined {
  const text = createdBy.replace(BUILDKIT_MARK, '');
  const keyword = INSTRUCTION.exec(text)?.[1];
  if (keyword === 'RUN') {
    const command = stripBuildArgs(text.slice(keyword.length).trim());
    return `RUN ${shellScript(command) ?? command}`;
  }
  if (keyword) return normaliseInstruction(text, false);
  const command = stripBuildArgs(text);
  const script = shellScript(command);
  if (script !== undefined) {
    return NOP.test(script) ? normaliseInstruction(script.replace(NOP, ''), true) : `RUN ${script}`;
  }
  // An exec-form RUN of the classic builder records just its arguments. Anything else (a Jib or
  // Bazel step, say) is shown as a comment rather than passed off as an instruction.
  if (command !== text || madeLayer) return `RUN ${command}`;
  return undefined;
}

/** What the shell runs, when `command` is a shell invocation (`/bin/sh -c …`). */
function shellScript(command: string): string | undefined {
  const shell = SHELL_PREFIX.exec(command);
  return shell ? command.slice(shell[0].length) : undefined;
}

/**
 * Drops the `|N NAME=value …` prefix both builders put in front of RUN when build args are set.
 * Values are printed unquoted: one with a space is split correctly when the next thing is another
 * `NAME=` or, for the last value, the shell; parsed by hand because a regex repeating a lazy
 * `.*?` N times backtracks exponentially on hostile history lines.
 */
export function stripBuildArgs(command: string): string {
  const count = /^\|(\d{1,4}) /.exec(command);
  if (!count?.[1]) return command;
  const pairs = command.slice(count[0].length);
  return skipBuildArgs(pairs, Number(count[1])) ?? skipToShell(pairs) ?? command;
}

function skipBuildArgs(pairs: string, n: number): string | undefined {
  let rest = pairs;
  for (let i = 0; i < n; i++) {
    const name = BUILD_ARG_NAME.exec(rest);
    if (!name) return undefined;
    rest = rest.slice(name[0].length);
    const end = i === n - 1 ? endOfLastArgValue(rest) : rest.search(NEXT_BUILD_ARG);
    if (end < 0) return undefined;
    rest = rest.slice(end + 1);
  }
  return rest;
}

/** When the count and the pairs disagree, the shell still marks where the command starts. */
function skipToShell(pairs: string): string | undefined {
  const at = shellAfterSpace(pairs);
  return at < 0 ? undefined : pairs.slice(at + 1);
}

const BUILD_ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*=/;
const NEXT_BUILD_ARG = / [A-Za-z_][A-Za-z0-9_]*=/;

/** SHELL_PREFIX, matched at a given position without copying the string. */
const SHELL_AT = new RegExp(SHELL_PREFIX.source.slice(1), 'y');

/** The space before the shell, or (an exec-form RUN) the first space. */
function endOfLastArgValue(rest: string): number {
  const shell = shellAfterSpace(rest);
  return shell < 0 ? rest.indexOf(' ') : shell;
}

/** Position of the first space followed by a shell invocation, or -1. */
function shellAfterSpace(text: string): number {
  for (let i = text.indexOf(' '); i >= 0; i = text.indexOf(' ', i + 1)) {
    SHELL_AT.lastIndex = i + 1;
    if (SHELL_AT.test(text)) return i;
  }
  return -1;
}

/** Turns Go-printed values back into Dockerfile syntax; `classic` adds the ADD/COPY `in` form. */
function normaliseInstruction(text: string, classic: boolean): string {
  const keyword = INSTRUCTION.exec(text)?.[1];
  const rest = keyword ? text.slice(keyword.length).trim() : text;
  switch (keyword) {
    case 'ADD':
    case 'COPY':
      return classic ? classicCopy(keyword, rest) : text;
    case 'CMD':
    case 'ENTRYPOINT':
      return `${keyword} ${goStringListToJson(rest) ?? rest}`;
    case 'SHELL':
    case 'VOLUME':
      return `${keyword} ${goPlainListToJson(rest) ?? rest}`;
    case 'EXPOSE':
      return `EXPOSE ${exposedPorts(rest)}`;
    case 'HEALTHCHECK':
      return healthcheckInstruction(rest) ?? text;
    default:
      return text;
  }
}

/** `file:<hash> in /usr/bin/ ` → `file:<hash> /usr/bin/`. */
function classicCopy(keyword: string, rest: string): string {
  const m = /^(.*) in (\S+)$/.exec(rest);
  return m ? `${keyword} ${m[1] ?? ''} ${m[2] ?? ''}` : `${keyword} ${rest}`;
}

/** `map[80/tcp:{} 443/tcp:{}]` → `80/tcp 443/tcp`; classic `80/tcp 443` stays. */
function exposedPorts(rest: string): string {
  const m = /^map\[(.*)\]$/.exec(rest);
  if (!m) return rest;
  return (m[1] ?? '')
    .split(' ')
    .filter((p) => p !== '')
    .map((p) => p.replace(/:\{\}$/, ''))
    .join(' ');
}

/** `[/data /config]` (Go `%v` of a string slice) → `["/data", "/config"]`. */
function goPlainListToJson(rest: string): string | undefined {
  const m = /^\[(.*)\]$/.exec(rest);
  if (!m) return undefined;
  const items = (m[1] ?? '').split(' ').filter((item) => item !== '');
  return JSON.stringify(items).replaceAll('","', '", "');
}

/** `["nginx" "-g" "daemon off;"]` (Go `%q`) → `["nginx", "-g", "daemon off;"]`. */
function goStringListToJson(rest: string): string | undefined {
  const scanner = new GoLiteralScanner(rest);
  const items = scanner.stringList();
  if (!items || !scanner.atEnd()) return undefined;
  return jsonList(items);
}

function jsonList(items: readonly string[]): string {
  return `[${items.map((item) => JSON.stringify(item)).join(', ')}]`;
}

/**
 * `&{["CMD-SHELL" "curl -f http://localhost/"] "30s" "3s" "0s" "0s" '\x03'}` — Go's `%q` of the
 * health config: test, interval, timeout, start period, (newer) start interval, retries as a rune.
 */
function healthcheckInstruction(rest: string): string | undefined {
  if (!rest.startsWith('&{') || !rest.endsWith('}')) return undefined;
  const scanner = new GoLiteralScanner(rest.slice(2, -1));
  const test = scanner.stringList();
  const durations: string[] = [];
  for (let s = scanner.string(); s !== undefined; s = scanner.string()) durations.push(s);
  const retries = scanner.rune();
  if (!test || !scanner.atEnd() || durations.length < 3 || durations.length > 4) return undefined;
  const [kind, ...args] = test;
  if (kind === 'NONE') return 'HEALTHCHECK NONE';
  const flagNames = ['interval', 'timeout', 'start-period', 'start-interval'];
  const flags = durations.flatMap((d, i) => (d === '0s' ? [] : [`--${flagNames[i] ?? ''}=${d}`]));
  if (retries) flags.push(`--retries=${retries}`);
  const command = kind === 'CMD-SHELL' ? args.join(' ') : jsonList(args);
  return ['HEALTHCHECK', ...flags, 'CMD', command].join(' ');
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
};
const NUMERIC_ESCAPES: Record<string, { digits: number; radix: number }> = {
  x: { digits: 2, radix: 16 },
  u: { digits: 4, radix: 16 },
  U: { digits: 8, radix: 16 },
};

/** Reads Go string (`"…"`) and rune (`'…'`) literals and `[…]` lists of strings, in order. */
class GoLiteralScanner {
  private pos = 0;

  constructor(private readonly text: string) {}

  atEnd(): boolean {
    this.skipSpaces();
    return this.pos === this.text.length;
  }

  stringList(): string[] | undefined {
    this.skipSpaces();
    if (this.text[this.pos] !== '[') return undefined;
    this.pos++;
    const items: string[] = [];
    for (let s = this.string(); s !== undefined; s = this.string()) items.push(s);
    this.skipSpaces();
    if (this.text[this.pos] !== ']') return undefined;
    this.pos++;
    return items;
  }

  string(): string | undefined {
    return this.quoted('"');
  }

  /** A rune literal as its code point number. */
  rune(): number | undefined {
    return this.quoted("'")?.codePointAt(0);
  }

  private quoted(quote: string): string | undefined {
    this.skipSpaces();
    if (this.text[this.pos] !== quote) return undefined;
    let out = '';
    for (let i = this.pos + 1; i < this.text.length; i++) {
      const ch = this.text[i] ?? '';
      if (ch === quote) {
        this.pos = i + 1;
        return out;
      }
      if (ch !== '\\') {
        out += ch;
        continue;
      }
      const escape = this.escape(i + 1);
      if (!escape) return undefined;
      out += escape.value;
      i = escape.end - 1;
    }
    return undefined;
  }

  private escape(at: number): { value: string; end: number } | undefined {
    const ch = this.text[at] ?? '';
    const simple = SIMPLE_ESCAPES[ch];
    if (simple !== undefined) return { value: simple, end: at + 1 };
    const numeric = NUMERIC_ESCAPES[ch];
    const octal = /^[0-7]{3}/.exec(this.text.slice(at));
    const spec = numeric ?? (octal ? { digits: 3, radix: 8 } : undefined);
    if (!spec) return undefined;
    const start = numeric ? at + 1 : at;
    const digits = this.text.slice(start, start + spec.digits);
    const code = Number.parseInt(digits, spec.radix);
    if (digits.length !== spec.digits || Number.isNaN(code) || code > 0x10ffff) return undefined;
    return { value: String.fromCodePoint(code), end: start + spec.digits };
  }

  private skipSpaces(): void {
    while (this.text[this.pos] === ' ') this.pos++;
  }
}

/** A multi-line command stays one Dockerfile instruction by continuing its lines with `\`. */
function continueLines(instruction: string): string {
  return instruction.replace(/\r?\n/g, ' \\\n');
}
