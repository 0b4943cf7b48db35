// Gradient check: the analytic gradients the engine emits, run in ONNX Runtime, against central finite differences
// of the same graph's loss, in float64. The loss is Σ y·R for a fixed random R, so every output element counts.
import ort from 'onnxruntime-node';
import { seededRandom } from '../../util/random.js';
import { Graph, type Tensor } from './graph.js';
import { gradients } from './grad.js';
import { toModelProto } from './onnx/serialize.js';
import * as op from './ops.js';
import { sizeOf, type Shape } from './shape.js';

export interface GradCheckInput {
  shape: Shape;
  /** Range the values are drawn from; pick it away from kinks (0 for relu and abs, bounds of clip...). */
  sample?: 'signed' | 'positive' | 'any';
  /** Inputs that are not differentiated (masks, indices); they are still fed. */
  constant?: boolean;
}

export interface GradCheckResult {
  /**
   * Worst, over the inputs, of max|analytic − numeric| relative to the input's largest gradient element
   * (max|analytic|, max|numeric|, floor): an element whose gradient is nearly 0 is judged at the tensor's scale, where
   * finite differences are exact to their rounding noise, instead of at its own.
   */
  maxRelativeError: number;
  maxAbsoluteError: number;
  elements: number;
}

export async function gradCheck(
  build: (...inputs: Tensor[]) => Tensor,
  specs: readonly GradCheckInput[],
  options: { seed?: number; eps?: number; floor?: number } = {},
): Promise<GradCheckResult> {
  const random = seededRandom(options.seed ?? 1);
  const eps = options.eps ?? 1e-6;
  const floor = options.floor ?? 1e-7;
  const graph = new Graph();
  const inputs = specs.map((s, i) => graph.input(`x${i}`, s.shape, 'float64'));
  const y = build(...inputs);
  const weights = Float64Array.from({ length: sizeOf(y.shape) }, () => random() * 2 - 1);
  const loss = op.reduceSum(op.mul(y, graph.constant(weights, y.shape, 'float64')));
  const targets = inputs.filter((_, i) => !specs[i]!.constant);
  const grads = gradients(loss, targets);
  const model = toModelProto({
    name: 'gradcheck',
    inputs,
    outputs: [{ name: 'loss', tensor: loss }, ...targets.map((t) => ({ name: `grad_${t.name}`, tensor: grads.get(t)! }))],
  });
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  const values = specs.map((s) =>
    Float64Array.from({ length: sizeOf(s.shape) }, () => {
      const u = random();
      if (s.sample === 'positive') return 0.5 + 1.5 * u;
      if (s.sample === 'any') return u * 4 - 2;
      return (u < 0.5 ? -1 : 1) * (0.2 + 1.8 * random()); // signed, |x| ≥ 0.2
    }),
  );
  const feeds = () => Object.fromEntries(inputs.map((t, i) => [t.name!, new ort.Tensor('float64', values[i]!, t.shape)]));
  const analytic = await session.run(feeds());
  let maxRelativeError = 0;
  let maxAbsoluteError = 0;
  let elements = 0;
  const lossAt = async () => Number((await session.run(feeds(), ['loss'])).loss!.data[0]);
  for (const [k, spec] of specs.entries()) {
    if (spec.constant) continue;
    const g = analytic[`grad_x${k}`]!.data as Float64Array;
    const x = values[k]!;
    let worstDiff = 0;
    let scale = floor;
    for (let i = 0; i < x.length; i++) {
      const saved = x[i]!;
      x[i] = saved + eps;
      const plus = await lossAt();
      x[i] = saved - eps;
      const minus = await lossAt();
      x[i] = saved;
      const numeric = (plus - minus) / (2 * eps);
      worstDiff = Math.max(worstDiff, Math.abs(numeric - g[i]!));
      scale = Math.max(scale, Math.abs(numeric), Math.abs(g[i]!));
      elements++;
    }
    maxAbsoluteError = Math.max(maxAbsoluteError, worstDiff);
    maxRelativeError = Math.max(maxRelativeError, worstDiff / scale);
  }
  await session.release();
  return { maxRelativeError, maxAbsoluteError, elements };
}
