// The training loop: features (cached), the feature normalisation, the train-step graph on the engine, a
// checkpoint every epoch (and on cancel) in the run folder, resume from it, validation every N epochs, and the
// deployable model at the end. Pure Node with no process-wide state, so it runs inside a worker thread as it is.
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { imageAuroc } from '../../metrics/index.js';
import { Backbone } from '../backbone/backbone.js';
import { FeatureCache } from '../backbone/featureCache.js';
import { loadNormalizedImage } from '../backbone/preprocess.js';
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from '../engine/checkpoint.js';
import { compileInference, compileTraining, type TrainingArtifacts } from '../engine/compile.js';
import { initialValue } from '../engine/init.js';
import { createSession, type ExecutionProvider } from '../engine/runtime.js';
import { Trainer } from '../engine/trainer.js';
import { trainStepWithBackbone, STEP_IMAGE_INPUT, type BackboneGraph } from './backboneInStep.js';
import { makeBatch, perlinThreshold, Sampler, type TrainSample } from './batch.js';
import { DENSITY_MIN_IMAGES, fitImageDensity } from './density.js';
import { extractFeatures, FeatureStage, fitFeatureScale, type ImageFeatures } from './features.js';
import { dilateMask, distanceWeights, featureMask } from './masks.js';
import { cachedScoringModel, deployableModel, featureGeometry, trainingModel, type ModelPlan } from './model.js';
import { orthogonalProjection } from './projection.js';
import { fitPatchMemory } from './patchMemory.js';
import { fitRegionalDensity } from './regionalDensity.js';
import { MapFinisher } from './postprocess.js';
import { learningRates } from './schedule.js';
import type { TrainedModel, TrainingConfig, TrainingImage, TrainingProgress, TrainOptions } from './types.js';

export const CHECKPOINT = 'checkpoint.ckpt';

export class TrainingError extends Error {
  override readonly name = 'TrainingError';
}

function abortError(): Error {
  const error = new Error('training was cancelled; its checkpoint is kept, start it again with the same run folder to resume');
  error.name = 'AbortError';
  return error;
}

/** Identity of a run: same config and same images with the same labels ⇒ a checkpoint may be resumed. */
function runIdentity(config: TrainingConfig, train: readonly TrainingImage[]): string {
  const h = createHash('sha256').update(JSON.stringify({ ...config, backbonePath: undefined }));
  for (const image of train) h.update(`${image.sha256}:${image.label}:${image.maskPath ? 'mask' : 'none'}\n`);
  return h.digest('hex');
}

export interface PreparedRun {
  plan: ModelPlan;
  samples: TrainSample[];
  validation: { features: ImageFeatures; label: TrainingImage['label'] }[];
  backboneSha256: string;
  /** With the backbone in the step: its graph, and the samples carry normalized images instead of maps. */
  backboneInStep: BackboneGraph | null;
}

/**
 * Whether a run feeds its steps images through the backbone inside the step graph rather than cached maps: when the
 * preset trains on the raw maps (no projection: the paper preset) and a GPU runs it (backboneInStep.ts says why).
 */
export function runsBackboneInStep(config: TrainingConfig, providers: TrainOptions['providers']): boolean {
  return config.projectedChannels === null && (providers?.[0] ?? 'cpu') !== 'cpu';
}

/** Features, masks and the model plan of a run (the part before any training step). */
export async function prepareRun(
  data: { train: TrainingImage[]; validation: TrainingImage[] },
  config: TrainingConfig,
  options: Pick<TrainOptions, 'cacheDir' | 'signal' | 'threads'> & {
    progress?: (done: number, total: number) => void;
    /** Called before the normal images' densities and patch memory are fitted (seconds on a few hundred images). */
    fitting?: () => void;
    featureScale?: number;
    backboneInStep?: boolean;
  },
): Promise<PreparedRun> {
  if (data.train.length < 2) throw new TrainingError(`training needs at least 2 labelled images, got ${data.train.length}`);
  const backbone = await Backbone.load(config.backbonePath, { providers: ['cpu'], threads: options.threads });
  try {
    const geometry = featureGeometry(config, backbone.info.s8Channels, backbone.info.s16Channels);
    const projection = config.projectedChannels ? orthogonalProjection(geometry.pooledChannels, config.projectedChannels) : null;
    const stage = await FeatureStage.create(geometry, projection, options.threads);
    const cache = new FeatureCache(options.cacheDir);
    const all = [...data.train, ...data.validation];
    const features = await extractFeatures(all, config, backbone, stage, cache, (done) => options.progress?.(done, all.length), options.signal);
    await stage.release();
    const trainFeatures = features.slice(0, data.train.length);
    const featureScale = options.featureScale ?? fitFeatureScale(trainFeatures, config.featureNorm);
    const inStep = options.backboneInStep === true;
    const samples: TrainSample[] = [];
    for (let i = 0; i < data.train.length; i++) {
      const image = data.train[i]!;
      const anomalous = image.label === 'anomalous';
      const plain = anomalous && image.maskPath ? await featureMask(image.maskPath, config.size, geometry.height, geometry.width) : null;
      const mask = plain && dilateMask(plain, geometry.height, geometry.width, config.maskDilation ?? 0);
      const weights = mask && config.distanceWeights ? distanceWeights(mask, geometry.height, geometry.width) : null;
      // the maps were needed for the feature normalisation only: the step computes them from the image
      const tensors = inStep ? { [STEP_IMAGE_INPUT]: await loadNormalizedImage(image.path, config.size) } : trainFeatures[i]!.tensors;
      samples.push({ tensors, anomalous, gamma: anomalous && !image.maskPath ? 0 : 1, mask, weights });
    }
    const supervised = samples.some((s) => s.anomalous);
    const batch = Math.max(2, Math.min(config.batchSize, samples.length) & ~1);
    const normalFeatures = trainFeatures.filter((_, i) => data.train[i]!.label === 'normal');
    const normal = normalFeatures.map((f) => f.meanFeature);
    if (config.densityScoreWeight && normal.length < DENSITY_MIN_IMAGES) {
      throw new TrainingError(`the image density needs at least ${DENSITY_MIN_IMAGES} normal training images, got ${normal.length}; label more normal images or train with densityScoreWeight 0`);
    }
    if (config.densityScoreWeight || config.regionalMapWeight || config.memoryMapWeight) options.fitting?.();
    const density = config.densityScoreWeight ? fitImageDensity(normal) : null;
    const shape = [geometry.channels, geometry.height, geometry.width] as const;
    const regional = config.regionalMapWeight
      ? await fitRegionalDensity(normalMapFeatures('the regional density', 'regionalMapWeight', normalFeatures), shape, config.regionalWindow!, options)
      : null;
    const memory = config.memoryMapWeight
      ? await fitPatchMemory(normalMapFeatures('the patch memory', 'memoryMapWeight', normalFeatures), shape, config.memoryWindow!, options)
      : null;
    return {
      plan: { config, geometry, featureScale, supervised, batch, projection, density, regional, memory },
      samples,
      validation: data.validation.map((image, i) => ({ features: features[data.train.length + i]!, label: image.label })),
      backboneSha256: backbone.info.sha256,
      backboneInStep: inStep ? { bytes: await readFile(backbone.info.path), inputName: backbone.info.inputName, s8Name: backbone.info.s8Name, s16Name: backbone.info.s16Name } : null,
    };
  } finally {
    await backbone.release();
  }
}

/**
 * The normal training images' cached (projected) features for a map part — the regional density or the patch memory —
 * once the config gives the part a share; a clear error where the images cannot give it.
 */
function normalMapFeatures(part: string, setting: string, normal: readonly ImageFeatures[]): Float32Array[] {
  if (normal.length < DENSITY_MIN_IMAGES) {
    throw new TrainingError(`${part} needs at least ${DENSITY_MIN_IMAGES} normal training images, got ${normal.length}; label more normal images or train with ${setting} 0`);
  }
  const features = normal.map((f) => f.tensors.features);
  if (features.some((f) => !f)) throw new TrainingError(`${part} needs the projected features of the fast preset`);
  return features as Float32Array[];
}

export function compileRun(plan: ModelPlan, backboneInStep: BackboneGraph | null = null): TrainingArtifacts {
  const artifacts = compileTraining(trainingModel(plan), {
    kind: 'adamw',
    // torch's AdamW default decay (0.01) for the adaptor's group, as the published optimizer has it
    weightDecay: { adaptor: 0.01, heads: plan.config.weightDecay },
    maxGradNorm: plan.supervised && plan.config.clipGradNorm !== null ? plan.config.clipGradNorm : undefined,
  });
  if (!backboneInStep) return artifacts;
  const { height, width } = plan.config.size;
  return { ...artifacts, trainStep: trainStepWithBackbone(artifacts.trainStep, backboneInStep, [plan.batch, 3, height, width]) };
}

/** A complete starting point from a previous version: parameters of the same name and shape, the rest fresh. */
function warmCheckpoint(artifacts: TrainingArtifacts, seed: number, warm: TrainedModel): Checkpoint {
  const tensors = new Map<string, Float32Array>();
  for (const spec of [...artifacts.params, ...artifacts.buffers]) {
    const previous = warm.parameters.get(spec.name);
    const size = spec.shape.reduce((a, b) => a * b, 1);
    tensors.set(spec.name, previous && previous.length === size ? Float32Array.from(previous) : (initialValue(spec.init, spec.shape, 'float32', seed, spec.name) as Float32Array));
  }
  for (const s of artifacts.state) tensors.set(s.name, new Float32Array(s.shape.reduce((a, b) => a * b, 1)));
  return { step: 0, graphHash: artifacts.trainStep.hash, config: null, tensors };
}

export async function trainDefectModel(
  data: { train: TrainingImage[]; validation: TrainingImage[] },
  config: TrainingConfig,
  options: TrainOptions,
): Promise<TrainedModel> {
  const { signal, onProgress } = options;
  signal?.throwIfAborted();
  await mkdir(options.runDir, { recursive: true });
  const report = (p: Omit<TrainingProgress, 'epochs'>) => onProgress?.({ ...p, epochs: config.epochs });
  const prepared = await prepareRun(data, config, {
    cacheDir: options.cacheDir,
    signal,
    threads: options.threads,
    ...(options.warmStart && options.keepFeatureScale ? { featureScale: options.warmStart.featureScale } : {}),
    backboneInStep: options.backboneInStep ?? runsBackboneInStep(config, options.providers),
    progress: (done, total) =>
      report({ phase: 'features', epoch: 0, step: done, steps: total, losses: {}, imagesPerSecond: 0, etaSeconds: null, provider: 'cpu' }),
    fitting: () => report({ phase: 'fitting', epoch: 0, step: 0, steps: 0, losses: {}, imagesPerSecond: 0, etaSeconds: null, provider: 'cpu' }),
  });
  const { plan, samples } = prepared;
  const artifacts = compileRun(plan, prepared.backboneInStep);
  const sampler = new Sampler(samples, plan.batch, config.seed);
  const threshold = perlinThreshold(config, samples);
  const totalSteps = config.epochs * sampler.stepsPerEpoch;
  const identity = runIdentity(config, data.train);
  const checkpointFile = path.join(options.runDir, CHECKPOINT);

  let start: Checkpoint | undefined;
  let previousSeconds = 0;
  if (await stat(checkpointFile).catch(() => null)) {
    const saved = await loadCheckpoint(checkpointFile);
    const meta = saved.config as { identity?: string; trainSeconds?: number } | null;
    if (meta?.identity !== identity || saved.graphHash !== artifacts.trainStep.hash) {
      // the second case is an update of the workbench between a cancelled run and its resumption
      const writer = meta?.identity !== identity ? 'a run with other settings or images' : 'another version of the trainer (its training step differs)';
      throw new TrainingError(
        `the checkpoint in ${options.runDir} was written by ${writer} and cannot be continued; start the training afresh (dwb train --restart, or Train in the app)`,
      );
    }
    start = saved;
    previousSeconds = meta.trainSeconds ?? 0;
  } else if (options.warmStart) {
    start = warmCheckpoint(artifacts, config.seed, options.warmStart);
  }
  const trainer = await Trainer.create(artifacts, { seed: config.seed, checkpoint: start, providers: options.providers, threads: options.threads });
  const began = performance.now();
  const seconds = () => previousSeconds + (performance.now() - began) / 1000;
  const save = async () => saveCheckpoint(checkpointFile, await trainer.checkpoint({ identity, trainSeconds: seconds() }));
  try {
    let stepSeconds: number | null = null;
    let last = performance.now();
    for (let step = trainer.step; step < totalSteps; step++) {
      if (signal?.aborted) {
        await save();
        throw abortError();
      }
      const batch = makeBatch(samples, sampler.indices(step), step, config, plan.geometry, threshold);
      const result = await trainer.trainStep(batch, learningRates(config, step, totalSteps));
      const now = performance.now();
      const took = (now - last) / 1000;
      last = now;
      stepSeconds = stepSeconds === null ? took : 0.8 * stepSeconds + 0.2 * took;
      if (!Number.isFinite(result.loss)) throw new TrainingError(`the loss became ${result.loss} at step ${step + 1}; lower the learning rates`);
      const epoch = Math.floor((step + 1) / sampler.stepsPerEpoch);
      const epochEnd = (step + 1) % sampler.stepsPerEpoch === 0;
      const progress: Omit<TrainingProgress, 'epochs'> = {
        phase: 'training',
        epoch: epochEnd ? epoch : epoch + 1,
        step: step + 1,
        steps: totalSteps,
        losses: { ...result.terms, total: result.loss },
        imagesPerSecond: plan.batch / stepSeconds,
        etaSeconds: stepSeconds * (totalSteps - step - 1),
        provider: trainer.provider,
      };
      if (epochEnd) {
        await save();
        if (config.validateEvery > 0 && prepared.validation.length && (epoch % config.validateEvery === 0 || step + 1 === totalSteps)) {
          report({ ...progress, phase: 'validating' });
          const providers = trainer.provider === 'cpu' ? (['cpu'] as const) : [trainer.provider, 'cpu' as const];
          progress.validation = await validate(plan, (await trainer.values()) as Map<string, Float32Array>, prepared.validation, providers);
        }
      }
      report(progress);
    }
    report({ phase: 'finishing', epoch: config.epochs, step: totalSteps, steps: totalSteps, losses: {}, imagesPerSecond: 0, etaSeconds: 0, provider: trainer.provider });
    const values = (await trainer.values()) as Map<string, Float32Array>;
    const inference = compileInference(deployableModel(plan), values);
    return {
      config,
      backboneSha256: prepared.backboneSha256,
      featureScale: plan.featureScale,
      inferenceGraph: inference.bytes,
      parameters: values,
      trainSeconds: seconds(),
      provider: trainer.provider,
    };
  } finally {
    await trainer.release();
  }
}

/**
 * Image scores of the validation images from their cached features (never the test split), on the training's
 * provider: the paper preset's heads at stride 4 are ≈ 70 GFLOP an image, seconds per validation on a CPU.
 */
export async function scoreCached(plan: ModelPlan, values: ReadonlyMap<string, Float32Array>, features: readonly ImageFeatures[], providers: readonly ExecutionProvider[] = ['cpu']) {
  const graph = compileInference(cachedScoringModel(plan, 1), values);
  const { session } = await createSession(graph.bytes, { providers });
  const g = plan.geometry;
  const shapes: Record<string, number[]> = { features: [1, g.channels, g.height, g.width], s8: [1, ...g.s8], s16: [1, ...g.s16] };
  const withDensity = (f: ImageFeatures) => (plan.density ? { ...f.tensors, meanFeature: f.meanFeature } : f.tensors);
  const finisher = await MapFinisher.create(plan.config, g.height, g.width);
  const scores: { clsScore: number; score: number; mapScore: number; map: Float32Array; logits: Float32Array }[] = [];
  try {
    for (const f of features) {
      const feeds = Object.fromEntries(Object.entries(withDensity(f)).map(([name, data]) => [name, new ort.Tensor('float32', data, shapes[name] ?? [1, data.length])]));
      const out = await session.run(feeds);
      const logits = Float32Array.from(out.map!.data as Float32Array);
      const clsScore = (out.score!.data as Float32Array)[0]!;
      scores.push({ clsScore, ...(await finisher.finish(clsScore, logits)), logits });
    }
  } finally {
    await finisher.release();
    await session.release();
  }
  return scores;
}

async function validate(plan: ModelPlan, values: Map<string, Float32Array>, validation: PreparedRun['validation'], providers: readonly ExecutionProvider[]): Promise<Record<string, number>> {
  const scores = await scoreCached(plan, values, validation.map((v) => v.features), providers);
  const blended = scores.map((s) => s.score);
  const normal = blended.filter((_, i) => validation[i]!.label === 'normal');
  const result: Record<string, number> = {
    meanNormalScore: normal.length ? normal.reduce((a, b) => a + b, 0) / normal.length : NaN,
    maxNormalScore: normal.length ? Math.max(...normal) : NaN,
  };
  if (normal.length && normal.length < blended.length) result.imageAuroc = imageAuroc(blended, validation.map((v) => (v.label === 'anomalous' ? 1 : 0)));
  return result;
}
