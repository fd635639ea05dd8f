/**
 * License strings as package databases give them ("GPL-2.0-or-later", "MIT OR Apache-2.0",
 * "GPLv3+", "BSD") sorted into what the SBOM standards can carry: a listed SPDX id, a valid
 * SPDX expression, or a free-form name.
 */
import { cyclonedxLibrary } from './cyclonedx-library.js';

export type LicenseKind =
  | { kind: 'id'; id: string }
  | { kind: 'expression'; expression: string }
  | { kind: 'name'; name: string };

/** Longer strings are license texts, not identifiers: never parsed. */
const MAX_EXPRESSION_CHARS = 1000;
/** Parentheses nested deeper than this are not a real expression. */
const MAX_DEPTH = 16;
const LICENSE_REF = /^(?:DocumentRef-[A-Za-z0-9.-]+:)?LicenseRef-[A-Za-z0-9.-]+$/;
const TOKEN = /\s*(\(|\)|[A-Za-z0-9.+:-]+)/y;

export function classifyLicense(text: string): LicenseKind {
  const trimmed = text.trim();
  const id = cyclonedxLibrary().SPDX.fixupSpdxId(trimmed);
  if (id !== undefined) return { kind: 'id', id };
  if (trimmed.length <= MAX_EXPRESSION_CHARS && isSpdxExpression(trimmed)) {
    return { kind: 'expression', expression: trimmed };
  }
  return { kind: 'name', name: trimmed };
}

/** `LicenseRef-` plus the name with every character SPDX ids do not allow replaced. */
export function licenseRef(name: string): string {
  const cleaned = name.replace(/\+/g, '-plus').replace(/[^A-Za-z0-9.-]+/g, '-');
  return `LicenseRef-${cleaned.replace(/^-+|-+$/g, '') || 'unknown'}`;
}

/**
 * SPDX license expression grammar (spec annex D): terms joined by AND/OR, a term is a listed
 * license id (optionally `+`) or a LicenseRef, optionally `WITH exception`, parentheses group.
 */
export function isSpdxExpression(text: string): boolean {
  const tokens = tokenize(text);
  if (tokens === undefined || tokens.length === 0) return false;
  const parser = new ExpressionParser(tokens);
  return parser.expression(0) && parser.done();
}

function tokenize(text: string): string[] | undefined {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const start = TOKEN.lastIndex;
    const match = TOKEN.exec(text);
    if (match === null) return text.slice(start).trim() === '' ? tokens : undefined;
    tokens.push(match[1] ?? '');
  }
  return tokens;
}

class ExpressionParser {
  private position = 0;
  constructor(private readonly tokens: readonly string[]) {}

  done(): boolean {
    return this.position === this.tokens.length;
  }

  expression(depth: number): boolean {
    if (!this.term(depth)) return false;
    while (this.peek() === 'AND' || this.peek() === 'OR') {
      this.position++;
      if (!this.term(depth)) return false;
    }
    return true;
  }

  private term(depth: number): boolean {
    if (!this.atom(depth)) return false;
    if (this.peek() === 'WITH') {
      this.position++;
      const exception = this.next();
      return exception !== undefined && /^[A-Za-z0-9.-]+$/.test(exception);
    }
    return true;
  }

  private atom(depth: number): boolean {
    const token = this.next();
    if (token === '(') {
      if (depth >= MAX_DEPTH || !this.expression(depth + 1)) return false;
      return this.next() === ')';
    }
    if (token === undefined) return false;
    if (LICENSE_REF.test(token)) return true;
    const id = token.endsWith('+') ? token.slice(0, -1) : token;
    return cyclonedxLibrary().SPDX.isSupportedSpdxId(id);
  }

  private peek(): string | undefined {
    return this.tokens[this.position];
  }

  private next(): string | undefined {
    return this.tokens[this.position++];
  }
}
