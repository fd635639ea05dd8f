/**
 * Turns batches of OSV source members (zip members still compressed, or files' bytes) into rows
 * ready for the database, on worker threads. Inflating, parsing, validating and re-serialising a
 * record is most of an import's CPU time (two thirds on a 300,000-record dump; the rest is
 * SQLite); on worker threads it runs beside the database writes instead of before them.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { indexKeys, OsvRecordError, parseOsvRecord, type OsvLimits } from './osv.js';
import { ZipError } from '../util/zip.js';
import { inflateMember, type ZipMember } from './zip-file.js';

/** A member of a source: a zip member, or a file's bytes. */
export type SourceMember = ZipMember | { name: string; content: Uint8Array };

/** A valid record as the database keeps it. */
export interface StoredRecord {
  id: string;
  modified: string;
  withdrawn: string | null;
  /** Where the Vulnerability's JSON is in its batch's `json`: from this byte… */
  jsonStart: number;
  /** …to this one. */
  jsonEnd: number;
  /** The (ecosystem, name) pairs it is looked up under (osv.ts `indexKeys`). */
  keys: { ecosystem: string; name: string }[];
  /** The ecosystem of its first affected package: the default feed name comes from it. */
  firstEcosystem?: string;
}

/** A member parsed: its record, or why it was skipped. */
export type ParsedMember =
  { name: string; record: StoredRecord } | { name: string; skipped: string };

/**
 * A batch parsed, its members in order. The records' JSON is UTF-8 in one buffer, which moves to
 * the main thread without a copy and never lands on its JavaScript heap: receiving every record
 * as a string cost the main thread more than SQLite's own work for it, most of it in garbage
 * collection.
 */
export interface ParsedBatch {
  json: Uint8Array;
  members: ParsedMember[];
}

/** What a worker answers for one batch. */
export type ParseReply =
  | { batch: number; parsed: ParsedBatch }
  | { batch: number; error: { zip: boolean; message: string } };

/**
 * Most parser threads, however many cores: parsing takes about twice the CPU time of the writes
 * on the main thread, so with two the main thread is as busy as they are.
 */
const MAX_THREADS = 2;
const PARSER_YOUNG_GENERATION_MB = 8;

/** Parses members; throws ZipError when a zip member fails to inflate or check. */
export function parseMembers(members: readonly SourceMember[], limits: OsvLimits): ParsedBatch {
  // Stored records are compact JSON, rarely bigger than the (often indented) source.
  const json = new Utf8Packer(members.reduce((sum, m) => sum + sourceBytes(m), 0));
  const parsed = members.map((member): ParsedMember => {
    try {
      if ('oversized' in member) throw new OsvRecordError(member.oversized);
      const content = 'data' in member ? inflateMember(member) : member.content;
      return { name: member.name, record: storedRecord(content, limits, json) };
    } catch (error) {
      if (!(error instanceof OsvRecordError)) throw error;
      return { name: member.name, skipped: error.message };
    }
  });
  return { json: json.bytes(), members: parsed };
}

function storedRecord(bytes: Uint8Array, limits: OsvLimits, json: Utf8Packer): StoredRecord {
  const record = parseOsvRecord(
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    limits,
  );
  const firstEcosystem = record.affected[0]?.ecosystem;
  const [jsonStart, jsonEnd] = json.add(JSON.stringify(record));
  return {
    id: record.id,
    modified: record.modified,
    withdrawn: record.withdrawn ?? null,
    jsonStart,
    jsonEnd,
    keys: indexKeys(record),
    ...(firstEcosystem === undefined ? {} : { firstEcosystem }),
  };
}

/** The bytes a member holds once inflated. */
function sourceBytes(member: SourceMember): number {
  if ('data' in member) return member.entry.uncompressedSize;
  return 'content' in member ? member.content.byteLength : 0;
}

/** Texts as UTF-8, back to back, in a buffer of its own that grows as needed. */
class Utf8Packer {
  private buffer: Buffer;
  private length = 0;

  constructor(expectedBytes: number) {
    this.buffer = Buffer.allocUnsafeSlow(Math.max(1024, expectedBytes));
  }

  /** Appends `text`; where its bytes are. */
  add(text: string): [number, number] {
    const size = Buffer.byteLength(text);
    if (this.length + size > this.buffer.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(2 * this.buffer.length, this.length + size));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    const start = this.length;
    this.length += this.buffer.write(text, start);
    return [start, this.length];
  }

  bytes(): Uint8Array {
    return new Uint8Array(this.buffer.buffer, 0, this.length);
  }
}

/**
 * Workers started as batches come (one batch needs one worker), used in turn. Each answers its
 * batches in the order given, so awaiting the promises in order gives the source's order.
 */
export class ParsePool {
  private readonly workers: PoolWorker[] = [];
  private next = 0;
  /** How many threads parse, once batches keep them all busy. */
  readonly threads = Math.max(1, Math.min(MAX_THREADS, availableParallelism()));

  constructor(private readonly limits: OsvLimits) {}

  parse(members: SourceMember[]): Promise<ParsedBatch> {
    if (this.workers.length < this.threads && this.next >= this.workers.length)
      this.workers.push(new PoolWorker(this.limits));
    const worker = this.workers[this.next % this.workers.length] as PoolWorker;
    this.next += 1;
    return worker.parse(members);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close()));
  }
}

class PoolWorker {
  private readonly worker: Worker;
  private readonly waiting = new Map<
    number,
    { resolve: (parsed: ParsedBatch) => void; reject: (error: Error) => void }
  >();
  private batches = 0;
  /** Why the thread is gone, once it is: later batches fail at once rather than wait forever. */
  private gone: Error | undefined;

  constructor(limits: OsvLimits) {
    this.worker = new Worker(workerEntry(), {
      workerData: limits,
      // Parsing makes garbage that dies young: a small young generation keeps each parser's
      // memory low at no cost in time (300,000 records: peak RSS 546 → 453 MB).
      resourceLimits: { maxYoungGenerationSizeMb: PARSER_YOUNG_GENERATION_MB },
    });
    this.worker.on('message', (reply: ParseReply) => {
      this.settle(reply);
    });
    this.worker.on('error', (error) => {
      this.failAll(error);
    });
    this.worker.on('exit', (code) => {
      this.failAll(new Error(`the OSV parser thread stopped (exit code ${code})`));
    });
  }

  parse(members: SourceMember[]): Promise<ParsedBatch> {
    if (this.gone !== undefined) return Promise.reject(this.gone);
    const batch = this.batches++;
    return new Promise((resolve, reject) => {
      this.waiting.set(batch, { resolve, reject });
      this.worker.postMessage({ batch, members });
    });
  }

  async close(): Promise<void> {
    this.gone ??= new Error('the OSV parser thread was closed');
    await this.worker.terminate();
  }

  private settle(reply: ParseReply): void {
    const waiter = this.waiting.get(reply.batch);
    this.waiting.delete(reply.batch);
    if ('parsed' in reply) waiter?.resolve(reply.parsed);
    else
      waiter?.reject(
        reply.error.zip ? new ZipError(reply.error.message) : new Error(reply.error.message),
      );
  }

  private failAll(error: Error): void {
    this.gone ??= error;
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}

/**
 * The worker's module. Built, it is the `.js` beside this one. Run from the TypeScript sources
 * (tests, tsx), node cannot load a `.ts` worker by itself: a small module registers tsx's loader
 * in the new thread first, then loads it.
 */
function workerEntry(): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('./parse-worker.js', import.meta.url);
  const tsx = import.meta.resolve('tsx/esm/api');
  const worker = new URL('./parse-worker.ts', import.meta.url).href;
  const code = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(worker)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}
