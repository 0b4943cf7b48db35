// The optimizers emitted as graph ops must match the textbook update rules: here, a few steps of AdamW (decoupled
// weight decay, bias correction, per-group learning rates, global-norm clipping) and of SGD with momentum, on a
// model whose gradient is known in closed form, against the same rules written out in plain JavaScript.
import { describe, expect, it } from 'vitest';
import { compileTraining } from '../../src/main/ml/engine/compile.js';
import type { ModelDefinition } from '../../src/main/ml/engine/model.js';
import * as op from '../../src/main/ml/engine/ops.js';
import type { OptimizerConfig } from '../../src/main/ml/engine/optim.js';
import { Trainer } from '../../src/main/ml/engine/trainer.js';

// loss = ½‖a − t‖² + ½‖b − t'‖²: the gradient of each parameter is (value − its target)
const model: ModelDefinition = {
  name: 'quadratic',
  inputs: [{ name: 'ta', shape: [3] }, { name: 'tb', shape: [2, 2] }],
  forward(m, { ta, tb }) {
    const a = m.param('a', [3], { kind: 'constant', value: 1 }, 'fast');
    const b = m.param('b', [2, 2], { kind: 'constant', value: -2 }, 'slow');
    const da = op.sub(a, ta!);
    const db = op.sub(b, tb!);
    const loss = op.mul(op.add(op.reduceSum(op.mul(da, da)), op.reduceSum(op.mul(db, db))), 0.5);
    return { loss, outputs: {} };
  },
};
const targets = { ta: Float64Array.of(0.5, -1, 3), tb: Float64Array.of(1, 2, -3, 0.25) };

function reference(config: OptimizerConfig, lr: Record<string, number>, steps: number) {
  const values: Record<string, number[]> = { a: [1, 1, 1], b: [-2, -2, -2, -2] };
  const target: Record<string, number[]> = { a: [...targets.ta], b: [...targets.tb] };
  const group: Record<string, string> = { a: 'fast', b: 'slow' };
  const m: Record<string, number[]> = { a: [0, 0, 0], b: [0, 0, 0, 0] };
  const v: Record<string, number[]> = { a: [0, 0, 0], b: [0, 0, 0, 0] };
  const [b1, b2] = config.betas ?? [0.9, 0.999];
  const eps = config.eps ?? 1e-8;
  for (let t = 1; t <= steps; t++) {
    const grads = Object.fromEntries(Object.keys(values).map((k) => [k, values[k]!.map((x, i) => x - target[k]![i]!)]));
    const norm = Math.sqrt(Object.values(grads).flat().reduce((s, g) => s + g * g, 0));
    const scale = config.maxGradNorm === undefined ? 1 : Math.min(1, config.maxGradNorm / (norm + 1e-6));
    for (const k of Object.keys(values)) {
      const rate = lr[group[k]!]!;
      // torch's defaults for a group given no weight decay: AdamW 0.01, SGD 0
      const decay = config.weightDecay?.[group[k]!] ?? (config.kind === 'adamw' ? 0.01 : 0);
      values[k] = values[k]!.map((x, i) => {
        let g = grads[k]![i]! * scale;
        if (config.kind === 'adamw') {
          m[k]![i] = b1 * m[k]![i]! + (1 - b1) * g;
          v[k]![i] = b2 * v[k]![i]! + (1 - b2) * g * g;
          const mHat = m[k]![i]! / (1 - b1 ** t);
          const vHat = v[k]![i]! / (1 - b2 ** t);
          return x * (1 - rate * decay) - (rate * mHat) / (Math.sqrt(vHat) + eps);
        }
        g += decay * x;
        m[k]![i] = (config.momentum ?? 0) * m[k]![i]! + g;
        return x - rate * m[k]![i]!;
      });
    }
  }
  return values;
}

async function run(config: OptimizerConfig, lr: Record<string, number>, steps: number) {
  const trainer = await Trainer.create(compileTraining(model, config, 'float64'), { providers: ['cpu'] });
  for (let i = 0; i < steps; i++) await trainer.trainStep(targets, lr);
  const values = await trainer.values();
  await trainer.release();
  return { a: [...values.get('a')!], b: [...values.get('b')!] };
}

describe('optimizers as graph ops', () => {
  const lr = { fast: 0.1, slow: 0.01 };
  const cases: [string, OptimizerConfig][] = [
    ['AdamW with per-group weight decay', { kind: 'adamw', weightDecay: { fast: 0.1, slow: 0.5 } }],
    ['AdamW with global-norm clipping', { kind: 'adamw', betas: [0.8, 0.99], maxGradNorm: 0.5 }],
    ['AdamW with one group left to the default weight decay (0.01)', { kind: 'adamw', weightDecay: { fast: 0.1 } }],
    ['SGD with momentum and weight decay', { kind: 'sgd', momentum: 0.9, weightDecay: { slow: 0.2 } }],
    ['plain SGD', { kind: 'sgd' }],
  ];
  for (const [name, config] of cases) {
    it(`${name} matches the reference update over 5 steps`, async () => {
      const expected = reference(config, lr, 5);
      const actual = await run(config, lr, 5);
      for (const k of ['a', 'b'] as const) actual[k].forEach((x, i) => expect(x).toBeCloseTo(expected[k]![i]!, 12));
    });
  }
});
