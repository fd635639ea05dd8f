/**
 * Reads a JSON document shaped `{ "…": scalar, …, "<list>": [ {…}, {…}, … ] }` as it streams in:
 * each top-level member comes out whole, and the elements of the named list one at a time. The
 * CISA KEV catalogue and NVD's API pages and yearly feed files (hundreds of MB) have this shape;
 * no document is ever held whole, only one value at a time, each bounded.
 *
 * The top level is checked token by token; each value is delimited by tracking strings and
 * brackets, then handed to JSON.parse, which checks the rest.
 */
import { EnrichmentFormatError, type EnrichmentLimits } from './feed.js';

export type JsonMembersLimits = Pick<
  EnrichmentLimits,
  'maxRecordBytes' | 'maxRecords' | 'maxDepth'
>;

export type JsonMemberEvent =
  | { kind: 'member'; key: string; value: unknown }
  /** The list has begun (it may hold no element). */
  | { kind: 'list' }
  | { kind: 'element'; index: number; value: unknown };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_LIST = 0x5b;
const CLOSE_LIST = 0x5d;
/** Member names are short; a longer one is not this kind of document. */
const MAX_KEY_BYTES = 1024;

const isSpace = (byte: number): boolean =>
  byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
/** A UTF-8 byte order mark before the document is tolerated. */
const isByteOrderMark = (byte: number): boolean => byte === 0xef || byte === 0xbb || byte === 0xbf;

/** Where the reader is between values: what it expects next. */
type Expect =
  | 'document'
  | 'first-key'
  | 'key'
  | 'colon'
  | 'value'
  | 'member-end'
  | 'first-element'
  | 'element'
  | 'element-end'
  | 'end';

/** Which value a ValueScanner is reading. */
type Reading = 'key' | 'member' | 'element';

export class JsonMemberReader {
  private expect: Expect = 'document';
  private scanner: ValueScanner | undefined;
  private reading: Reading = 'key';
  private key = '';
  private elements = 0;
  /** Bytes seen before the current chunk, for positions in messages. */
  private offset = 0;

  constructor(
    private readonly listKey: string,
    private readonly limits: JsonMembersLimits,
  ) {}

  /** The events completed by `chunk`. */
  push(chunk: Buffer): JsonMemberEvent[] {
    const events: JsonMemberEvent[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.scanner !== undefined) {
        const end = this.scanner.scan(chunk, at);
        if (end < 0) break;
        const value = this.scanner.value(this.offset + end);
        this.scanner = undefined;
        this.completed(value, events);
        at = end;
      } else {
        at = this.token(chunk, at, events);
      }
    }
    this.offset += chunk.length;
    return events;
  }

  /** The document must be complete. */
  end(): void {
    if (this.expect === 'end' && this.scanner === undefined) return;
    throw new EnrichmentFormatError(
      this.offset === 0
        ? 'the file is empty'
        : `the JSON ends early, after ${this.offset} bytes: the file is truncated`,
    );
  }

  /** Handles the byte at `at` between values; returns where to go on. */
  private token(chunk: Buffer, at: number, events: JsonMemberEvent[]): number {
    const byte = chunk[at] ?? 0;
    if (isSpace(byte) || (this.expect === 'document' && isByteOrderMark(byte))) return at + 1;
    switch (this.expect) {
      case 'document':
        if (byte !== OPEN_OBJECT) throw this.unexpected(at, 'a JSON object');
        this.expect = 'first-key';
        return at + 1;
      case 'first-key':
        if (byte === CLOSE_OBJECT) {
          this.expect = 'end';
          return at + 1;
        }
        return this.startKey(byte, at);
      case 'key':
        return this.startKey(byte, at);
      case 'colon':
        if (byte !== COLON) throw this.unexpected(at, `':' after "${this.key}"`);
        this.expect = 'value';
        return at + 1;
      case 'value':
        if (this.key === this.listKey) {
          if (byte !== OPEN_LIST) throw this.unexpected(at, `a list as "${this.key}"`);
          events.push({ kind: 'list' });
          this.expect = 'first-element';
          return at + 1;
        }
        return this.startValue(byte, at, 'member');
      case 'member-end':
        if (byte === COMMA) this.expect = 'key';
        else if (byte === CLOSE_OBJECT) this.expect = 'end';
        else throw this.unexpected(at, "',' or '}'");
        return at + 1;
      case 'first-element':
        if (byte === CLOSE_LIST) {
          this.expect = 'member-end';
          return at + 1;
        }
        return this.startValue(byte, at, 'element');
      case 'element':
        return this.startValue(byte, at, 'element');
      case 'element-end':
        if (byte === COMMA) this.expect = 'element';
        else if (byte === CLOSE_LIST) this.expect = 'member-end';
        else throw this.unexpected(at, `',' or ']' in "${this.listKey}"`);
        return at + 1;
      case 'end':
        throw this.unexpected(at, 'nothing after the end of the JSON document');
    }
  }

  private startKey(byte: number, at: number): number {
    if (byte !== QUOTE) throw this.unexpected(at, 'a member name');
    this.scanner = new ValueScanner(byte, MAX_KEY_BYTES, this.limits.maxDepth);
    this.reading = 'key';
    return at;
  }

  private startValue(byte: number, at: number, reading: Reading): number {
    if (byte === COMMA || byte === CLOSE_OBJECT || byte === CLOSE_LIST || byte === COLON)
      throw this.unexpected(at, 'a value');
    if (reading === 'element' && this.elements >= this.limits.maxRecords)
      throw new EnrichmentFormatError(
        `"${this.listKey}" holds more than ${this.limits.maxRecords} entries, over the limit`,
      );
    this.scanner = new ValueScanner(byte, this.limits.maxRecordBytes, this.limits.maxDepth);
    this.reading = reading;
    return at;
  }

  private completed(value: unknown, events: JsonMemberEvent[]): void {
    switch (this.reading) {
      case 'key':
        this.key = value as string;
        this.expect = 'colon';
        return;
      case 'member':
        events.push({ kind: 'member', key: this.key, value });
        this.expect = 'member-end';
        return;
      case 'element':
        events.push({ kind: 'element', index: this.elements, value });
        this.elements += 1;
        this.expect = 'element-end';
    }
  }

  private unexpected(at: number, wanted: string): EnrichmentFormatError {
    return new EnrichmentFormatError(`expected ${wanted} at byte ${this.offset + at}`);
  }
}

/**
 * Finds the end of one JSON value that may span chunks, keeping its bytes (bounded): a string
 * ends at its closing quote, an object or list at its matching bracket, a number or literal
 * before the next delimiter.
 */
class ValueScanner {
  private readonly parts: Buffer[] = [];
  private size = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private readonly scalar: boolean;

  constructor(
    first: number,
    private readonly maxBytes: number,
    private readonly maxDepth: number,
  ) {
    this.scalar = first !== QUOTE && first !== OPEN_OBJECT && first !== OPEN_LIST;
  }

  /** Scans from `start`; returns the index just past the value, or -1 if it goes on. */
  scan(chunk: Buffer, start: number): number {
    for (let i = start; i < chunk.length; i++) {
      const byte = chunk[i] ?? 0;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (byte === BACKSLASH) this.escaped = true;
        else if (byte === QUOTE) {
          this.inString = false;
          if (this.depth === 0) return this.keep(chunk, start, i + 1);
        }
      } else if (this.scalar) {
        if (isSpace(byte) || byte === COMMA || byte === CLOSE_OBJECT || byte === CLOSE_LIST)
          return this.keep(chunk, start, i);
      } else if (byte === QUOTE) {
        this.inString = true;
      } else if (byte === OPEN_OBJECT || byte === OPEN_LIST) {
        this.depth += 1;
        if (this.depth > this.maxDepth)
          throw new EnrichmentFormatError(`JSON nested deeper than ${this.maxDepth} levels`);
      } else if (byte === CLOSE_OBJECT || byte === CLOSE_LIST) {
        this.depth -= 1;
        if (this.depth === 0) return this.keep(chunk, start, i + 1);
      }
    }
    this.keep(chunk, start, chunk.length);
    return -1;
  }

  /** The parsed value; `position` is where it ends, for messages. */
  value(position: number): unknown {
    const text = Buffer.concat(this.parts, this.size).toString('utf8');
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new EnrichmentFormatError(`invalid JSON before byte ${position} (${reason})`);
    }
  }

  private keep(chunk: Buffer, start: number, end: number): number {
    this.size += end - start;
    if (this.size > this.maxBytes)
      throw new EnrichmentFormatError(
        `a JSON value is over ${this.maxBytes} bytes, the limit for one record`,
      );
    this.parts.push(chunk.subarray(start, end));
    return end;
  }
}

/** The events of the document read from `chunks`, as they complete. */
export async function* jsonMembers(
  chunks: AsyncIterable<Buffer>,
  listKey: string,
  limits: JsonMembersLimits,
): AsyncGenerator<JsonMemberEvent> {
  const reader = new JsonMemberReader(listKey, limits);
  for await (const chunk of chunks) yield* reader.push(chunk);
  reader.end();
}
