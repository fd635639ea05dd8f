/**
 * PyYAML's `yaml.safe_dump(value, default_flow_style=False)` of a JSON value, which anchore-cli
 * prints for `event get`: block style with keys sorted, sequences under a key not indented, empty
 * collections as `{}`/`[]`; a string plain where YAML 1.1 would read it back as that string, else
 * single-quoted, else double-quoted with escapes (every non-ASCII character: allow_unicode is
 * off); long scalars folded at spaces once a line passes 80 columns. The output is ASCII.
 */
import { comparePythonStrings, pythonFloat } from '../report/python-text.js';

const BEST_WIDTH = 80;
const INDENT_STEP = 2;
const LINE_BREAKS = '\n\u0085\u2028\u2029';

export function pyyamlSafeDump(value: unknown): string {
  const writer = new Writer();
  node(writer, value, { inMapping: false });
  writer.indent(0);
  return writer.text;
}

/** The emitter's column and whitespace state, as PyYAML's Emitter keeps it. */
class Writer {
  text = '';
  column = 0;
  whitespace = true;
  indention = true;

  write(data: string): void {
    this.text += data;
    this.column += data.length;
  }

  lineBreak(): void {
    this.text += '\n';
    this.column = 0;
    this.whitespace = true;
    this.indention = true;
  }

  indent(indent: number): void {
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace))
      this.lineBreak();
    if (this.column < indent) {
      this.whitespace = true;
      this.write(' '.repeat(indent - this.column));
    }
  }

  indicator(indicator: string, needWhitespace: boolean, whitespace = false, indention = false) {
    this.write(this.whitespace || !needWhitespace ? indicator : ` ${indicator}`);
    this.whitespace = whitespace;
    this.indention = this.indention && indention;
  }
}

interface Place {
  /** The indent of the collection the node is in (its keys or `-`); none at the root. */
  indent?: number;
  /** A mapping's value: a sequence there is not indented. */
  inMapping: boolean;
}

function node(writer: Writer, value: unknown, place: Place): void {
  if (Array.isArray(value)) sequence(writer, value as unknown[], place);
  else if (typeof value === 'object' && value !== null)
    mapping(writer, Object.entries(value as Record<string, unknown>), place);
  else {
    const indent = (place.indent ?? 0) + INDENT_STEP;
    scalar(writer, scalarText(value), indent, false, typeof value !== 'string');
  }
}

function sequence(writer: Writer, items: readonly unknown[], place: Place): void {
  if (items.length === 0) {
    emptyCollection(writer, '[', ']');
    return;
  }
  // A sequence under a key starts at the key's column.
  const indent = place.inMapping ? (place.indent ?? 0) : childIndent(place);
  for (const item of items) {
    writer.indent(indent);
    writer.indicator('-', true, false, true);
    node(writer, item, { indent, inMapping: false });
  }
}

function mapping(writer: Writer, entries: [string, unknown][], place: Place): void {
  if (entries.length === 0) {
    emptyCollection(writer, '{', '}');
    return;
  }
  const indent = childIndent(place);
  entries.sort(([a], [b]) => comparePythonStrings(a, b));
  for (const [key, item] of entries) {
    writer.indent(indent);
    if (isSimpleKey(key)) {
      scalar(writer, key, indent + INDENT_STEP, true);
      writer.indicator(':', false);
      node(writer, item, { indent, inMapping: true });
    } else {
      // `? key` then `: value` on lines of their own.
      writer.indicator('?', true, false, true);
      scalar(writer, key, indent + INDENT_STEP, false);
      writer.indent(indent);
      writer.indicator(':', true, false, true);
      node(writer, item, { indent, inMapping: false });
    }
  }
}

/** PyYAML writes a key as `key:` when it is short, not empty and on one line. */
const isSimpleKey = (key: string): boolean =>
  key !== '' && !/[\n\u0085\u2028\u2029]/.test(key) && Array.from(key).length < 128;

/** A nested collection's indent: the root's is 0, then each level two more. */
const childIndent = (place: Place): number =>
  place.indent === undefined ? 0 : place.indent + INDENT_STEP;

function emptyCollection(writer: Writer, open: string, close: string): void {
  writer.indicator(open, true, true);
  writer.indicator(close, false);
}

/** How PyYAML's representer writes a non-string scalar. */
function scalarText(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (Number.isInteger(value) && Math.abs(value) < 1e21) return String(value);
    if (Number.isNaN(value)) return '.nan';
    if (!Number.isFinite(value)) return value > 0 ? '.inf' : '-.inf';
    const text = pythonFloat(value).toLowerCase();
    return text.includes('.') || !text.includes('e') ? text : text.replace('e', '.0e');
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function scalar(
  writer: Writer,
  text: string,
  indent: number,
  simpleKey: boolean,
  typed = false,
): void {
  const analysis = analyze(text);
  const split = !simpleKey;
  const plainAllowed =
    (typed || !resolvesAsOtherType(text)) &&
    !(simpleKey && (text === '' || analysis.multiline)) &&
    analysis.allowPlain;
  if (plainAllowed) writePlain(writer, text, indent, split);
  else if (analysis.allowSingleQuoted && !(simpleKey && analysis.multiline))
    writeSingleQuoted(writer, text, indent, split);
  else writeDoubleQuoted(writer, text, indent, split);
}

interface Analysis {
  multiline: boolean;
  allowPlain: boolean;
  allowSingleQuoted: boolean;
}

const WHITESPACE = `\0 \t\r${LINE_BREAKS}`;

/** PyYAML's `analyze_scalar`, for block context. */
function analyze(text: string): Analysis {
  if (text === '') return { multiline: false, allowPlain: true, allowSingleQuoted: true };
  const chars = Array.from(text);
  let blockIndicators = text.startsWith('---') || text.startsWith('...');
  let lineBreaks = false;
  let special = false;
  let leadingOrTrailing = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  let precededByWhitespace = true;
  for (const [index, ch] of chars.entries()) {
    const followedByWhitespace =
      index + 1 >= chars.length || WHITESPACE.includes(chars[index + 1] ?? '');
    if (index === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockIndicators = true;
      if ((ch === '?' || ch === ':' || ch === '-') && followedByWhitespace) blockIndicators = true;
    } else {
      if (ch === ':' && followedByWhitespace) blockIndicators = true;
      if (ch === '#' && precededByWhitespace) blockIndicators = true;
    }
    const isBreak = LINE_BREAKS.includes(ch);
    if (isBreak) lineBreaks = true;
    if (!(ch === '\n' || (ch >= ' ' && ch <= '~'))) special = true;
    const last = index === chars.length - 1;
    if (ch === ' ') {
      if (index === 0 || last) leadingOrTrailing = true;
      if (previousBreak) breakSpace = true;
    } else if (isBreak) {
      if (index === 0 || last) leadingOrTrailing = true;
      if (previousSpace) spaceBreak = true;
    }
    previousSpace = ch === ' ';
    previousBreak = isBreak;
    precededByWhitespace = WHITESPACE.includes(ch);
  }
  const quotedOnly = breakSpace || spaceBreak || special;
  return {
    multiline: lineBreaks,
    allowPlain: !(leadingOrTrailing || quotedOnly || lineBreaks || blockIndicators),
    allowSingleQuoted: !quotedOnly,
  };
}

/** YAML 1.1's implicit types, as PyYAML's resolver reads a plain scalar (`$` allows a final \n). */
const IMPLICIT_TYPES: readonly [first: string, pattern: RegExp][] = [
  [
    'yYnNtTfFoO',
    /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)\n?$/,
  ],
  [
    '-+0123456789.',
    /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\n?$/,
  ],
  [
    '-+0123456789',
    /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)\n?$/,
  ],
  ['<', /^<<\n?$/],
  ['~nN', /^(?:~|null|Null|NULL)\n?$/],
  [
    '0123456789',
    /^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)\n?$/,
  ],
  ['=', /^=\n?$/],
  ['!&*', /^(?:!|&|\*)\n?$/],
];

function resolvesAsOtherType(text: string): boolean {
  if (text === '') return true;
  const first = text.charAt(0);
  return IMPLICIT_TYPES.some(([firsts, pattern]) => firsts.includes(first) && pattern.test(text));
}

function writePlain(writer: Writer, text: string, indent: number, split: boolean): void {
  if (!writer.whitespace) writer.write(' ');
  writer.whitespace = false;
  writer.indention = false;
  let spaces = false;
  let start = 0;
  for (let end = 0; end <= text.length; end++) {
    const ch = text[end];
    if (spaces) {
      if (ch !== ' ') {
        if (start + 1 === end && writer.column > BEST_WIDTH && split) {
          writer.indent(indent);
          writer.whitespace = false;
          writer.indention = false;
        } else writer.write(text.slice(start, end));
        start = end;
      }
    } else if (ch === undefined || ch === ' ') {
      writer.write(text.slice(start, end));
      start = end;
    }
    spaces = ch === ' ';
  }
}

function writeSingleQuoted(writer: Writer, text: string, indent: number, split: boolean): void {
  writer.indicator("'", true);
  let spaces = false;
  let breaks = false;
  let start = 0;
  for (let end = 0; end <= text.length; end++) {
    const ch = text[end];
    if (spaces) {
      if (ch !== ' ') {
        const fold = start + 1 === end && writer.column > BEST_WIDTH && split;
        if (fold && start !== 0 && end !== text.length) writer.indent(indent);
        else writer.write(text.slice(start, end));
        start = end;
      }
    } else if (breaks) {
      if (ch === undefined || ch !== '\n') {
        // A line break is written as an empty line: one more break than the text has.
        writer.lineBreak();
        for (let i = start; i < end; i++) writer.lineBreak();
        writer.indent(indent);
        start = end;
      }
    } else if ((ch === undefined || ch === ' ' || ch === '\n' || ch === "'") && start < end) {
      writer.write(text.slice(start, end));
      start = end;
    }
    if (ch === "'") {
      writer.write("''");
      start = end + 1;
    }
    spaces = ch === ' ';
    breaks = ch === '\n';
  }
  writer.indicator("'", false);
}

const ESCAPES: Record<string, string> = {
  '\0': '0',
  '\x07': 'a',
  '\b': 'b',
  '\t': 't',
  '\n': 'n',
  '\v': 'v',
  '\f': 'f',
  '\r': 'r',
  '\x1b': 'e',
  '"': '"',
  '\\': '\\',
  '\u0085': 'N',
  '\u00a0': '_',
  '\u2028': 'L',
  '\u2029': 'P',
};

function escaped(ch: string): string {
  const named = ESCAPES[ch];
  if (named !== undefined) return `\\${named}`;
  const code = ch.codePointAt(0) ?? 0;
  const hex = code.toString(16).toUpperCase();
  if (code <= 0xff) return `\\x${hex.padStart(2, '0')}`;
  if (code <= 0xffff) return `\\u${hex.padStart(4, '0')}`;
  return `\\U${hex.padStart(8, '0')}`;
}

function writeDoubleQuoted(writer: Writer, text: string, indent: number, split: boolean): void {
  writer.indicator('"', true);
  // Code points, as Python indexes the string; everything written is ASCII.
  const chars = Array.from(text);
  let start = 0;
  for (let end = 0; end <= chars.length; end++) {
    const ch = chars[end];
    if (ch === undefined || ch === '"' || ch === '\\' || !(ch >= ' ' && ch <= '~')) {
      if (start < end) writer.write(chars.slice(start, end).join(''));
      if (ch !== undefined) {
        writer.write(escaped(ch));
        start = end + 1;
      }
    }
    const foldHere = 0 < end && end < chars.length - 1 && (ch === ' ' || start >= end);
    if (foldHere && writer.column + (end - start) > BEST_WIDTH && split) {
      writer.write(`${chars.slice(start, end).join('')}\\`);
      if (start < end) start = end;
      writer.indent(indent);
      writer.whitespace = false;
      writer.indention = false;
      if (chars[start] === ' ') writer.write('\\');
    }
  }
  writer.indicator('"', false);
}
