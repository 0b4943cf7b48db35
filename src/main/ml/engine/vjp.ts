// Vector-Jacobian products: for every differentiable primitive, one rule that takes the upstream gradient `g`
// (shaped like the op's output `y`) and returns one gradient per input, null where an input has none. A returned
// gradient may keep the broadcast shape of the output: the walker in grad.ts sums it back to the input's shape,
// once, for every op. Rules are written in primitives, so the backward graph is an ordinary graph.
import { reduceTo } from './broadcastGrad.js';
import { isFloat } from './dtype.js';
import type { Attrs, Tensor } from './graph.js';
import * as op from './ops.js';
import { sizeOf } from './shape.js';

export type VjpRule = (g: Tensor, y: Tensor, inputs: readonly Tensor[], attrs: Attrs) => (Tensor | null)[];

const zero = (like: Tensor) => op.scalar(like, 0);

/** Gradient of a reduction: the reduced axes put back as size 1; it broadcasts to the input (see grad.ts). */
function unreduce(g: Tensor, x: Tensor, attrs: Attrs): Tensor {
  const axes = attrs.axes as number[];
  return attrs.keepdims === 1 ? g : op.reshape(g, x.shape.map((d, i) => (axes.includes(i) ? 1 : d)));
}

/** Where `x` equals the (kept-dims) maximum `yKept`, share `gKept` among the ties; 0 elsewhere. */
function maxGradient(gKept: Tensor, yKept: Tensor, x: Tensor, axes: number[]): Tensor {
  const isMax = op.cast(op.equal(x, op.expand(yKept, x.shape)), x.dtype);
  const ties = op.reduceSum(isMax, axes, true);
  return op.mul(isMax, op.div(gKept, ties));
}

function keptShape(x: Tensor, axes: number[]): number[] {
  return x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** Swaps the first two axes of an NCHW tensor: batch ↔ channels. */
const swapNC = (t: Tensor) => op.transpose(t, [1, 0, 2, 3]);

/**
 * Weight gradient of a stride-1 convolution of x [N,C,H,W] giving g [N,O,H',W']: [O, C, kh, kw]. `formulation`
 * exists for the benchmark that compares them; the default is the fastest measured.
 */
export function convWeightGradient(x: Tensor, g: Tensor, weightShape: readonly number[], pad: number, formulation: 'gemm' | 'conv' = 'gemm'): Tensor {
  const [o, c, kh, kw] = weightShape as [number, number, number, number];
  if (kh === 1 && kw === 1 && pad === 0) {
    // 1×1: one matrix product over every position, dW = G·Xᵀ with positions as the inner dimension. Measured
    // faster here than a batched product per image (whose transpose ONNX Runtime fuses) plus a sum over images.
    const g2 = op.reshape(swapNC(g), [o, -1]);
    const x2 = op.reshape(swapNC(x), [c, -1]);
    return op.reshape(op.gemm(g2, x2, { transB: true }), [o, c, 1, 1]);
  }
  // k×k as a convolution of the input with the output gradient, batch as channels: ONNX Runtime runs it with a
  // feature-map-sized kernel at a quarter of the forward convolution's speed (kept for the benchmark)
  if (formulation === 'conv') return swapNC(op.conv2d(swapNC(x), swapNC(g), undefined, pad));
  // k×k as matrix products: dW[o,c,dy,dx] = Σ g[n,o,y,x]·xp[n,c,y+dy,x+dx] over the padded input xp. Placing g at
  // offset (dy, dx) on a zero canvas of xp's size turns every tap into one product over (n, y, x) with xp itself, so
  // the big input is laid out once (channel-major) and only the small gradient is copied per tap. One Gemm per
  // kernel row keeps the shifted copies to kw·O channels at a time. The canvas' zeros cost (H+2p)(W+2p)/(H'W')
  // more multiply-adds (27% for 32×32 maps and a 5×5 kernel), far less than ORT's kernel-sized convolution loses.
  const xp = pad ? op.pad(x, [0, 0, pad, pad, 0, 0, pad, pad]) : x;
  const xcm = op.reshape(swapNC(xp), [c, -1]);
  const gcm = swapNC(g);
  const rows: Tensor[] = [];
  for (let dy = 0; dy < kh; dy++) {
    const taps: Tensor[] = [];
    for (let dx = 0; dx < kw; dx++) taps.push(op.pad(gcm, [0, 0, dy, dx, 0, 0, kh - 1 - dy, kw - 1 - dx]));
    rows.push(op.gemm(op.reshape(op.concat(taps, 0), [kw * o, -1]), xcm, { transB: true }));
  }
  return op.transpose(op.reshape(op.concat(rows, 0), [kh, kw, o, c]), [2, 3, 0, 1]);
}

/** Input gradient of a stride-1 convolution: the transposed convolution of g with the same weight. */
function convInputGradient(g: Tensor, w: Tensor, pad: number): Tensor {
  if (w.shape[2] === 1 && w.shape[3] === 1 && pad === 0) return op.conv2d(g, swapNC(w));
  return op.convTranspose2d(g, w, pad);
}

export const VJP: Record<string, VjpRule> = {
  Add: (g) => [g, g],
  // sum to b's shape before negating, so the negation runs on the small tensor
  Sub: (g, _y, [, b]) => [g, op.neg(reduceTo(g, b!.shape))],
  // a square (x·x) gets one product 2g·x instead of two that are then added
  Mul: (g, _y, [a, b]) => (a === b ? [op.mul(op.mul(g, 2), a!), null] : [op.mul(g, b!), op.mul(g, a!)]),
  Div: (g, y, [, b]) => [op.div(g, b!), op.neg(op.div(op.mul(g, y), b!))],
  Pow: (g, y, [a, b]) => [op.mul(g, op.mul(b!, op.pow(a!, op.sub(b!, 1)))), op.mul(g, op.mul(y, op.log(a!)))],
  // ties go to the first operand, as in torch.maximum's subgradient
  Max: (g, _y, [a, b]) => {
    const bWins = op.less(a!, b!);
    return [op.where(bWins, zero(g), g), op.where(bWins, g, zero(g))];
  },
  Min: (g, _y, [a, b]) => {
    const bWins = op.greater(a!, b!);
    return [op.where(bWins, zero(g), g), op.where(bWins, g, zero(g))];
  },
  Where: (g, _y, [c]) => [null, op.where(c!, g, zero(g)), op.where(c!, zero(g), g)],
  Neg: (g) => [op.neg(g)],
  Exp: (g, y) => [op.mul(g, y)],
  Log: (g, _y, [x]) => [op.div(g, x!)],
  Abs: (g, _y, [x]) => [op.mul(g, op.sign(x!))],
  Sqrt: (g, y) => [op.div(op.mul(g, 0.5), y)],
  // Slopes as float masks from a comparison rather than Where, which ONNX Runtime runs several times slower:
  // relu'(x) = [x > 0] (0 at x = 0, as torch); leaky'(x) = max([x > 0], α) ∈ {α, 1} for α < 1 (α at 0, as torch).
  Relu: (g, _y, [x]) => [op.mul(g, op.cast(op.greater(x!, 0), g.dtype))],
  Sigmoid: (g, y) => [op.mul(g, op.mul(y, op.sub(1, y)))],
  LeakyRelu: (g, _y, [x], attrs) => {
    const alpha = attrs.alpha as number;
    if (!(alpha < 1)) return [op.where(op.greater(x!, 0), g, op.mul(g, alpha))];
    return [op.mul(g, op.maximum(op.cast(op.greater(x!, 0), g.dtype), alpha))];
  },
  Clip: (g, _y, [x], attrs) => {
    const inside = op.where(op.less(x!, attrs.min as number), zero(g), g);
    return [op.where(op.greater(x!, attrs.max as number), zero(g), inside)];
  },
  Identity: (g) => [g],
  // a cast from bool (a mask made by a comparison) is a step function: its input has no gradient
  Cast: (g, _y, [x]) => [isFloat(x!.dtype) ? op.cast(g, x!.dtype) : null],
  MatMul: (g, _y, [a, b]) => {
    const swapLast = (t: Tensor) => op.transpose(t, [...t.shape.keys()].map((i) => (i === t.rank - 2 ? t.rank - 1 : i === t.rank - 1 ? t.rank - 2 : i)));
    const da = op.matmul(g, swapLast(b!));
    if (b!.rank > 2) return [da, op.matmul(swapLast(a!), g)];
    const [k, n] = b!.shape as [number, number];
    return [da, op.gemm(op.reshape(a!, [-1, k]), op.reshape(g, [-1, n]), { transA: true })];
  },
  Gemm: (g, _y, [a, b, c], attrs) => {
    const [ta, tb] = [attrs.transA === 1, attrs.transB === 1];
    // y = op(a)·op(b): d op(a) = g·op(b)ᵀ and d op(b) = op(a)ᵀ·g, written without materializing transposes
    const da = ta ? op.gemm(b!, g, { transA: tb, transB: true }) : op.gemm(g, b!, { transB: !tb });
    const db = tb ? op.gemm(g, a!, { transA: true, transB: ta }) : op.gemm(a!, g, { transA: !ta });
    return c ? [da, db, g] : [da, db];
  },
  Conv: (g, _y, [x, w, b], attrs) => {
    const pad = attrs.pad as number;
    const grads = [convInputGradient(g, w!, pad), convWeightGradient(x!, g, w!.shape, pad)];
    return b ? [...grads, op.reduceSum(g, [0, 2, 3])] : grads;
  },
  ConvTranspose: (g, _y, [x, w], attrs) => {
    // ConvTranspose(x, w) is the adjoint of Conv(·, w): its input gradient is that convolution, and its weight
    // gradient is the convolution's weight gradient with the roles of x and g exchanged.
    const pad = attrs.pad as number;
    return [op.conv2d(g, w!, undefined, pad), convWeightGradient(g, x!, w!.shape, pad)];
  },
  ReduceSum: (g, _y, [x], attrs) => [unreduce(g, x!, attrs)],
  ReduceMean: (g, _y, [x], attrs) => {
    const count = (attrs.axes as number[]).reduce((n, a) => n * x!.shape[a]!, 1);
    return [op.mul(unreduce(g, x!, attrs), 1 / count)];
  },
  ReduceMax: (g, y, [x], attrs) => {
    const axes = attrs.axes as number[];
    const kept = keptShape(x!, axes);
    return [maxGradient(op.reshape(g, kept), op.reshape(y, kept), x!, axes)];
  },
  GlobalAveragePool: (g, _y, [x]) => [op.mul(g, 1 / (x!.shape[2]! * x!.shape[3]!))],
  GlobalMaxPool: (g, y, [x]) => [maxGradient(g, y, x!, [2, 3])],
  // stride-1 "same" average pooling with zeros counted is a symmetric convolution: its own adjoint
  AveragePool: (g, _y, _inputs, attrs) => [op.averagePool(g, attrs.kernel as number)],
  Reshape: (g, _y, [x]) => [op.reshape(g, x!.shape)],
  Transpose: (g, _y, _inputs, attrs) => {
    const perm = attrs.perm as number[];
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [op.transpose(g, inverse)];
  },
  Concat: (g, _y, inputs, attrs) => {
    const axis = attrs.axis as number;
    let start = 0;
    return inputs.map((x) => {
      const end = start + x.shape[axis]!;
      const part = op.slice(g, axis, start, end);
      start = end;
      return part;
    });
  },
  Slice: (g, _y, [x], attrs) => {
    const pads = new Array<number>(2 * x!.rank).fill(0);
    (attrs.axes as number[]).forEach((axis, i) => {
      pads[axis] = (attrs.starts as number[])[i]!;
      pads[axis + x!.rank] = x!.shape[axis]! - (attrs.ends as number[])[i]!;
    });
    return [op.pad(g, pads)];
  },
  Pad: (g, _y, [x], attrs) => {
    const pads = attrs.pads as number[];
    let out = g;
    x!.shape.forEach((d, axis) => {
      if (pads[axis] !== 0 || pads[axis + x!.rank] !== 0) out = op.slice(out, axis, pads[axis]!, pads[axis]! + d);
    });
    return [out];
  },
  // the walker sums the broadcast gradient back to x's shape
  Expand: (g) => [g],
};

/** Number of scalar multiply-adds ×2 of the matrix-product ops in a node, for FLOP counts. */
export function matmulFlops(t: Tensor): number {
  switch (t.op) {
    case 'MatMul': {
      const [a] = t.inputs;
      return 2 * sizeOf(t.shape) * a!.shape[a!.rank - 1]!;
    }
    case 'Gemm': {
      const [a] = t.inputs;
      return 2 * sizeOf(t.shape) * (t.attrs.transA === 1 ? a!.shape[0]! : a!.shape[1]!);
    }
    case 'Conv': {
      const w = t.inputs[1]!;
      return 2 * sizeOf(t.shape) * w.shape[1]! * w.shape[2]! * w.shape[3]!;
    }
    case 'ConvTranspose': {
      const [x, w] = t.inputs;
      return 2 * sizeOf(x!.shape) * w!.shape[1]! * w!.shape[2]! * w!.shape[3]!;
    }
    default:
      return 0;
  }
}
