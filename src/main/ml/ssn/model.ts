// SuperSimpleNet on the engine: feature stage (resize + concat + 3×3 average pool + fixed projection +
// normalisation), adaptor, segmentation head and classification head, and the loss with γ selecting pixels.
// One set of head functions serves the train-step graph (cached features and host-made synthetic anomalies in),
// the validation graph (cached features in, no noise) and the deployable graph (backbone maps in).
import type { Tensor } from '../engine/graph.js';
import type { ModelBuilder, ModelDefinition } from '../engine/model.js';
import { floatArray, toFloatArray } from '../engine/dtype.js';
import { batchNorm } from '../engine/nn/batchNorm.js';
import { convBn, fromChannelMajor, pointwise, pointwiseBn, shiftedConv, toChannelMajor } from '../engine/nn/layers.js';
import { softplus } from '../engine/nn/losses.js';
import * as op from '../engine/ops.js';
import { densityGraph, meanFeature, type ImageDensity } from './density.js';
import { memoryProbability, type PatchMemory } from './patchMemory.js';
import { blendedMapLogits, regionalProbability, windowRows, type RegionalDensity } from './regionalDensity.js';
import type { TrainingConfig } from './types.js';

export interface FeatureGeometry {
  /** Backbone maps for the model size. */
  s8: [number, number, number]; // [c, h, w]
  s16: [number, number, number];
  /** Channels of the pooled features (1536) and of what the heads see (after projection). */
  pooledChannels: number;
  channels: number;
  /** Size of the map the heads work on. */
  height: number;
  width: number;
}

export function featureGeometry(config: TrainingConfig, s8Channels: number, s16Channels: number): FeatureGeometry {
  const h8 = config.size.height / 8;
  const w8 = config.size.width / 8;
  const up = config.featureStride === 4 ? 2 : 1;
  const pooled = s8Channels + s16Channels;
  return {
    s8: [s8Channels, h8, w8],
    s16: [s16Channels, h8 / 2, w8 / 2],
    pooledChannels: pooled,
    channels: config.projectedChannels ?? pooled,
    height: h8 * up,
    width: w8 * up,
  };
}

/** The pooled features of raw backbone maps, before projection and scaling: [N, 1536, h, w]. */
export function poolFeatures(s8: Tensor, s16: Tensor, geometry: FeatureGeometry): Tensor {
  return featurePool(op.concat([onHeadGrid(s8, geometry), onHeadGrid(s16, geometry)], 1));
}

/** A backbone map (or a per-position linear map of it) bilinearly resized to the grid the heads work on. */
function onHeadGrid(x: Tensor, geometry: FeatureGeometry): Tensor {
  return x.shape[2] === geometry.height && x.shape[3] === geometry.width ? x : op.resizeBilinear(x, [geometry.height, geometry.width]);
}

/** The feature stage's 3×3 average pool (stride 1, same size). */
const featurePool = (x: Tensor) => op.averagePool(x, 3);

/** [N, C, h, w] → [N, k, h, w] by the fixed [k, C] matrix. */
export function project(m: ModelBuilder, x: Tensor, matrix: Float32Array, k: number): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const cm = toChannelMajor(x);
  return fromChannelMajor(op.gemm(m.constant(matrix, [k, c]), cm), n, h, w);
}

export interface HeadOptions {
  config: TrainingConfig;
  geometry: FeatureGeometry;
  /** The feature normalisation fitted on the training images. */
  featureScale: number;
  /** Real defects are used: the seg map feeds the classification head with its gradient. */
  supervised: boolean;
}

/** Xavier-normal weights (fans of a k×k kernel) and zero biases, as the published model initialises its layers. */
const xavier = (fanIn: number, fanOut: number, k = 1) => ({
  weightInit: { kind: 'normal' as const, std: Math.sqrt(2 / ((fanIn + fanOut) * k * k)) },
  biasInit: { kind: 'zeros' as const },
});

const convWeight = (m: ModelBuilder, name: string, c: number, out: number, k: number, group: string) =>
  m.param(`${name}.conv.weight`, [out, c, k, k], xavier(c, out, k).weightInit, group);

/** convBn's training form on channel-major x [C, N·h·w] (same parameters): one matrix product for all taps. */
function shiftedConvBn(m: ModelBuilder, name: string, x: Tensor, out: number, k: number, group: string, grid: { n: number; h: number; w: number }): Tensor {
  const conv = shiftedConv(x, convWeight(m, name, x.shape[0]!, out, k, group), grid.n, grid.h, grid.w);
  return batchNorm(m, `${name}.bn`, conv, { group });
}

const CLS_KERNEL = 5;

export interface HeadOutputs {
  /** Segmentation logits [N, 1, h, w]. */
  map: Tensor;
  /** Classification logits [N, 1]. */
  logit: Tensor;
}

/**
 * Adaptor and heads on normalized features [N, C, h, w]. `copies` > 1 repeats every image that many times after
 * the adaptor (the training step's duplicated batch: the adaptor's output is the same for each copy, so it is
 * computed once). `noise` ([C, copies·N·h·w], channel-major, already masked and scaled) is added to the adapted
 * features: the synthetic anomalies.
 */
export function heads(m: ModelBuilder, features: Tensor, options: HeadOptions, noise?: Tensor, copies = 1): HeadOutputs {
  const [images, c, h, w] = features.shape as [number, number, number, number];
  const adapted = pointwise(m, 'adaptor', toChannelMajor(features), { out: c, group: 'adaptor', ...xavier(c, c) });
  return headsOnAdapted(m, adapted, { images, h, w }, options, noise, copies);
}

/** heads() from the adaptor's output on, channel-major [C, images·h·w]. */
function headsOnAdapted(m: ModelBuilder, adapted: Tensor, grid: { images: number; h: number; w: number }, options: HeadOptions, noise?: Tensor, copies = 1): HeadOutputs {
  const { config } = options;
  const { h, w } = grid;
  const c = adapted.shape[0]!;
  const n = grid.images * copies;
  let x = copies > 1 ? op.concat(Array.from({ length: copies }, () => adapted), 1) : adapted;
  if (noise) x = op.add(x, noise);
  const hidden = op.leakyRelu(pointwiseBn(m, 'seg.hidden', x, { out: config.segHidden, group: 'heads', ...xavier(c, config.segHidden) }), 0.2);
  const mapRows = pointwise(m, 'seg.out', hidden, { out: 1, bias: false, group: 'heads', ...xavier(config.segHidden, 1) }); // [1, N·h·w]
  const mapInRows = options.supervised ? mapRows : op.stopGradient(mapRows);
  const map = fromChannelMajor(mapRows, n, h, w);
  const mapIn = fromChannelMajor(mapInRows, n, h, w);
  // the fast preset's narrow classification conv (5×5 → 8) trains as one matrix product of all taps; a wide one
  // (the paper's → 128) would make those products larger than its input, and trains as a convolution
  const shifted = m.mode !== 'infer' && CLS_KERNEL * CLS_KERNEL * config.clsHidden <= c + 1;
  const cls = op.relu(
    shifted
      ? fromChannelMajor(shiftedConvBn(m, 'cls.conv', op.concat([x, mapInRows], 0), config.clsHidden, CLS_KERNEL, 'heads', { n, h, w }), n, h, w)
      : convBn(m, 'cls.conv', op.concat([fromChannelMajor(x, n, h, w), mapIn], 1), { out: config.clsHidden, kernel: CLS_KERNEL, group: 'heads', ...xavier(c + 1, config.clsHidden, CLS_KERNEL) }),
  );
  const mapInMax = op.globalMaxPool(mapIn);
  const pooled = op.concat([op.globalMaxPool(cls), op.globalAveragePool(cls), mapInMax, op.globalAveragePool(mapIn)], 1);
  const width = 2 * config.clsHidden + 2;
  const flat = op.reshape(pooled, [n, width]);
  const wl = m.param('cls.fc.weight', [width, 1], xavier(width, 1).weightInit, 'heads');
  const bl = m.param('cls.fc.bias', [1], { kind: 'zeros' }, 'heads');
  const logit = op.add(op.matmul(flat, wl), bl);
  // The head's own channels and the map both separate the synthetic anomalies perfectly in training, so which one its
  // last layer comes to trust is left to the seed, and only the map carries over to real defects well (README.md
  // here, fourteenth series): starting the logit from the map's verdict makes the head a correction of it.
  const fromMap = config.clsMapMaxLogit ?? 0;
  if (fromMap === 0) return { map, logit };
  // the map's largest logit as the head already pools it, its gradient stopped (the map learns from its own loss)
  const mapMax = op.reshape(op.stopGradient(mapInMax), [n, 1]);
  return { map, logit: op.add(logit, op.mul(mapMax, fromMap)) };
}

/** Elementwise focal loss of logits against 0/1 targets (γ_f), no reduction. */
export function focalElementwise(logits: Tensor, targets: Tensor, gamma: number): Tensor {
  const signed = op.mul(logits, op.sub(op.mul(targets, 2), 1));
  const logPt = op.neg(softplus(op.neg(signed)));
  const modulator = op.pow(op.clip(op.sub(1, op.exp(logPt)), 0, 1), gamma);
  return op.neg(op.mul(modulator, logPt));
}

export const TRUNCATION = 0.5;
export const FOCAL_GAMMA = 4;

/**
 * The loss. Pixel weights come from the host, already normalized: wNormal = 1/#normal pixels of γ=1 images on those
 * pixels, wAnomalous likewise for anomalous pixels, wFocal = 1/#pixels of γ=1 images; all 0 on γ=0 (weak) images.
 * So every segmentation term is a mean over the pixels of γ=1 images only, and 0 when there are none.
 */
export function ssnLoss(out: HeadOutputs, t: { target: Tensor; wNormal: Tensor; wAnomalous: Tensor; wFocal: Tensor; label: Tensor }) {
  const l1 = op.add(
    op.reduceSum(op.mul(op.relu(op.add(out.map, TRUNCATION)), t.wNormal)),
    op.reduceSum(op.mul(op.relu(op.sub(TRUNCATION, out.map)), t.wAnomalous)),
  );
  const focalMap = op.reduceSum(op.mul(focalElementwise(out.map, t.target, FOCAL_GAMMA), t.wFocal));
  const focalScore = op.reduceMean(focalElementwise(out.logit, t.label, FOCAL_GAMMA));
  const loss = op.add(op.add(l1, focalMap), focalScore);
  return { loss, terms: { l1, focalMap, focalScore } };
}

export interface ModelPlan extends HeadOptions {
  batch: number;
  /** The fast preset's fixed projection ([k, pooled]) or null. */
  projection: Float32Array | null;
  /** The normal images' density, when the config gives it a share of the image score (densityScoreWeight). */
  density?: ImageDensity | null;
  /** The normal images' regional density, when the config gives it a share of the map (regionalMapWeight). */
  regional?: RegionalDensity | null;
  /** The normal images' patch memory, when the config gives it a share of the map (memoryMapWeight). */
  memory?: PatchMemory | null;
}

/**
 * The map logits [n, 1, h, w] with the normal images' maps blended in — the regional density's and the patch
 * memory's shares — from window rows of the projected features (rows(k) for windows of k cells, called only for
 * the parts the plan has).
 */
function mapWithNormalParts(m: ModelBuilder, logits: Tensor, plan: ModelPlan, rows: (window: number) => Tensor): Tensor {
  const [n, , h, w] = logits.shape as [number, number, number, number];
  const grid = { n, h, w };
  const parts: { probability: Tensor; weight: number }[] = [];
  const regional = plan.regional ? (plan.config.regionalMapWeight ?? 0) : 0;
  if (regional > 0) parts.push({ probability: regionalProbability(m, rows(plan.regional!.window), plan.regional!, grid), weight: regional });
  const memory = plan.memory ? (plan.config.memoryMapWeight ?? 0) : 0;
  if (memory > 0) parts.push({ probability: memoryProbability(m, rows(plan.memory!.window), plan.memory!, grid), weight: memory });
  return parts.length ? blendedMapLogits(logits, parts) : logits;
}

/**
 * [1] or [n, 1]: the heads' image score — the classification head's probability, or with a density its blend with the
 * density's probability — in the shares that leave the map's part (mapScoreWeight) to the post-processing:
 * score = (1 − w − g)·cls + w·map + g·density, the post-processing adding w·map to (1 − w)·this.
 */
function headsScore(m: ModelBuilder, logit: Tensor, plan: ModelPlan, feature: () => Tensor): Tensor {
  const cls = op.sigmoid(logit);
  const g = plan.density ? (plan.config.densityScoreWeight ?? 0) : 0;
  if (g === 0) return cls;
  const rest = 1 - plan.config.mapScoreWeight;
  return op.add(op.mul(cls, (rest - g) / rest), op.mul(densityGraph(m, feature(), plan.density!), g / rest));
}

/** Cached-feature input of one image: projected pooled features (fast) or raw backbone maps (paper). */
export function cachedInputs(plan: ModelPlan, n: number) {
  const g = plan.geometry;
  return plan.projection
    ? [{ name: 'features', shape: [n, g.channels, g.height, g.width] }]
    : [
        { name: 's8', shape: [n, ...g.s8] },
        { name: 's16', shape: [n, ...g.s16] },
      ];
}

function normalizedFromCache(m: ModelBuilder, plan: ModelPlan, inputs: Record<string, Tensor>): Tensor {
  const x = plan.projection ? inputs.features! : poolFeatures(inputs.s8!, inputs.s16!, plan.geometry);
  return op.mul(x, plan.featureScale);
}

/** The train-step model: each batch image appears twice (the duplicated batch), noise and targets for 2N. */
export function trainingModel(plan: ModelPlan): ModelDefinition {
  const g = plan.geometry;
  const n2 = 2 * plan.batch;
  const px = [n2, 1, g.height, g.width];
  return {
    name: 'supersimplenet',
    inputs: cachedInputs(plan, plan.batch),
    targets: [
      { name: 'noiseMask', shape: [1, n2 * g.height * g.width] },
      { name: 'target', shape: px },
      { name: 'wNormal', shape: px },
      { name: 'wAnomalous', shape: px },
      { name: 'wFocal', shape: px },
      { name: 'label', shape: [n2, 1] },
    ],
    forward(m, inputs) {
      const x = normalizedFromCache(m, plan, inputs);
      // the synthetic anomalies: N(0, σ²) per channel where the mask says, drawn in the graph from (seed, step)
      const noise =
        m.mode === 'train'
          ? op.mul(op.hashNoise([m.stepCounter()], [g.channels, n2 * g.height * g.width], { distribution: 'normal', seed: plan.config.seed }), op.mul(inputs.noiseMask!, plan.config.noiseStd))
          : undefined;
      const out = heads(m, x, plan, noise, 2);
      const { loss, terms } = ssnLoss(out, inputs as never);
      return { loss, terms, outputs: { map: out.map, logit: out.logit } };
    },
  };
}

/** Scores from cached features (validation): no noise, batch norm folded. */
export function cachedScoringModel(plan: ModelPlan, n: number): ModelDefinition {
  return {
    name: 'supersimplenet.cached',
    inputs: plan.density ? [...cachedInputs(plan, n), { name: 'meanFeature', shape: [n, plan.density.mean.length] }] : cachedInputs(plan, n),
    forward(m, inputs) {
      const out = heads(m, normalizedFromCache(m, plan, inputs), plan);
      // the normal images' maps see the cached features as they are (fitted on them, before the feature scale)
      const map = mapWithNormalParts(m, out.map, plan, (window) => windowRows(m, inputs.features!, window));
      return { outputs: { score: headsScore(m, out.logit, plan, () => inputs.meanFeature!), map } };
    },
  };
}

/** The deployable heads: the backbone's stride-8 and stride-16 maps of one image in, score and map logits out. */
export function deployableModel(plan: ModelPlan): ModelDefinition {
  const g = plan.geometry;
  return {
    name: 'supersimplenet.inference',
    inputs: [
      { name: 's8', shape: [1, ...g.s8] },
      { name: 's16', shape: [1, ...g.s16] },
    ],
    forward(m, inputs) {
      const adapted = foldedAdaptor(m, inputs.s8!, inputs.s16!, plan);
      const out = headsOnAdapted(m, adapted, { images: 1, h: g.height, w: g.width }, plan);
      // windows of the pooled features, then the projection: the same rows as the cached features' windows, at a
      // quarter of the positions
      let pooled: { features: Tensor; projection: Tensor } | undefined;
      const map = mapWithNormalParts(m, out.map, plan, (window) => {
        pooled ??= { features: poolFeatures(inputs.s8!, inputs.s16!, g), projection: m.constant(plan.projection!, [g.channels, g.pooledChannels]) };
        return op.gemm(windowRows(m, pooled.features, window), pooled.projection, { transB: true });
      });
      return { outputs: { score: op.reshape(headsScore(m, out.logit, plan, () => meanFeature(inputs.s8!, inputs.s16!)), [1]), map } };
    },
  };
}

/**
 * The adaptor's output from raw backbone maps, with the feature stage folded into it: resize, concat, 3×3 average
 * pool, projection, scale and adaptor are all linear, and resizing and pooling treat every channel alike, so
 * W = adaptor · scale · projection runs on each backbone map at its own size, before the resize — the stride-16
 * map's channels at a quarter of the positions — and the bias after the pooling. The same function up to float
 * rounding; the fast preset's heads run 0.4 of the multiply-adds of the unfolded stage (1536→512 projection at
 * every position, then 512→512).
 */
function foldedAdaptor(m: ModelBuilder, s8: Tensor, s16: Tensor, plan: ModelPlan): Tensor {
  const g = plan.geometry;
  const c = g.channels;
  const weight = foldedAdaptorWeight(m.value('adaptor.weight'), plan.projection, c, g.pooledChannels, plan.featureScale);
  let from = 0;
  const parts = [s8, s16].map((x) => {
    const [n, channels, h, w] = x.shape as [number, number, number, number];
    const columns = floatArray(m.dtype, c * channels);
    for (let o = 0; o < c; o++) columns.set(weight.subarray(o * g.pooledChannels + from, o * g.pooledChannels + from + channels), o * channels);
    from += channels;
    return onHeadGrid(fromChannelMajor(op.gemm(m.constant(columns, [c, channels]), toChannelMajor(x)), n, h, w), g);
  });
  const bias = m.constant(toFloatArray(m.dtype, m.value('adaptor.bias')), [c, 1]);
  return op.add(toChannelMajor(featurePool(op.add(parts[0]!, parts[1]!))), bias);
}

/** scale · A · P ([c, c]·[c, pooled], or scale · A without a projection), accumulated in double precision. */
function foldedAdaptorWeight(adaptor: ArrayLike<number>, projection: Float32Array | null, c: number, pooled: number, scale: number): Float64Array {
  const out = new Float64Array(c * pooled);
  if (!projection) {
    for (let i = 0; i < out.length; i++) out[i] = scale * adaptor[i]!;
    return out;
  }
  for (let o = 0; o < c; o++) {
    const row = out.subarray(o * pooled, (o + 1) * pooled);
    for (let k = 0; k < c; k++) {
      const a = scale * adaptor[o * c + k]!;
      const p = projection.subarray(k * pooled, (k + 1) * pooled);
      for (let j = 0; j < pooled; j++) row[j] = row[j]! + a * p[j]!;
    }
  }
  return out;
}

/**
 * The fast preset's feature stage, run once per image before training: pooled features projected to k channels,
 * the mean per-position L2 norm of the unprojected pooled features (what the normalisation is fitted on), and the
 * backbone maps' mean feature (what the image density is fitted on).
 */
export function featureStageModel(geometry: FeatureGeometry, projection: Float32Array | null, n: number): ModelDefinition {
  return {
    name: 'supersimplenet.features',
    inputs: [
      { name: 's8', shape: [n, ...geometry.s8] },
      { name: 's16', shape: [n, ...geometry.s16] },
    ],
    forward(m, inputs) {
      const pooled = poolFeatures(inputs.s8!, inputs.s16!, geometry);
      const norm = op.reduceMean(op.sqrt(op.reduceSum(op.mul(pooled, pooled), [1])), [1, 2]);
      const outputs: Record<string, Tensor> = { norm, meanFeature: meanFeature(inputs.s8!, inputs.s16!) };
      if (projection) outputs.features = project(m, pooled, projection, geometry.channels);
      return { outputs };
    },
  };
}
