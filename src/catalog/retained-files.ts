/**
 * Keeps the content of a few small files that policies check (accounts, groups, sudo rules).
 * Password hashes are never kept: of `/etc/shadow` only which accounts have a usable password.
 */
import { createHash } from 'node:crypto';
import type { RetainedFile } from '../model/index.js';
import type { FileTree } from '../source/squash.js';
import { normalizeEntryPath, parentPath } from '../source/layers/paths.js';
import { bytesCollector, type TypedCollector } from './collectors.js';

export const DEFAULT_RETAINED_PATHS: readonly string[] = [
  '/etc/passwd',
  '/etc/group',
  '/etc/shadow',
  '/etc/sudoers',
  '/etc/sudoers.d/*',
];

/** Bump when what is kept of the same paths changes. */
const RETAINED_FILES_VERSION = 1;
const COLLECTOR_NAME = 'retained-files';
const MAX_RETAINED_FILE_BYTES = 256 * 1024;
/** `/etc/sudoers.d/*` in a hostile image could name thousands of files. */
const MAX_RETAINED_FILES = 256;

/** Files whose second field is a password hash: only each account's password status is kept. */
const SHADOW_FILES = new Set(['/etc/shadow', '/etc/shadow-', '/etc/gshadow', '/etc/gshadow-']);
/** passwd files from before shadow passwords may hold hashes too. */
const PASSWD_FILES = new Set(['/etc/passwd', '/etc/passwd-']);
export const SHADOW_SUMMARY_HEADER =
  '# drydock: password status per account (password, locked or empty); hashes are not kept';

/** The size comes from the tree entry: the kept content may be a start or a summary. */
type KeptFile = Omit<RetainedFile, 'path' | 'size'>;

/** Why `path` cannot be a retained path, or undefined: absolute, normalised, `*` only as `dir/*`. */
export function retainedPathProblem(path: string): string | undefined {
  const literal = path.endsWith('/*') ? path.slice(0, -2) : path;
  if (!literal.startsWith('/')) return 'must be an absolute path';
  if (literal.includes('*')) return 'may use * only as a whole last component (/etc/sudoers.d/*)';
  if (normalizeEntryPath(literal).path !== literal) {
    return `must be normalised (${normalizeEntryPath(literal).path})`;
  }
  return undefined;
}

export function retainedFileCollectors(
  paths: readonly string[] = DEFAULT_RETAINED_PATHS,
): TypedCollector<KeptFile>[] {
  if (paths.length === 0) return [];
  const exact = new Set(paths.filter((p) => !p.endsWith('/*')));
  const directories = new Set(paths.filter((p) => p.endsWith('/*')).map((p) => p.slice(0, -2)));
  const identity = JSON.stringify([RETAINED_FILES_VERSION, [...paths].sort()]);
  return [
    bytesCollector({
      name: COLLECTOR_NAME,
      // The paths are part of the version: a config change is a new cache key.
      version: Number.parseInt(
        createHash('sha256').update(identity).digest('hex').slice(0, 12),
        16,
      ),
      maxBytes: MAX_RETAINED_FILE_BYTES,
      wants: ({ path }) => exact.has(path) || directories.has(parentPath(path)),
      parse: ({ data, truncated }, path) => ({
        contentBase64: keptContent(path, data).toString('base64'),
        truncated,
      }),
    }),
  ];
}

export function retainedFiles(tree: FileTree): RetainedFile[] {
  return tree
    .collectedBy(COLLECTOR_NAME)
    .slice(0, MAX_RETAINED_FILES)
    .map(({ path, value }) => ({
      path,
      ...(value as KeptFile),
      size: tree.get(path)?.size ?? 0,
    }));
}

function keptContent(path: string, data: Buffer): Buffer {
  if (SHADOW_FILES.has(path)) return Buffer.from(shadowSummary(data.toString('utf8')));
  if (PASSWD_FILES.has(path)) return Buffer.from(withoutPasswdHashes(data.toString('utf8')));
  return data;
}

/**
 * `name:status` per account: `password` (a usable hash), `locked` (`!` or `*`: no password
 * login) or `empty` (no password needed at all: a policy finding in itself).
 */
export function shadowSummary(text: string): string {
  const lines = [SHADOW_SUMMARY_HEADER];
  for (const line of text.split('\n')) {
    const [name, password] = line.split(':', 2);
    if (name === undefined || password === undefined || name === '' || name.startsWith('#'))
      continue;
    lines.push(`${name}:${passwordStatus(password)}`);
  }
  return `${lines.join('\n')}\n`;
}

function passwordStatus(field: string): 'password' | 'locked' | 'empty' {
  if (field === '') return 'empty';
  return field.startsWith('!') || field.startsWith('*') ? 'locked' : 'password';
}

/** passwd with any hash in the password field replaced; `x`, `*`, `!…` and empty stay. */
function withoutPasswdHashes(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const fields = line.split(':');
      const password = fields[1];
      if (password === undefined || password === 'x' || passwordStatus(password) !== 'password')
        return line;
      fields[1] = 'HASH-REMOVED';
      return fields.join(':');
    })
    .join('\n');
}
