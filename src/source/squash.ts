/**
 * Stacks layer results into the file tree a container sees, as overlayfs does: whiteouts and
 * opaque directories hide lower layers, later layers win, and symlinks resolve inside the root.
 */
import {
  DrydockError,
  type CollectedFile,
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
  private byCollector: Map<string, CollectedFile[]> | undefined;

  constructor(
    private readonly files: ReadonlyMap<string, FileEntry>,
    private readonly collectedFiles: ReadonlyMap<string, readonly CollectedFile[]>,
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

  /** What `collector` kept of the file `path` leads to (`/etc/os-release` → `/usr/lib/os-release`). */
  collectedResolved(path: string, collector: string): unknown {
    const real = this.resolvePath(path);
    return real === undefined ? undefined : pick(this.collectedFiles.get(real), collector);
  }

  /** Everything `collector` kept of the visible files, sorted by path. */
  collectedBy(collector: string): readonly CollectedFile[] {
    if (this.byCollector === undefined) {
      this.byCollector = new Map();
      const paths = [...this.collectedFiles.keys()].sort(compare);
      for (const path of paths) {
        for (const file of this.collectedFiles.get(path) ?? []) {
          const list = this.byCollector.get(file.collector);
          if (list === undefined) this.byCollector.set(file.collector, [file]);
          else list.push(file);
        }
      }
    }
    return this.byCollector.get(collector) ?? [];
  }
}

function pick(files: readonly CollectedFile[] | undefined, collector: string): unknown {
  return files?.find((file) => file.collector === collector)?.value;
}

export function squashLayers(layers: readonly SquashInput[], limits: Limits): FileTree {
  const builder = new TreeBuilder();
  for (const layer of [...layers].sort((a, b) => a.index - b.index)) builder.apply(layer);
  return new FileTree(builder.files, builder.collected, limits.maxSymlinkHops);
}

/**
 * Keeps a child index beside the entries so that hiding a directory costs as much as what it
 * holds, not as much as the whole tree. Directories that no tar entry names (tars may omit
 * them) are in the index too, so a whiteout of such a directory still finds everything below.
 */
class TreeBuilder {
  readonly files = new Map<string, FileEntry>();
  readonly collected = new Map<string, CollectedFile[]>();
  /** Invariant: a directory has a set here only if it is in its parent's set. */
  private readonly children = new Map<string, Set<string>>();

  apply({ analysis, index }: SquashInput): void {
    for (const dir of analysis.opaqueDirs) this.removeDescendants(dir);
    for (const path of analysis.whiteouts) this.remove(path);
    const collected = new Map<string, CollectedFile[]>();
    for (const file of analysis.collected) {
      const list = collected.get(file.path);
      if (list === undefined) collected.set(file.path, [file]);
      else list.push(file);
    }
    // A layer keeps what collectors saw of the last entry at a path; an earlier entry at the
    // same path must not get it, or a hard link made to it in between would.
    const owners = new Map<string, LayerFileEntry>();
    if (collected.size > 0) {
      for (const entry of analysis.entries)
        if (collected.has(entry.path)) owners.set(entry.path, entry);
    }
    for (const entry of analysis.entries) {
      const visible = visibleEntry(entry, analysis.digest, index);
      const kept =
        owners.get(entry.path) === entry
          ? collected.get(entry.path)
          : this.resolveHardLink(visible);
      this.put(visible, kept);
    }
  }

  /**
   * A hard link takes its target's size, digests and what collectors kept of it. Entries apply in order, so the
   * target is in the tree whether an earlier entry of this layer or a lower layer wrote it.
   */
  private resolveHardLink(link: FileEntry): CollectedFile[] | undefined {
    if (link.type !== 'hardlink' || link.linkTarget === undefined) return undefined;
    const target = this.files.get(link.linkTarget);
    if (target?.sha256 === undefined) return undefined;
    link.size = target.size;
    link.sha256 = target.sha256;
    if (target.md5 !== undefined) link.md5 = target.md5;
    return this.collected.get(target.path)?.map((file) => ({ ...file, path: link.path }));
  }

  private put(entry: FileEntry, kept: CollectedFile[] | undefined): void {
    // A non-directory replacing a directory (named or implied by paths below it) takes the
    // directory's contents with it, as in overlayfs.
    if (entry.type !== 'dir') this.removeDescendants(entry.path);
    this.files.set(entry.path, entry);
    if (kept === undefined) this.collected.delete(entry.path);
    else this.collected.set(entry.path, kept);
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
    this.collected.delete(path);
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
        this.collected.delete(kid);
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
