// Finds the files that appear in a folder and hands each over once it has stopped changing. fs.watch only says
// "look now": it misses events on network mounts and some drives, so a rescan every few seconds finds whatever it
// missed. A file counts as written when its size and modification time have stayed the same for `settleMs`.
// Backpressure: while the consumer says it is full, new files are not taken; a later scan finds them again.
// A camera folder grows to many thousands of files: a scan stats only files it has not handled yet and those fs.watch
// named, and re-stats everything (a file rewritten in place on a network mount) only every `fullScanEvery` scans.
import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

export interface SeenFile {
  path: string;
  size: number;
  mtimeMs: number;
}

export interface FolderWatcherOptions {
  recursive: boolean;
  /** How long a file's size and modification time must stay the same before it counts as written. */
  settleMs: number;
  /** The periodic rescan (fs.watch misses changes on network mounts). */
  rescanMs: number;
  /** Folders never looked into (the project's own store when the project sits inside the watched folder). */
  skipFolder(dir: string): boolean;
  /** Already handled at this size and modification time. */
  isKnown(file: SeenFile): boolean;
  /** Already handled at this path (at whatever size). */
  isKnownPath(file: string): boolean;
  /** Every how many scans the files already handled are looked at again (default 10). */
  fullScanEvery?: number;
  /** False while the consumer's queue is full. */
  hasRoom(): boolean;
  onStable(file: SeenFile): void;
  /** The folder became reachable (reason null) or stopped being so (reason in plain words). */
  onAvailability(reason: string | null): void;
}

/** Names still being written by their writer, or not meant to be read: skipped until renamed. */
export function isTransientName(name: string): boolean {
  return name.startsWith('.') || name.startsWith('~$') || /\.(part|partial|tmp|temp|crdownload|download|filepart)$/i.test(name) || name.endsWith('~');
}

/** Plain words for why a folder cannot be read. */
export function unavailableReason(folder: string, error: NodeJS.ErrnoException): string {
  if (error.code === 'ENOENT') return `The folder ${folder} cannot be found: it was deleted or renamed, or its drive was unplugged. Watching goes on by itself when it is back.`;
  if (error.code === 'ENOTDIR') return `${folder} is no longer a folder. Watching goes on by itself when the folder is back.`;
  if (error.code === 'EACCES' || error.code === 'EPERM') return `The folder ${folder} can no longer be read (permission denied). Watching goes on by itself when it can be read again.`;
  return `The folder ${folder} cannot be read (${error.code ?? error.message}): a network drive may be disconnected. Watching goes on by itself when it is back.`;
}

interface Settling {
  size: number;
  mtimeMs: number;
  /** When its size or modification time last changed (as seen by a scan). */
  since: number;
}

export class FolderWatcher {
  private readonly settling = new Map<string, Settling>();
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private due = Infinity;
  private scanning: Promise<void> | null = null;
  private again = false;
  private scans = 0;
  /** Paths fs.watch named since the last scan. */
  private readonly touched = new Set<string>();
  private stopped = false;
  private available: boolean | null = null;

  constructor(
    readonly folder: string,
    private readonly options: FolderWatcherOptions,
  ) {}

  /** Files seen that are still changing. */
  get settlingCount(): number {
    return this.settling.size;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.closeWatch();
    await this.scanning;
    this.settling.clear();
  }

  /** Look again soon (the consumer has room again). */
  poke(): void {
    this.schedule(50);
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    const at = Date.now() + delay;
    if (at >= this.due && this.timer) return;
    if (this.timer) clearTimeout(this.timer);
    this.due = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.due = Infinity;
      void this.scan();
    }, delay);
    this.timer.unref?.();
  }

  private openWatch(): void {
    if (this.watcher) return;
    const look = (_event: string, name: string | Buffer | null) => {
      if (name) this.touched.add(path.join(this.folder, name.toString()));
      this.schedule(200);
    };
    try {
      this.watcher = watch(this.folder, { recursive: this.options.recursive, persistent: false }, look);
    } catch {
      try {
        // no recursive watching here: the top folder's events, and the rescan for the sub-folders
        this.watcher = watch(this.folder, { persistent: false }, look);
      } catch {
        this.watcher = null; // the rescan alone
        return;
      }
    }
    this.watcher.on('error', () => {
      this.closeWatch();
      this.schedule(200);
    });
  }

  private closeWatch(): void {
    this.watcher?.close();
    this.watcher = null;
  }

  private scan(): Promise<void> {
    if (this.scanning) {
      this.again = true;
      return this.scanning;
    }
    this.scanning = this.scanOnce()
      .catch(() => undefined)
      .finally(() => {
        this.scanning = null;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          this.schedule(0);
        } else if (this.settling.size > 0) this.schedule(Math.max(100, Math.min(this.options.settleMs / 2, this.options.rescanMs)));
        else this.schedule(this.options.rescanMs);
      });
    return this.scanning;
  }

  private setAvailable(reason: string | null): void {
    const now = reason === null;
    if (this.available === now) return;
    this.available = now;
    if (now) this.openWatch();
    else {
      this.closeWatch();
      this.settling.clear();
    }
    this.options.onAvailability(reason);
  }

  private async scanOnce(): Promise<void> {
    let files: SeenFile[];
    const full = this.scans++ % (this.options.fullScanEvery ?? 10) === 0;
    const touched = new Set(this.touched);
    this.touched.clear();
    try {
      files = await listFiles(this.folder, { ...this.options, shouldStat: (p) => full || touched.has(p) || this.settling.has(p) || !this.options.isKnownPath(p) });
    } catch (error) {
      return this.setAvailable(unavailableReason(this.folder, error as NodeJS.ErrnoException));
    }
    if (this.stopped) return;
    this.setAvailable(null);
    const present = new Set<string>();
    const now = Date.now();
    for (const file of files) {
      present.add(file.path);
      if (this.options.isKnown(file)) {
        this.settling.delete(file.path);
        continue;
      }
      const before = this.settling.get(file.path);
      if (!before || before.size !== file.size || before.mtimeMs !== file.mtimeMs) {
        if (!before && !this.options.hasRoom()) continue; // full: found again by a later scan
        this.settling.set(file.path, { size: file.size, mtimeMs: file.mtimeMs, since: now });
        continue;
      }
      // an empty file is a writer that has not started yet; a modification time in the future is another
      // machine's clock, not a write
      const age = now - file.mtimeMs;
      if (file.size > 0 && now - before.since >= this.options.settleMs && !(age >= 0 && age < this.options.settleMs)) {
        if (!this.options.hasRoom()) continue;
        this.settling.delete(file.path);
        this.options.onStable(file);
      }
    }
    // files that went away while settling are forgotten (settling files are never known, so always listed)
    for (const p of this.settling.keys()) if (!present.has(p)) this.settling.delete(p);
  }
}

/**
 * The files in a folder (and its sub-folders when recursive), sorted by path, with their size and modification time.
 * Links are not followed, and hidden or temporary names are left out. Throws when the folder itself cannot be read;
 * a sub-folder that cannot be read (or vanished mid-scan) is passed over until the next scan.
 */
export async function listFiles(
  folder: string,
  options: { recursive: boolean; skipFolder(dir: string): boolean; shouldStat?(file: string): boolean },
): Promise<SeenFile[]> {
  const root = await stat(folder);
  if (!root.isDirectory()) throw Object.assign(new Error(`${folder} is not a folder`), { code: 'ENOTDIR' });
  const files: SeenFile[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (dir === folder) throw error;
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (isTransientName(entry.name)) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (options.recursive && !options.skipFolder(full)) await walk(full);
      } else if (entry.isFile() && (options.shouldStat?.(full) ?? true)) {
        const info = await stat(full).catch(() => null);
        if (info?.isFile()) files.push({ path: full, size: info.size, mtimeMs: info.mtimeMs });
      }
    }
  };
  await walk(folder);
  return files;
}
