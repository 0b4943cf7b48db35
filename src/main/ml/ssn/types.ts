// The contract between the model (this folder) and whoever runs it: the training job, the model-version store,
// the CLI and the app services. Everything a stored model version needs is in TrainedModel; everything a run needs
// is in TrainingConfig (resolved values, so a version records exactly what trained it).
import type { ExecutionProvider } from '../engine/runtime.js';

export type Preset = 'fast' | 'paper';

export interface ImageSize {
  height: number;
  width: number;
}

/** One image as the trainer sees it; its label decides its role (γ = 0 for weak, 1 otherwise). */
export interface TrainingImage {
  imageId: number;
  /** Content hash of the file: part of the feature-cache key. */
  sha256: string;
  /** The stored original file (any format sharp reads, 8/16-bit, grey/RGB/RGBA). */
  path: string;
  label: 'normal' | 'anomalous';
  /** Binary 0/255 PNG at the image's size; null on an anomalous image = weak (image-level) label. */
  maskPath: string | null;
}

/**
 * A run's settings, fully resolved from a preset (resolveConfig in presets.ts). Stored with the model version.
 * Aspect handling: every image is resized (stretched) to exactly `size`, no crop and no padding; maps come back at
 * `size` and callers resize them to the original image when they draw them.
 */
export interface TrainingConfig {
  preset: Preset;
  backbonePath: string;
  /** Model input size; both sides multiples of 32 (the backbone's coarsest stride is 16, pooled features need 2×). */
  size: ImageSize;
  epochs: number;
  seed: number;
  batchSize: number;
  /** Stride of the feature map the heads see: 4 (as published: 2× the stride-8 map) or 8. */
  featureStride: 4 | 8;
  /** Channels after the fixed random orthogonal projection of the 1536 pooled channels; null = no projection. */
  projectedChannels: number | null;
  /** Hidden channels of the segmentation head (1024 published). */
  segHidden: number;
  /** Output channels of the classification head's 5×5 conv (128 published). */
  clsHidden: number;
  /** AdamW learning rates per group and the heads' weight decay. */
  lrAdaptor: number;
  lrHeads: number;
  weightDecay: number;
  /** Step decay: learning rates ×0.4 after each of these fractions of all steps. */
  lrDecayAt: number[];
  /** Std of the synthetic-anomaly feature noise (after the feature normalisation). */
  noiseStd: number;
  /** Perlin threshold: the first for normal-only data, the second when real defects are used. */
  perlinThreshold: { unsupervised: number; supervised: number };
  /** Probability that a copy of an image gets no synthetic anomaly. */
  emptyMaskProbability: number;
  /** Gradient-norm clip when real defects are used (null: never clip). */
  clipGradNorm: number | null;
  /**
   * Image score = (1 − w − g)·sigmoid(cls logit) + w·(map score: see mapScoreTopShare) + g·(the image density's
   * probability, g = densityScoreWeight); w 0 as published, 0.25 in the fast preset (presets.ts).
   */
  mapScoreWeight: number;
  /**
   * The share g of the image score from the normal images' density (ssn/density.ts); absent or 0: none, as published
   * and as every version trained before this field.
   */
  densityScoreWeight?: number;
  /**
   * The share ρ of the map from the normal images' regional density (ssn/regionalDensity.ts): the map's probability is
   * (1 − ρ)·the heads' + ρ·the density's, blended on the heads' grid before the smoothing, so the map's part of the image
   * score follows it. Absent or 0: none, as published and as every version trained before this field. Fast preset only
   * (it is fitted on the projected features the feature cache holds).
   */
  regionalMapWeight?: number;
  /** The regional density's window side, in cells of the heads' grid (even). */
  regionalWindow?: number;
  /**
   * The share of the map from the normal images' patch memory (ssn/patchMemory.ts), blended as the regional density's:
   * the map's probability is (1 − ρ − μ)·the heads' + ρ·the regional density's + μ·the memory's. Absent or 0: none, as
   * every version trained before this field. Fast preset only.
   */
  memoryMapWeight?: number;
  /** The patch memory's window side, in cells of the heads' grid (even). */
  memoryWindow?: number;
  /**
   * The map's part of the image score is the mean of the highest share of the smoothed map's pixels (probabilities);
   * 0 or absent: its maximum (as every version trained before this field).
   */
  mapScoreTopShare?: number;
  /**
   * Weight of the map's largest logit added to the classification logit (the map taken as it is, no gradient through
   * this path); absent or 0: none, as published and as every version trained before this field.
   */
  clsMapMaxLogit?: number;
  /** Journal version: real defect masks grown by this many feature cells during training (absent = 0). */
  maskDilation?: number;
  /** Journal version: real defect cells weighted by their distance from the defect's edge (absent = false). */
  distanceWeights?: boolean;
  /** Target mean per-position L2 norm of the pooled backbone features (the feature normalisation). */
  featureNorm: number;
  /** Validation metrics every N epochs (0: never). */
  validateEvery: number;
  /** Gaussian σ (pixels at input size) of the map smoothing at inference. */
  mapSigma: number;
}

export interface TrainingProgress {
  phase: 'features' | 'fitting' | 'training' | 'validating' | 'finishing';
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  /** Each loss term of the last step, plus 'total'. */
  losses: Record<string, number>;
  imagesPerSecond: number;
  etaSeconds: number | null;
  /** Execution provider that runs the step. */
  provider: ExecutionProvider | string;
  /** Validation metrics every N epochs (never the test split). */
  validation?: Record<string, number>;
}

export interface TrainOptions {
  /** Cancel: rejects with an AbortError after writing a checkpoint. */
  signal?: AbortSignal;
  onProgress?: (p: TrainingProgress) => void;
  /** Checkpoints + state of this run; a second call with the same runDir resumes. */
  runDir: string;
  /** Feature cache (per image content, backbone hash, size, preset). */
  cacheDir: string;
  /** Start adaptor/heads from a previous version (parameters with the same name and shape are taken). */
  warmStart?: TrainedModel;
  /** With warmStart: keep its feature normalisation instead of re-fitting it on this run's images (issue 12). */
  keepFeatureScale?: boolean;
  /** Execution providers to try, best first (default: every one available). */
  providers?: ExecutionProvider[];
  /** Threads for the CPU provider (default: all cores). */
  threads?: number;
  /**
   * Run the backbone inside the train step from image batches instead of feeding cached maps (presets without a
   * projection only). Default: when a GPU is the first provider (runsBackboneInStep in train.ts).
   */
  backboneInStep?: boolean;
}

/** Everything a model version must keep; serialisable (the graph bytes as a Uint8Array). */
export interface TrainedModel {
  config: TrainingConfig;
  backboneSha256: string;
  /** The feature normalisation fitted on the training images (multiplies the pooled backbone features). */
  featureScale: number;
  /**
   * ONNX heads graph (BN folded): inputs the backbone's stride-8 and stride-16 outputs (`s8`, `s16`, batch 1),
   * outputs `score` [1] (image score in [0, 1]) and `map` [1, 1, h, w] (anomaly logits at feature resolution).
   * The feature pooling, projection and normalisation are inside it.
   */
  inferenceGraph: Uint8Array;
  /** By name, for warm starts. */
  parameters: Map<string, Float32Array>;
  trainSeconds: number;
  provider: string;
}

export interface Prediction {
  /** Image score in [0, 1]. */
  score: number;
  /** Anomaly map at model input size (sigmoid of the upsampled, smoothed logits), row-major. */
  map: Float32Array;
  mapWidth: number;
  mapHeight: number;
}
