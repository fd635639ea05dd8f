/**
 * Stacks layer results into the file tree a container sees, as overlayfs does: whiteouts and
 * opaque directories hide lower layers, later layers win, and symlinks resolve inside the root.
 */
import {
  DrydockError,
  type CapturedFile,
  type FileEntry,
  type LayerAnalysis,
  type LayerFileEntry,
  type Limits,
} from '../model/index.js';
import { childPath, normalizeEntryPath, parentPath } from './layers/paths.js';

export interface SquashInput {
  analysis: LayerAnalysis;
  /** Position in the image, 0 = base. */
  index: number;
}

/** The squashed view of an image; read-only once built. */
export class FileTree {
  private sorted: FileEntry[] | undefined;

  constructor(
    private readonly files: ReadonlyMap<string, FileEntry>,
    private readonly captures: ReadonlyMap<string, CapturedFile>,
    private readonly maxSymlinkHops: number,
  ) {}

  get size(): number {
    return this.files.size;
  }

  /** The entry at exactly this path (symlinks not followed). */
  get(path: string): FileEntry | undefined {
    return this.files.get(normalizeEntryPath(path).path);
  }

  /** Every visible entry, sorted by path. */
  entries(): readonly FileEntry[] {
    this.sorted ??= [...this.files.values()].sort((a, b) => compare(a.path, b.path));
    return this.sorted;
  }

  /**
   * The path `path` leads to once every symlink on the way is followed. `..` and absolute
   * targets stay inside the image root. Undefined for an empty link target. Throws a
   * 'limit-exceeded' DrydockError on a symlink loop.
   */
  resolvePath(path: string): string | undefined {
    const pending = components(path).reverse();
    let current = '/';
    let hops = 0;
    for (let part = pending.pop(); part !== undefined; part = pending.pop()) {
      if (part === '..') {
        current = parentPath(current);
        continue;
      }
      const next = childPath(current, part);
      const link = this.files.get(next);
      if (link?.type !== 'symlink') {
        current = next;
        continue;
      }
      hops += 1;
      if (hops > this.maxSymlinkHops) throw symlinkLoop(path, this.maxSymlinkHops);
      const target = link.linkTarget ?? '';
      if (target === '') return undefined;
      if (target.startsWith('/')) current = '/';
      pending.push(...components(target).reverse());
    }
    return current;
  }

  /** The entry `path` leads to after following symlinks (see resolvePath). */
  resolve(path: string): FileEntry | undefined {
    const real = this.resolvePath(path);
    return real === undefined ? undefined : this.files.get(real);
  }

  /** Content kept for collectors, if the layer that last wrote `path` kept it. */
  captured(path: string): CapturedFile | undefined {
    return this.captures.get(normalizeEntryPath(path).path);
  }

  /** Like `captured`, after following symlinks (`/etc/os-release` → `/usr/lib/os-release`). */
  capturedResolved(path: string): CapturedFile | undefined {
    const real = this.resolvePath(path);
    return real === undefined ? undefined : this.captures.get(real);
  }
}

export function squashLayers(layers: readonly SquashInput[], limits: Limits): FileTree {
  const builder = new TreeBuilder();
  for (const layer of [...layers].sort((a, b) => a.index - b.index)) builder.apply(layer);
  return new FileTree(builder.files, builder.captures, limits.maxSymlinkHops);
}

/**
 * Keeps a child index beside the entries so that hiding a directory costs as much as what it
 * holds, not as much as the whole tree. Directories that no tar entry names (tars may omit
 * them) are in the index too, so a whiteout of such a directory still finds everything below.
 */
class TreeBuilder {
  readonly files = new Map<string, FileEntry>();
  readonly captures = new Map<string, CapturedFile>();
  /** Invariant: a directory has a set here only if it is in its parent's set. */
  private readonly children = new Map<string, Set<string>>();

  apply({ analysis, index }: SquashInput): void {
    for (const dir of analysis.opaqueDirs) this.removeDescendants(dir);
    for (const path of analysis.whiteouts) this.remove(path);
    const captured = new Map(analysis.captured.map((file) => [file.path, file]));
    // A layer keeps one capture per path, that of the last entry there; an earlier entry at the
    // same path must not get it, or a hard link made to it in between would.
    const owners = new Map<string, LayerFileEntry>();
    if (captured.size > 0) {
      for (const entry of analysis.entries)
        if (captured.has(entry.path)) owners.set(entry.path, entry);
    }
    for (const entry of analysis.entries) {
      const visible = visibleEntry(entry, analysis.digest, index);
      const capture =
        owners.get(entry.path) === entry ? captured.get(entry.path) : this.resolveHardLink(visible);
      this.put(visible, capture);
    }
  }

  /**
   * A hard link takes its target's size, digests and kept content. Entries apply in order, so the
   * target is in the tree whether an earlier entry of this layer or a lower layer wrote it.
   */
  private resolveHardLink(link: FileEntry): CapturedFile | undefined {
    if (link.type !== 'hardlink' || link.linkTarget === undefined) return undefined;
    const target = this.files.get(link.linkTarget);
    if (target?.sha256 === undefined) return undefined;
    link.size = target.size;
    link.sha256 = target.sha256;
    if (target.md5 !== undefined) link.md5 = target.md5;
    const capture = this.captures.get(target.path);
    return capture === undefined ? undefined : { ...capture, path: link.path };
  }

  private put(entry: FileEntry, capture: CapturedFile | undefined): void {
    // A non-directory replacing a directory (named or implied by paths below it) takes the
    // directory's contents with it, as in overlayfs.
    if (entry.type !== 'dir') this.removeDescendants(entry.path);
    this.files.set(entry.path, entry);
    if (capture === undefined) this.captures.delete(entry.path);
    else this.captures.set(entry.path, capture);
    this.index(entry.path);
  }

  private index(path: string): void {
    for (let child = path; child !== '/';) {
      const parent = parentPath(child);
      const siblings = this.children.get(parent);
      if (siblings !== undefined) {
        siblings.add(child);
        return;
      }
      this.children.set(parent, new Set([child]));
      child = parent;
    }
  }

  private remove(path: string): void {
    this.removeDescendants(path);
    this.files.delete(path);
    this.captures.delete(path);
    this.children.get(parentPath(path))?.delete(path);
  }

  private removeDescendants(dir: string): void {
    // Most entries replace no directory; this spares them the stack.
    if (!this.children.has(dir)) return;
    const stack = [dir];
    for (let current = stack.pop(); current !== undefined; current = stack.pop()) {
      const kids = this.children.get(current);
      if (kids === undefined) continue;
      this.children.delete(current);
      for (const kid of kids) {
        this.files.delete(kid);
        this.captures.delete(kid);
        stack.push(kid);
      }
    }
  }
}

/**
 * Every field spelled out, in one order: the squashed entries then share one object shape, which
 * makes building, sorting and printing the tree several times faster than spreading entries whose
 * optional fields vary.
 */
function visibleEntry(entry: LayerFileEntry, layerDigest: string, layerIndex: number): FileEntry {
  return {
    path: entry.path,
    type: entry.type,
    mode: entry.mode,
    uid: entry.uid,
    gid: entry.gid,
    size: entry.size,
    linkTarget: entry.linkTarget,
    sha256: entry.sha256,
    md5: entry.md5,
    mtime: entry.mtime,
    devMajor: entry.devMajor,
    devMinor: entry.devMinor,
    layerDigest,
    layerIndex,
  };
}

function components(path: string): string[] {
  return path.split('/').filter((part) => part !== '' && part !== '.');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function symlinkLoop(path: string, maxHops: number): DrydockError {
  return new DrydockError(
    'limit-exceeded',
    `symlink loop while resolving ${path}: more than ${maxHops} symbolic links followed (limits.maxSymlinkHops)`,
  );
}
