// The primitive op set: what each primitive takes, the shape and dtype it produces, and a builder function per
// primitive. Shape errors are raised here, at build time, naming the op and the shapes involved. Composite
// operations (batch norm, losses, layers) live in nn/ and are built from these.
import { isFloat, type DType } from './dtype.js';
import type { Attrs, Tensor } from './graph.js';
import { broadcastShapes, formatShape, normalizeAxes, sizeOf, type Shape } from './shape.js';

export class ShapeError extends Error {
  override readonly name = 'ShapeError';
}

interface Inferred {
  shape: Shape;
  dtype: DType;
}

export interface PrimitiveSpec {
  /** Inputs it takes; a range for ops with optional inputs (Conv's bias) or variadic ones (Concat). */
  arity: number | [number, number];
  /** False for ops with no gradient: comparisons, casts to bool, resampling on frozen paths. */
  differentiable: boolean;
  /**
   * True where the output is a constant as far as gradients go, whatever the inputs: StopGradient, and random
   * numbers (whose input gives only a shape or a counter). No gradient flows through, and none is asked for.
   */
  cutsGradient?: boolean;
  infer(inputs: readonly Tensor[], attrs: Attrs): Inferred;
}

const fail = (op: string, inputs: readonly Tensor[], why: string): never => {
  throw new ShapeError(`${op}: ${why} (inputs ${inputs.map((t) => `${formatShape(t.shape)} ${t.dtype}`).join(', ')})`);
};

function sameFloat(op: string, inputs: readonly Tensor[]): DType {
  const dtype = inputs[0]!.dtype;
  if (!isFloat(dtype)) fail(op, inputs, 'needs float inputs');
  if (inputs.some((t) => t.dtype !== dtype)) fail(op, inputs, 'needs inputs of one dtype');
  return dtype;
}

function binary(op: string): PrimitiveSpec {
  return {
    arity: 2,
    differentiable: true,
    infer(inputs) {
      const dtype = sameFloat(op, inputs);
      const shape = broadcastShapes(inputs[0]!.shape, inputs[1]!.shape) ?? fail(op, inputs, 'shapes do not broadcast');
      return { shape, dtype };
    },
  };
}

function comparison(op: string): PrimitiveSpec {
  return {
    arity: 2,
    differentiable: false,
    infer(inputs) {
      sameFloat(op, inputs);
      const shape = broadcastShapes(inputs[0]!.shape, inputs[1]!.shape) ?? fail(op, inputs, 'shapes do not broadcast');
      return { shape, dtype: 'bool' };
    },
  };
}

function unary(op: string, differentiable = true): PrimitiveSpec {
  return {
    arity: 1,
    differentiable,
    infer(inputs) {
      return { shape: inputs[0]!.shape, dtype: sameFloat(op, inputs) };
    },
  };
}

function reduction(op: string): PrimitiveSpec {
  return {
    arity: 1,
    differentiable: true,
    infer(inputs, attrs) {
      const x = inputs[0]!;
      sameFloat(op, inputs);
      const axes = attrs.axes as number[];
      if (axes.some((a) => a < 0 || a >= x.rank)) fail(op, inputs, `axes [${axes.join(', ')}] out of range`);
      const keep = attrs.keepdims === 1;
      const shape = x.shape.flatMap((d, i) => (axes.includes(i) ? (keep ? [1] : []) : [d]));
      return { shape, dtype: x.dtype };
    },
  };
}

function globalPool(op: string): PrimitiveSpec {
  return {
    arity: 1,
    differentiable: true,
    infer(inputs) {
      const x = inputs[0]!;
      if (x.rank !== 4) fail(op, inputs, 'needs NCHW input');
      return { shape: [x.shape[0]!, x.shape[1]!, 1, 1], dtype: sameFloat(op, inputs) };
    },
  };
}

function conv2dShape(op: string, inputs: readonly Tensor[], outChannels: number, inChannelsOfWeight: number, pad: number): Shape {
  const [x, w] = inputs as [Tensor, Tensor];
  if (x.rank !== 4 || w.rank !== 4) fail(op, inputs, 'needs NCHW input and a 4-d weight');
  if (x.shape[1] !== inChannelsOfWeight) fail(op, inputs, `input has ${x.shape[1]} channels, the weight expects ${inChannelsOfWeight}`);
  const [kh, kw] = [w.shape[2]!, w.shape[3]!];
  // stride 1: a convolution shrinks by k-1 and grows by the padding; its transpose does the opposite
  const grow = (size: number, k: number) => (op === 'Conv' ? size + 2 * pad - (k - 1) : size - 2 * pad + (k - 1));
  const h = grow(x.shape[2]!, kh);
  const wd = grow(x.shape[3]!, kw);
  if (h < 1 || wd < 1) fail(op, inputs, `kernel ${kh}×${kw} with padding ${pad} leaves no output`);
  return [x.shape[0]!, outChannels, h, wd];
}

export const PRIMITIVES: Record<string, PrimitiveSpec> = {
  Add: binary('Add'),
  Sub: binary('Sub'),
  Mul: binary('Mul'),
  Div: binary('Div'),
  Pow: binary('Pow'),
  Max: binary('Max'),
  Min: binary('Min'),
  Greater: comparison('Greater'),
  Less: comparison('Less'),
  Equal: comparison('Equal'),
  Where: {
    arity: 3,
    differentiable: true,
    infer(inputs) {
      const [c, a, b] = inputs as [Tensor, Tensor, Tensor];
      if (c.dtype !== 'bool') fail('Where', inputs, 'needs a bool condition');
      const dtype = sameFloat('Where', [a, b]);
      const shape = broadcastShapes(c.shape, a.shape, b.shape) ?? fail('Where', inputs, 'shapes do not broadcast');
      return { shape, dtype };
    },
  },
  Neg: unary('Neg'),
  Exp: unary('Exp'),
  Log: unary('Log'),
  Abs: unary('Abs'),
  Sqrt: unary('Sqrt'),
  Relu: unary('Relu'),
  Sigmoid: unary('Sigmoid'),
  LeakyRelu: unary('LeakyRelu'),
  Clip: unary('Clip'),
  Sign: unary('Sign', false),
  Identity: unary('Identity'),
  /** Identity whose gradient is cut: what flows through it is treated as a constant. */
  StopGradient: { ...unary('StopGradient', false), cutsGradient: true },
  // ONNX Runtime's own generators: shaped like the input, in its dtype (see random.ts on how they are seeded)
  RandomNormalLike: { ...unary('RandomNormalLike', false), cutsGradient: true },
  RandomUniformLike: { ...unary('RandomUniformLike', false), cutsGradient: true },
  HashNoise: {
    // counter-based noise: a pure function of (keys, seed, stream, element index); see onnx/hashNoise.ts
    arity: [1, 4],
    differentiable: false,
    cutsGradient: true,
    infer(inputs, attrs) {
      const dtype = sameFloat('HashNoise', inputs);
      if (inputs.some((t) => sizeOf(t.shape) !== 1)) fail('HashNoise', inputs, 'keys must be scalars');
      const shape = attrs.shape as number[];
      if (sizeOf(shape) > 2 ** 31) fail('HashNoise', inputs, `${formatShape(shape)} has more than 2³¹ elements`);
      return { shape, dtype };
    },
  },
  Cast: {
    arity: 1,
    differentiable: true,
    infer(inputs, attrs) {
      return { shape: inputs[0]!.shape, dtype: attrs.to as DType };
    },
  },
  MatMul: {
    arity: 2,
    differentiable: true,
    infer(inputs) {
      const [a, b] = inputs as [Tensor, Tensor];
      const dtype = sameFloat('MatMul', inputs);
      // b is one matrix for every leading index of a, or a batch of matrices with exactly a's leading dimensions
      const batched = b.rank === a.rank && b.rank > 2;
      if (a.rank < 2 || !(b.rank === 2 || batched)) fail('MatMul', inputs, 'needs a of rank ≥ 2 and b of rank 2 or of a\'s rank');
      if (batched && a.shape.slice(0, -2).some((d, i) => d !== b.shape[i])) fail('MatMul', inputs, 'batch dimensions differ');
      if (a.shape[a.rank - 1] !== b.shape[b.rank - 2]) fail('MatMul', inputs, 'inner dimensions differ');
      return { shape: [...a.shape.slice(0, -1), b.shape[b.rank - 1]!], dtype };
    },
  },
  Gemm: {
    // op(a)·op(b) (+ c, broadcast to the result: a bias added inside the product costs no extra pass)
    arity: [2, 3],
    differentiable: true,
    infer(inputs, attrs) {
      const [a, b, c] = inputs as [Tensor, Tensor, Tensor | undefined];
      const dtype = sameFloat('Gemm', inputs);
      if (a.rank !== 2 || b.rank !== 2) fail('Gemm', inputs, 'needs 2-d operands');
      const [m, k] = attrs.transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
      const [k2, n] = attrs.transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
      if (k !== k2) fail('Gemm', inputs, `inner dimensions differ (${k} vs ${k2}) with transA=${attrs.transA ?? 0} transB=${attrs.transB ?? 0}`);
      const out = broadcastShapes([m, n], c?.shape ?? []);
      if (c && (!out || out[0] !== m || out[1] !== n)) fail('Gemm', inputs, `c must broadcast to [${m}, ${n}]`);
      return { shape: [m, n], dtype };
    },
  },
  Conv: {
    arity: [2, 3],
    differentiable: true,
    infer(inputs, attrs) {
      const dtype = sameFloat('Conv', inputs);
      const [, w, b] = inputs as [Tensor, Tensor, Tensor | undefined];
      if (b && (b.rank !== 1 || b.shape[0] !== w.shape[0])) fail('Conv', inputs, 'bias must have one value per output channel');
      return { shape: conv2dShape('Conv', inputs, w.shape[0]!, w.shape[1]!, attrs.pad as number), dtype };
    },
  },
  ConvTranspose: {
    arity: 2,
    differentiable: true,
    infer(inputs, attrs) {
      const dtype = sameFloat('ConvTranspose', inputs);
      const w = inputs[1]!;
      return { shape: conv2dShape('ConvTranspose', inputs, w.shape[1]!, w.shape[0]!, attrs.pad as number), dtype };
    },
  },
  ReduceSum: reduction('ReduceSum'),
  ReduceMean: reduction('ReduceMean'),
  ReduceMax: reduction('ReduceMax'),
  GlobalAveragePool: globalPool('GlobalAveragePool'),
  GlobalMaxPool: globalPool('GlobalMaxPool'),
  AveragePool: {
    arity: 1,
    differentiable: true,
    infer(inputs, attrs) {
      const x = inputs[0]!;
      const k = attrs.kernel as number;
      if (x.rank !== 4) fail('AveragePool', inputs, 'needs NCHW input');
      if (k % 2 !== 1) fail('AveragePool', inputs, `kernel ${k} must be odd (same-size pooling)`);
      return { shape: x.shape, dtype: sameFloat('AveragePool', inputs) };
    },
  },
  Resize: {
    arity: 1,
    differentiable: false,
    infer(inputs, attrs) {
      const x = inputs[0]!;
      const [h, w] = attrs.size as number[];
      if (x.rank !== 4) fail('Resize', inputs, 'needs NCHW input');
      return { shape: [x.shape[0]!, x.shape[1]!, h!, w!], dtype: sameFloat('Resize', inputs) };
    },
  },
  Reshape: {
    arity: 1,
    differentiable: true,
    infer(inputs, attrs) {
      const x = inputs[0]!;
      const shape = attrs.shape as number[];
      if (sizeOf(shape) !== sizeOf(x.shape)) fail('Reshape', inputs, `cannot reshape to ${formatShape(shape)}`);
      return { shape, dtype: x.dtype };
    },
  },
  Transpose: {
    arity: 1,
    differentiable: true,
    infer(inputs, attrs) {
      const x = inputs[0]!;
      const perm = attrs.perm as number[];
      if (perm.length !== x.rank || [...perm].sort().some((p, i) => p !== i)) fail('Transpose', inputs, `invalid permutation [${perm.join(', ')}]`);
      return { shape: perm.map((p) => x.shape[p]!), dtype: x.dtype };
    },
  },
  Concat: {
    arity: [1, Infinity],
    differentiable: true,
    infer(inputs, attrs) {
      const axis = attrs.axis as number;
      const dtype = sameFloat('Concat', inputs);
      const first = inputs[0]!;
      for (const t of inputs) {
        if (t.rank !== first.rank || t.shape.some((d, i) => i !== axis && d !== first.shape[i])) fail('Concat', inputs, `shapes differ outside axis ${axis}`);
      }
      const shape = [...first.shape];
      shape[axis] = inputs.reduce((n, t) => n + t.shape[axis]!, 0);
      return { shape, dtype };
    },
  },
  Slice: {
    arity: 1,
    differentiable: true,
    infer(inputs, attrs) {
      const x = inputs[0]!;
      const [starts, ends, axes] = [attrs.starts as number[], attrs.ends as number[], attrs.axes as number[]];
      const shape = [...x.shape];
      axes.forEach((axis, i) => {
        const [s, e] = [starts[i]!, ends[i]!];
        if (!(0 <= s && s < e && e <= x.shape[axis]!)) fail('Slice', inputs, `range ${s}..${e} outside axis ${axis}`);
        shape[axis] = e - s;
      });
      return { shape, dtype: x.dtype };
    },
  },
  Pad: {
    arity: 1,
    differentiable: true,
    infer(inputs, attrs) {
      const x = inputs[0]!;
      const pads = attrs.pads as number[];
      if (pads.length !== 2 * x.rank || pads.some((p) => p < 0)) fail('Pad', inputs, `pads [${pads.join(', ')}] do not fit`);
      return { shape: x.shape.map((d, i) => d + pads[i]! + pads[i + x.rank]!), dtype: x.dtype };
    },
  },
  Expand: {
    arity: 1,
    differentiable: true,
    infer(inputs, attrs) {
      const x = inputs[0]!;
      const shape = attrs.shape as number[];
      const out = broadcastShapes(x.shape, shape);
      if (!out || out.length !== shape.length || out.some((d, i) => d !== shape[i])) fail('Expand', inputs, `cannot expand to ${formatShape(shape)}`);
      return { shape, dtype: x.dtype };
    },
  },
};

export type PrimitiveName = keyof typeof PRIMITIVES;

export function apply(op: string, inputs: readonly Tensor[], attrs: Attrs = {}): Tensor {
  const spec = PRIMITIVES[op];
  if (!spec) throw new Error(`unknown primitive ${op}`);
  const [min, max] = typeof spec.arity === 'number' ? [spec.arity, spec.arity] : spec.arity;
  if (inputs.length < min || inputs.length > max) throw new ShapeError(`${op}: takes ${min === max ? min : `${min}..${max}`} inputs, got ${inputs.length}`);
  const { shape, dtype } = spec.infer(inputs, attrs);
  return inputs[0]!.graph.node(op, inputs, attrs, shape, dtype);
}

// ---- builders -------------------------------------------------------------------------------------------------

export type TensorLike = Tensor | number;

/** A scalar constant in the dtype of `like`. */
export function scalar(like: Tensor, value: number): Tensor {
  const data = like.dtype === 'float64' ? Float64Array.of(value) : Float32Array.of(value);
  return like.graph.constant(data, [], like.dtype);
}

function lift(a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  if (typeof a === 'number' && typeof b === 'number') throw new Error('at least one operand must be a tensor');
  return [typeof a === 'number' ? scalar(b as Tensor, a) : a, typeof b === 'number' ? scalar(a as Tensor, b) : b];
}

export const add = (a: TensorLike, b: TensorLike) => apply('Add', lift(a, b));
export const sub = (a: TensorLike, b: TensorLike) => apply('Sub', lift(a, b));
export const mul = (a: TensorLike, b: TensorLike) => apply('Mul', lift(a, b));
export const div = (a: TensorLike, b: TensorLike) => apply('Div', lift(a, b));
export const pow = (a: TensorLike, b: TensorLike) => apply('Pow', lift(a, b));
export const maximum = (a: TensorLike, b: TensorLike) => apply('Max', lift(a, b));
export const minimum = (a: TensorLike, b: TensorLike) => apply('Min', lift(a, b));
export const greater = (a: TensorLike, b: TensorLike) => apply('Greater', lift(a, b));
export const less = (a: TensorLike, b: TensorLike) => apply('Less', lift(a, b));
export const equal = (a: TensorLike, b: TensorLike) => apply('Equal', lift(a, b));
export function where(condition: Tensor, a: TensorLike, b: TensorLike): Tensor {
  return apply('Where', [condition, ...lift(a, b)]);
}

export const neg = (x: Tensor) => apply('Neg', [x]);
export const exp = (x: Tensor) => apply('Exp', [x]);
export const log = (x: Tensor) => apply('Log', [x]);
export const abs = (x: Tensor) => apply('Abs', [x]);
export const sqrt = (x: Tensor) => apply('Sqrt', [x]);
export const relu = (x: Tensor) => apply('Relu', [x]);
export const sigmoid = (x: Tensor) => apply('Sigmoid', [x]);
export const sign = (x: Tensor) => apply('Sign', [x]);
export const identity = (x: Tensor) => apply('Identity', [x]);
export const stopGradient = (x: Tensor) => apply('StopGradient', [x]);
/** Gaussian noise shaped like `like` from ONNX Runtime's generator; without a seed, ORT draws one per session. */
export function randomNormalLike(like: Tensor, options: { mean?: number; std?: number; seed?: number } = {}): Tensor {
  return apply('RandomNormalLike', [like], { mean: options.mean ?? 0, scale: options.std ?? 1, ...(options.seed === undefined ? {} : { seed: options.seed }) });
}
/** Uniform noise in [low, high) shaped like `like` from ONNX Runtime's generator (see randomNormalLike). */
export function randomUniformLike(like: Tensor, options: { low?: number; high?: number; seed?: number } = {}): Tensor {
  return apply('RandomUniformLike', [like], { low: options.low ?? 0, high: options.high ?? 1, ...(options.seed === undefined ? {} : { seed: options.seed }) });
}
/**
 * Reproducible noise of `shape`: a pure function of the integer-valued scalar `keys` (a step counter, an epoch),
 * the build-time `seed` and `stream`, and each element's index, so the same keys give the same numbers in any
 * session, after a resume, on any provider. 'uniform' is in (0, 1) with 24 random bits; 'normal' is N(0, 1) by
 * Box–Muller on two 16-bit uniforms (|z| ≤ 4.85). Keys are float scalars holding whole numbers below 2²⁴ (exact
 * in float32).
 */
export function hashNoise(keys: readonly Tensor[], shape: Shape, options: { distribution: 'uniform' | 'normal'; seed?: number; stream?: number }): Tensor {
  const seed = options.seed ?? 0;
  const stream = options.stream ?? 0;
  for (const [name, v] of [['seed', seed], ['stream', stream]] as const) {
    if (!Number.isInteger(v) || v < 0 || v >= 2 ** 32) throw new ShapeError(`HashNoise: ${name} ${v} must be a whole number in [0, 2³²)`);
  }
  return apply('HashNoise', keys, { shape: [...shape], distribution: options.distribution, seed, stream });
}

export const leakyRelu = (x: Tensor, alpha = 0.2) => apply('LeakyRelu', [x], { alpha });
export function clip(x: Tensor, min: number, max: number): Tensor {
  if (!(min <= max)) throw new ShapeError(`Clip: min ${min} is above max ${max}`);
  return apply('Clip', [x], { min, max });
}
export const cast = (x: Tensor, to: DType) => (x.dtype === to ? x : apply('Cast', [x], { to }));

export const matmul = (a: Tensor, b: Tensor) => apply('MatMul', [a, b]);
export const gemm = (a: Tensor, b: Tensor, options: { transA?: boolean; transB?: boolean; c?: Tensor } = {}) =>
  apply('Gemm', options.c ? [a, b, options.c] : [a, b], { transA: options.transA ? 1 : 0, transB: options.transB ? 1 : 0 });

/** 2-d convolution, stride 1, zero padding `pad` on every side; weight [out, in, kh, kw]. */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor, pad = 0): Tensor {
  return apply('Conv', bias ? [x, weight, bias] : [x, weight], { pad });
}
/** The adjoint of conv2d with respect to its input: weight [in, out, kh, kw] as conv2d's. */
export function convTranspose2d(x: Tensor, weight: Tensor, pad = 0): Tensor {
  return apply('ConvTranspose', [x, weight], { pad });
}

function reduceAttrs(x: Tensor, axes: readonly number[] | undefined, keepdims: boolean): Attrs {
  return { axes: normalizeAxes(axes ?? x.shape.map((_, i) => i), x.rank), keepdims: keepdims ? 1 : 0 };
}
export const reduceSum = (x: Tensor, axes?: readonly number[], keepdims = false) => apply('ReduceSum', [x], reduceAttrs(x, axes, keepdims));
export const reduceMean = (x: Tensor, axes?: readonly number[], keepdims = false) => apply('ReduceMean', [x], reduceAttrs(x, axes, keepdims));
export const reduceMax = (x: Tensor, axes?: readonly number[], keepdims = false) => apply('ReduceMax', [x], reduceAttrs(x, axes, keepdims));
export const globalAveragePool = (x: Tensor) => apply('GlobalAveragePool', [x]);
export const globalMaxPool = (x: Tensor) => apply('GlobalMaxPool', [x]);
/** k×k average, stride 1, padding (k-1)/2, zeros counted (torch's AvgPool2d default): output has x's size. */
export const averagePool = (x: Tensor, kernel = 3) => apply('AveragePool', [x], { kernel });
/** Bilinear resize of NCHW to [h, w] (half-pixel centres, as torch's interpolate with align_corners=False). */
export const resizeBilinear = (x: Tensor, size: readonly [number, number]) => apply('Resize', [x], { size: [...size] });

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const known = shape.filter((d) => d !== -1);
  const resolved = shape.map((d) => (d === -1 ? sizeOf(x.shape) / sizeOf(known) : d));
  if (resolved.some((d) => !Number.isInteger(d))) throw new ShapeError(`Reshape: cannot reshape ${formatShape(x.shape)} to ${formatShape(shape)}`);
  return x.shape.length === resolved.length && x.shape.every((d, i) => d === resolved[i]) ? x : apply('Reshape', [x], { shape: resolved });
}
export const transpose = (x: Tensor, perm: readonly number[]) => apply('Transpose', [x], { perm: [...perm] });
export const concat = (xs: readonly Tensor[], axis: number) => (xs.length === 1 ? xs[0]! : apply('Concat', xs, { axis: axis < 0 ? axis + xs[0]!.rank : axis }));
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  return apply('Slice', [x], { starts: [start], ends: [end], axes: [axis < 0 ? axis + x.rank : axis] });
}
export const pad = (x: Tensor, pads: readonly number[]) => apply('Pad', [x], { pads: [...pads] });
export const expand = (x: Tensor, shape: Shape) => apply('Expand', [x], { shape: [...shape] });
