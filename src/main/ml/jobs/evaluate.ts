// Evaluation of a model version on one split: every image of the split is scored (unlabelled ones too, for the review
// queue), its anomaly map kept compactly for the UI, and the industrial metrics computed over the labelled ones —
// image metrics over normal and anomalous images, pixel metrics streamed (maps are folded into histograms as they
// come, never held together) over normal images and anomalous images with a mask (a weak label says nothing about
// pixels). Masks are compared at the model size, resized nearest-neighbour.
import type { Split } from '../../../shared/domain.js';
import { CancelledError } from '../../../shared/errors.js';
import type { ScoredImage, EvaluationMetrics, EvaluationSummary } from '../../../shared/models.js';
import { encodeMap, maskAtSize } from '../../images/anomalyMap.js';
import { ClassMetricsAccumulator, imageMetrics, type PixelMetricsAccumulator } from '../../metrics/index.js';
import type { Project } from '../../store/project.js';
import type { ExecutionProvider } from '../engine/runtime.js';
import { loadTrainedModel } from './modelFiles.js';
import { PREDICT_BATCH, Predictor } from './ssn.js';

export interface EvaluationProgress {
  versionId: number;
  split: Split;
  done: number;
  total: number;
}

export interface EvaluateOptions {
  signal?: AbortSignal;
  onProgress?: (p: EvaluationProgress) => void;
  providers?: ExecutionProvider[];
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

export async function evaluateVersion(project: Project, versionId: number, split: Split, options: EvaluateOptions = {}): Promise<EvaluationSummary> {
  const version = project.models.require(versionId);
  const model = await loadTrainedModel(project, version);
  const images = project.images.list({ split });
  const predictor = await Predictor.create(model, {
    cacheDir: project.layout.featureCache,
    ...(options.providers ? { providers: options.providers } : {}),
  });
  const scores: number[] = [];
  const labels: number[] = [];
  const normalScores: number[] = [];
  const byClass = new ClassMetricsAccumulator();
  const evaluated: ScoredImage[] = [];
  let mapWidth = version.size.width;
  let mapHeight = version.size.height;
  let predictMs = 0;
  let timedImages = 0;
  let cachedMs = 0;
  let cachedImages = 0;
  let firstBatchMs = 0;
  try {
    for (let start = 0; start < images.length; start += PREDICT_BATCH) {
      if (options.signal?.aborted) throw new CancelledError('the evaluation');
      const batch = images.slice(start, start + PREDICT_BATCH);
      const started = performance.now();
      const cachedBefore = predictor.cachedImages;
      const predictions = await predictor.predictMany(batch.map((image) => ({ path: project.imagePath(image), sha256: image.sha256 })));
      const ms = performance.now() - started;
      // the time per image is an inference time: batches served from the feature cache count only when every batch
      // was (an evaluation repeated on a new version), and the first batch, which pays for session warm-up, only
      // when it is the only one
      const computed = predictor.cachedImages === cachedBefore;
      if (start === 0) firstBatchMs = ms;
      else if (computed) {
        predictMs += ms;
        timedImages += batch.length;
      } else {
        cachedMs += ms;
        cachedImages += batch.length;
      }
      for (const [k, image] of batch.entries()) {
        const prediction = predictions[k]!;
        mapWidth = prediction.mapWidth;
        mapHeight = prediction.mapHeight;
        const encoded = await encodeMap(prediction.map, mapWidth, mapHeight);
        const mapSha256 = await project.models.storeMap(encoded.png);
        evaluated.push({
          imageId: image.id,
          labelState: image.labelState,
          hasMask: image.maskSha256 !== null,
          score: prediction.score,
          mapSha256,
          mapMin: encoded.min,
          mapMax: encoded.max,
        });
        if (image.labelState !== 'unlabeled') {
          scores.push(prediction.score);
          labels.push(image.labelState === 'anomalous' ? 1 : 0);
          if (image.labelState === 'normal') normalScores.push(prediction.score);
        }
        if (image.labelState === 'normal') byClass.addNormal(prediction.score, prediction.map, mapWidth, mapHeight);
        else if (image.labelState === 'anomalous') {
          const mask = image.maskSha256 ? await maskAtSize(project.maskPath(image)!, mapWidth, mapHeight) : null;
          byClass.addAnomalous(image.defectClass ?? null, prediction.score, prediction.map, mask, mapWidth, mapHeight);
        }
      }
      options.onProgress?.({ versionId, split, done: start + batch.length, total: images.length });
    }
  } finally {
    await predictor.release();
  }
  const metrics = evaluationMetrics(scores, labels, normalScores, byClass.allPixels());
  return project.models.addEvaluation({
    versionId,
    split,
    metrics,
    byClass: byClass.result(),
    msPerImage: timedImages ? predictMs / timedImages : cachedImages ? cachedMs / cachedImages : firstBatchMs / Math.max(1, images.length),
    provider: predictor.provider ?? version.provider,
    mapWidth,
    mapHeight,
    images: evaluated,
  });
}

export function evaluationMetrics(
  scores: number[],
  labels: number[],
  normalScores: number[],
  pixels: PixelMetricsAccumulator | null,
): EvaluationMetrics {
  const both = labels.includes(0) && labels.includes(1);
  const image = both ? imageMetrics(scores, labels) : null;
  const pixel = pixels ? pixels.result() : null;
  return {
    image_auroc: image ? finite(image.auroc) : null,
    image_ap: image ? finite(image.ap) : null,
    image_f1max: image ? finite(image.f1max.f1) : null,
    pg2: image ? finite(image.pg2.rate) : null,
    pb2: image ? finite(image.pb2.rate) : null,
    pixel_auroc: pixel ? finite(pixel.auroc) : null,
    aupro: pixel ? finite(pixel.aupro) : null,
    pixel_ap: pixel ? finite(pixel.ap) : null,
    pixel_f1max: pixel ? finite(pixel.f1max.f1) : null,
    f1max_threshold: image ? finite(image.f1max.threshold) : null,
    normal_q99: normalScores.length ? quantile(normalScores, 0.99) : null,
  };
}

/** Linear-interpolated quantile (numpy's default). */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}
