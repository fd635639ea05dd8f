/** Text from images, registries and archives is untrusted: make it safe to show on a terminal. */

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Escapes control and bidirectional-override characters (which could rewrite what a terminal
 * shows) and keeps at most `maxChars` characters.
 */
export function printable(text: string, maxChars = Infinity): string {
  const clipped = text.length > maxChars ? text.slice(0, maxChars) : text;
  return clipped.replace(
    UNSAFE,
    (ch) => NAMED_ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * Joins a multi-line text into one line: each line trimmed, a trailing `\` continuation dropped,
 * blank lines skipped. Split and trim rather than a `\s*\n\s*` regex, which is quadratic on long
 * runs of spaces.
 */
export function oneLine(text: string): string {
  const lines = text.split('\n').map((line) => line.trim());
  return lines
    .map((line, i) =>
      i < lines.length - 1 && line.endsWith('\\') ? line.slice(0, -1).trimEnd() : line,
    )
    .filter((line) => line !== '')
    .join(' ');
}
