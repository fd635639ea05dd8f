/** PLACEHOLDER: replaced by distribution detection. */
import type { Distro, FileCollector } from '../model/index.js';
import type { FileTree } from '../source/squash.js';

export const distroCollectors: readonly FileCollector[] = [];

export function detectDistro(_tree: FileTree): Distro | undefined {
  return undefined;
}
