/**
 * Ruby gems. Installed ones: the `specifications/*.gemspec` (and `specifications/default/`)
 * files RubyGems writes for every installed gem, wherever the gem directory is
 * (`/usr/lib/ruby/gems/3.1.0`, `/usr/local/bundle`, Debian's rubygems-integration). Those files
 * are Ruby, read here as text — never evaluated — for the literal assignments RubyGems writes
 * (`s.name = "rake".freeze`, `s.version = "13.0.6"`, `s.licenses = ["MIT".freeze]`).
 * Apps: `Gemfile.lock` (and `gems.locked`), the specs of its GEM, GIT, PATH and plugin sections,
 * listed besides installed gems as Syft does (the lockfile and the gem directory are usually
 * in different places, and each is evidence on its own).
 */
import { posix } from 'node:path';
import type { CatalogContext, Cataloger, FoundPackage } from '../cataloger.js';
import { locationOf } from '../cataloger.js';
import { bytesCollector, collectedValues } from '../collectors.js';
import { cpes, purl } from '../identifiers.js';

/** What is kept of one gemspec. */
export interface GemSpec {
  name: string;
  version: string;
  licenses: string[];
  authors: string[];
  homepage?: string;
  platform?: string;
}

/** One gem a Gemfile.lock pins. */
export interface LockedGem {
  name: string;
  version: string;
  /** The platform suffix of a native gem: `nokogiri (1.16.0-x86_64-linux)`. */
  platform?: string;
}

const MAX_GEMSPEC_BYTES = 1024 ** 2;
const MAX_LOCKFILE_BYTES = 32 * 1024 ** 2;
const MAX_LOCKED_GEMS = 200_000;
/** Longest string literal kept (a description can be long; names and versions are short). */
const MAX_STRING_LENGTH = 4096;
const MAX_ARRAY_ITEMS = 256;
/** Source characters one literal may span before it is given up on. */
const MAX_LITERAL_SOURCE = MAX_STRING_LENGTH * 4;
/**
 * Assignments read per gemspec. A generated one has one of each attribute; without a cap, a
 * hostile file of many unterminated literals would be scanned once per assignment (quadratic).
 */
const MAX_ASSIGNMENTS_READ = 64;

function isGemspec(path: string): boolean {
  if (!path.endsWith('.gemspec')) return false;
  const dir = posix.dirname(path);
  return dir.endsWith('/specifications') || dir.endsWith('/specifications/default');
}

/** `…/gems/rbs-2.7.0/…`: inside an installed gem's own directory. */
const INSIDE_INSTALLED_GEM = /\/gems\/[^/]+-\d[^/]*\//;

/**
 * An app's lockfile; not one shipped inside an installed gem (rbs carries its test suite's
 * Gemfile.lock), which pins the gem's development dependencies, not anything installed.
 */
function isGemLockfile(path: string): boolean {
  return (
    (path.endsWith('/Gemfile.lock') || path.endsWith('/gems.locked')) &&
    !INSIDE_INSTALLED_GEM.test(path)
  );
}

export const gemspecCollector = bytesCollector<GemSpec>({
  name: 'gem-specification',
  version: 2,
  maxBytes: MAX_GEMSPEC_BYTES,
  wants: ({ path }) => isGemspec(path),
  parse: ({ data }) => parseGemspec(data.toString()),
});

export const gemLockfileCollector = bytesCollector<LockedGem[]>({
  name: 'gem-lockfile',
  version: 2,
  maxBytes: MAX_LOCKFILE_BYTES,
  wants: ({ path }) => isGemLockfile(path),
  parse: ({ data, truncated }) => (truncated ? undefined : parseGemfileLock(data.toString())),
});

// ---- gemspec text ----

type RubyValue = string | string[];

/** The fields read, by attribute name (`s.<attribute> = …`). */
const ATTRIBUTES =
  /^[ \t]*[a-z_]\w*\.(name|version|licenses?|authors?|homepage|platform)[ \t]*=(?!=)/gm;

/**
 * The literal assignments of a generated gemspec. A value that is not a literal (a constant, a
 * method call) is skipped; the `# stub: <name> <version>` line RubyGems writes at the top is the
 * fallback for the name and version.
 */
export function parseGemspec(text: string): GemSpec | undefined {
  const values = new Map<string, RubyValue>();
  let read = 0;
  for (const match of text.matchAll(ATTRIBUTES)) {
    if (read++ >= MAX_ASSIGNMENTS_READ) break;
    const attribute = match[1];
    if (attribute === undefined || values.has(attribute)) continue;
    const value = new RubyLiteralReader(text, match.index + match[0].length).value();
    if (value !== undefined) values.set(attribute, value);
  }
  const stub = /^# stub: (\S+) (\S+)/m.exec(text);
  const name = single(values.get('name')) ?? stub?.[1];
  const version = single(values.get('version')) ?? stub?.[2];
  if (name === undefined || version === undefined) return undefined;
  const spec: GemSpec = {
    name,
    version,
    licenses: list(values.get('licenses') ?? values.get('license')),
    authors: list(values.get('authors') ?? values.get('author')),
  };
  const homepage = single(values.get('homepage'));
  const platform = single(values.get('platform'));
  if (homepage !== undefined) spec.homepage = homepage;
  if (platform !== undefined && platform !== 'ruby') spec.platform = platform;
  return spec;
}

function single(value: RubyValue | undefined): string | undefined {
  const text = typeof value === 'string' ? value.trim() : undefined;
  return text === '' ? undefined : text;
}

function list(value: RubyValue | undefined): string[] {
  const items = typeof value === 'string' ? [value] : (value ?? []);
  return items.map((item) => item.trim()).filter((item) => item !== '');
}

const PERCENT_CLOSERS: Record<string, string> = { '(': ')', '[': ']', '{': '}', '<': '>' };
const DOUBLE_QUOTE_ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  s: ' ',
  '0': '\0',
  e: '\x1b',
};

/**
 * Reads one Ruby literal: a string (`"…"`, `'…'`, `%q<…>`, `%Q{…}`), optionally `.freeze`d; an
 * array of strings (`[…]`, `%w[…]`); or `Gem::Version.new(<string>)`. Anything else is
 * undefined. Every loop advances `pos`, so input of any shape ends.
 */
class RubyLiteralReader {
  constructor(
    private readonly text: string,
    private pos: number,
  ) {}

  value(): RubyValue | undefined {
    this.skipSpaces();
    if (this.text.startsWith('[', this.pos)) return this.array();
    if (/^%[wW][^\w\s]/.test(this.text.slice(this.pos, this.pos + 3))) return this.wordArray();
    const version = /^(?:::)?Gem::Version\.new\(\s*/.exec(this.text.slice(this.pos, this.pos + 64));
    if (version !== null) {
      this.pos += version[0].length;
      return this.string();
    }
    return this.string();
  }

  private skipSpaces(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] ?? '')) this.pos++;
  }

  private string(): string | undefined {
    const c = this.text[this.pos];
    let value: string | undefined;
    if (c === '"' || c === "'") {
      this.pos++;
      value = this.quoted(c, c, c === '"');
    } else if (c === '%' && /^%[qQ][^\w\s]/.test(this.text.slice(this.pos, this.pos + 3))) {
      const open = this.text[this.pos + 2] ?? '';
      this.pos += 3;
      value = this.quoted(open, PERCENT_CLOSERS[open] ?? open, this.text[this.pos - 2] === 'Q');
    }
    if (value !== undefined && this.text.startsWith('.freeze', this.pos)) this.pos += 7;
    return value;
  }

  /** The body of a string up to `close`; nested `open`/`close` pairs count as Ruby does. */
  private quoted(open: string, close: string, interpreted: boolean): string | undefined {
    let out = '';
    let depth = 0;
    const giveUpAt = Math.min(this.text.length, this.pos + MAX_LITERAL_SOURCE);
    while (this.pos < giveUpAt) {
      const c = this.text[this.pos++] ?? '';
      if (c === '\\') {
        out += interpreted ? this.escape() : this.literalEscape(open, close);
      } else if (c === close && depth === 0) {
        return out.length > MAX_STRING_LENGTH ? out.slice(0, MAX_STRING_LENGTH) : out;
      } else {
        if (open !== close && c === open) depth++;
        else if (open !== close && c === close) depth--;
        out += c;
      }
    }
    return undefined; // unterminated, or longer than any value worth keeping
  }

  /** In `'…'` and `%q`, only `\\` and the delimiters are escapes. */
  private literalEscape(open: string, close: string): string {
    const next = this.text[this.pos] ?? '';
    if (next === '\\' || next === open || next === close) {
      this.pos++;
      return next;
    }
    return '\\';
  }

  /** `"…"` escapes RubyGems writes: `\u00E9`, `\u{1F600}`, `\xE9`, `\n`, `\"`, `\#` … */
  private escape(): string {
    const c = this.text[this.pos++] ?? '';
    if (c === 'u') {
      const match = /^(?:\{([0-9A-Fa-f]{1,6})\}|([0-9A-Fa-f]{4}))/.exec(
        this.text.slice(this.pos, this.pos + 8),
      );
      const hex = match?.[1] ?? match?.[2];
      if (match === null || hex === undefined) return 'u';
      this.pos += match[0].length;
      const code = Number.parseInt(hex, 16);
      return code <= 0x10ffff ? String.fromCodePoint(code) : '';
    }
    if (c === 'x') {
      const match = /^[0-9A-Fa-f]{1,2}/.exec(this.text.slice(this.pos, this.pos + 2));
      if (match === null) return 'x';
      this.pos += match[0].length;
      return String.fromCharCode(Number.parseInt(match[0], 16));
    }
    return DOUBLE_QUOTE_ESCAPES[c] ?? c;
  }

  private array(): string[] | undefined {
    this.pos++; // [
    const items: string[] = [];
    for (;;) {
      this.skipSpaces();
      if (this.text[this.pos] === ']') {
        this.pos++;
        return items;
      }
      const item = this.string();
      if (item === undefined || items.length >= MAX_ARRAY_ITEMS) return undefined;
      items.push(item);
      this.skipSpaces();
      if (this.text[this.pos] === ',') this.pos++;
    }
  }

  private wordArray(): string[] | undefined {
    const open = this.text[this.pos + 2] ?? '';
    this.pos += 3;
    const body = this.quoted(open, PERCENT_CLOSERS[open] ?? open, false);
    return body
      ?.split(/\s+/)
      .filter((w) => w !== '')
      .slice(0, MAX_ARRAY_ITEMS);
  }
}

// ---- Gemfile.lock ----

/** Sections whose `specs:` list installed gems. */
const SPEC_SECTIONS = new Set(['GEM', 'GIT', 'PATH', 'PLUGIN SOURCE']);
/** `    name (version[-platform])`: four spaces; dependencies of a spec are indented six. */
const SPEC_LINE = /^ {4}([^\s(][^\s]*) \(([^)\s]+)\)$/;

export function parseGemfileLock(text: string): LockedGem[] {
  const gems: LockedGem[] = [];
  let inSpecSection = false;
  for (const line of text.split(/\r?\n/)) {
    if (line !== '' && !line.startsWith(' ')) {
      inSpecSection = SPEC_SECTIONS.has(line.trim());
      continue;
    }
    const match = inSpecSection ? SPEC_LINE.exec(line) : null;
    if (match?.[1] === undefined || match[2] === undefined) continue;
    if (gems.length >= MAX_LOCKED_GEMS) break;
    // Bundler's own reading: the version has no `-`; what follows the first `-` is the platform.
    const dash = match[2].indexOf('-');
    const gem: LockedGem = {
      name: match[1],
      version: dash < 0 ? match[2] : match[2].slice(0, dash),
    };
    if (dash > 0) gem.platform = match[2].slice(dash + 1);
    if (gem.version !== '') gems.push(gem);
  }
  return gems;
}

// ---- cataloger ----

export const gemCataloger: Cataloger = {
  name: 'gem',
  kind: 'language',
  collectors: [gemspecCollector, gemLockfileCollector],
  catalog: catalogGems,
};

function catalogGems({ tree }: CatalogContext): FoundPackage[] {
  const installed = collectedValues(tree, gemspecCollector).map(({ path, value }) =>
    gemPackage(value, locationOf(tree, path), {
      authors: value.authors.join(', ') || undefined,
      homepage: value.homepage,
      platform: value.platform,
    }),
  );
  const locked = collectedValues(tree, gemLockfileCollector).flatMap(({ path, value }) => {
    const location = locationOf(tree, path);
    const unique = new Map(value.map((gem) => [`${gem.name}@${gem.version}`, gem]));
    return [...unique.values()].map((gem) =>
      gemPackage({ ...gem, licenses: [] }, location, { platform: gem.platform }),
    );
  });
  return [...installed, ...locked];
}

function gemPackage(
  gem: { name: string; version: string; licenses: string[] },
  location: FoundPackage['locations'][number],
  metadata: Record<string, string | undefined>,
): FoundPackage {
  return {
    type: 'gem',
    name: gem.name,
    version: gem.version,
    licenses: gem.licenses,
    purl: purl({ type: 'gem', name: gem.name, version: gem.version }),
    cpes: cpes([gem.name, `${gem.name}_project`], [gem.name], gem.version),
    locations: [location],
    metadata,
  };
}
