// float64 graphs write Conv, ConvTranspose, the pools and Resize with other ops (ONNX Runtime's CPU provider has
// no float64 kernels for them). The float64 gradient checks therefore check those lowerings; this test checks that
// the float32 native kernels compute the same values and gradients, so both paths are covered.
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { FloatDType } from '../../src/main/ml/engine/dtype.js';
import { Graph, type Tensor } from '../../src/main/ml/engine/graph.js';
import { gradients } from '../../src/main/ml/engine/grad.js';
import { toModelProto } from '../../src/main/ml/engine/onnx/serialize.js';
import * as op from '../../src/main/ml/engine/ops.js';
import { seededRandom } from '../../src/main/util/random.js';

async function run(dtype: FloatDType, shapes: number[][], build: (...xs: Tensor[]) => Tensor, differentiate: boolean, values: Float64Array[]) {
  const graph = new Graph();
  const inputs = shapes.map((shape, i) => graph.input(`x${i}`, shape, dtype));
  const y = build(...inputs);
  const outputs = [{ name: 'y', tensor: y }];
  if (differentiate) {
    const weights = Float64Array.from({ length: y.shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i + 1));
    const loss = op.reduceSum(op.mul(y, graph.constant(dtype === 'float32' ? Float32Array.from(weights) : weights, y.shape, dtype)));
    const grads = gradients(loss, inputs);
    inputs.forEach((t, i) => outputs.push({ name: `g${i}`, tensor: grads.get(t)! }));
  }
  const session = await ort.InferenceSession.create(toModelProto({ name: 'lowering', inputs, outputs }), { executionProviders: ['cpu'] });
  const feeds = Object.fromEntries(inputs.map((t, i) => [t.name!, new ort.Tensor(dtype, dtype === 'float32' ? Float32Array.from(values[i]!) : values[i]!, t.shape)]));
  const result = await session.run(feeds);
  return Object.fromEntries(Object.entries(result).map(([k, v]) => [k, Array.from(v.data as Float32Array)]));
}

const CASES: { name: string; shapes: number[][]; build: (...xs: Tensor[]) => Tensor; differentiable?: boolean }[] = [
  { name: 'Conv 3×3 pad 1 with bias', shapes: [[2, 3, 6, 5], [4, 3, 3, 3], [4]], build: (x, w, b) => op.conv2d(x!, w!, b!, 1) },
  { name: 'Conv 5×5 pad 0', shapes: [[1, 2, 7, 7], [3, 2, 5, 5]], build: (x, w) => op.conv2d(x!, w!, undefined, 0) },
  { name: 'ConvTranspose 3×3 pad 1', shapes: [[2, 3, 4, 5], [3, 2, 3, 3]], build: (x, w) => op.convTranspose2d(x!, w!, 1) },
  { name: 'ConvTranspose 3×3 pad 0', shapes: [[1, 2, 3, 3], [2, 3, 3, 3]], build: (x, w) => op.convTranspose2d(x!, w!, 0) },
  { name: 'AveragePool 3×3', shapes: [[2, 3, 5, 6]], build: (x) => op.averagePool(x!, 3) },
  { name: 'GlobalAveragePool', shapes: [[2, 3, 5, 6]], build: (x) => op.globalAveragePool(x!) },
  { name: 'GlobalMaxPool', shapes: [[2, 3, 5, 6]], build: (x) => op.globalMaxPool(x!) },
  { name: 'Resize bilinear ×2', shapes: [[1, 2, 4, 5]], build: (x) => op.resizeBilinear(x!, [8, 10]), differentiable: false },
  { name: 'Resize bilinear down', shapes: [[1, 2, 9, 7]], build: (x) => op.resizeBilinear(x!, [4, 3]), differentiable: false },
];

describe('float32 native kernels and float64 lowerings agree', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const random = seededRandom(3);
      const values = c.shapes.map((s) => Float64Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1));
      const differentiate = c.differentiable !== false;
      const native = await run('float32', c.shapes, c.build, differentiate, values);
      const lowered = await run('float64', c.shapes, c.build, differentiate, values);
      expect(Object.keys(native).sort()).toEqual(Object.keys(lowered).sort());
      for (const key of Object.keys(native)) {
        const a = native[key]!;
        const b = lowered[key]!;
        expect(a.length).toBe(b.length);
        const scale = Math.max(1e-6, ...b.map(Math.abs));
        const worst = Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
        expect(worst / scale, `${key}`).toBeLessThan(1e-5);
      }
    });
  }
});
