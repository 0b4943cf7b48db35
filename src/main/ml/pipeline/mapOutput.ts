// The heads' outputs → what the workbench shows, as ONNX nodes (the export's tail): the map logits bilinearly
// upsampled to the model size (half-pixel centres, edges clamped), Gaussian-smoothed (σ in input pixels, kernel
// radius ⌈4σ⌉, reflected borders, horizontal pass then vertical), sigmoid; the image score blended with the
// map's score (its maximum, or the mean of its highest share of pixels) as the preset says. The workbench runs
// these very nodes too (see mapPostprocessingModel), so the exported file and the workbench share one
// implementation of the arithmetic.
import type { TrainingConfig } from '../ssn/types.js';
import { DataType, encodeModel, GraphBuilder, modelOf, tensorInfo } from './protoGraph.js';

export function gaussianKernel(sigma: number): Float32Array {
  const radius = Math.ceil(4 * sigma);
  const kernel = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += kernel[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < kernel.length; i++) kernel[i]! /= sum;
  return kernel;
}

export interface MapOutputs {
  /** [1, 1, h, w] probabilities at model size. */
  map: string;
  /** [1] image score. */
  score: string;
  /** [1] the map's score: its maximum or the mean of its top share (built when the score blends it in, or when asked for). */
  mapScore: string | null;
}

/** `logits` [1, 1, mh, mw] and `clsScore` [1] (sigmoid of the classification logit) → map and score. */
export function addMapPostprocessing(g: GraphBuilder, logits: string, clsScore: string, config: TrainingConfig, options: { withMapScore?: boolean } = {}): MapOutputs {
  const { height, width } = config.size;
  let smooth = g.op('Resize', [logits, '', '', g.int64([1, 1, height, width])], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' });
  if (config.mapSigma > 0) {
    const kernel = gaussianKernel(config.mapSigma);
    const r = (kernel.length - 1) / 2;
    if (r >= Math.min(height, width)) throw new Error(`map smoothing radius ${r} needs a model size above ${r} pixels`);
    const padW = g.op('Pad', [smooth, g.int64([0, 0, 0, r, 0, 0, 0, r])], { mode: 'reflect' });
    const horizontal = g.op('Conv', [padW, g.float(kernel, [1, 1, 1, kernel.length])]);
    const padH = g.op('Pad', [horizontal, g.int64([0, 0, r, 0, 0, 0, r, 0])], { mode: 'reflect' });
    smooth = g.op('Conv', [padH, g.float(kernel, [1, 1, kernel.length, 1])]);
  }
  const map = g.op('Sigmoid', [smooth]);
  const w = config.mapScoreWeight ?? 0;
  // the exported file carries no node it does not use
  const scoreOfMap = w !== 0 || options.withMapScore ? mapScore(g, smooth, map, config) : null;
  if (w === 0 || scoreOfMap === null) return { map, score: clsScore, mapScore: scoreOfMap };
  const score = g.op('Add', [g.op('Mul', [clsScore, g.float([1 - w], [1])]), g.op('Mul', [scoreOfMap, g.float([w], [1])])]);
  return { map, score, mapScore: scoreOfMap };
}

/**
 * [1] the map's score: the mean of its highest `mapScoreTopShare` of pixels (probabilities), or its maximum when the
 * share is 0. A top share weighs how much of the part looks defective, not only its single worst pixel.
 */
function mapScore(g: GraphBuilder, logits: string, probabilities: string, config: TrainingConfig): string {
  const share = config.mapScoreTopShare ?? 0;
  // the maximum keeps the nodes it always had (on the logits), so versions trained before the top share score as before
  if (!(share > 0)) return g.op('Sigmoid', [g.op('Reshape', [g.op('ReduceMax', [logits], { keepdims: 0 }), g.int64([1])])]);
  const k = topCount(share, config.size.height * config.size.width);
  const [top] = g.node('TopK', [g.op('Reshape', [probabilities, g.int64([1, -1])]), g.int64([k])], { axis: -1, largest: 1, sorted: 0 }, 2);
  return g.op('Reshape', [g.op('ReduceMean', [top!], { keepdims: 0 }), g.int64([1])]);
}

/** How many of a map's pixels make its score for a top share (at least one). */
function topCount(share: number, pixels: number): number {
  return Math.min(pixels, Math.max(1, Math.round(share * pixels)));
}

/** Input and output names of the stand-alone post-processing graph. */
export const POSTPROCESS_IO = { logits: 'map_logits', clsScore: 'cls_score', map: 'map', score: 'score', mapScore: 'map_score' } as const;

/**
 * The post-processing alone, as the workbench runs it after the heads: map logits [1, 1, mh, mw] and the
 * classification score [1] in; map [1, 1, h, w], score [1] and map_score [1] out.
 */
export function mapPostprocessingModel(config: TrainingConfig, mapHeight: number, mapWidth: number): Uint8Array {
  const io = POSTPROCESS_IO;
  const g = new GraphBuilder('post/');
  const out = addMapPostprocessing(g, io.logits, io.clsScore, config, { withMapScore: true });
  g.named('Identity', [out.map], io.map);
  g.named('Identity', [out.score], io.score);
  g.named('Identity', [out.mapScore!], io.mapScore);
  const { height, width } = config.size;
  return encodeModel(
    modelOf(g, {
      name: 'defect-workbench.postprocess',
      inputs: [tensorInfo(io.logits, DataType.FLOAT, [1, 1, mapHeight, mapWidth]), tensorInfo(io.clsScore, DataType.FLOAT, [1])],
      outputs: [tensorInfo(io.map, DataType.FLOAT, [1, 1, height, width]), tensorInfo(io.score, DataType.FLOAT, [1]), tensorInfo(io.mapScore, DataType.FLOAT, [1])],
    }),
  );
}
