/** `drydock files` output: the squashed file inventory as a listing or as JSON. */
import type { FileEntry, FileType, ImageAnalysis } from '../model/index.js';
import { formatPlatform } from '../source/platform.js';
import { printable } from '../util/text.js';
import { fileEntryJson, jsonArray } from './json-lines.js';
import { columns, type Align } from './table.js';

const TYPE_CHAR: Record<FileType, string> = {
  file: '-',
  hardlink: '-',
  dir: 'd',
  symlink: 'l',
  char: 'c',
  block: 'b',
  fifo: 'p',
};

/** `ls -l` style: `-rwsr-xr-x`, `drwxrwxrwt`, `lrwxrwxrwx`. */
export function modeString(type: FileType, mode: number): string {
  const special = [0o4000, 0o2000, 0o1000];
  const executeMarks = [
    ['s', 'S'],
    ['s', 'S'],
    ['t', 'T'],
  ];
  let text = TYPE_CHAR[type];
  for (let who = 0; who < 3; who++) {
    const bits = (mode >> (6 - 3 * who)) & 0o7;
    const specialSet = (mode & (special[who] ?? 0)) !== 0;
    const [setExecutable, setOnly] = executeMarks[who] ?? ['x', '-'];
    const execute = bits & 1 ? (specialSet ? setExecutable : 'x') : specialSet ? setOnly : '-';
    text += `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${execute}`;
  }
  return text;
}

/** Symlinks as `ls` shows them, hard links as `tar -tv` does. */
function pathColumn(file: FileEntry): string {
  if (file.type === 'symlink') return `${file.path} -> ${file.linkTarget ?? ''}`;
  if (file.type === 'hardlink') return `${file.path} link to ${file.linkTarget ?? ''}`;
  return file.path;
}

function digestColumn(hex: string | undefined): string {
  return hex ? hex.slice(0, 12) : '-';
}

export function filesText(images: readonly ImageAnalysis[]): string {
  if (images.length === 1 && images[0]) return `${listing(images[0].files)}\n`;
  return `${images
    .map(
      (image) =>
        `# ${printable(`${image.metadata.source} (${formatPlatform(image.metadata)})`)}\n${listing(image.files)}`,
    )
    .join('\n\n')}\n`;
}

function listing(files: readonly FileEntry[]): string {
  const withMd5 = files.some((file) => file.md5 !== undefined);
  const head = ['MODE', 'UID:GID', 'SIZE', 'LAYER', 'SHA256', ...(withMd5 ? ['MD5'] : []), 'PATH'];
  const align: Align[] = ['left', 'left', 'right', 'right'];
  const rows = files.map((file) => [
    modeString(file.type, file.mode),
    `${file.uid}:${file.gid}`,
    String(file.size),
    String(file.layerIndex),
    digestColumn(file.sha256),
    ...(withMd5 ? [digestColumn(file.md5)] : []),
    pathColumn(file),
  ]);
  return columns(head, rows, align);
}

/**
 * One image: the array of its files; several (`--platform all`): an array of
 * `{source, platform, manifestDigest, files}`. Yielded in pieces, one file per line, so a
 * million-file image never becomes one giant string.
 */
export function* filesJson(images: readonly ImageAnalysis[], asArray: boolean): Generator<string> {
  if (!asArray) {
    yield* jsonArray(images[0]?.files ?? [], '', fileEntryJson);
    yield '\n';
    return;
  }
  yield '[';
  for (const [i, image] of images.entries()) {
    const { source, manifestDigest } = image.metadata;
    const head = JSON.stringify({
      source,
      platform: formatPlatform(image.metadata),
      manifestDigest,
    });
    yield `${i === 0 ? '' : ','}\n  ${head.slice(0, -1)},"files":`;
    yield* jsonArray(image.files, '  ', fileEntryJson);
    yield '}';
  }
  yield '\n]\n';
}
