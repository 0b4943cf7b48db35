// A training run from start to model version, in whatever thread calls it (the worker does): the run is created
// with its resolved configuration and dataset snapshot; executing it claims it, trains with checkpoints in
// runs/<id>/ (a second execution of the same run resumes there), writes the model version, then evaluates the new
// version on validation (its threshold) and on test. Cancel leaves a checkpoint and the run resumable.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Split } from '../../../shared/domain.js';
import { CancelledError, explainFault, InputError } from '../../../shared/errors.js';
import type { ModelSize, ModelVersionDetail, PresetName, SnapshotCounts, TrainingProgressEvent } from '../../../shared/models.js';
import { takeSnapshot } from '../../store/datasetSnapshot.js';
import type { Project } from '../../store/project.js';
import type { TrainingRequest } from '../../store/trainingRuns.js';
import type { ExecutionProvider } from '../engine/runtime.js';
import { evaluateVersion } from './evaluate.js';
import { loadTrainedModel } from './modelFiles.js';
import { probeBackbone, resolveConfig, retrainEpochs, trainDefectModel, warmStartConfig, type TrainingConfig } from './ssn.js';
import { checkTrainable, trainingData } from './trainingData.js';

export interface TrainingOptions {
  backbone: string;
  preset?: PresetName;
  epochs?: number;
  size?: ModelSize;
  seed?: number;
  /** Warm start from this version (its adaptor and heads). */
  parentId?: number;
}

export interface ExecuteOptions {
  signal?: AbortSignal;
  onProgress?: (p: TrainingProgressEvent) => void;
  providers?: ExecutionProvider[];
  threads?: number;
  /** Evaluate the new version on the test split after training (default true). */
  evaluateTest?: boolean;
}

export interface RunOutcome {
  runId: string;
  versionId: number;
}

/**
 * Resolves the configuration, copies the backbone into the project and records the run with its snapshot. Returns
 * the run and the execution providers found to load the backbone here.
 */
export async function createTrainingRun(
  project: Project,
  options: TrainingOptions,
  providers?: ExecutionProvider[],
): Promise<{ runId: string; providers: ExecutionProvider[] }> {
  const snapshot = takeSnapshot(project.db);
  checkTrainable(snapshot.images);
  const parent = options.parentId !== undefined ? project.models.require(options.parentId) : undefined;
  // the preset's default follows the provider that really loads here (fast on the CPU, paper on a GPU)
  const { providers: usable, pooledChannels } = await probeBackbone(options.backbone, providers);
  const trainImages = trainImagesOf(snapshot.counts);
  // a retraining takes as many steps as its parent did, unless asked for a length
  const epochs = options.epochs ?? (parent ? retrainEpochs(parentRun(parent), trainImages) : undefined);
  const fresh = resolveConfig(
    {
      backbonePath: options.backbone,
      ...(options.preset ? { preset: options.preset } : {}),
      ...(epochs !== undefined ? { epochs } : {}),
      ...(options.size ? { size: options.size } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
    },
    // the images the run trains on fix the fast preset's step budget and batch, the
    // backbone's width its projection
    { provider: usable[0]!, trainImages, pooledChannels },
  );
  // a retraining continues from its parent at the learning rates the parent ended with
  const resolved = parent ? warmStartConfig(fresh, parent.config as Partial<TrainingConfig>) : fresh;
  // the probe has read the backbone: what fails here is most likely writing its copy into the project (a full disk)
  const sha256 = await project.models.storeBackbone(options.backbone).catch((error: unknown) => {
    throw explainFault(error, { retry: 'start the training again' }) ?? error;
  });
  const { backbonePath: _path, ...config } = resolved;
  const request: TrainingRequest = {
    preset: resolved.preset,
    config,
    backbone: { sha256, name: path.basename(options.backbone), source: path.resolve(options.backbone) },
    parentId: options.parentId ?? null,
    snapshot,
  };
  return { runId: project.runs.create(request).id, providers: usable };
}

/** What a retraining needs to know of its parent's run: its epochs, batch and training images. */
function parentRun(parent: ModelVersionDetail): Parameters<typeof retrainEpochs>[0] {
  return { epochs: parent.epochs, batchSize: parent.config.batchSize as number, trainImages: trainImagesOf(parent.counts) };
}

/** The training split's normal and anomalous (weak or with a mask) image counts: what sizes a run's steps; and those with a mask. */
function trainImagesOf(counts: SnapshotCounts): { normal: number; anomalous: number; masked: number } {
  return { normal: counts.train.normal, anomalous: counts.train.weak + counts.train.full, masked: counts.train.full };
}

export function runFolder(project: Project, runId: string): string {
  return path.join(project.layout.runs, runId);
}

const isAbort = (error: unknown, signal?: AbortSignal) =>
  signal?.aborted === true || (error instanceof Error && (error.name === 'AbortError' || error instanceof CancelledError));

/** Trains (or resumes) a run to its model version, then evaluates it. */
export async function executeTrainingRun(project: Project, runId: string, options: ExecuteOptions = {}): Promise<RunOutcome> {
  const run = project.runs.get(runId);
  if (!run) throw new InputError('run-not-found', `there is no training run ${runId} in this project`);
  if (run.status === 'completed' && run.versionId !== null) {
    await finishEvaluations(project, run.versionId, options);
    return { runId, versionId: run.versionId };
  }
  if (!project.runs.claim(runId)) {
    throw new InputError('run-busy', `training run ${runId} is running in another process; wait for it or cancel it there`);
  }
  const { request } = run;
  const backbonePath = project.models.backbonePath(request.backbone.sha256);
  const config = { ...request.config, backbonePath } as unknown as TrainingConfig;
  const runDir = runFolder(project, runId);
  const emit = (p: Omit<TrainingProgressEvent, 'runId'>) => options.onProgress?.({ runId, ...p });
  let versionId: number;
  // the last validation metrics the trainer reported are kept with the version
  let validation: Record<string, number> = {};
  try {
    const data = trainingData(project, request.snapshot.images);
    const warmStart = request.parentId === null ? undefined : await loadTrainedModel(project, project.models.require(request.parentId));
    const model = await trainDefectModel(data, config, {
      runDir,
      cacheDir: project.layout.featureCache,
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (p) => {
        if (p.validation) validation = p.validation;
        emit({ ...p, provider: String(p.provider) });
      },
      ...(warmStart ? { warmStart } : {}),
      ...(options.providers ? { providers: options.providers } : {}),
      ...(options.threads ? { threads: options.threads } : {}),
    });
    emit({ phase: 'finishing', epoch: config.epochs, epochs: config.epochs, step: 0, steps: 0, losses: {}, imagesPerSecond: 0, etaSeconds: null, provider: model.provider });
    const { backbonePath: _stored, ...trainedConfig } = model.config;
    versionId = await project.models.add({
      runId,
      request,
      config: trainedConfig as unknown as Record<string, unknown>,
      featureScale: model.featureScale,
      inferenceGraph: model.inferenceGraph,
      parameters: model.parameters,
      trainSeconds: model.trainSeconds,
      provider: model.provider,
      metrics: validation,
    });
  } catch (error) {
    if (isAbort(error, options.signal)) {
      project.runs.finish(runId, 'cancelled');
      throw new CancelledError('training');
    }
    project.runs.finish(runId, 'failed', (error as Error).message);
    throw error;
  }
  // the version is written: the checkpoints have served
  await rm(runDir, { recursive: true, force: true });
  await finishEvaluations(project, versionId, options);
  return { runId, versionId };
}

/** Validation (for the version's threshold) and test evaluations a version lacks: a killed run gets them on resume. */
async function finishEvaluations(project: Project, versionId: number, options: ExecuteOptions): Promise<void> {
  const have = new Set(project.models.evaluations(versionId).map((e) => e.split));
  const wanted: Split[] = options.evaluateTest === false ? ['val'] : ['val', 'test'];
  const splits = wanted.filter((s) => !have.has(s));
  const version = project.models.require(versionId);
  for (const split of splits) {
    if (project.images.count({ split }) === 0) continue;
    await evaluateVersion(project, versionId, split, {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.providers ? { providers: options.providers } : {}),
      onProgress: (p) =>
        options.onProgress?.({
          runId: version.runId,
          phase: 'evaluating',
          epoch: version.epochs,
          epochs: version.epochs,
          step: p.done,
          steps: p.total,
          losses: {},
          imagesPerSecond: 0,
          etaSeconds: null,
          provider: version.provider,
          split,
        }),
    });
  }
}
