/**
 * Licenses from a Debian package's `/usr/share/doc/<package>/copyright`. A machine-readable
 * (DEP-5) file names them in `License:` fields; a free-form file is read conservatively: only
 * references to the licenses Debian ships in `/usr/share/common-licenses/` count, because prose
 * that merely mentions a license is not a statement that the package is under it.
 */
import {
  firstLine,
  parseControl,
  type ControlLimits,
  type ControlParagraph,
} from './control-file.js';

/** Most licenses kept for one file; a real one names a few dozen at most. */
const MAX_LICENSES = 100;
/** A license short name longer than this is prose, not a name. */
const MAX_NAME_CHARS = 120;

/** The files in Debian's `/usr/share/common-licenses/` (base-files), which free-form files cite. */
const COMMON_LICENSES = new Set([
  'Apache-2.0',
  'Artistic',
  'BSD',
  'CC0-1.0',
  'GFDL',
  'GFDL-1.2',
  'GFDL-1.3',
  'GPL',
  'GPL-1',
  'GPL-2',
  'GPL-3',
  'LGPL',
  'LGPL-2',
  'LGPL-2.1',
  'LGPL-3',
  'MPL-1.1',
  'MPL-2.0',
]);

const COMMON_LICENSE_PATH = /\/usr\/share\/common-licenses\/([A-Za-z0-9.+_-]+)/g;
/** `Format:` URIs of the copyright-format spec (1.0) and of its DEP-5 drafts. */
const DEP5_FORMAT = /copyright-format|dep5/i;
/** Separators of a DEP-5 license expression: `A or B`, `A and B`, `A and/or B`, `A, B`. */
const EXPRESSION_SEPARATOR = /\s*,?\s+(?:or|and\/or|and)\s+|\s*,\s*/i;

/** Bounds for the paragraphs of one copyright file (its bytes are bounded by the collector). */
const COPYRIGHT_LIMITS: ControlLimits = {
  maxParagraphs: 5_000,
  maxFieldsPerParagraph: 50,
  maxValueChars: 256 * 1024,
};

/** The license names a copyright file gives, sorted and de-duplicated. */
export function parseDebianCopyright(text: string): string[] {
  const { paragraphs } = parseControl(text, COPYRIGHT_LIMITS);
  const names = isMachineReadable(paragraphs[0])
    ? paragraphs.flatMap(licensesOf)
    : commonLicenseReferences(text);
  return [...new Set(names)].sort().slice(0, MAX_LICENSES);
}

/** DEP-5 puts `Format:` (`Format-Specification:` in its drafts) in the first paragraph. */
function isMachineReadable(header: ControlParagraph | undefined): boolean {
  const format = header?.fields.get('format') ?? header?.fields.get('format-specification');
  return format !== undefined && DEP5_FORMAT.test(format);
}

/** The names in a paragraph's `License:` expression (its first line; the rest is the text). */
function licensesOf(paragraph: ControlParagraph): string[] {
  const expression = firstLine(paragraph.fields.get('license')) ?? '';
  return expression
    .split(EXPRESSION_SEPARATOR)
    .map((name) => name.trim())
    .filter(isLicenseName);
}

function isLicenseName(name: string): boolean {
  return name !== '' && name.length <= MAX_NAME_CHARS && name.toLowerCase() !== 'none';
}

/** `/usr/share/common-licenses/GPL-2.` → `GPL-2` (a sentence's full stop is not part of it). */
function commonLicenseReferences(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(COMMON_LICENSE_PATH)) {
    const name = (match[1] ?? '').replace(/\.+$/, '');
    if (COMMON_LICENSES.has(name)) names.push(name);
  }
  return names;
}
