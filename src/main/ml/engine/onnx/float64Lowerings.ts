// ONNX Runtime's CPU provider has no float64 kernels for Conv, ConvTranspose, the pooling ops or Resize. Gradient
// checks need float64, so float64 graphs write those ops with ops it does have (pad, slices, matrix products,
// reductions). The float32 path keeps the native kernels; a test checks both paths give the same values.
import type { Tensor } from '../graph.js';
import type { EmitContext } from './emitters.js';

/** Shifted views of a zero-padded NCHW input, one per kernel offset (u, v), each of the output's spatial size. */
function shiftedPatches(ctx: EmitContext, x: string, pad: number, kh: number, kw: number, outH: number, outW: number): string[] {
  const padded = pad > 0 ? ctx.temp() : x;
  if (pad > 0) ctx.node('Pad', [x, ctx.int64([0, 0, pad, pad, 0, 0, pad, pad])], [padded], { mode: 'constant' });
  const patches: string[] = [];
  for (let u = 0; u < kh; u++) {
    for (let v = 0; v < kw; v++) {
      const patch = ctx.temp();
      ctx.node('Slice', [padded, ctx.int64([u, v]), ctx.int64([u + outH, v + outW]), ctx.int64([2, 3])], [patch]);
      patches.push(patch);
    }
  }
  return patches;
}

interface ConvDims {
  n: number;
  o: number;
  c: number;
  kh: number;
  kw: number;
  outH: number;
  outW: number;
}

function convDims(t: Tensor, weightShape: readonly number[]): ConvDims {
  const [n, o, outH, outW] = t.shape as [number, number, number, number];
  return { n, o, c: weightShape[1]!, kh: weightShape[2]!, kw: weightShape[3]!, outH, outW };
}

export function convByMatmul(ctx: EmitContext, t: Tensor, x: string, w: string, bias: string | undefined, pad: number, output: string): void {
  convDimsByMatmul(ctx, convDims(t, t.inputs[1]!.shape), x, w, bias, pad, output);
}

/** Stride-1 convolution as im2col + one batched matrix product. */
function convDimsByMatmul(ctx: EmitContext, { n, o, c, kh, kw, outH, outW }: ConvDims, x: string, w: string, bias: string | undefined, pad: number, output: string): void {
  const patches = shiftedPatches(ctx, x, pad, kh, kw, outH, outW);
  const columns = ctx.temp();
  ctx.node('Concat', patches, [columns], { axis: 1 }); // [N, kh·kw·C, H', W'], offsets major, channels minor
  const columns3 = ctx.temp();
  ctx.node('Reshape', [columns, ctx.int64([n, kh * kw * c, outH * outW])], [columns3]);
  const wt = ctx.temp();
  ctx.node('Transpose', [w], [wt], { perm: [0, 2, 3, 1] }); // [O, kh, kw, C] to match the column order
  const w2 = ctx.temp();
  ctx.node('Reshape', [wt, ctx.int64([o, kh * kw * c])], [w2]);
  const product = ctx.temp();
  ctx.node('MatMul', [w2, columns3], [product]); // [N, O, H'·W']
  if (!bias) {
    ctx.node('Reshape', [product, ctx.int64([n, o, outH, outW])], [output]);
    return;
  }
  const shaped = ctx.temp();
  ctx.node('Reshape', [product, ctx.int64([n, o, outH, outW])], [shaped]);
  const b4 = ctx.temp();
  ctx.node('Reshape', [bias, ctx.int64([1, o, 1, 1])], [b4]);
  ctx.node('Add', [shaped, b4], [output]);
}

/** Stride-1 transposed convolution: a convolution with the kernel flipped, in/out swapped, padding k-1-p. */
export function convTransposeByMatmul(ctx: EmitContext, t: Tensor, x: string, w: string, pad: number, output: string): void {
  const weight = t.inputs[1]!;
  const [kh, kw] = [weight.shape[2]!, weight.shape[3]!];
  if (kh !== kw) throw new Error('float64 ConvTranspose supports square kernels only');
  const flipped = ctx.temp();
  ctx.node('Slice', [w, ctx.int64([-1, -1]), ctx.int64([-kh - 1, -kw - 1]), ctx.int64([2, 3]), ctx.int64([-1, -1])], [flipped]);
  const swapped = ctx.temp();
  ctx.node('Transpose', [flipped], [swapped], { perm: [1, 0, 2, 3] });
  const dims = convDims(t, [weight.shape[1]!, weight.shape[0]!, kh, kw]);
  convDimsByMatmul(ctx, dims, x, swapped, undefined, kh - 1 - pad, output);
}

/** Same-size k×k average with zeros counted: the sum of the k² shifted views, divided by k². */
export function averagePoolBySlices(ctx: EmitContext, t: Tensor, x: string, kernel: number, output: string): void {
  const [, , h, w] = t.shape as [number, number, number, number];
  const patches = shiftedPatches(ctx, x, (kernel - 1) / 2, kernel, kernel, h, w);
  let sum = patches[0]!;
  for (const patch of patches.slice(1)) {
    const next = ctx.temp();
    ctx.node('Add', [sum, patch], [next]);
    sum = next;
  }
  ctx.node('Div', [sum, ctx.floatScalar(t, kernel * kernel)], [output]);
}
