/** PLACEHOLDER: replaced by retained files. */
import type { FileCollector, RetainedFile } from '../model/index.js';
import type { FileTree } from '../source/squash.js';

export function retainedFileCollectors(_paths?: readonly string[]): FileCollector[] {
  return [];
}

export function retainedFiles(_tree: FileTree): RetainedFile[] {
  return [];
}
