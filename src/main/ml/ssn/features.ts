// Features of a set of images for one run: from the on-disk cache when present, otherwise decoded, run through
// the backbone in batches and the preset's feature stage, then cached. What is cached is what the preset trains on:
// projected pooled features (fast) or the raw stride-8/16 maps (paper), plus the pooled features' mean norm.
import ort from 'onnxruntime-node';
import { compileInference } from '../engine/compile.js';
import { createSession } from '../engine/runtime.js';
import type { Backbone } from '../backbone/backbone.js';
import { FeatureCache, type CachedFeatures } from '../backbone/featureCache.js';
import { loadNormalizedImage } from '../backbone/preprocess.js';
import { featureStageModel, type FeatureGeometry } from './model.js';
import type { TrainingConfig } from './types.js';

export interface ImageFeatures {
  /** Cached input tensors of the training graph, by input name, for one image. */
  tensors: Record<string, Float32Array>;
  /** Mean per-position L2 norm of the pooled (unprojected, unscaled) features. */
  norm: number;
  /** The backbone maps' mean feature (positions averaged, strides concatenated): what the image density is fitted on. */
  meanFeature: Float32Array;
}

const BACKBONE_BATCH = 4;

/** What the cached features are: the preset and the feature-stage settings that shape them. */
export function featureKind(config: TrainingConfig): string {
  return config.projectedChannels ? `${config.preset}/stride${config.featureStride}/proj${config.projectedChannels}` : `${config.preset}/maps`;
}

/** A reusable runner of the feature stage (pooling, projection, norm) for one image at a time. */
export class FeatureStage {
  private constructor(private readonly session: ort.InferenceSession, readonly geometry: FeatureGeometry, private readonly projected: boolean) {}

  static async create(geometry: FeatureGeometry, projection: Float32Array | null, threads?: number): Promise<FeatureStage> {
    const graph = compileInference(featureStageModel(geometry, projection, 1), new Map());
    const { session } = await createSession(graph.bytes, { providers: ['cpu'], threads });
    return new FeatureStage(session, geometry, projection !== null);
  }

  async run(s8: Float32Array, s16: Float32Array): Promise<ImageFeatures> {
    const g = this.geometry;
    const result = await this.session.run({
      s8: new ort.Tensor('float32', s8, [1, ...g.s8]),
      s16: new ort.Tensor('float32', s16, [1, ...g.s16]),
    });
    const norm = (result.norm!.data as Float32Array)[0]!;
    const meanFeature = Float32Array.from(result.meanFeature!.data as Float32Array);
    return { tensors: this.projected ? { features: Float32Array.from(result.features!.data as Float32Array) } : { s8, s16 }, norm, meanFeature };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

export async function extractFeatures(
  images: readonly { sha256: string; path: string }[],
  config: TrainingConfig,
  backbone: Backbone,
  stage: FeatureStage,
  cache: FeatureCache | null,
  onImage?: (done: number, total: number, fromCache: boolean) => void,
  signal?: AbortSignal,
): Promise<ImageFeatures[]> {
  const { height, width } = config.size;
  const key = (sha256: string) => ({ imageSha256: sha256, backboneSha256: backbone.info.sha256, height, width, preset: featureKind(config) });
  const result: (ImageFeatures | null)[] = [];
  for (const image of images) {
    const hit = cache ? await cache.get(key(image.sha256)) : null;
    // entries written before the mean feature was kept are computed again (and replaced)
    result.push(hit?.tensors.meanFeature ? fromCached(hit) : null);
  }
  let done = result.filter(Boolean).length;
  onImage?.(done, images.length, true);
  const missing = images.map((_, i) => i).filter((i) => !result[i]);
  const plane = 3 * height * width;
  const g = stage.geometry;
  const s8Size = g.s8[0] * g.s8[1] * g.s8[2];
  const s16Size = g.s16[0] * g.s16[1] * g.s16[2];
  for (let start = 0; start < missing.length; start += BACKBONE_BATCH) {
    signal?.throwIfAborted();
    const chunk = missing.slice(start, start + BACKBONE_BATCH);
    const input = new Float32Array(chunk.length * plane);
    await Promise.all(chunk.map((index, j) => loadNormalizedImage(images[index]!.path, config.size, input, j * plane)));
    const maps = await backbone.run(input, chunk.length, height, width);
    for (let j = 0; j < chunk.length; j++) {
      const index = chunk[j]!;
      const features = await stage.run(maps.s8.slice(j * s8Size, (j + 1) * s8Size), maps.s16.slice(j * s16Size, (j + 1) * s16Size));
      result[index] = features;
      if (cache) await cache.put(key(images[index]!.sha256), toCached(features, g));
      onImage?.(++done, images.length, false);
    }
  }
  return result as ImageFeatures[];
}

function toCached(f: ImageFeatures, g: FeatureGeometry): CachedFeatures {
  const shapes: Record<string, number[]> = { features: [g.channels, g.height, g.width], s8: [...g.s8], s16: [...g.s16] };
  const tensors = Object.fromEntries(Object.entries(f.tensors).map(([name, data]) => [name, { shape: shapes[name]!, data }]));
  return { tensors: { ...tensors, meanFeature: { shape: [f.meanFeature.length], data: f.meanFeature } }, stats: { norm: f.norm } };
}

function fromCached(c: CachedFeatures): ImageFeatures {
  const { meanFeature, ...inputs } = c.tensors;
  return { tensors: Object.fromEntries(Object.entries(inputs).map(([name, t]) => [name, t.data])), norm: c.stats.norm ?? NaN, meanFeature: meanFeature!.data };
}

/**
 * The feature normalisation: one constant that brings the mean per-position L2 norm of the training images'
 * pooled features to `target` (2: the magnitude at which the published noise σ = 0.015 was tuned).
 */
export function fitFeatureScale(features: readonly ImageFeatures[], target: number): number {
  const mean = features.reduce((s, f) => s + f.norm, 0) / features.length;
  if (!(mean > 0) || !Number.isFinite(mean)) throw new Error('the backbone gives all-zero or invalid features on the training images');
  return target / mean;
}
