// Layers built from primitives: parameters declared through the ModelBuilder, computation in ops. No layer has a
// gradient rule of its own.
import type { Tensor } from '../graph.js';
import type { ModelBuilder } from '../model.js';
import * as op from '../ops.js';
import { batchNorm2d, foldBatchNormIntoConv, type BatchNormOptions } from './batchNorm.js';

export interface ConvOptions {
  out: number;
  kernel?: number;
  /** Zero padding; defaults to "same" ((kernel-1)/2). */
  pad?: number;
  bias?: boolean;
  group?: string;
}

/** Conv2d with torch's default initialization (uniform ±1/√fan_in for weight and bias). */
export function conv(m: ModelBuilder, name: string, x: Tensor, options: ConvOptions): Tensor {
  const k = options.kernel ?? 1;
  const inChannels = x.shape[1]!;
  const bound = 1 / Math.sqrt(inChannels * k * k);
  const group = options.group ?? 'default';
  const w = m.param(`${name}.weight`, [options.out, inChannels, k, k], { kind: 'uniform', bound }, group);
  const b = options.bias === false ? undefined : m.param(`${name}.bias`, [options.out], { kind: 'uniform', bound }, group);
  return op.conv2d(x, w, b, options.pad ?? (k - 1) / 2);
}

/** Linear layer on [..., in] → [..., out]. */
export function linear(m: ModelBuilder, name: string, x: Tensor, out: number, group = 'default'): Tensor {
  const inFeatures = x.shape[x.rank - 1]!;
  const bound = 1 / Math.sqrt(inFeatures);
  const w = m.param(`${name}.weight`, [inFeatures, out], { kind: 'uniform', bound }, group);
  const b = m.param(`${name}.bias`, [out], { kind: 'uniform', bound }, group);
  return op.add(op.matmul(x, w), b);
}

/**
 * Conv2d (no bias) followed by batch norm. In an inference graph the two are folded into one conv with bias,
 * computed from the trained values, so deployment runs a single convolution.
 */
export function convBn(m: ModelBuilder, name: string, x: Tensor, options: Omit<ConvOptions, 'bias'> & BatchNormOptions): Tensor {
  const k = options.kernel ?? 1;
  const pad = options.pad ?? (k - 1) / 2;
  if (m.mode === 'infer') {
    const inChannels = x.shape[1]!;
    const folded = foldBatchNormIntoConv(m, `${name}.conv`, `${name}.bn`, options.out, options.eps ?? 1e-5);
    return op.conv2d(x, m.constant(folded.weight, [options.out, inChannels, k, k]), m.constant(folded.bias, [options.out]), pad);
  }
  const y = conv(m, `${name}.conv`, x, { ...options, bias: false });
  return batchNorm2d(m, `${name}.bn`, y, options);
}
