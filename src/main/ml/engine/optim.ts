// Optimizers as graph ops: the update of every parameter, with its optimizer state in and out, is part of the
// train-step graph. The learning rate of each parameter group and the step counter are graph inputs, so schedules
// (warm-up, step, cosine) live outside the graph. AdamW, Adam and SGD with momentum are settings of one function.
import type { Tensor } from './graph.js';
import * as op from './ops.js';

export interface OptimizerConfig {
  kind: 'adamw' | 'sgd';
  /** Adam(W) moment decay rates. */
  betas?: [number, number];
  eps?: number;
  /** SGD momentum (0 for plain SGD). */
  momentum?: number;
  /** Clip the global gradient norm to this value before the update. */
  maxGradNorm?: number;
  /** Weight decay per parameter group (decoupled for AdamW, L2 added to the gradient for SGD). */
  weightDecay?: Record<string, number>;
}

export interface TrainedParam {
  name: string;
  group: string;
  value: Tensor;
  grad: Tensor;
}

export interface OptimizerState {
  /** Named state tensors in and their next values out. */
  inputs: Tensor[];
  outputs: { name: string; tensor: Tensor }[];
  newValues: Map<string, Tensor>;
  gradNorm: Tensor;
}

export const STEP_INPUT = 'opt/step';
export const lrInputName = (group: string) => `lr/${group}`;
export const stateNames = (config: OptimizerConfig, param: string): string[] =>
  config.kind === 'adamw' ? [`opt/m/${param}`, `opt/v/${param}`] : (config.momentum ?? 0) > 0 ? [`opt/buf/${param}`] : [];

export function globalNorm(grads: readonly Tensor[]): Tensor {
  const squares = grads.map((g) => op.reduceSum(op.mul(g, g)));
  return op.sqrt(squares.reduce((a, b) => op.add(a, b)));
}

export function optimizerUpdate(params: readonly TrainedParam[], config: OptimizerConfig): OptimizerState {
  const first = params[0];
  if (!first) throw new Error('the optimizer has no parameters to train');
  const graph = first.value.graph;
  const dtype = first.value.dtype;
  const step = graph.input(STEP_INPUT, [], dtype);
  const lrs = new Map<string, Tensor>();
  const lrOf = (group: string) => {
    if (!lrs.has(group)) lrs.set(group, graph.input(lrInputName(group), [], dtype));
    return lrs.get(group)!;
  };
  for (const p of params) lrOf(p.group);

  const gradNorm = globalNorm(params.map((p) => p.grad));
  let grads = params.map((p) => p.grad);
  if (config.maxGradNorm !== undefined) {
    const scale = op.minimum(op.div(config.maxGradNorm, op.add(gradNorm, 1e-6)), 1);
    grads = grads.map((g) => op.mul(g, scale));
  }

  const inputs: Tensor[] = [];
  const outputs: { name: string; tensor: Tensor }[] = [];
  const newValues = new Map<string, Tensor>();
  const [beta1, beta2] = config.betas ?? [0.9, 0.999];
  const eps = config.eps ?? 1e-8;
  // bias corrections 1 - βᵗ, computed in the graph from the step input (t counts from 1)
  const correction1 = config.kind === 'adamw' ? op.sub(1, op.pow(op.scalar(step, beta1), step)) : null;
  const correction2 = config.kind === 'adamw' ? op.sub(1, op.pow(op.scalar(step, beta2), step)) : null;

  params.forEach((p, i) => {
    const g = grads[i]!;
    const lr = lrOf(p.group);
    const decay = config.weightDecay?.[p.group] ?? 0;
    const names = stateNames(config, p.name);
    const state = names.map((name) => graph.input(name, p.value.shape, dtype));
    inputs.push(...state);
    if (config.kind === 'adamw') {
      const [m, v] = state as [Tensor, Tensor];
      const m2 = op.add(op.mul(m, beta1), op.mul(g, 1 - beta1));
      const v2 = op.add(op.mul(v, beta2), op.mul(op.mul(g, g), 1 - beta2));
      const update = op.div(op.div(m2, correction1!), op.add(op.sqrt(op.div(v2, correction2!)), eps));
      const decayed = decay ? op.mul(p.value, op.sub(1, op.mul(lr, decay))) : p.value;
      newValues.set(p.name, op.sub(decayed, op.mul(lr, update)));
      outputs.push({ name: names[0]!, tensor: m2 }, { name: names[1]!, tensor: v2 });
    } else {
      const withDecay = decay ? op.add(g, op.mul(p.value, decay)) : g;
      let direction = withDecay;
      if (state.length) {
        direction = op.add(op.mul(state[0]!, config.momentum!), withDecay);
        outputs.push({ name: names[0]!, tensor: direction });
      }
      newValues.set(p.name, op.sub(p.value, op.mul(lr, direction)));
    }
  });
  return { inputs, outputs, newValues, gradNorm };
}
