/** PLACEHOLDER: replaced by the secret scanner. */
import type { FileCollector, SecretFinding } from '../model/index.js';
import type { FileTree } from '../source/squash.js';

export interface SecretScanOptions {
  /** Extra patterns by name (JavaScript regular expressions). */
  patterns?: Record<string, string>;
}

export function secretCollectors(_options: SecretScanOptions = {}): FileCollector[] {
  return [];
}

export function findSecrets(_tree: FileTree): SecretFinding[] {
  return [];
}
