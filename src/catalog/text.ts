/**
 * Reading the text files collectors keep: lines, and the whole lines of a cut-off file.
 */
import type { KeptBytes } from './collectors.js';

/**
 * The kept bytes as UTF-8 text; when the file was cut at the collector's limit, without its
 * last, partial line (a cut-off `Version: 1.2` would otherwise read as version 1.2).
 */
export function keptText(bytes: KeptBytes): string {
  const text = bytes.data.toString('utf8');
  if (!bytes.truncated) return text;
  return text.slice(0, text.lastIndexOf('\n') + 1);
}

/** Lines without their terminators (`\n` or `\r\n`), lazily, so a huge file is not split twice. */
export function* lines(text: string): Generator<string> {
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    yield text.slice(start, stop);
    start = end + 1;
  }
}
