// What each training step sees, derived from (seed, step) alone — image order, synthetic masks — so a run
// resumed from a checkpoint at any step continues exactly as an uninterrupted run would, with no RNG state to save.
import { createHash } from 'node:crypto';
import { seededRandom, type Random } from '../../util/random.js';
import type { FeatureGeometry } from './model.js';
import { perlinMask } from './perlin.js';
import type { TrainingConfig } from './types.js';

export interface TrainSample {
  /** Cached graph inputs of the image (features, or s8/s16). */
  tensors: Record<string, Float32Array>;
  /** γ: 1 for normal images and anomalous images with a mask, 0 for weakly labelled ones. */
  gamma: 0 | 1;
  anomalous: boolean;
  /** Real defect mask at feature resolution (1 = defect, 2 = partly defect: left out of the segmentation loss), null when there is none or it is unknown. */
  mask: Uint8Array | null;
  /** Loss weight of each real defect cell (the journal version's distance weights); absent: all 1. */
  weights?: Float32Array | null;
}

export function streamRandom(seed: number, ...parts: (string | number)[]): Random {
  return seededRandom(createHash('sha256').update([seed, ...parts].join('/')).digest().readUInt32LE(0));
}

function permutation(n: number, random: Random): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

/** Which images each step uses. Anomalous training images, when present, fill half of every batch (1:1 balance). */
export class Sampler {
  readonly normal: number[];
  readonly anomalous: number[];
  readonly stepsPerEpoch: number;
  private cache = new Map<string, Int32Array>();

  constructor(samples: readonly TrainSample[], readonly batch: number, private readonly seed: number) {
    this.normal = samples.flatMap((s, i) => (s.anomalous ? [] : [i]));
    this.anomalous = samples.flatMap((s, i) => (s.anomalous ? [i] : []));
    this.stepsPerEpoch = this.balanced ? Math.ceil(this.normal.length / (batch / 2)) : Math.ceil(samples.length / batch);
  }

  get balanced(): boolean {
    return this.normal.length > 0 && this.anomalous.length > 0;
  }

  private perm(pool: 'all' | 'normal' | 'anomalous', epoch: number, n: number): Int32Array {
    const key = `${pool}/${epoch}`;
    let p = this.cache.get(key);
    if (!p) {
      if (this.cache.size > 8) this.cache.clear();
      p = permutation(n, streamRandom(this.seed, 'order', pool, epoch));
      this.cache.set(key, p);
    }
    return p;
  }

  indices(step: number): number[] {
    const epoch = Math.floor(step / this.stepsPerEpoch);
    const j = step % this.stepsPerEpoch;
    if (!this.balanced) {
      const all = this.normal.length ? this.normal : this.anomalous;
      const p = this.perm('all', epoch, all.length);
      return Array.from({ length: this.batch }, (_, k) => all[p[(j * this.batch + k) % all.length]!]!);
    }
    const half = this.batch / 2;
    const pn = this.perm('normal', epoch, this.normal.length);
    const pa = this.perm('anomalous', epoch, this.anomalous.length);
    return [
      ...Array.from({ length: half }, (_, k) => this.normal[pn[(j * half + k) % this.normal.length]!]!),
      ...Array.from({ length: half }, (_, k) => this.anomalous[pa[(j * half + k) % this.anomalous.length]!]!),
    ];
  }
}

export type StepBatch = Record<string, Float32Array>;

/**
 * The Perlin threshold of a run's synthetic masks: the supervised one (smaller masks) only when real defect masks
 * train the map. With weak labels alone the map learns from synthetic anomalies on normal images only, as without
 * any defects, and at 512 channels the smaller masks left it untrained (a constant map, README.md here).
 */
export function perlinThreshold(config: TrainingConfig, samples: readonly TrainSample[]): number {
  return samples.some((s) => s.mask) ? config.perlinThreshold.supervised : config.perlinThreshold.unsupervised;
}

/**
 * The batch of one step: the chosen images' cached inputs, and for the duplicated batch (2N copies) where the
 * feature noise goes (inside synthetic masks, never inside a real defect; the noise itself is drawn in the graph,
 * keyed by the step), targets, γ-selected pixel weights and image labels. `threshold`: perlinThreshold's.
 */
export function makeBatch(
  samples: readonly TrainSample[],
  indices: readonly number[],
  step: number,
  config: TrainingConfig,
  geometry: FeatureGeometry,
  threshold: number,
): StepBatch {
  const n = indices.length;
  const copies = 2 * n;
  const { height: h, width: w } = geometry;
  const p = h * w;
  const batch: StepBatch = {};
  for (const name of Object.keys(samples[indices[0]!]!.tensors)) {
    const size = samples[indices[0]!]!.tensors[name]!.length;
    const data = new Float32Array(n * size);
    indices.forEach((i, b) => data.set(samples[i]!.tensors[name]!, b * size));
    batch[name] = data;
  }
  const random = streamRandom(config.seed, 'step', step);
  const noiseMask = new Float32Array(copies * p);
  const target = new Float32Array(copies * p);
  const gammaPixels = new Uint8Array(copies * p);
  const pixelWeight = new Float32Array(copies * p);
  const label = new Float32Array(copies);
  for (let k = 0; k < copies; k++) {
    const sample = samples[indices[k % n]!]!;
    const synthetic = random() < config.emptyMaskProbability ? null : perlinMask(h, w, threshold, random);
    let anomalous = sample.anomalous;
    for (let q = 0; q < p; q++) {
      const cell = sample.mask?.[q] ?? 0;
      const real = cell === 1;
      const synth = synthetic?.[q] === 1;
      if (real || synth) {
        target[k * p + q] = 1;
        anomalous = true;
      }
      if (synth && cell === 0) noiseMask[k * p + q] = 1;
      gammaPixels[k * p + q] = cell === 2 ? 0 : sample.gamma;
      pixelWeight[k * p + q] = real ? (sample.weights?.[q] ?? 1) : 1;
    }
    label[k] = anomalous ? 1 : 0;
  }
  // weighted means: each term divides by the total weight of the pixels it averages over
  let normalWeight = 0;
  let anomalousWeight = 0;
  let gammaWeight = 0;
  for (let i = 0; i < target.length; i++) {
    if (!gammaPixels[i]) continue;
    gammaWeight += pixelWeight[i]!;
    if (target[i]) anomalousWeight += pixelWeight[i]!;
    else normalWeight += pixelWeight[i]!;
  }
  const wNormal = new Float32Array(copies * p);
  const wAnomalous = new Float32Array(copies * p);
  const wFocal = new Float32Array(copies * p);
  for (let i = 0; i < target.length; i++) {
    if (!gammaPixels[i]) continue;
    wFocal[i] = pixelWeight[i]! / gammaWeight;
    if (target[i]) wAnomalous[i] = pixelWeight[i]! / anomalousWeight;
    else wNormal[i] = pixelWeight[i]! / normalWeight;
  }
  return { ...batch, noiseMask, target, wNormal, wAnomalous, wFocal, label };
}
