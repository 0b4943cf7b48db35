// The line monitor of one open project: watches the folder a camera (or a line PC) writes to, scores each new image
// with a model version in an ML worker, records it as a prediction through the drift monitor exactly as dwb predict
// does, and tells the UI each file's outcome and the drift verdict as they change.
//
// Each file is handled once: by path, size and modification time (a file rewritten in place is a new part), and a
// copy of a picture already scored (same SHA-256) is noted, not scored again. Files wait until they stop changing.
// One file is scored at a time; the queue holds at most `queueLimit` files and the watcher takes no more until it
// drains, so a burst of thousands costs memory for a few hundred paths and the UI stays live throughout.
import path from 'node:path';
import { stat } from 'node:fs/promises';
import type { ApiEvents, EventName } from '../../shared/api.js';
import { InputError } from '../../shared/errors.js';
import type { DriftView } from '../../shared/deploy.js';
import type { MonitorFileView, MonitorState, MonitorStatus, MonitorSummary } from '../../shared/monitor.js';
import { openImage, probeImage } from '../images/decode.js';
import { driftStatus, lineThresholdsOf, recordPredictions, storedReferenceScores } from '../deploy/driftMonitor.js';
import { MlWorker } from '../ml/jobs/mlWorker.js';
import { hashFile } from '../store/blobStore.js';
import type { Project } from '../store/project.js';
import { FolderWatcher, listFiles, type SeenFile } from './folderWatcher.js';
import { fileKey, MonitorStore, type MonitorFileRow, type MonitorSettings } from './monitorStore.js';

export const MONITOR_IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff']);

export interface LineMonitorOptions {
  /** How long a file must stay unchanged before it is read (default 1.5 s). */
  settleMs?: number;
  /** The periodic rescan behind fs.watch (default 3 s). */
  rescanMs?: number;
  /** Files waiting for the model before the watcher takes no more (default 200). */
  queueLimit?: number;
  /** Scored images listed with thumbnails (default 24). */
  recentLimit?: number;
}

type Emit = <E extends EventName>(event: E, payload: ApiEvents[E]) => void;

const THUMBNAIL_PX = 112;
const SCORES_SHOWN = 400;
const PROBLEMS_SHOWN = 20;
const THUMBNAILS_KEPT = 64;

export class LineMonitor {
  private readonly store: MonitorStore;
  private readonly settleMs: number;
  private readonly rescanMs: number;
  private readonly queueLimit: number;
  private readonly recentLimit: number;
  private settings: MonitorSettings | null;
  private state: MonitorState = 'stopped';
  private message = 'Not watching a folder.';
  private resumed = false;
  private watcher: FolderWatcher | null = null;
  private known = new Set<string>();
  private knownPaths = new Set<string>();
  private queue: SeenFile[] = [];
  private draining: Promise<void> | null = null;
  private worker: MlWorker | null = null;
  private readonly thumbnails = new Map<number, string | null>();
  private drift: DriftView | null = null;
  private driftStale = true;
  private summaryTimer: NodeJS.Timeout | null = null;
  /** Bumped whenever watching starts or stops: work of an older watch never lands in a newer one. */
  private generation = 0;

  constructor(
    private readonly project: Project,
    private readonly emit: Emit,
    options: LineMonitorOptions = {},
  ) {
    this.store = new MonitorStore(project.db);
    this.settleMs = options.settleMs ?? 1500;
    this.rescanMs = options.rescanMs ?? 3000;
    this.queueLimit = options.queueLimit ?? 200;
    this.recentLimit = options.recentLimit ?? 24;
    this.settings = this.store.settings();
    if (this.settings && !this.settings.watching) this.message = `Stopped. New files in ${this.settings.folder} are not scored until you start watching again.`;
  }

  /** Starts watching a folder with a version (the active one when not given); replaces any watch running. */
  async start(request: { folder: string; version?: number; recursive?: boolean; includeExisting?: boolean }): Promise<MonitorStatus> {
    const folder = path.resolve(request.folder);
    const info = await stat(folder).catch(() => null);
    if (!info) throw new InputError('monitor-folder-missing', `the folder ${folder} does not exist; choose the folder the camera writes its images to`);
    if (!info.isDirectory()) throw new InputError('monitor-not-a-folder', `${folder} is a file; choose the folder the camera writes its images to`);
    const inside = path.relative(this.project.layout.root, folder);
    if (inside === '' || (!inside.startsWith('..') && !path.isAbsolute(inside))) {
      throw new InputError('monitor-folder-in-project', `${folder} is inside the project's own folder; watch the folder the camera writes to`);
    }
    const versionId = this.project.models.resolve(request.version).id;
    const recursive = request.recursive ?? true;
    await this.halt();
    const startedAt = new Date().toISOString();
    if (!request.includeExisting) {
      // what is there already was made before watching started: remembered, never scored
      const known = this.store.knownKeys(folder);
      const existing = await listFiles(folder, { recursive, skipFolder: (d) => this.skipFolder(d) });
      this.store.addExisting(folder, existing.filter((f) => !known.has(fileKey(f))), startedAt);
    }
    this.store.saveStart(folder, versionId, recursive, startedAt);
    this.settings = this.store.settings();
    this.resumed = false;
    this.run();
    return this.status();
  }

  /** Picks up the project's saved watch as it opens. */
  resume(): void {
    const settings = this.store.settings();
    this.settings = settings;
    if (!settings?.watching) return;
    if (settings.versionId === null || !this.versionExists(settings.versionId)) {
      this.setState('failed', `The model version this folder was watched with was deleted; choose a version and start watching ${settings.folder} again.`);
      return;
    }
    this.resumed = true;
    this.run();
  }

  /** Stops watching for good: the project no longer resumes it. */
  async stop(): Promise<MonitorStatus> {
    await this.halt();
    // the model's memory goes back while nothing is watched
    this.resetWorker();
    if (this.settings?.watching) this.store.saveStopped(new Date().toISOString());
    this.settings = this.store.settings();
    this.setState('stopped', this.settings ? `Stopped. New files in ${this.settings.folder} are not scored until you start watching again.` : 'Not watching a folder.');
    return this.status();
  }

  /** The project is closing: watching ends here but stays saved, so it resumes when the project opens again. */
  async close(): Promise<void> {
    await this.halt();
    if (this.summaryTimer) clearTimeout(this.summaryTimer);
    this.summaryTimer = null;
    await this.worker?.close();
    this.worker = null;
  }

  async status(): Promise<MonitorStatus> {
    const s = this.settings;
    if (s?.versionId != null && this.versionExists(s.versionId)) await this.refreshDrift(s.versionId);
    const summary = this.summary();
    if (!s) return { ...summary, recent: [], problems: [], scores: [] };
    const recentRows = this.store.recent(s.folder, s.startedAt, ['scored'], this.recentLimit);
    const recent = await Promise.all(recentRows.map((r) => this.view(r)));
    const problems = await Promise.all(this.store.recent(s.folder, s.startedAt, ['ignored', 'failed'], PROBLEMS_SHOWN).map((r) => this.view(r, false)));
    const scored = this.store.recent(s.folder, s.startedAt, ['scored'], SCORES_SHOWN).reverse();
    const first = summary.counts.scored - scored.length + 1;
    return { ...summary, recent, problems, scores: scored.map((r, i) => ({ n: first + i, score: r.score!, outcome: r.outcome! })) };
  }

  summary(): MonitorSummary {
    const s = this.settings;
    const counts = s ? this.store.counts(s.folder, s.startedAt) : { scored: 0, pass: 0, review: 0, reject: 0, ignored: 0, failed: 0 };
    const versionId = s?.versionId ?? null;
    const hasVersion = versionId !== null && this.versionExists(versionId);
    if (hasVersion && this.driftStale) void this.refreshDrift(versionId);
    return {
      state: this.state,
      folder: s?.folder ?? null,
      versionId,
      recursive: s?.recursive ?? true,
      startedAt: s?.startedAt ?? null,
      resumed: this.resumed && this.state !== 'stopped',
      message: this.message,
      counts: { ...counts, queued: this.queue.length, settling: this.watcher?.settlingCount ?? 0 },
      thresholds: hasVersion ? lineThresholdsOf(this.project, versionId) : null,
      drift: hasVersion ? this.drift : null,
    };
  }

  private refreshDrift(versionId: number): Promise<void> {
    this.driftStale = false;
    // the reference is the stored validation evaluation: no model runs on the main thread
    return driftStatus(this.project, versionId, { reference: storedReferenceScores(this.project, versionId) }).then(
      (drift) => {
        const before = this.drift;
        this.drift = drift;
        const same = (a: number | undefined, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));
        if (!before || before.warn !== drift.warn || before.recentCount !== drift.recentCount || !same(before.statistic, drift.statistic)) this.changed();
      },
      () => undefined,
    );
  }

  private versionExists(versionId: number): boolean {
    return this.project.db.prepare('SELECT 1 FROM model_versions WHERE id = ?').get(versionId) !== undefined;
  }

  private skipFolder(dir: string): boolean {
    return dir === this.project.layout.root;
  }

  private run(): void {
    const s = this.settings!;
    const generation = ++this.generation;
    this.known = this.store.knownKeys(s.folder);
    this.knownPaths = new Set([...this.known].map((key) => key.slice(0, key.indexOf('\0'))));
    this.driftStale = true;
    this.watcher = new FolderWatcher(s.folder, {
      recursive: s.recursive,
      settleMs: this.settleMs,
      rescanMs: this.rescanMs,
      skipFolder: (d) => this.skipFolder(d),
      isKnown: (f) => this.known.has(fileKey(f)),
      isKnownPath: (p) => this.knownPaths.has(p),
      hasRoom: () => this.queue.length < this.queueLimit,
      onStable: (file) => {
        if (generation !== this.generation) return;
        this.known.add(fileKey(file));
        this.knownPaths.add(file.path);
        this.queue.push(file);
        this.drain();
        this.changed();
      },
      onAvailability: (reason) => {
        if (generation !== this.generation) return;
        if (reason) this.setState('unavailable', reason);
        else this.setState('watching', this.watchingMessage());
      },
    });
    this.setState('watching', this.watchingMessage());
    this.watcher.start();
  }

  private watchingMessage(): string {
    const s = this.settings!;
    const where = s.recursive ? `${s.folder} and its sub-folders` : s.folder;
    return `${this.resumed ? 'Resumed when the project opened: watching' : 'Watching'} ${where}; each new image is scored with version ${s.versionId}.`;
  }

  private async halt(): Promise<void> {
    this.generation++;
    const watcher = this.watcher;
    this.watcher = null;
    this.queue = [];
    await watcher?.stop();
    await this.draining;
  }

  private drain(): void {
    if (this.draining) return;
    const generation = this.generation;
    this.draining = (async () => {
      while (this.queue.length > 0 && generation === this.generation) {
        const file = this.queue.shift()!;
        await this.handle(file, generation).catch((error: Error) => this.record(file, generation, { status: 'failed', reason: `could not be scored: ${error.message}` }));
        // room again: the watcher takes the files it left waiting
        if (this.queue.length < this.queueLimit / 2) this.watcher?.poke();
      }
    })().finally(() => {
      this.draining = null;
      // a newer watch's files that arrived while an older drain was finishing
      if (this.queue.length > 0) this.drain();
    });
  }

  private async handle(file: SeenFile, generation: number): Promise<void> {
    const s = this.settings!;
    const versionId = s.versionId!;
    const ext = path.extname(file.path).toLowerCase();
    if (!MONITOR_IMAGE_EXTENSIONS.has(ext)) {
      return this.record(file, generation, { status: 'ignored', reason: `not an image (${ext || 'no extension'}): only PNG, JPEG, BMP and TIFF files are scored` });
    }
    let sha256: string;
    try {
      sha256 = (await hashFile(file.path)).sha256;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return; // gone before it was read: nothing to score
      return this.record(file, generation, { status: 'failed', reason: `cannot be read (${code ?? (error as Error).message})` });
    }
    const copyOf = this.store.scoredWithHash(s.folder, sha256);
    if (copyOf) return this.record(file, generation, { status: 'ignored', sha256, reason: `the same picture as ${path.relative(s.folder, copyOf)}, already scored` });
    if (!this.versionExists(versionId)) {
      this.setState('failed', `Model version ${versionId} was deleted; choose a version and start watching again.`);
      void this.halt();
      return;
    }
    let score: number;
    try {
      const [result] = await this.ml().request({ type: 'predict', projectRoot: this.project.layout.root, versionId, images: [{ path: file.path }] });
      score = result!.score;
    } catch (error) {
      const message = (error as Error).message;
      if (/^the ML worker/.test(message)) this.resetWorker();
      return this.record(file, generation, { status: 'failed', sha256, reason: `cannot be scored as an image: ${message}` });
    }
    if (generation !== this.generation) return;
    // the drift monitor's own path, exactly as dwb predict records its scores
    const [outcome] = recordPredictions(this.project, versionId, [{ path: file.path, score }]);
    this.driftStale = true;
    return this.record(file, generation, { status: 'scored', sha256, score, outcome: outcome! });
  }

  private async record(
    file: SeenFile,
    generation: number,
    result: Pick<MonitorFileRow, 'status'> & Partial<Pick<MonitorFileRow, 'sha256' | 'score' | 'outcome' | 'reason'>>,
  ): Promise<void> {
    if (generation !== this.generation) return;
    const s = this.settings!;
    const row = this.store.add({
      folder: s.folder,
      path: file.path,
      size: file.size,
      mtimeMs: file.mtimeMs,
      sha256: result.sha256 ?? null,
      status: result.status,
      versionId: s.versionId,
      score: result.score ?? null,
      outcome: result.outcome ?? null,
      reason: result.reason ?? null,
      seenAt: new Date().toISOString(),
    });
    this.emit('monitor.file', await this.view(row));
    this.changed();
  }

  private async view(row: MonitorFileRow, withThumbnail = true): Promise<MonitorFileView> {
    return {
      id: row.id,
      path: row.path,
      name: path.relative(row.folder, row.path),
      status: row.status === 'existing' ? 'ignored' : row.status,
      score: row.score,
      outcome: row.outcome,
      reason: row.reason,
      at: row.seenAt,
      thumbnail: withThumbnail && row.status === 'scored' ? await this.thumbnail(row) : null,
    };
  }

  private async thumbnail(row: MonitorFileRow): Promise<string | null> {
    if (this.thumbnails.has(row.id)) return this.thumbnails.get(row.id)!;
    // through the one decoder: BMP, 16-bit and EXIF-turned files look here as they do everywhere else
    const made = await probeImage(row.path)
      .then(async (info) => (await openImage(row.path, info.format)).resize(THUMBNAIL_PX, THUMBNAIL_PX, { fit: 'inside' }).toColourspace('srgb').jpeg({ quality: 70 }).toBuffer())
      .then((b) => `data:image/jpeg;base64,${b.toString('base64')}`)
      .catch(() => null);
    this.thumbnails.set(row.id, made);
    for (const old of [...this.thumbnails.keys()].slice(0, Math.max(0, this.thumbnails.size - THUMBNAILS_KEPT))) this.thumbnails.delete(old);
    return made;
  }

  private setState(state: MonitorState, message: string): void {
    if (this.state === state && this.message === message) return;
    this.state = state;
    this.message = message;
    this.changed();
  }

  /** Announces the summary, at most a few times a second during a burst. */
  private changed(): void {
    if (this.summaryTimer) return;
    this.summaryTimer = setTimeout(() => {
      this.summaryTimer = null;
      try {
        this.emit('monitor.changed', this.summary());
      } catch {
        // the project closed under the timer
      }
    }, 250);
    this.summaryTimer.unref?.();
  }

  private ml(): MlWorker {
    this.worker ??= new MlWorker();
    return this.worker;
  }

  private resetWorker(): void {
    const worker = this.worker;
    this.worker = null;
    void worker?.close();
  }
}
