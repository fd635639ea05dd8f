/** A parser thread of parse-pool.ts: answers each batch of members with their parsed rows. */
import { parentPort, workerData } from 'node:worker_threads';
import type { OsvLimits } from './osv.js';
import { parseMembers, type ParseReply, type SourceMember } from './parse-pool.js';
import { ZipError } from '../util/zip.js';

const limits = workerData as OsvLimits;
const port = parentPort;
if (port === null) throw new Error('parse-worker.ts runs only as a worker thread of parse-pool.ts');

port.on('message', ({ batch, members }: { batch: number; members: SourceMember[] }) => {
  let reply: ParseReply;
  try {
    reply = { batch, parsed: parseMembers(members, limits) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    reply = { batch, error: { zip: error instanceof ZipError, message } };
  }
  // The JSON buffer moves to the main thread rather than being copied.
  port.postMessage(reply, 'parsed' in reply ? [reply.parsed.json.buffer as ArrayBuffer] : []);
});
