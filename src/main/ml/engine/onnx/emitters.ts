// One ONNX emitter per primitive (opset 17): the single table that says how each op is written. Attributes that
// ONNX takes as tensors (axes, shapes, pads, clip bounds) become small initializers through the context.
import { ONNX_DTYPE, type DType } from '../dtype.js';
import type { Tensor } from '../graph.js';
import { emitHashNoise } from './hashNoise.js';
import { averagePoolBySlices, convByMatmul, convTransposeByMatmul } from './float64Lowerings.js';

export type OnnxAttr = number | string | readonly number[] | { floats: readonly number[] } | { float: number };

export interface EmitContext {
  node(opType: string, inputs: readonly string[], outputs: readonly string[], attrs?: Record<string, OnnxAttr>): void;
  int64(values: readonly number[]): string;
  /** A rank-0 int64 initializer (Range's bounds). */
  int64Scalar(value: number): string;
  /** A scalar of the tensor's float dtype. */
  floatScalar(like: Tensor, value: number): string;
  /** A fresh name for an intermediate value of a multi-node emission. */
  temp(): string;
}

export type Emitter = (t: Tensor, inputs: readonly string[], output: string, ctx: EmitContext) => void;

const seedAttr = (t: Tensor): Record<string, OnnxAttr> => (t.attrs.seed === undefined ? {} : { seed: { float: t.attrs.seed as number } });

const direct = (opType: string): Emitter => (_t, inputs, output, ctx) => ctx.node(opType, inputs, [output]);

function reduce(opType: string, axesAsInput: boolean): Emitter {
  return (t, [x], output, ctx) => {
    const axes = t.attrs.axes as number[];
    const keepdims = t.attrs.keepdims as number;
    if (axesAsInput) ctx.node(opType, [x!, ctx.int64(axes)], [output], { keepdims });
    else ctx.node(opType, [x!], [output], { axes, keepdims });
  };
}

export const EMITTERS: Record<string, Emitter> = {
  Add: direct('Add'),
  Sub: direct('Sub'),
  Mul: direct('Mul'),
  Div: direct('Div'),
  Pow: direct('Pow'),
  Max: direct('Max'),
  Min: direct('Min'),
  Greater: direct('Greater'),
  Less: direct('Less'),
  Equal: direct('Equal'),
  Where: direct('Where'),
  Neg: direct('Neg'),
  Exp: direct('Exp'),
  Log: direct('Log'),
  Abs: direct('Abs'),
  Sqrt: direct('Sqrt'),
  Relu: direct('Relu'),
  Sigmoid: direct('Sigmoid'),
  Sign: direct('Sign'),
  Identity: direct('Identity'),
  StopGradient: direct('Identity'),
  RandomNormalLike: (t, inputs, output, ctx) =>
    ctx.node('RandomNormalLike', inputs, [output], { mean: { float: t.attrs.mean as number }, scale: { float: t.attrs.scale as number }, ...seedAttr(t) }),
  RandomUniformLike: (t, inputs, output, ctx) =>
    ctx.node('RandomUniformLike', inputs, [output], { low: { float: t.attrs.low as number }, high: { float: t.attrs.high as number }, ...seedAttr(t) }),
  HashNoise: (t, inputs, output, ctx) => emitHashNoise(t, inputs, output, ctx),
  LeakyRelu: (t, inputs, output, ctx) => ctx.node('LeakyRelu', inputs, [output], { alpha: { float: t.attrs.alpha as number } }),
  Clip: (t, [x], output, ctx) =>
    ctx.node('Clip', [x!, ctx.floatScalar(t, t.attrs.min as number), ctx.floatScalar(t, t.attrs.max as number)], [output]),
  Cast: (t, inputs, output, ctx) => ctx.node('Cast', inputs, [output], { to: ONNX_DTYPE[t.attrs.to as DType] }),
  MatMul: direct('MatMul'),
  Gemm: (t, inputs, output, ctx) => ctx.node('Gemm', inputs, [output], { transA: t.attrs.transA as number, transB: t.attrs.transB as number }),
  Conv: (t, inputs, output, ctx) => {
    const w = t.inputs[1]!;
    const p = t.attrs.pad as number;
    if (t.dtype === 'float64') return convByMatmul(ctx, t, inputs[0]!, inputs[1]!, inputs[2], p, output);
    ctx.node('Conv', inputs, [output], { kernel_shape: [w.shape[2]!, w.shape[3]!], pads: [p, p, p, p], strides: [1, 1] });
  },
  ConvTranspose: (t, inputs, output, ctx) => {
    const w = t.inputs[1]!;
    const p = t.attrs.pad as number;
    if (t.dtype === 'float64') return convTransposeByMatmul(ctx, t, inputs[0]!, inputs[1]!, p, output);
    ctx.node('ConvTranspose', inputs, [output], { kernel_shape: [w.shape[2]!, w.shape[3]!], pads: [p, p, p, p], strides: [1, 1] });
  },
  // opset 17: ReduceSum takes its axes as an input, ReduceMean and ReduceMax as an attribute
  ReduceSum: reduce('ReduceSum', true),
  ReduceMean: reduce('ReduceMean', false),
  ReduceMax: reduce('ReduceMax', false),
  GlobalAveragePool: (t, inputs, output, ctx) =>
    t.dtype === 'float64' ? ctx.node('ReduceMean', inputs, [output], { axes: [2, 3], keepdims: 1 }) : ctx.node('GlobalAveragePool', inputs, [output]),
  GlobalMaxPool: (t, inputs, output, ctx) =>
    t.dtype === 'float64' ? ctx.node('ReduceMax', inputs, [output], { axes: [2, 3], keepdims: 1 }) : ctx.node('GlobalMaxPool', inputs, [output]),
  AveragePool: (t, inputs, output, ctx) => {
    const k = t.attrs.kernel as number;
    const p = (k - 1) / 2;
    if (t.dtype === 'float64') return averagePoolBySlices(ctx, t, inputs[0]!, k, output);
    ctx.node('AveragePool', inputs, [output], { kernel_shape: [k, k], pads: [p, p, p, p], strides: [1, 1], count_include_pad: 1 });
  },
  Resize: (t, [x], output, ctx) => {
    const attrs = { mode: 'linear', coordinate_transformation_mode: 'half_pixel' };
    if (t.dtype !== 'float64') return ctx.node('Resize', [x!, '', '', ctx.int64(t.shape)], [output], attrs);
    // resampling runs only on frozen paths, so float32 precision is enough there
    const [narrow, resized] = [ctx.temp(), ctx.temp()];
    ctx.node('Cast', [x!], [narrow], { to: ONNX_DTYPE.float32 });
    ctx.node('Resize', [narrow, '', '', ctx.int64(t.shape)], [resized], attrs);
    ctx.node('Cast', [resized], [output], { to: ONNX_DTYPE.float64 });
  },
  Reshape: (t, [x], output, ctx) => ctx.node('Reshape', [x!, ctx.int64(t.shape)], [output]),
  Transpose: (t, inputs, output, ctx) => ctx.node('Transpose', inputs, [output], { perm: t.attrs.perm as number[] }),
  Concat: (t, inputs, output, ctx) => ctx.node('Concat', inputs, [output], { axis: t.attrs.axis as number }),
  Slice: (t, [x], output, ctx) =>
    ctx.node('Slice', [x!, ctx.int64(t.attrs.starts as number[]), ctx.int64(t.attrs.ends as number[]), ctx.int64(t.attrs.axes as number[])], [output]),
  Pad: (t, [x], output, ctx) => ctx.node('Pad', [x!, ctx.int64(t.attrs.pads as number[])], [output], { mode: 'constant' }),
  Expand: (t, [x], output, ctx) => ctx.node('Expand', [x!, ctx.int64(t.shape)], [output]),
};
