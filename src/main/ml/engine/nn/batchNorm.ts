// Batch normalization over channels, as a composite of primitives. Train mode normalizes with the batch's
// statistics and returns updated running averages (torch semantics: momentum 0.1, unbiased running variance);
// eval mode uses the running averages; inference graphs fold it into the preceding convolution.
import { floatArray, type FloatArray } from '../dtype.js';
import type { Tensor } from '../graph.js';
import type { ModelBuilder } from '../model.js';
import * as op from '../ops.js';

export interface BatchNormOptions {
  eps?: number;
  momentum?: number;
  group?: string;
}

/**
 * Where the channels are: NCHW activations ([N, C, H, W]), or channel-major matrices ([C, P], one column per
 * position of every image), the layout in which 1×1 convolutions are plain matrix products.
 */
export type ChannelLayout = 'nchw' | 'cp';

function layoutOf(x: Tensor): { channels: number; axes: number[]; perChannel: number[]; count: number } {
  if (x.rank === 4) return { channels: x.shape[1]!, axes: [0, 2, 3], perChannel: [1, x.shape[1]!, 1, 1], count: x.shape[0]! * x.shape[2]! * x.shape[3]! };
  if (x.rank === 2) return { channels: x.shape[0]!, axes: [1], perChannel: [x.shape[0]!, 1], count: x.shape[1]! };
  throw new Error(`batch norm needs NCHW or [C, P] input, got rank ${x.rank}`);
}

/** Train-mode batch norm with per-channel gamma and beta ([C]); also returns the batch statistics ([C]). */
export function batchNormTrain(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): { y: Tensor; mean: Tensor; variance: Tensor } {
  const { channels: c, axes, perChannel } = layoutOf(x);
  const mean = op.reduceMean(x, axes, true);
  const centered = op.sub(x, mean);
  const variance = op.reduceMean(op.mul(centered, centered), axes, true);
  const scale = op.mul(op.reshape(gamma, perChannel), op.div(1, op.sqrt(op.add(variance, eps))));
  return { y: op.add(op.mul(centered, scale), op.reshape(beta, perChannel)), mean: op.reshape(mean, [c]), variance: op.reshape(variance, [c]) };
}

/** Batch norm of NCHW activations or of channel-major [C, P] matrices. */
export function batchNorm(m: ModelBuilder, name: string, x: Tensor, options: BatchNormOptions = {}): Tensor {
  const { channels: c, perChannel: shape, count: n } = layoutOf(x);
  const eps = options.eps ?? 1e-5;
  const momentum = options.momentum ?? 0.1;
  const gamma = m.param(`${name}.weight`, [c], { kind: 'ones' }, options.group ?? 'default');
  const beta = m.param(`${name}.bias`, [c], { kind: 'zeros' }, options.group ?? 'default');
  const runningMean = m.buffer(`${name}.running_mean`, [c], { kind: 'zeros' });
  const runningVar = m.buffer(`${name}.running_var`, [c], { kind: 'ones' });
  const perChannel = (t: Tensor) => op.reshape(t, shape);

  if (m.mode === 'train') {
    const { y, mean, variance } = batchNormTrain(x, gamma, beta, eps);
    const unbiased = op.mul(op.stopGradient(variance), n / Math.max(1, n - 1));
    m.updateBuffer(`${name}.running_mean`, op.add(op.mul(runningMean, 1 - momentum), op.mul(op.stopGradient(mean), momentum)));
    m.updateBuffer(`${name}.running_var`, op.add(op.mul(runningVar, 1 - momentum), op.mul(unbiased, momentum)));
    return y;
  }
  const scale = op.mul(perChannel(gamma), op.div(1, op.sqrt(op.add(perChannel(runningVar), eps))));
  return op.add(op.mul(op.sub(x, perChannel(runningMean)), scale), perChannel(beta));
}

/** Weight and bias of the bias-free conv `convName` followed by batch norm `bnName`, folded into one conv. */
export function foldBatchNormIntoConv(m: ModelBuilder, convName: string, bnName: string, out: number, eps: number) {
  const w = m.value(`${convName}.weight`);
  const gamma = m.value(`${bnName}.weight`);
  const beta = m.value(`${bnName}.bias`);
  const mean = m.value(`${bnName}.running_mean`);
  const variance = m.value(`${bnName}.running_var`);
  const perOut = w.length / out;
  const weight: FloatArray = floatArray(m.dtype, w.length);
  const bias: FloatArray = floatArray(m.dtype, out);
  for (let o = 0; o < out; o++) {
    const s = gamma[o]! / Math.sqrt(variance[o]! + eps);
    for (let i = 0; i < perOut; i++) weight[o * perOut + i] = w[o * perOut + i]! * s;
    bias[o] = beta[o]! - mean[o]! * s;
  }
  return { weight, bias };
}
