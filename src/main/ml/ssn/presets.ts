// The two presets and the one function that turns a partial request into a fully resolved TrainingConfig.
// `paper` is SuperSimpleNet as published (meant for a GPU); `fast` is the CPU default, designed by measurement
// (see README.md here: cached stride-8 features, a fixed random orthogonal projection to a third of the backbone's
// pooled channels (at most 512), smaller heads, batches of 8, ten times the published learning rates, and an image
// score that blends the classification score, the map's score (the mean of its top 1 % of pixels) and the normal
// images' density).
import type { ExecutionProvider } from '../engine/runtime.js';
import { DENSITY_MIN_IMAGES } from './density.js';
import type { ImageSize, Preset, TrainingConfig } from './types.js';

const PAPER: Omit<TrainingConfig, 'backbonePath' | 'seed'> = {
  preset: 'paper',
  size: { height: 256, width: 256 },
  epochs: 300,
  batchSize: 32,
  featureStride: 4,
  projectedChannels: null,
  segHidden: 1024,
  clsHidden: 128,
  lrAdaptor: 1e-4,
  lrHeads: 2e-4,
  weightDecay: 1e-5,
  lrDecayAt: [0.8, 0.9],
  noiseStd: 0.015,
  perlinThreshold: { unsupervised: 0.2, supervised: 0.6 },
  emptyMaskProbability: 0.5,
  clipGradNorm: 1,
  mapScoreWeight: 0,
  // the journal version's mask handling: measured better on magnetic_tile with all masks (README.md here)
  maskDilation: 1,
  distanceWeights: true,
  featureNorm: 2,
  validateEvery: 10,
  mapSigma: 4,
};

const FAST: Omit<TrainingConfig, 'backbonePath' | 'seed'> = {
  ...PAPER,
  preset: 'fast',
  epochs: 30,
  // 8 normal images a step, and with real defects in the set 8 of those beside them (fastBatchSize)
  batchSize: 8,
  featureStride: 8,
  // the width for a 1536-channel backbone; resolveConfig fits it to the backbone at hand (fastProjectedChannels)
  projectedChannels: 512,
  segHidden: 512,
  clsHidden: 8,
  lrAdaptor: 1e-3,
  lrHeads: 2e-3,
  // the heads' half of the image score: half the map's score, half the classification head's, with or without real
  // defects (over three seeds of magnetic_tile +0.5 image AUROC against the map's score alone on both halves of its
  // test split, mvtec_bottle unchanged at 100; README.md here, ninth series) ...
  mapScoreWeight: 0.25,
  // ... and the other half the normal images' density (ssn/density.ts): over ten seeds of magnetic_tile image AUROC
  // 89.7 → 93.6 and PG2 30.5 → 57.0, higher on every seed and ladder rung (README.md here, sixteenth series);
  // resolveConfig leaves it out, and the heads' shares at 0.5 each, below DENSITY_MIN_IMAGES normal images
  densityScoreWeight: 0.5,
  // and half the map from the normal images' regional density (ssn/regionalDensity.ts): windows of 8 × 8 cells (64 px
  // at 256²), the window chosen on one half of magnetic_tile's test split, on the other within 0.3 AUPRO of the best
  // window (README.md here, seventeenth series: over ten seeds AUPRO 70.0 → 73.8, pixel AUROC 79.0 → 81.2);
  // resolveConfig leaves it out below DENSITY_MIN_IMAGES normal images, as it does the density, and when real defect
  // masks teach the map: there the density, which knows nothing of them, dilutes what they taught (the ladder's
  // masked rungs: pixel AP 43.7 → 35.1 and 58.5 → 44.5)
  regionalMapWeight: 1 / 3,
  regionalWindow: 8,
  // and a third from the normal images' patch memory (ssn/patchMemory.ts): windows of 4 × 4 cells, their nearest of
  // a few thousand remembered normal windows; the thirds and the window chosen on one half of magnetic_tile's test
  // split (README.md here, eighteenth series); left out where the regional density is, for the same reasons
  memoryMapWeight: 1 / 3,
  memoryWindow: 4,
  // the map's score is the mean of its top 1 % of pixels: up to +0.5 image AUROC on both halves of magnetic_tile's
  // test split over the maximum, cracks within −0.3 (README.md here, fourth series)
  mapScoreTopShare: 0.01,
  // without real defects the classification logit starts from the map's largest logit, so the head corrects the
  // map's verdict instead of trusting, by the luck of the seed, its own channels that have only seen the synthetic
  // noise: over ten seeds of magnetic_tile the head alone goes from 80.7–90.9 image AUROC to 86.4–91.1 and PG2 from
  // 23.4 to 30.5 (higher on nine seeds), image AUROC and the map unchanged; with real defects resolveConfig sets it to
  // 0 (README.md here, fourteenth series)
  clsMapMaxLogit: 1,
  // one cell of the stride-8 map, as the published σ 4 is one cell of its stride-4 map: magnetic_tile's pixel AUROC
  // +1.6 and AUPRO +0.9 on both halves of its test split, mvtec_bottle's AUPRO −0.6 (README.md here, fifth series)
  mapSigma: 8,
  validateEvery: 10,
};

/**
 * The fast preset trains for a number of steps rather than epochs: 30 epochs, but at least 1 600 and at most 4 160
 * images (200–520 steps of 8 normal images, ≈ 0.3 s each at 512 channels and segmentation width 512 on two cores of
 * an AVX-512 machine; 100–260 balanced steps of 16), so a 42-image set still gets enough updates (mvtec_bottle: 198
 * steps, as many images as the 99 steps of 16 that reached the published localisation) and a large one stays within
 * minutes (magnetic_tile: 504 steps; README.md here has what fewer steps, larger and smaller batches gave).
 */
export const FAST_STEPS = { epochs: 30, minImages: 1600, maxImages: 4160 };

/**
 * The fast preset's batch: 8 normal images a step, which is what its map needs (measured, README.md here, eighth
 * series: 8 against 16 without defects gives a little more detection in 0.85 of the time; 4 lose localisation).
 * With real defects in the set every batch is half normal (1:1 balance), so it takes 16: at 8, the weak rung of the
 * supervision ladder kept 4 normal images a step for its map and lost 11 points of AUPRO.
 */
export function fastBatchSize(trainImages: { normal: number; anomalous: number }): number {
  return trainImages.normal > 0 && trainImages.anomalous > 0 ? 16 : 8;
}

/**
 * The fast preset's projection width for a backbone: a third of its pooled channels, at most 512 (in multiples of
 * 32). Measured (README.md here): on ResNet-50's 1536 channels, 512 lift magnetic_tile's image AUROC from 84.7 to 89
 * over 256; on MobileNet v1's 768, 512 lose mvtec_bottle's localisation (AUPRO 90 → 76–79) where 256 keep it.
 */
export function fastProjectedChannels(pooledChannels: number): number {
  const third = Math.floor(pooledChannels / 3 / 32) * 32;
  return Math.min(FAST.projectedChannels!, Math.max(Math.min(32, pooledChannels), third));
}

/**
 * A run warm-started from a model version continues at the learning rates its parent's run ended with (after the
 * schedule's decays), and decays from there. At the preset's full rates a fresh optimizer's first steps move every
 * weight by about the rate and undo what the parent learnt: on mvtec_bottle, 26 warm steps at full rates left image
 * AUROC 0.58 on the original test images and 0.80 on the shifted ones (README.md here, retraining).
 */
export function warmStartConfig(config: TrainingConfig, parent: Pick<Partial<TrainingConfig>, 'clsMapMaxLogit'>): TrainingConfig {
  const ended = 0.4 ** config.lrDecayAt.length;
  // the parent's head was learnt for its own form of the classification logit (with or without the map's largest
  // logit in it), so a retraining keeps that form rather than the one the preset gives new runs
  return { ...config, lrAdaptor: config.lrAdaptor * ended, lrHeads: config.lrHeads * ended, clsMapMaxLogit: parent.clsMapMaxLogit ?? 0 };
}

/**
 * Epochs for a run retrained from a version: as many steps as its parent's run took, over the images it trains on
 * now. The parent's epoch count would not do: defects labelled in review make every epoch balanced (half of each
 * batch normal), which doubles the steps of an epoch (magnetic_tile: 580 steps, 523 s, against the parent's 300).
 * The epochs are counted at the parent's batch. Where the fast preset's batch grows with the balance (fastBatchSize:
 * 8 → 16), an epoch still passes over the normal images once, so the retraining sees as many images as its parent in
 * fewer, larger steps: 7 epochs, 252 balanced steps of 16 after 504 of 8, as a fresh run on those images would take.
 */
export function retrainEpochs(
  parent: { epochs: number; batchSize: number; trainImages: { normal: number; anomalous: number } },
  trainImages: { normal: number; anomalous: number },
): number {
  const steps = parent.epochs * stepsPerEpoch(parent.trainImages, parent.batchSize);
  return Math.max(1, Math.round(steps / stepsPerEpoch(trainImages, parent.batchSize)));
}

/** Steps in one epoch: with anomalous images, each step takes half its batch from the normal ones (1:1 balance). */
export function stepsPerEpoch(images: { normal: number; anomalous: number }, batchSize: number): number {
  const batch = Math.max(2, Math.min(batchSize, images.normal + images.anomalous) & ~1);
  return images.normal > 0 && images.anomalous > 0 ? Math.ceil(images.normal / (batch / 2)) : Math.ceil((images.normal + images.anomalous) / batch);
}

export const PRESETS: Record<Preset, Omit<TrainingConfig, 'backbonePath' | 'seed'>> = { paper: PAPER, fast: FAST };

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Fills a partial config from its preset (default: `paper` on a GPU, `fast` on the CPU) and checks it. */
export function resolveConfig(
  partial: Partial<TrainingConfig> & { backbonePath: string },
  opts: {
    provider: ExecutionProvider | 'gpu';
    /** The training images: normal, anomalous (weak or with a mask), and of those the ones with a mask (absent: none). */
    trainImages?: { normal: number; anomalous: number; masked?: number };
    pooledChannels?: number;
  },
): TrainingConfig {
  const preset: Preset = partial.preset ?? (opts.provider === 'cpu' ? 'fast' : 'paper');
  const base = PRESETS[preset];
  if (!base) throw new ConfigError(`unknown preset "${String(preset)}"; use fast or paper`);
  const config: TrainingConfig = { ...base, seed: 0, ...stripUndefined(partial), preset, backbonePath: partial.backbonePath };
  if (preset === 'fast' && partial.projectedChannels === undefined && opts.pooledChannels !== undefined) {
    config.projectedChannels = fastProjectedChannels(opts.pooledChannels);
  }
  if (preset === 'fast' && partial.batchSize === undefined && opts.trainImages) config.batchSize = fastBatchSize(opts.trainImages);
  // with real defects in the set the head's own channels learn from them too: there the plain logit measured better
  if (preset === 'fast' && partial.clsMapMaxLogit === undefined && opts.trainImages && opts.trainImages.anomalous > 0) config.clsMapMaxLogit = 0;
  if (preset === 'fast' && partial.densityScoreWeight === undefined && opts.trainImages && opts.trainImages.normal < DENSITY_MIN_IMAGES) {
    config.densityScoreWeight = 0;
    if (partial.mapScoreWeight === undefined) config.mapScoreWeight = 0.5;
  }
  if (preset === 'fast' && opts.trainImages && (opts.trainImages.normal < DENSITY_MIN_IMAGES || (opts.trainImages.masked ?? 0) > 0)) {
    if (partial.regionalMapWeight === undefined) config.regionalMapWeight = 0;
    if (partial.memoryMapWeight === undefined) config.memoryMapWeight = 0;
  }
  if (preset === 'fast' && partial.epochs === undefined && opts.trainImages) {
    const perEpoch = stepsPerEpoch(opts.trainImages, config.batchSize);
    const { minImages, maxImages } = FAST_STEPS;
    const steps = Math.min(maxImages / config.batchSize, Math.max(minImages / config.batchSize, FAST_STEPS.epochs * perEpoch));
    config.epochs = Math.max(1, Math.round(steps / perEpoch));
  }
  const sizeProblem = modelSizeProblem(config.size);
  if (sizeProblem) throw new ConfigError(sizeProblem);
  if (!Number.isInteger(config.epochs) || config.epochs < 1) throw new ConfigError(`epochs must be a positive whole number, got ${config.epochs}`);
  if (!Number.isInteger(config.batchSize) || config.batchSize < 2) throw new ConfigError(`batch size must be at least 2, got ${config.batchSize}`);
  if (!Number.isInteger(config.seed) || config.seed < 0) throw new ConfigError(`seed must be a non-negative whole number, got ${config.seed}`);
  if (config.featureStride !== 4 && config.featureStride !== 8) throw new ConfigError(`feature stride must be 4 or 8, got ${config.featureStride}`);
  const shares = config.mapScoreWeight + (config.densityScoreWeight ?? 0);
  if (!(config.mapScoreWeight >= 0 && (config.densityScoreWeight ?? 0) >= 0 && shares <= 1)) {
    throw new ConfigError(`the map's and the density's shares of the image score must be ≥ 0 and add up to at most 1, got ${config.mapScoreWeight} and ${config.densityScoreWeight ?? 0}`);
  }
  const regional = config.regionalMapWeight ?? 0;
  const memory = config.memoryMapWeight ?? 0;
  if (!(regional >= 0 && memory >= 0 && regional + memory < 1)) {
    throw new ConfigError(`the regional density's and the patch memory's shares of the map must be ≥ 0 and add up to less than 1, got ${regional} and ${memory}`);
  }
  for (const [share, window, name, setting] of [
    [regional, config.regionalWindow, 'regional density', 'regionalMapWeight'],
    [memory, config.memoryWindow, 'patch memory', 'memoryMapWeight'],
  ] as const) {
    if (share > 0 && config.projectedChannels === null) {
      throw new ConfigError(`the ${name} is fitted on projected features: use it with the fast preset, or set ${setting} to 0`);
    }
    if (share > 0 && !(Number.isInteger(window) && window! >= 2 && window! % 2 === 0)) {
      throw new ConfigError(`the ${name}'s window must be an even number of cells (e.g. 8), got ${window}`);
    }
  }
  return config;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** What is wrong with a model input size, or null: both sides multiples of 32 (stride 16, pooled at 2×), ≥ 64. */
export function modelSizeProblem({ height, width }: ImageSize): string | null {
  for (const [name, v] of [['height', height], ['width', width]] as const) {
    if (!Number.isInteger(v) || v < 64 || v % 32 !== 0) return `image ${name} ${v} must be a multiple of 32 and at least 64 (e.g. 256, or 640×256 for long parts)`;
  }
  return null;
}
