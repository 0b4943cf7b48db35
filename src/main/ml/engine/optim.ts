// Optimizers as graph ops: the update of every parameter, with its optimizer state in and out, is part of the
// train-step graph. The learning rate of each parameter group and the step counter are graph inputs, so schedules
// (warm-up, step, cosine) live outside the graph. AdamW, Adam and SGD with momentum are settings of one function.
//
// Each group's parameters are updated as one flat vector (their gradients concatenated, the new values sliced
// back out): one pass of a dozen elementwise ops per group instead of per tensor, which matters because the
// runtime's cost per op dominates for the many small tensors (biases, norms) of a network.
import type { Tensor } from './graph.js';
import * as op from './ops.js';
import { sizeOf } from './shape.js';

export interface OptimizerConfig {
  kind: 'adamw' | 'sgd';
  /** Adam(W) moment decay rates. */
  betas?: [number, number];
  eps?: number;
  /** SGD momentum (0 for plain SGD). */
  momentum?: number;
  /** Clip the global gradient norm to this value before the update. */
  maxGradNorm?: number;
  /**
   * Weight decay per parameter group (decoupled for AdamW, L2 added to the gradient for SGD). A group not listed
   * gets torch's default for the optimizer: 0.01 for AdamW, 0 for SGD (see defaultWeightDecay).
   */
  weightDecay?: Record<string, number>;
}

/** torch.optim's defaults: AdamW(weight_decay=1e-2), SGD(weight_decay=0). */
export const DEFAULT_WEIGHT_DECAY: Readonly<Record<OptimizerConfig['kind'], number>> = { adamw: 0.01, sgd: 0 };

/** The weight decay a group trains with: its own setting, else the optimizer's default. */
export function weightDecayOf(config: OptimizerConfig, group: string): number {
  return config.weightDecay?.[group] ?? DEFAULT_WEIGHT_DECAY[config.kind];
}

export interface TrainedParam {
  name: string;
  group: string;
  value: Tensor;
  grad: Tensor;
}

export interface OptimizerState {
  /** Next values of the optimizer state, by state input name. */
  outputs: { name: string; tensor: Tensor }[];
  /** Next value of every parameter, by parameter name. */
  newValues: Map<string, Tensor>;
  gradNorm: Tensor;
}

export const STEP_INPUT = 'opt/step';
export const lrInputName = (group: string) => `lr/${group}`;

/** Names and lengths of the flat state vectors the optimizer keeps for each parameter group. */
export function optimizerStateSpecs(config: OptimizerConfig, params: readonly { group: string; shape: readonly number[] }[]) {
  const sizes = new Map<string, number>();
  for (const p of params) sizes.set(p.group, (sizes.get(p.group) ?? 0) + sizeOf(p.shape));
  const kinds = config.kind === 'adamw' ? ['m', 'v'] : (config.momentum ?? 0) > 0 ? ['momentum'] : [];
  return [...sizes].flatMap(([group, size]) => kinds.map((kind) => ({ name: `opt/${kind}/${group}`, shape: [size] })));
}

export function globalNorm(grads: readonly Tensor[]): Tensor {
  const squares = grads.map((g) => op.reduceSum(op.mul(g, g)));
  return op.sqrt(squares.reduce((a, b) => op.add(a, b)));
}

const flatten = (tensors: readonly Tensor[]) => op.concat(tensors.map((t) => op.reshape(t, [-1])), 0);

export function optimizerUpdate(params: readonly TrainedParam[], config: OptimizerConfig): OptimizerState {
  const first = params[0];
  if (!first) throw new Error('the optimizer has no parameters to train');
  const graph = first.value.graph;
  const dtype = first.value.dtype;
  // the model may have declared it already (ModelBuilder.stepCounter, for per-step noise)
  const step = graph.inputs.get(STEP_INPUT) ?? graph.input(STEP_INPUT, [], dtype);
  const groups = new Map<string, TrainedParam[]>();
  for (const p of params) groups.set(p.group, [...(groups.get(p.group) ?? []), p]);

  const flatGrads = new Map([...groups].map(([group, members]) => [group, flatten(members.map((p) => p.grad))]));
  const gradNorm = globalNorm([...flatGrads.values()]);
  const clip = config.maxGradNorm === undefined ? null : op.minimum(op.div(config.maxGradNorm, op.add(gradNorm, 1e-6)), 1);

  const outputs: { name: string; tensor: Tensor }[] = [];
  const newValues = new Map<string, Tensor>();
  const [beta1, beta2] = config.betas ?? [0.9, 0.999];
  const eps = config.eps ?? 1e-8;
  // bias corrections 1 - βᵗ, computed in the graph from the step input (t counts from 1)
  const correction1 = op.sub(1, op.pow(op.scalar(step, beta1), step));
  const correction2 = op.sub(1, op.pow(op.scalar(step, beta2), step));
  const states = optimizerStateSpecs(config, params.map((p) => ({ group: p.group, shape: p.value.shape })));
  const state = (name: string) => {
    const spec = states.find((s) => s.name === name)!;
    return graph.input(name, spec.shape, dtype);
  };

  for (const [group, members] of groups) {
    const lr = graph.input(lrInputName(group), [], dtype);
    const decay = weightDecayOf(config, group);
    const value = flatten(members.map((p) => p.value));
    const g = clip ? op.mul(flatGrads.get(group)!, clip) : flatGrads.get(group)!;
    let next: Tensor;
    if (config.kind === 'adamw') {
      const [mName, vName] = [`opt/m/${group}`, `opt/v/${group}`];
      const m2 = op.add(op.mul(state(mName), beta1), op.mul(g, 1 - beta1));
      const v2 = op.add(op.mul(state(vName), beta2), op.mul(op.mul(g, g), 1 - beta2));
      const update = op.div(op.div(m2, correction1), op.add(op.sqrt(op.div(v2, correction2)), eps));
      const decayed = decay ? op.mul(value, op.sub(1, op.mul(lr, decay))) : value;
      next = op.sub(decayed, op.mul(lr, update));
      outputs.push({ name: mName, tensor: m2 }, { name: vName, tensor: v2 });
    } else {
      let direction = decay ? op.add(g, op.mul(value, decay)) : g;
      if ((config.momentum ?? 0) > 0) {
        const name = `opt/momentum/${group}`;
        direction = op.add(op.mul(state(name), config.momentum!), direction);
        outputs.push({ name, tensor: direction });
      }
      next = op.sub(value, op.mul(lr, direction));
    }
    let offset = 0;
    for (const p of members) {
      const size = sizeOf(p.value.shape);
      newValues.set(p.name, op.reshape(members.length === 1 ? next : op.slice(next, 0, offset, offset + size), p.value.shape));
      offset += size;
    }
  }
  return { outputs, newValues, gradNorm };
}
