// Thresholds from the line's targets: the version scores the labelled validation images (never test), the metrics
// module places the two image thresholds (pass below `review`, reject from `reject`, a person in between) with
// bootstrap intervals on the rates they promise, and a pixel threshold for masks; the result is stored with the
// version. When validation holds no defective image, both image thresholds come from the good images alone (the
// expected false-reject rate is all that can be promised) and the notes say so plainly.
import type { Split } from '../../shared/domain.js';
import { CancelledError, InputError } from '../../shared/errors.js';
import { maskAtSize } from '../images/anomalyMap.js';
import { deriveImageThresholds, derivePixelThreshold, PixelMetricsAccumulator, type LineTargets, type ThresholdOptions } from '../metrics/index.js';
import type { ExecutionProvider } from '../ml/engine/runtime.js';
import { loadTrainedModel } from '../ml/jobs/modelFiles.js';
import { Predictor } from '../ml/ssn/predictor.js';
import type { Project } from '../store/project.js';
import { LineThresholdStore, type LineThresholds } from './lineThresholdStore.js';

export const DEFAULT_TARGETS: LineTargets = { maxMissRate: 0.01, maxFalseRejectRate: 0.02 };

export interface ScoredImage {
  imageId: number;
  labelState: 'normal' | 'anomalous';
  score: number;
}

export interface ScoreOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  providers?: ExecutionProvider[];
  /** Fed every map (with the mask at model size for anomalous images with one). */
  onMap?: (map: Float32Array, mask: Uint8Array | null, width: number, height: number, image: ScoredImage) => void;
}

/** Scores the labelled images of a split with a version (maps at model size go to onMap). */
export async function scoreSplit(project: Project, versionId: number, split: Split, options: ScoreOptions = {}): Promise<ScoredImage[]> {
  const version = project.models.require(versionId);
  const images = project.images.list({ split }).filter((i) => i.labelState !== 'unlabeled');
  // nothing to score: no model to load (dwb predict asks for validation scores on every call, and a project may have none)
  if (images.length === 0) return [];
  const model = await loadTrainedModel(project, version);
  const predictor = await Predictor.create(model, { cacheDir: project.layout.featureCache, ...(options.providers ? { providers: options.providers } : {}) });
  const scored: ScoredImage[] = [];
  try {
    for (const [index, image] of images.entries()) {
      if (options.signal?.aborted) throw new CancelledError('scoring');
      const prediction = await predictor.predict({ path: project.imagePath(image), sha256: image.sha256 });
      const result: ScoredImage = { imageId: image.id, labelState: image.labelState as ScoredImage['labelState'], score: prediction.score };
      scored.push(result);
      if (options.onMap) {
        const maskFile = image.labelState === 'anomalous' ? project.maskPath(image) : null;
        if (image.labelState === 'normal' || maskFile) {
          const mask = maskFile ? await maskAtSize(maskFile, prediction.mapWidth, prediction.mapHeight) : null;
          options.onMap(prediction.map, mask, prediction.mapWidth, prediction.mapHeight, result);
        }
      }
      options.onProgress?.(index + 1, images.length);
    }
  } finally {
    await predictor.release();
  }
  return scored;
}

export interface DeriveOptions extends Omit<ScoreOptions, 'onMap'>, Pick<ThresholdOptions, 'resamples' | 'seed' | 'defectRate'> {
  /** Share of normal pixels a normal-only pixel threshold may mark (default 0.999 quantile). */
  normalPixelQuantile?: number;
}

/** Derives the version's thresholds from its validation images and stores them (replacing earlier ones). */
export async function deriveLineThresholds(project: Project, versionId: number, targets: LineTargets = DEFAULT_TARGETS, options: DeriveOptions = {}): Promise<LineThresholds> {
  const pixels = new PixelMetricsAccumulator({ keepRegions: false });
  const scored = await scoreSplit(project, versionId, 'val', { ...options, onMap: (map, mask, w, h) => pixels.add(map, mask, w, h) });
  const good = scored.filter((s) => s.labelState === 'normal').map((s) => s.score);
  const bad = scored.filter((s) => s.labelState === 'anomalous').map((s) => s.score);
  if (good.length === 0) {
    throw new InputError(
      'thresholds-no-validation',
      'the validation split has no image labelled normal, so no threshold can bound the false rejects; label some validation images normal (or assign a validation split) and derive again',
    );
  }
  const image = deriveImageThresholds(good, bad, targets, { resamples: options.resamples, seed: options.seed, defectRate: options.defectRate });
  const pixel = derivePixelThreshold(pixels, options.normalPixelQuantile !== undefined ? { normalQuantile: options.normalPixelQuantile } : {});
  return new LineThresholdStore(project.db).putDerived({
    versionId,
    review: image.lower,
    reject: image.upper,
    pixel: pixel.threshold,
    basis: image.basis,
    targets,
    derivation: { image, pixel, validationImages: scored.length },
  });
}

export type Outcome = 'pass' | 'review' | 'reject';

export function outcomeOf(score: number, t: { review: number; reject: number }): Outcome {
  // float32 as the exported graph compares
  const s = Math.fround(score);
  return s >= t.reject ? 'reject' : s >= t.review ? 'review' : 'pass';
}

/** Pass/review/reject shares of good and of bad images at the thresholds (measured, e.g. on the test split). */
export function measuredRates(scored: readonly ScoredImage[], t: { review: number; reject: number }) {
  const rates = (label: ScoredImage['labelState']) => {
    const of = scored.filter((s) => s.labelState === label);
    const count = (o: Outcome) => of.filter((s) => outcomeOf(s.score, t) === o).length;
    return { pass: count('pass') / of.length, review: count('review') / of.length, reject: count('reject') / of.length, of: of.length };
  };
  return { good: rates('normal'), bad: rates('anomalous') };
}
