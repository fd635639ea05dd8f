/** anchore-cli's confirmation prompts: Python's input(), the prompt on stdout, one line read. */
import { createInterface } from 'node:readline';
import { writeStdout } from '../run.js';

/** The answer typed (empty at end of input, which anchore-cli reads as no). */
export async function ask(prompt: string): Promise<string> {
  await writeStdout([prompt]);
  const lines = createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const line of lines) return line;
    return '';
  } finally {
    lines.close();
  }
}
