// The services behind the typed API: one open project at a time, its images and labels, import jobs with progress
// and cancel, recent projects, and the demo project. Transports (Electron IPC, the browser bridge) only validate,
// forward and relay events; everything the app does happens here, in plain Node.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ApiEvents, AppInfo, EventName, ProjectInfo } from '../../shared/api.js';
import type { ImportJobState, ImportReport } from '../../shared/domain.js';
import { explained, faultCode, InputError, ProjectError } from '../../shared/errors.js';
import { damaged } from '../store/catalog.js';
import { checkProject } from '../store/check.js';
import { writeDemoDataset } from '../demo/demoDataset.js';
import { runImport } from '../import/importer.js';
import { planProjectImport } from '../import/projectImport.js';
import { planImport } from '../import/sources.js';
import { listFolder } from '../fs/folderBrowser.js';
import { resolveUserPath } from '../fs/userPaths.js';
import { Project } from '../store/project.js';
import type { Handlers } from './dispatch.js';
import { labelHandlers } from './labelHandlers.js';
import { RecentProjects } from './recentProjects.js';
import { selectionHandlers } from './selectionHandlers.js';
import { DeployService } from '../deploy/deployService.js';
import { MonitorService } from './monitor.js';
import { ReviewService } from './review.js';
import { TrainingService } from './training.js';
import type { LineMonitorOptions } from '../monitor/lineMonitor.js';

const VERSION = '0.1.0';

interface ImportJob {
  controller: AbortController;
  done: Promise<void>;
  state: ImportJobState;
}

/** Finished jobs kept so a dialog that learns its job id late (or a reloaded page) still finds the report. */
const FINISHED_KEPT = 20;

/** What only a desktop shell can do; browser mode has none of it. */
export interface NativeDialogs {
  pickFolder?(options: { title?: string; defaultPath?: string }): Promise<string | null>;
  pickFile?(options: { title?: string; defaultPath?: string; extensions: string[] }): Promise<string | null>;
}

export class Workbench {
  private project: Project | null = null;
  private readonly jobs = new Map<string, ImportJob>();
  private readonly finished = new Map<string, ImportJobState>();
  private readonly events = new EventEmitter();
  private readonly training = new TrainingService(
    () => this.current(),
    (event, payload) => this.emit(event, payload),
  );
  private readonly deploy = new DeployService(() => this.current());
  private readonly monitor = new MonitorService(
    () => this.current(),
    (event, payload) => this.emit(event, payload),
    () => this.monitorOptions,
  );
  private readonly review = new ReviewService(
    () => this.current(),
    (project) => this.emit('project.changed', this.info(project)),
  );

  constructor(
    readonly shell: AppInfo['shell'],
    private readonly recent = new RecentProjects(),
    private readonly native: NativeDialogs = {},
    /** The line monitor's timings (tests shorten them). */
    private readonly monitorOptions: LineMonitorOptions = {},
  ) {
    this.events.setMaxListeners(100);
    // every call that meets a damaged catalog marks it, so the writes after it are refused with what to do
    for (const channel of Object.keys(this.handlers) as (keyof Handlers)[]) {
      const handler = this.handlers[channel] as (input: unknown) => Promise<unknown>;
      (this.handlers as Record<string, (input: unknown) => Promise<unknown>>)[channel] = (input) =>
        handler(input).catch((error: unknown) => {
          this.noteDamage(error);
          // a fault without a path of its own (SQLite's) happened in the open project
          const own = typeof (error as { path?: unknown } | null)?.path === 'string';
          throw explained(error, this.project && !own ? { path: this.project.layout.root } : {});
        });
    }
  }

  on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
    this.events.on(event, listener);
    return () => this.events.off(event, listener);
  }

  private emit<E extends EventName>(event: E, payload: ApiEvents[E]): void {
    this.events.emit(event, payload);
  }

  /** The open project, or a clear error for calls that need one. */
  current(): Project {
    if (!this.project) throw new ProjectError('no-project', 'no project is open; open or create one first');
    return this.project;
  }

  /** The open project for a call that writes: refused once SQLite has reported its catalog damaged. */
  private writable(): Project {
    const project = this.current();
    if (this.damage) throw this.damage;
    return project;
  }

  /** Set when a call met a damaged catalog; cleared when another project is opened. */
  private damage: Error | null = null;

  private noteDamage(error: unknown): void {
    const code = faultCode(error) ?? '';
    if (this.project && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB')) {
      this.damage = damaged(this.project.layout.catalog, `SQLite reported it malformed while it was open (${(error as Error).message})`);
    }
  }

  /** The project's info with what its opening changed: what a window showing the project says when it opens it. */
  private withNotices(project: Project): ProjectInfo {
    return { ...this.info(project), ...(project.notices.length ? { notices: [...project.notices] } : {}) };
  }

  info(project: Project): ProjectInfo {
    return { root: project.layout.root, name: project.settings.name, stats: project.stats() };
  }

  private async use(project: Project): Promise<ProjectInfo> {
    await this.close();
    this.project = project;
    this.damage = null;
    const info = this.withNotices(project);
    await this.recent.remember(info.root, info.name);
    this.emit('project.changed', info);
    // a watched folder left on goes on watching
    this.monitor.opened();
    return info;
  }

  async close(): Promise<void> {
    for (const job of this.jobs.values()) job.controller.abort();
    await Promise.all([...this.jobs.values()].map((j) => j.done));
    await this.monitor.close();
    await this.training.stop();
    await this.deploy.stop();
    this.project?.close();
    this.project = null;
  }

  readonly handlers: Handlers = {
    'app.info': async () => ({
      version: VERSION,
      shell: this.shell,
      homeDir: os.homedir(),
      suggestedDemoDir: path.join(os.homedir(), 'defect-workbench', 'demo-project'),
    }),
    'project.recent': () => this.recent.list(),
    'project.forgetRecent': async ({ dir }) => {
      await this.recent.forget(dir);
      return this.recent.list();
    },
    // a project opened before the window (dwb serve --project) has its notices still to say
    'project.current': async () => (this.project ? this.withNotices(this.project) : null),
    'project.create': async ({ dir, name }) => this.use(await Project.create(resolveUserPath(dir), name ? { name } : {})),
    'project.open': async ({ dir }) => this.use(await Project.open(resolveUserPath(dir))),
    'project.createDemo': async ({ dir, seed }) => {
      const root = resolveUserPath(dir);
      const rootExisted = existsSync(root);
      const project = await Project.create(root, { name: 'Demo: synthetic surface defects' });
      const source = await mkdtemp(path.join(os.tmpdir(), 'dwb-demo-'));
      try {
        await writeDemoDataset(source, seed === undefined ? {} : { seed });
        await runImport(project, await planImport(source, 'mvtec'));
      } catch (error) {
        // a demo is all or nothing, like any project creation
        await Project.discardNew(project, rootExisted);
        throw explained(error, { path: project.layout.root, retry: 'create the demo again', kept: 'the half-made demo project was removed' });
      } finally {
        await rm(source, { recursive: true, force: true });
      }
      return this.use(project);
    },
    'project.close': async () => {
      await this.close();
      this.emit('project.changed', null);
      return null;
    },
    'project.stats': async () => this.current().stats(),
    ...selectionHandlers({ current: () => this.current(), changed: (project) => this.emit('project.changed', this.info(project)) }),
    'images.list': async ({ filter, sort }) => {
      const images = this.current().images;
      return { items: images.summaries(filter, sort), classes: images.defectClasses() };
    },
    'images.get': async ({ id }) => {
      const image = this.current().images.get(id);
      if (!image) throw new InputError('image-not-found', `there is no image with id ${id} in this project`);
      return image;
    },
    ...labelHandlers({
      current: () => this.current(),
      writable: () => this.writable(),
      changed: (project) => this.emit('project.changed', this.info(project)),
    }),
    'project.check': async ({ dir, repair }) => {
      const root = dir ? resolveUserPath(dir) : this.current().layout.root;
      const report = await checkProject(root, { repair: repair ?? false });
      if (repair && this.project?.layout.root === report.root) this.emit('project.changed', this.info(this.project));
      return report;
    },
    'import.start': async ({ source, layout }) => this.startImport(resolveUserPath(source), layout),
    'import.cancel': async ({ jobId }) => {
      const job = this.jobs.get(jobId);
      job?.controller.abort();
      return { cancelled: Boolean(job) };
    },
    'import.current': async () => {
      const running = [...this.jobs.values()][0];
      return running ? { ...running.state } : null;
    },
    'import.status': async ({ jobId }) => {
      const state = this.jobs.get(jobId)?.state ?? this.finished.get(jobId);
      if (!state) throw new InputError('job-not-found', `there is no import job ${jobId}; it may have finished before the app restarted`);
      return { ...state };
    },
    'fs.list': async ({ dir, files }) => listFolder(dir === undefined ? os.homedir() : resolveUserPath(dir), files),
    'dialog.pickFolder': async ({ title, defaultPath }) => {
      if (!this.native.pickFolder) throw new InputError('no-native-dialog', 'the desktop folder dialog exists only in the desktop app; use the folder browser');
      const options = { ...(title ? { title } : {}), ...(defaultPath ? { defaultPath: resolveUserPath(defaultPath) } : {}) };
      return { path: await this.native.pickFolder(options) };
    },
    'dialog.pickFile': async ({ title, defaultPath, extensions }) => {
      if (!this.native.pickFile) throw new InputError('no-native-dialog', 'the desktop file dialog exists only in the desktop app; use the folder browser');
      const options = { extensions, ...(title ? { title } : {}), ...(defaultPath ? { defaultPath: resolveUserPath(defaultPath) } : {}) };
      return { path: await this.native.pickFile(options) };
    },
    ...this.training.handlers,
    ...this.deploy.handlers,
    ...this.review.handlers,
    ...this.monitor.handlers,
  };

  private async startImport(source: string, layout: Parameters<typeof planImport>[1]): Promise<{ jobId: string }> {
    const project = this.writable();
    if (this.jobs.size > 0) throw new InputError('import-running', 'an import is already running; wait for it or cancel it first');
    const plan = await planProjectImport(project, source, layout);
    const jobId = randomUUID();
    const controller = new AbortController();
    const state: ImportJobState = { jobId, source: plan.source, running: true, progress: null, report: null, error: null };
    const finish = (report: ImportReport | null, error: string | null) => {
      Object.assign(state, { running: false, report, error });
      this.jobs.delete(jobId);
      this.finished.set(jobId, state);
      for (const old of [...this.finished.keys()].slice(0, Math.max(0, this.finished.size - FINISHED_KEPT))) this.finished.delete(old);
      this.emit('import.finished', { jobId, report, error });
    };
    // the job is registered before any of its events can leave, and its id is returned before it can finish
    const done = Promise.resolve()
      .then(() =>
        runImport(project, plan, {
          signal: controller.signal,
          onProgress: (progress) => {
            state.progress = progress;
            this.emit('import.progress', { ...progress, jobId });
          },
        }),
      )
      .then((report) => finish(report, null))
      .catch((error: Error) => {
        this.noteDamage(error);
        finish(null, error.message);
      })
      .finally(() => {
        if (this.project === project) this.emit('project.changed', this.info(project));
      });
    this.jobs.set(jobId, { controller, done, state });
    return { jobId };
  }
}

