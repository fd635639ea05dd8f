/**
 * The deb822 "control file" syntax shared by dpkg's status database and machine-readable
 * copyright files: paragraphs of `Name: value` fields separated by blank lines, where a line
 * that starts with a space or tab continues the field above and ` .` stands for an empty line.
 * Field names are case-insensitive. The input is untrusted: counts are bounded and a malformed
 * line is reported and skipped, never fatal.
 */
import { BoundedMessages } from '../../util/bounded-messages.js';
import { lines } from '../text.js';

export interface ControlParagraph {
  /** 1-based line number where the paragraph starts, for messages. */
  line: number;
  /**
   * Field values by lowercased name. A value is its first line (trimmed), then each
   * continuation line (one leading space or tab removed, ` .` made empty) after a `\n`.
   */
  fields: Map<string, string>;
}

export interface ControlParse {
  paragraphs: ControlParagraph[];
  /** Malformed lines, duplicate fields, limits reached: at most MAX_PROBLEMS, then a count. */
  problems: string[];
}

export interface ControlLimits {
  maxParagraphs: number;
  maxFieldsPerParagraph: number;
  /** Longest value kept; the rest of a longer value is dropped. */
  maxValueChars: number;
}

export const DEFAULT_CONTROL_LIMITS: ControlLimits = {
  maxParagraphs: 200_000,
  maxFieldsPerParagraph: 500,
  maxValueChars: 4 * 1024 * 1024,
};

const MAX_PROBLEMS = 20;
/** Printable ASCII except `:` (Debian policy 5.1); it may not start with `#` or `-`. */
const FIELD_NAME = /^[!-9;-~]+$/;

export function parseControl(
  text: string,
  limits: ControlLimits = DEFAULT_CONTROL_LIMITS,
): ControlParse {
  const parser = new ControlParser(limits);
  let lineNumber = 0;
  for (const line of lines(text)) {
    lineNumber += 1;
    if (!parser.accept(line, lineNumber)) break;
  }
  return parser.finish();
}

class ControlParser {
  private readonly paragraphs: ControlParagraph[] = [];
  private readonly problems = new BoundedMessages(MAX_PROBLEMS);
  private current: ControlParagraph | undefined;
  /** The field continuation lines append to; undefined after a skipped field. */
  private field: string | undefined;

  constructor(private readonly limits: ControlLimits) {}

  /** Takes one line; false once the paragraph limit is reached. */
  accept(line: string, lineNumber: number): boolean {
    if (line.trim() === '') {
      this.endParagraph();
      return true;
    }
    const first = line.charCodeAt(0);
    if (first === 32 || first === 9) {
      this.continueField(line, lineNumber);
      return true;
    }
    if (this.current === undefined) {
      if (this.paragraphs.length >= this.limits.maxParagraphs) {
        this.problem(`more than ${this.limits.maxParagraphs} paragraphs; the rest is ignored`);
        return false;
      }
      this.current = { line: lineNumber, fields: new Map() };
    }
    this.startField(this.current, line, lineNumber);
    return true;
  }

  finish(): ControlParse {
    this.endParagraph();
    return { paragraphs: this.paragraphs, problems: this.problems.list() };
  }

  private startField(paragraph: ControlParagraph, line: string, lineNumber: number): void {
    this.field = undefined;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trimEnd().toLowerCase() : '';
    if (!FIELD_NAME.test(name) || name.startsWith('#') || name.startsWith('-')) {
      this.problem(`line ${lineNumber}: not a field`);
      return;
    }
    if (paragraph.fields.has(name)) {
      this.problem(`line ${lineNumber}: duplicate field ${name}; the first is kept`);
      return;
    }
    if (paragraph.fields.size >= this.limits.maxFieldsPerParagraph) {
      this.problem(`line ${lineNumber}: more than ${this.limits.maxFieldsPerParagraph} fields`);
      return;
    }
    paragraph.fields.set(name, this.clamp(line.slice(colon + 1).trim()));
    this.field = name;
  }

  private continueField(line: string, lineNumber: number): void {
    const paragraph = this.current;
    if (paragraph === undefined) {
      this.problem(`line ${lineNumber}: continuation line outside a paragraph`);
      return;
    }
    if (this.field === undefined) return; // continues a field already reported and skipped
    const previous = paragraph.fields.get(this.field) ?? '';
    if (previous.length >= this.limits.maxValueChars) return;
    const content = line.slice(1).trimEnd();
    paragraph.fields.set(this.field, this.clamp(`${previous}\n${content === '.' ? '' : content}`));
  }

  private endParagraph(): void {
    if (this.current !== undefined) this.paragraphs.push(this.current);
    this.current = undefined;
    this.field = undefined;
  }

  private clamp(value: string): string {
    return value.length > this.limits.maxValueChars
      ? value.slice(0, this.limits.maxValueChars)
      : value;
  }

  private problem(message: string): void {
    this.problems.add(message);
  }
}

/** The first line of a field value (multi-line fields such as Description carry a synopsis). */
export function firstLine(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const end = value.indexOf('\n');
  return end === -1 ? value : value.slice(0, end);
}
