// Batch normalization over NCHW channels, as a composite of primitives. Train mode normalizes with the batch's
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

/** Train-mode batch norm of NCHW `x` with per-channel gamma and beta ([C]); also returns the batch statistics. */
export function batchNormTrain(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): { y: Tensor; mean: Tensor; variance: Tensor } {
  const c = x.shape[1]!;
  const mean = op.reduceMean(x, [0, 2, 3], true);
  const centered = op.sub(x, mean);
  const variance = op.reduceMean(op.mul(centered, centered), [0, 2, 3], true);
  const scale = op.mul(op.reshape(gamma, [1, c, 1, 1]), op.div(1, op.sqrt(op.add(variance, eps))));
  return { y: op.add(op.mul(centered, scale), op.reshape(beta, [1, c, 1, 1])), mean: op.reshape(mean, [c]), variance: op.reshape(variance, [c]) };
}

export function batchNorm2d(m: ModelBuilder, name: string, x: Tensor, options: BatchNormOptions = {}): Tensor {
  const [, c] = x.shape as [number, number];
  const eps = options.eps ?? 1e-5;
  const momentum = options.momentum ?? 0.1;
  const gamma = m.param(`${name}.weight`, [c], { kind: 'ones' }, options.group ?? 'default');
  const beta = m.param(`${name}.bias`, [c], { kind: 'zeros' }, options.group ?? 'default');
  const runningMean = m.buffer(`${name}.running_mean`, [c], { kind: 'zeros' });
  const runningVar = m.buffer(`${name}.running_var`, [c], { kind: 'ones' });
  const perChannel = (t: Tensor) => op.reshape(t, [1, c, 1, 1]);

  if (m.mode === 'train') {
    const { y, mean, variance } = batchNormTrain(x, gamma, beta, eps);
    const n = x.shape[0]! * x.shape[2]! * x.shape[3]!;
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
