// The services behind the typed API: one open project at a time, its images and labels, import jobs with progress
// and cancel, recent projects, and the demo project. Transports (Electron IPC, the browser bridge) only validate,
// forward and relay events; everything the app does happens here, in plain Node.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ApiEvents, AppInfo, EventName, ProjectInfo } from '../../shared/api.js';
import { InputError, ProjectError } from '../../shared/errors.js';
import { writeDemoDataset } from '../demo/demoDataset.js';
import { runImport } from '../import/importer.js';
import { planImport } from '../import/sources.js';
import { Project } from '../store/project.js';
import type { Handlers } from './dispatch.js';
import { RecentProjects } from './recentProjects.js';
import { ReviewService } from './review.js';
import { TrainingService } from './training.js';

const VERSION = '0.1.0';

interface ImportJob {
  controller: AbortController;
  done: Promise<void>;
}

export class Workbench {
  private project: Project | null = null;
  private readonly jobs = new Map<string, ImportJob>();
  private readonly events = new EventEmitter();
  private readonly training = new TrainingService(
    () => this.current(),
    (event, payload) => this.emit(event, payload),
  );
  private readonly review = new ReviewService(
    () => this.current(),
    (project) => this.emit('project.changed', this.info(project)),
  );

  constructor(
    readonly shell: AppInfo['shell'],
    private readonly recent = new RecentProjects(),
  ) {
    this.events.setMaxListeners(100);
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

  info(project: Project): ProjectInfo {
    return { root: project.layout.root, name: project.settings.name, stats: project.stats() };
  }

  private async use(project: Project): Promise<ProjectInfo> {
    await this.close();
    this.project = project;
    const info = this.info(project);
    await this.recent.remember(info.root, info.name);
    this.emit('project.changed', info);
    return info;
  }

  async close(): Promise<void> {
    for (const job of this.jobs.values()) job.controller.abort();
    await Promise.all([...this.jobs.values()].map((j) => j.done));
    await this.training.stop();
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
    'project.current': async () => (this.project ? this.info(this.project) : null),
    'project.create': async ({ dir, name }) => this.use(await Project.create(dir, name ? { name } : {})),
    'project.open': async ({ dir }) => this.use(await Project.open(dir)),
    'project.createDemo': async ({ dir, seed }) => {
      const project = await Project.create(dir, { name: 'Demo: synthetic surface defects' });
      const source = await mkdtemp(path.join(os.tmpdir(), 'dwb-demo-'));
      try {
        await writeDemoDataset(source, seed === undefined ? {} : { seed });
        await runImport(project, await planImport(source, 'mvtec'));
      } catch (error) {
        project.close();
        throw error;
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
    'images.list': async ({ filter }) => {
      const images = this.current().images;
      return { items: images.summaries(filter), classes: images.defectClasses() };
    },
    'images.get': async ({ id }) => {
      const image = this.current().images.get(id);
      if (!image) throw new InputError('image-not-found', `there is no image with id ${id} in this project`);
      return image;
    },
    'images.label': async ({ id, labelState, defectClass }) => {
      const project = this.current();
      const before = project.images.get(id);
      if (!before) throw new InputError('image-not-found', `there is no image with id ${id} in this project`);
      // an image-level relabel keeps an existing mask only while the image stays anomalous
      const keepMask = labelState === 'anomalous' && before.maskSha256 !== null;
      const stored = keepMask ? project.images.mask(before.maskSha256!) : undefined;
      const record = project.images.setLabel(
        id,
        { labelState, defectClass: labelState === 'anomalous' ? (defectClass ?? before.defectClass) : null },
        'user',
        stored,
      );
      this.emit('project.changed', this.info(project));
      return record;
    },
    'import.start': async ({ source, layout }) => this.startImport(source, layout),
    'import.cancel': async ({ jobId }) => {
      const job = this.jobs.get(jobId);
      job?.controller.abort();
      return { cancelled: Boolean(job) };
    },
    ...this.training.handlers,
    ...this.review.handlers,
  };

  private async startImport(source: string, layout: Parameters<typeof planImport>[1]): Promise<{ jobId: string }> {
    const project = this.current();
    if (this.jobs.size > 0) throw new InputError('import-running', 'an import is already running; wait for it or cancel it first');
    const plan = await planImport(source, layout);
    const jobId = randomUUID();
    const controller = new AbortController();
    const done = runImport(project, plan, {
      signal: controller.signal,
      onProgress: (progress) => this.emit('import.progress', { ...progress, jobId }),
    })
      .then((report) => this.emit('import.finished', { jobId, report, error: null }))
      .catch((error: Error) => this.emit('import.finished', { jobId, report: null, error: error.message }))
      .finally(() => {
        this.jobs.delete(jobId);
        if (this.project === project) this.emit('project.changed', this.info(project));
      });
    this.jobs.set(jobId, { controller, done });
    return { jobId };
  }
}
