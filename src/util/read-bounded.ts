/**
 * Reads a user-named file (an SBOM, a VEX document, a policy bundle, a Dockerfile) whole, as
 * UTF-8, only when it is a regular file of at most `maxBytes`, and never more than that many bytes
 * even if it grows while being read: `/dev/zero` or a huge file must not fill memory.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { DrydockError } from '../model/index.js';

const READ_CHUNK_BYTES = 1024 * 1024;

/** `what` names the file in errors: `--dockerfile`, `the VEX file`. */
export async function readFileBounded(
  file: string,
  maxBytes: number,
  what: string,
): Promise<string> {
  const named = `${what} ${file}`;
  const tooLarge = new DrydockError('limit-exceeded', `${named} is larger than ${maxBytes} bytes`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, 'r');
    const info = await handle.stat();
    if (!info.isFile())
      throw new DrydockError('invalid-argument', `${named} is not a regular file`);
    if (info.size > maxBytes) throw tooLarge;
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(READ_CHUNK_BYTES, maxBytes + 1));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) throw tooLarge;
      chunks.push(chunk.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, length).toString('utf8');
  } catch (e) {
    if (e instanceof DrydockError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new DrydockError('not-found', `${named} cannot be read (${code})`, { cause: e });
  } finally {
    await handle?.close();
  }
}
