// Both gradients of a k×k convolution avoid ONNX Runtime's slow paths (see vjp.ts): the weight gradient runs as
// matrix products with shifted copies of the output gradient, not as a convolution with a feature-map-sized kernel
// (a fifth of the speed), and the input gradient as a forward convolution with the flipped kernel, not a
// ConvTranspose. Their values are checked against float64 finite differences in gradients.test.ts; here, the
// graph's structure, and float32 agreement of every formulation on ONNX Runtime's own kernels.
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { Graph, topologicalOrder } from '../../src/main/ml/engine/graph.js';
import { gradients } from '../../src/main/ml/engine/grad.js';
import { fromChannelMajor, shiftedConv, toChannelMajor } from '../../src/main/ml/engine/nn/layers.js';
import { toModelProto } from '../../src/main/ml/engine/onnx/serialize.js';
import * as op from '../../src/main/ml/engine/ops.js';
import { convInputGradient, convWeightGradient } from '../../src/main/ml/engine/vjp.js';
import { seededRandom } from '../../src/main/util/random.js';

describe('weight gradient of a k×k convolution', () => {
  it('has no convolution with a kernel larger than the weight and no ConvTranspose in its backward pass', () => {
    const g = new Graph();
    const x = g.input('x', [4, 6, 12, 12], 'float32');
    const w = g.input('w', [3, 6, 5, 5], 'float32');
    const y = op.conv2d(x, w, undefined, 2);
    const grads = gradients(op.reduceSum(op.mul(y, y)), [x, w]);
    const backward = topologicalOrder([grads.get(x)!, grads.get(w)!]).filter((t) => t !== y);
    expect(backward.filter((t) => t.op === 'ConvTranspose').map(String)).toEqual([]);
    for (const conv of backward.filter((t) => t.op === 'Conv')) expect(conv.inputs[1]!.shape.slice(2), String(conv)).toEqual([5, 5]);
  });

  it('matches the convolution formulations in float32 on ONNX Runtime (5×5, padding 2, and 3×3 without padding)', async () => {
    for (const [kernel, pad] of [[5, 2], [3, 0]] as const) {
      const g = new Graph();
      const [n, c, o, size] = [3, 7, 5, 11];
      const out = size + 2 * pad - kernel + 1;
      const x = g.input('x', [n, c, size, size], 'float32');
      const dy = g.input('dy', [n, o, out, out], 'float32');
      const w = g.input('w', [o, c, kernel, kernel], 'float32');
      const shape = [o, c, kernel, kernel];
      const bytes = toModelProto({
        name: 'dw',
        outputs: [
          { name: 'gemm', tensor: convWeightGradient(x, dy, shape, pad, 'gemm') },
          { name: 'conv', tensor: convWeightGradient(x, dy, shape, pad, 'conv') },
          { name: 'dx_flipped', tensor: convInputGradient(dy, w, pad, 'flippedConv') },
          { name: 'dx_gemm', tensor: convInputGradient(dy, w, pad, 'gemm') },
          { name: 'dx_transpose', tensor: convInputGradient(dy, w, pad, 'convTranspose') },
        ],
      });
      const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
      const random = seededRandom(kernel);
      const values = (count: number) => Float32Array.from({ length: count }, () => random() * 2 - 1);
      const r = await session.run({
        x: new ort.Tensor('float32', values(n * c * size * size), [n, c, size, size]),
        dy: new ort.Tensor('float32', values(n * o * out * out), [n, o, out, out]),
        w: new ort.Tensor('float32', values(o * c * kernel * kernel), shape),
      });
      expect(r.gemm!.dims).toEqual(shape);
      expect(r.dx_gemm!.dims).toEqual([n, c, size, size]);
      for (const [mine, theirs] of [['gemm', 'conv'], ['dx_gemm', 'dx_transpose'], ['dx_flipped', 'dx_transpose']] as const) {
        const [a, b] = [r[mine]!.data as Float32Array, r[theirs]!.data as Float32Array];
        const scale = Math.max(...b.map(Math.abs));
        a.forEach((v, i) => expect(Math.abs(v - b[i]!) / scale, `${mine} ${i}`).toBeLessThan(1e-5));
      }
    }
  });
});

describe('shiftedConv (a k×k convolution in channel-major layout as one matrix product)', () => {
  it('gives conv2d\'s output and both gradients (float32, ONNX Runtime), with no Conv and no full-size Pad per tap in its backward pass', async () => {
    const g = new Graph();
    const [n, c, o, h, w, k] = [3, 6, 4, 7, 9, 5];
    const x = g.input('x', [n, c, h, w], 'float32');
    const wt = g.input('w', [o, c, k, k], 'float32');
    const r = g.input('r', [n, o, h, w], 'float32');
    const reference = op.conv2d(x, wt, undefined, 2);
    const shifted = fromChannelMajor(shiftedConv(toChannelMajor(x), wt, n, h, w), n, h, w);
    const [refGrads, shiftedGrads] = [reference, shifted].map((y) => gradients(op.reduceSum(op.mul(y, r)), [x, wt]));
    const backward = topologicalOrder([shiftedGrads!.get(x)!, shiftedGrads!.get(wt)!]);
    expect(backward.filter((t) => t.op === 'Conv' || t.op === 'ConvTranspose').map(String)).toEqual([]);
    // the k² tap slices of the [k², o·n, h+4, w+4] products get one Concat, not k² padded copies of it
    expect(backward.filter((t) => t.op === 'Pad' && t.shape[0] === k * k).length).toBeLessThanOrEqual(1);
    const bytes = toModelProto({
      name: 'shifted',
      outputs: [
        { name: 'y_ref', tensor: reference },
        { name: 'y', tensor: shifted },
        { name: 'dx_ref', tensor: refGrads!.get(x)! },
        { name: 'dx', tensor: shiftedGrads!.get(x)! },
        { name: 'dw_ref', tensor: refGrads!.get(wt)! },
        { name: 'dw', tensor: shiftedGrads!.get(wt)! },
      ],
    });
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
    const random = seededRandom(11);
    const values = (count: number) => Float32Array.from({ length: count }, () => random() * 2 - 1);
    const out = await session.run({
      x: new ort.Tensor('float32', values(n * c * h * w), [n, c, h, w]),
      w: new ort.Tensor('float32', values(o * c * k * k), [o, c, k, k]),
      r: new ort.Tensor('float32', values(n * o * h * w), [n, o, h, w]),
    });
    for (const name of ['y', 'dx', 'dw'] as const) {
      const [a, b] = [out[name]!.data as Float32Array, out[`${name}_ref`]!.data as Float32Array];
      expect(a.length).toBe(b.length);
      const scale = Math.max(...b.map(Math.abs));
      a.forEach((v, i) => expect(Math.abs(v - b[i]!) / scale, `${name} ${i}`).toBeLessThan(1e-5));
    }
  });
});
