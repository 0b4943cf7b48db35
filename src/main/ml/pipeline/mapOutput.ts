// The heads' outputs → what the workbench shows, as ONNX nodes (the export's tail): the map logits bilinearly
// upsampled to the model size (half-pixel centres, edges clamped), Gaussian-smoothed (σ in input pixels, kernel
// radius ⌈4σ⌉, reflected borders, horizontal pass then vertical), sigmoid; the image score blended with the
// sigmoid of the smoothed map's maximum as the preset says. The same arithmetic as ssn/postprocess.ts, in float32.
import type { TrainingConfig } from '../ssn/types.js';
import type { GraphBuilder } from './protoGraph.js';

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
}

/** `logits` [1, 1, mh, mw] and `clsScore` [1] (sigmoid of the classification logit) → map and score. */
export function addMapPostprocessing(g: GraphBuilder, logits: string, clsScore: string, config: TrainingConfig): MapOutputs {
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
  if (w === 0) return { map, score: clsScore };
  const mapMax = g.op('Sigmoid', [g.op('Reshape', [g.op('ReduceMax', [smooth], { keepdims: 0 }), g.int64([1])])]);
  const score = g.op('Add', [g.op('Mul', [clsScore, g.float([1 - w], [1])]), g.op('Mul', [mapMax, g.float([w], [1])])]);
  return { map, score };
}
