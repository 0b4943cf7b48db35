// The optimizers emitted as graph ops against results known in closed form, not against the update rules written
// out again: on a linear loss the gradient is a constant c, so Adam's bias-corrected moments are exactly c and c²
// at every step (each step moves by lr·c/(|c|+ε), Kingma & Ba's "the effective step is about lr"), decoupled weight
// decay shrinks geometrically, SGD with momentum moves by a geometric sum, and on a quadratic plain SGD contracts the
// error by (1 − lr) each step. Every expected value below is a formula in t, evaluated in float64.
import { describe, expect, it } from 'vitest';
import { compileTraining } from '../../src/main/ml/engine/compile.js';
import type { ModelDefinition } from '../../src/main/ml/engine/model.js';
import * as op from '../../src/main/ml/engine/ops.js';
import type { OptimizerConfig } from '../../src/main/ml/engine/optim.js';
import { Trainer } from '../../src/main/ml/engine/trainer.js';

const THETA0 = [0.7, -1.3, 2.5];
const C = Float64Array.of(0.3, -2, 5e-3);

// loss = Σ cᵢ·aᵢ: the gradient of a is c, whatever a is
const linear: ModelDefinition = {
  name: 'linear',
  inputs: [{ name: 'c', shape: [3] }],
  forward(m, { c }) {
    const a = m.param('a', [3], { kind: 'constant', value: 0 }, 'only');
    return { loss: op.reduceSum(op.mul(a, c!)), outputs: {} };
  },
};

// loss = ½‖a − t‖²: the gradient is the error a − t
const TARGET = Float64Array.of(0.5, -1, 3);
const quadratic: ModelDefinition = {
  name: 'quadratic',
  inputs: [{ name: 't', shape: [3] }],
  forward(m, { t }) {
    const a = m.param('a', [3], { kind: 'constant', value: 0 }, 'only');
    const d = op.sub(a, t!);
    return { loss: op.mul(op.reduceSum(op.mul(d, d)), 0.5), outputs: {} };
  },
};

async function train(model: ModelDefinition, config: OptimizerConfig, feeds: Record<string, Float64Array>, lr: number, steps: number): Promise<number[][]> {
  const compiled = compileTraining(model, config, 'float64');
  // start from θ₀ (not a constant, so that every element moves differently): a step-0 checkpoint with a set to it
  const fresh = await Trainer.create(compiled, { providers: ['cpu'] });
  const start = await fresh.checkpoint();
  await fresh.release();
  start.tensors.set('a', Float64Array.from(THETA0));
  const run = await Trainer.create(compiled, { providers: ['cpu'], checkpoint: start });
  const trajectory: number[][] = [];
  for (let step = 0; step < steps; step++) {
    await run.trainStep(feeds, { only: lr });
    trajectory.push([...(await run.values()).get('a')!]);
  }
  await run.release();
  return trajectory;
}

const close = (actual: number[][], expected: (t: number, i: number) => number, digits = 12) =>
  actual.forEach((row, k) => row.forEach((x, i) => expect(x, `step ${k + 1}, element ${i}`).toBeCloseTo(expected(k + 1, i), digits)));

describe('optimizers against closed forms', () => {
  const lr = 0.05;
  const eps = 1e-8;
  const step = (i: number) => C[i]! / (Math.abs(C[i]!) + eps);

  it('Adam on a constant gradient moves by lr·c/(|c|+ε) every step, whatever β₁ and β₂', async () => {
    for (const betas of [[0.9, 0.999], [0.5, 0.9]] as const) {
      const path = await train(linear, { kind: 'adamw', betas: [...betas], weightDecay: { only: 0 } }, { c: C }, lr, 6);
      close(path, (t, i) => THETA0[i]! - t * lr * step(i));
    }
  });

  it('AdamW decays decoupled: θₜ = qᵗθ₀ − lr·s·(1 − qᵗ)/(1 − q), q = 1 − lr·λ', async () => {
    const decay = 0.3;
    const q = 1 - lr * decay;
    const path = await train(linear, { kind: 'adamw', weightDecay: { only: decay } }, { c: C }, lr, 6);
    close(path, (t, i) => q ** t * THETA0[i]! - (lr * step(i) * (1 - q ** t)) / (1 - q));
  });

  it('clipping scales the gradient, which Adam does not see (up to ε) and SGD does', async () => {
    const norm = Math.hypot(...C);
    const scale = 0.5 / (norm + 1e-6);
    const adam = await train(linear, { kind: 'adamw', maxGradNorm: 0.5, weightDecay: { only: 0 } }, { c: C }, lr, 4);
    close(adam, (t, i) => THETA0[i]! - (t * lr * C[i]! * scale) / (Math.abs(C[i]! * scale) + eps));
    const sgd = await train(linear, { kind: 'sgd', maxGradNorm: 0.5 }, { c: C }, lr, 4);
    close(sgd, (t, i) => THETA0[i]! - t * lr * C[i]! * scale);
  });

  it('SGD with momentum μ on a constant gradient: θₜ = θ₀ − lr·c·(t − μ(1 − μᵗ)/(1 − μ))/(1 − μ)', async () => {
    const mu = 0.9;
    const path = await train(linear, { kind: 'sgd', momentum: mu }, { c: C }, lr, 8);
    close(path, (t, i) => THETA0[i]! - (lr * C[i]! * (t - (mu * (1 - mu ** t)) / (1 - mu))) / (1 - mu));
  });

  it('plain SGD on a quadratic contracts the error by (1 − lr) per step; weight decay λ moves the fixed point to t/(1 + λ)', async () => {
    const path = await train(quadratic, { kind: 'sgd' }, { t: TARGET }, lr, 8);
    close(path, (t, i) => TARGET[i]! + (1 - lr) ** t * (THETA0[i]! - TARGET[i]!));
    const decay = 0.25;
    const fixed = (i: number) => TARGET[i]! / (1 + decay);
    const decayed = await train(quadratic, { kind: 'sgd', weightDecay: { only: decay } }, { t: TARGET }, lr, 8);
    close(decayed, (t, i) => fixed(i) + (1 - lr * (1 + decay)) ** t * (THETA0[i]! - fixed(i)));
  });
});
