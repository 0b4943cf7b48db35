// The weight gradient of a k×k convolution runs as matrix products over the padded input (see vjp.ts), not as a
// convolution with a feature-map-sized kernel, which ONNX Runtime runs at a quarter of its forward speed. Its values
// are checked against float64 finite differences in gradients.test.ts; here, the graph's structure, and float32
// agreement with the convolution formulation on ONNX Runtime's own kernels.
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { Graph, topologicalOrder } from '../../src/main/ml/engine/graph.js';
import { gradients } from '../../src/main/ml/engine/grad.js';
import { toModelProto } from '../../src/main/ml/engine/onnx/serialize.js';
import * as op from '../../src/main/ml/engine/ops.js';
import { convWeightGradient } from '../../src/main/ml/engine/vjp.js';
import { seededRandom } from '../../src/main/util/random.js';

describe('weight gradient of a k×k convolution', () => {
  it('has no convolution with a kernel larger than the weight (no feature-map-sized kernel)', () => {
    const g = new Graph();
    const x = g.input('x', [4, 6, 12, 12], 'float32');
    const w = g.input('w', [3, 6, 5, 5], 'float32');
    const loss = op.reduceSum(op.conv2d(x, w, undefined, 2));
    const dw = gradients(loss, [w]).get(w)!;
    const convs = topologicalOrder([dw]).filter((t) => t.op === 'Conv' || t.op === 'ConvTranspose');
    for (const conv of convs) expect(conv.inputs[1]!.shape.slice(2), `${conv}`).toEqual([5, 5]);
  });

  it('matches the convolution formulation in float32 on ONNX Runtime (5×5, padding 2, and 3×3 without padding)', async () => {
    for (const [kernel, pad] of [[5, 2], [3, 0]] as const) {
      const g = new Graph();
      const [n, c, o, size] = [3, 7, 5, 11];
      const out = size + 2 * pad - kernel + 1;
      const x = g.input('x', [n, c, size, size], 'float32');
      const dy = g.input('dy', [n, o, out, out], 'float32');
      const shape = [o, c, kernel, kernel];
      const bytes = toModelProto({
        name: 'dw',
        outputs: [
          { name: 'gemm', tensor: convWeightGradient(x, dy, shape, pad, 'gemm') },
          { name: 'conv', tensor: convWeightGradient(x, dy, shape, pad, 'conv') },
        ],
      });
      const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
      const random = seededRandom(kernel);
      const values = (count: number) => Float32Array.from({ length: count }, () => random() * 2 - 1);
      const r = await session.run({
        x: new ort.Tensor('float32', values(n * c * size * size), [n, c, size, size]),
        dy: new ort.Tensor('float32', values(n * o * out * out), [n, o, out, out]),
      });
      const [a, b] = [r.gemm!.data as Float32Array, r.conv!.data as Float32Array];
      expect(r.gemm!.dims).toEqual(shape);
      const scale = Math.max(...b.map(Math.abs));
      a.forEach((v, i) => expect(Math.abs(v - b[i]!) / scale).toBeLessThan(1e-5));
    }
  });
});
