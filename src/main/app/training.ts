// The model services behind the typed API: training jobs (start, cancel, resume, status) each in their own worker
// thread, model versions (list, get, delete, active), evaluations and predictions in one shared inference worker.
// The main thread only reads the catalog and relays events; no ONNX session ever runs on it.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ApiEvents, ApiResults, EventName, TrainingStatus } from '../../shared/api.js';
import type { Split } from '../../shared/domain.js';
import { CancelledError, InputError } from '../../shared/errors.js';
import { regimeOf, type TrainingProgressEvent } from '../../shared/models.js';
import { backboneChoices } from '../ml/jobs/backbones.js';
import { MlWorker } from '../ml/jobs/mlWorker.js';
import type { TrainingOptions } from '../ml/jobs/trainingRun.js';
import { takeSnapshot } from '../store/datasetSnapshot.js';
import type { Project } from '../store/project.js';
import type { Handlers } from './dispatch.js';

type ModelChannel =
  | 'training.start'
  | 'training.cancel'
  | 'training.resume'
  | 'training.status'
  | 'models.backbones'
  | 'models.list'
  | 'models.get'
  | 'models.delete'
  | 'models.setActive'
  | 'models.evaluate'
  | 'models.evaluation'
  | 'models.map'
  | 'models.predict';

interface TrainingJob {
  runId: string | null;
  project: Project;
  controller: AbortController;
  worker: MlWorker;
  done: Promise<void>;
  progress: TrainingProgressEvent | null;
}

export class TrainingService {
  private job: TrainingJob | null = null;
  private inference: MlWorker | null = null;
  private readonly evaluations = new Map<string, { controller: AbortController; done: Promise<void> }>();

  constructor(
    private readonly current: () => Project,
    private readonly emit: <E extends EventName>(event: E, payload: ApiEvents[E]) => void,
  ) {}

  /** Cancels running jobs (training keeps its checkpoint) and stops the workers; called when the project closes. */
  async stop(): Promise<void> {
    this.job?.controller.abort();
    for (const evaluation of this.evaluations.values()) evaluation.controller.abort();
    await Promise.all([this.job?.done, ...[...this.evaluations.values()].map((e) => e.done)]);
    await this.inference?.close();
    this.inference = null;
  }

  readonly handlers: Pick<Handlers, ModelChannel> = {
    'training.start': async ({ backbone, preset, epochs, size, seed, parentVersion }) =>
      this.train({
        options: {
          backbone,
          ...(preset ? { preset } : {}),
          ...(epochs !== undefined ? { epochs } : {}),
          ...(size ? { size } : {}),
          ...(seed !== undefined ? { seed } : {}),
          ...(parentVersion !== undefined ? { parentId: parentVersion } : {}),
        },
      }),
    'training.cancel': async ({ runId }) => {
      const job = this.job;
      if (!job || job.runId !== runId) return { cancelled: false };
      job.controller.abort();
      return { cancelled: true };
    },
    'training.resume': async ({ runId }) => {
      const run = this.current().runs.get(runId);
      if (!run) throw new InputError('run-not-found', `there is no training run ${runId} in this project`);
      if (!this.current().runs.resumable(run)) {
        throw new InputError('run-not-resumable', `training run ${runId} is ${this.current().runs.statusOf(run)}; only a cancelled, failed or interrupted run can be resumed`);
      }
      return this.train({ runId });
    },
    'training.status': async () => this.status(),
    'models.backbones': async () => backboneChoices(this.current()),
    'models.list': async () => this.current().models.list(),
    'models.get': async ({ version }) => this.current().models.require(version),
    'models.delete': async ({ version }) => {
      const project = this.current();
      if (this.job && project.runs.get(this.job.runId ?? '')?.request.parentId === version) {
        throw new InputError('model-in-use', `version ${version} is the starting point of the training running now; wait for it or cancel it first`);
      }
      const { removedFiles } = await project.models.delete(version);
      this.emit('models.changed', { active: project.models.activeId(), deleted: version });
      return { deleted: version, removedFiles };
    },
    'models.setActive': async ({ version }) => {
      this.current().models.setActive(version);
      this.emit('models.changed', { active: version, deleted: null });
      return { active: version };
    },
    'models.evaluate': async ({ version, split }) => this.evaluate(version, split ?? 'test'),
    'models.evaluation': async ({ version, split }) => {
      const project = this.current();
      project.models.require(version);
      return project.models.evaluation(version, split ?? 'test') ?? null;
    },
    'models.map': async ({ evaluationId, imageId }) => {
      const project = this.current();
      const evaluation = project.models.evaluationById(evaluationId);
      const image = evaluation && project.models.evaluatedImage(evaluationId, imageId);
      if (!evaluation || !image) throw new InputError('map-not-found', `evaluation ${evaluationId} has no map of image ${imageId}; evaluate the version again`);
      const png = await readFile(project.models.mapPath(image.mapSha256));
      return { width: evaluation.mapWidth, height: evaluation.mapHeight, min: image.mapMin, max: image.mapMax, pngBase64: png.toString('base64') };
    },
    'models.predict': async ({ imageId, version }) => {
      const project = this.current();
      const chosen = project.models.resolve(version);
      const [result] = await this.inferenceWorker().request({ type: 'predict', projectRoot: project.layout.root, versionId: chosen.id, images: [{ imageId }] });
      const r = result!;
      return {
        imageId: r.imageId,
        versionId: r.versionId,
        score: r.score,
        label: r.label,
        threshold: r.threshold,
        map: { width: r.map.width, height: r.map.height, min: r.map.min, max: r.map.max, pngBase64: Buffer.from(r.map.png).toString('base64') },
      };
    },
  };

  private status(): TrainingStatus {
    const project = this.current();
    const runs = project.runs.list(20);
    const counts = takeSnapshot(project.db).counts;
    const activeRun = this.job?.runId ? project.runs.get(this.job.runId) : undefined;
    return {
      active: activeRun ? { ...project.runs.info(activeRun), progress: this.job!.progress } : null,
      runs: runs.map((run) => project.runs.info(run)),
      current: { counts, regime: regimeOf(counts.train) },
    };
  }

  private async train(start: { options: TrainingOptions } | { runId: string }): Promise<ApiResults['training.start']> {
    const project = this.current();
    if (this.job) throw new InputError('training-running', 'a training run is already running; wait for it or cancel it first');
    const worker = new MlWorker();
    const controller = new AbortController();
    let started!: (runId: string) => void;
    let failedEarly!: (error: Error) => void;
    const runIdKnown = new Promise<string>((resolve, reject) => {
      started = resolve;
      failedEarly = reject;
    });
    const job: TrainingJob = { runId: null, project, controller, worker, progress: null, done: Promise.resolve() };
    this.job = job;
    job.done = worker
      .request(
        { type: 'train', projectRoot: project.layout.root, start },
        {
          signal: controller.signal,
          onStarted: (runId) => {
            job.runId = runId;
            started(runId);
          },
          onProgress: (progress) => {
            if (!('runId' in progress)) return;
            job.progress = progress;
            this.emit('training.progress', progress);
          },
        },
      )
      .then(
        (outcome) => ({ outcome, error: null }),
        (error: Error) => ({ outcome: null, error }),
      )
      .then(async ({ outcome, error }) => {
        // the slot is free and the worker gone before anyone hears the run has finished
        if (this.job === job) this.job = null;
        await worker.close();
        if (outcome) {
          this.emit('training.finished', { runId: outcome.runId, status: 'completed', versionId: outcome.versionId, error: null });
          return;
        }
        failedEarly(error!);
        if (job.runId === null) return;
        const cancelled = error instanceof CancelledError;
        // a worker that died (out of memory, a crash) could not record its run's end: record it here
        const run = project.runs.get(job.runId);
        if (run?.status === 'completed' && run.versionId !== null) {
          // stopped after its version was stored (during the evaluation that follows): the version stands, and
          // saying "cancelled, resume it" would offer a run there is nothing left to train of
          this.emit('training.finished', { runId: job.runId, status: 'completed', versionId: run.versionId, error: null });
          return;
        }
        if (run?.status === 'running' && project.db.open) project.runs.finish(job.runId, cancelled ? 'cancelled' : 'failed', cancelled ? null : error!.message);
        this.emit('training.finished', { runId: job.runId, status: cancelled ? 'cancelled' : 'failed', versionId: null, error: cancelled ? null : error!.message });
      });
    return { runId: await runIdKnown };
  }

  private evaluate(versionId: number, split: Split): ApiResults['models.evaluate'] {
    const project = this.current();
    project.models.require(versionId);
    const jobId = randomUUID();
    const controller = new AbortController();
    const done = this.inferenceWorker()
      .request(
        { type: 'evaluate', projectRoot: project.layout.root, versionId, split },
        {
          signal: controller.signal,
          onProgress: (p) => {
            if ('done' in p) this.emit('evaluation.progress', { jobId, versionId, split, done: p.done, total: p.total });
          },
        },
      )
      .then((evaluation) => this.emit('evaluation.finished', { jobId, versionId, evaluation, error: null }))
      .catch((error: Error) => this.emit('evaluation.finished', { jobId, versionId, evaluation: null, error: error.message }))
      .finally(() => this.evaluations.delete(jobId));
    this.evaluations.set(jobId, { controller, done });
    return { jobId };
  }

  private inferenceWorker(): MlWorker {
    this.inference ??= new MlWorker();
    return this.inference;
  }
}
