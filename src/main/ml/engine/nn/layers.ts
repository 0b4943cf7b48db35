// Layers built from primitives: parameters declared through the ModelBuilder, computation in ops. No layer has a
// gradient rule of its own.
import type { Tensor } from '../graph.js';
import type { Init, ModelBuilder } from '../model.js';
import * as op from '../ops.js';
import { batchNorm, foldBatchNormIntoConv, type BatchNormOptions } from './batchNorm.js';

export interface ConvOptions extends LayerInit {
  out: number;
  kernel?: number;
  /** Zero padding; defaults to "same" ((kernel-1)/2). */
  pad?: number;
  bias?: boolean;
  group?: string;
}

/** A layer's initial values; absent: torch's default for conv and linear layers (uniform ±1/√fan_in). */
export interface LayerInit {
  weightInit?: Init;
  biasInit?: Init;
}

/** Conv2d, by default with torch's initialization (uniform ±1/√fan_in for weight and bias). */
export function conv(m: ModelBuilder, name: string, x: Tensor, options: ConvOptions): Tensor {
  const k = options.kernel ?? 1;
  const inChannels = x.shape[1]!;
  const bound = 1 / Math.sqrt(inChannels * k * k);
  const group = options.group ?? 'default';
  const w = m.param(`${name}.weight`, [options.out, inChannels, k, k], options.weightInit ?? { kind: 'uniform', bound }, group);
  const b = options.bias === false ? undefined : m.param(`${name}.bias`, [options.out], options.biasInit ?? { kind: 'uniform', bound }, group);
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
  return batchNorm(m, `${name}.bn`, y, options);
}

export interface PointwiseOptions extends LayerInit {
  out: number;
  bias?: boolean;
  group?: string;
}

/**
 * A 1×1 convolution in channel-major layout: x is [C, P] (channels × every position of every image), the result
 * [out, P] = W·x (+ b). Weights are stored as [out, C, 1, 1], exactly as conv() stores them, so a model trained in
 * this layout exports to ordinary NCHW convolutions. In this layout the backward pass is two matrix products with
 * no transposes at all, which is why trainers use it for the 1×1 parts of a network.
 */
export function pointwise(m: ModelBuilder, name: string, x: Tensor, options: PointwiseOptions): Tensor {
  const c = x.shape[0]!;
  const bound = 1 / Math.sqrt(c);
  const group = options.group ?? 'default';
  const w = op.reshape(m.param(`${name}.weight`, [options.out, c, 1, 1], options.weightInit ?? { kind: 'uniform', bound }, group), [options.out, c]);
  if (options.bias === false) return op.gemm(w, x);
  const b = m.param(`${name}.bias`, [options.out], options.biasInit ?? { kind: 'uniform', bound }, group);
  return op.gemm(w, x, { c: op.reshape(b, [options.out, 1]) });
}

/** pointwise (no bias) + batch norm in channel-major layout; folded into one pointwise layer for inference. */
export function pointwiseBn(m: ModelBuilder, name: string, x: Tensor, options: Omit<PointwiseOptions, 'bias'> & BatchNormOptions): Tensor {
  if (m.mode === 'infer') {
    const c = x.shape[0]!;
    const folded = foldBatchNormIntoConv(m, `${name}.conv`, `${name}.bn`, options.out, options.eps ?? 1e-5);
    return op.gemm(m.constant(folded.weight, [options.out, c]), x, { c: m.constant(folded.bias, [options.out, 1]) });
  }
  return batchNorm(m, `${name}.bn`, pointwise(m, `${name}.conv`, x, { ...options, bias: false }), options);
}

/** NCHW → channel-major [C, N·H·W]. */
export function toChannelMajor(x: Tensor): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  // one image: moving its unit batch axis is a reshape, and a transpose would copy the map
  return n === 1 ? op.reshape(x, [c, h * w]) : op.reshape(op.transpose(x, [1, 0, 2, 3]), [c, n * h * w]);
}

/** Channel-major [C, N·H·W] → NCHW. */
export function fromChannelMajor(x: Tensor, n: number, h: number, w: number): Tensor {
  const c = x.shape[0]!;
  return c === 1 || n === 1 ? op.reshape(x, [n, c, h, w]) : op.transpose(op.reshape(x, [c, n, h, w]), [1, 0, 2, 3]);
}

/**
 * A "same" k×k convolution (stride 1, odd k, no bias) in channel-major layout: x [C, N·H·W] → [out, N·H·W], with
 * the weight as conv2d takes it ([out, C, k, k]). All k² taps are one matrix product ([k²·out, C]·x, rows ordered
 * (ky, kx, out)), whose k² small results are shifted into place and summed. With few output channels (a
 * classification head's 5×5 → 8) ONNX Runtime's Conv and the k×k gradient formulations read the big input once per
 * tap row and run memory-bound; here forward, weight and input gradient are each one product at matrix-product
 * speed (the gradient of the tap slices is one Concat, see grad.ts). Same values as conv2d up to summation order.
 */
export function shiftedConv(x: Tensor, weight: Tensor, n: number, h: number, w: number): Tensor {
  const [out, c, k, kw] = weight.shape as [number, number, number, number];
  if (k !== kw || k % 2 !== 1) throw new Error(`shiftedConv: the kernel must be square with an odd size, got ${k}×${kw}`);
  if (x.shape[0] !== c || x.shape[1] !== n * h * w) throw new Error(`shiftedConv: x must be [${c}, ${n * h * w}] (channel-major), got [${x.shape.join(', ')}]`);
  const p = (k - 1) / 2;
  const taps = op.reshape(op.transpose(weight, [2, 3, 0, 1]), [k * k * out, c]);
  const perTap = op.reshape(op.gemm(taps, x), [k * k, out * n, h, w]);
  const padded = p ? op.pad(perTap, [0, 0, p, p, 0, 0, p, p]) : perTap;
  let sum: Tensor | undefined;
  for (let ky = 0; ky < k; ky++) {
    for (let kx = 0; kx < k; kx++) {
      const t = ky * k + kx;
      const piece = op.slice(op.slice(op.slice(padded, 0, t, t + 1), 2, ky, ky + h), 3, kx, kx + w);
      sum = sum ? op.add(sum, piece) : piece;
    }
  }
  return op.reshape(sum!, [out, n * h * w]);
}
