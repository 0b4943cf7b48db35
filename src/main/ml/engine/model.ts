// How a model is written for the engine: a `forward` function over a ModelBuilder. The builder hands out
// parameters, buffers (batch-norm running statistics) and batch inputs, and records what each needs, so one forward
// function yields the train-step graph (parameters as inputs), the eval graph and the inference graph (parameters
// as constants, batch norm folded) without the model code knowing which.
import { type FloatArray, type FloatDType } from './dtype.js';
import { Graph, type Tensor } from './graph.js';
import { STEP_INPUT } from './optim.js';
import { sizeOf, type Shape } from './shape.js';

export type ModelMode = 'train' | 'eval' | 'infer';

export type Init =
  | { kind: 'zeros' }
  | { kind: 'ones' }
  | { kind: 'constant'; value: number }
  /** Uniform in ±bound; torch's default for conv and linear layers uses bound = 1/√fan_in. */
  | { kind: 'uniform'; bound: number }
  | { kind: 'normal'; std: number };

export interface ParamSpec {
  name: string;
  shape: Shape;
  init: Init;
  /** Optimizer group: each group has its own learning rate input and weight decay. */
  group: string;
}

export interface BufferSpec {
  name: string;
  shape: Shape;
  init: Init;
}

export interface InputSpec {
  name: string;
  shape: Shape;
  dtype?: 'float32' | 'float64';
}

export interface ForwardResult {
  /** The scalar minimized by training (train and eval graphs). */
  loss?: Tensor;
  /** Named parts of the loss, reported per step. */
  terms?: Record<string, Tensor>;
  /** Predictions (every graph). */
  outputs: Record<string, Tensor>;
}

export interface ModelDefinition {
  name: string;
  inputs: readonly InputSpec[];
  /** Inputs only the loss needs (targets, masks, loss weights): absent from the inference graph. */
  targets?: readonly InputSpec[];
  forward(m: ModelBuilder, inputs: Record<string, Tensor>): ForwardResult;
}

export class ModelBuilder {
  readonly graph = new Graph();
  readonly params = new Map<string, { spec: ParamSpec; tensor: Tensor }>();
  readonly buffers = new Map<string, { spec: BufferSpec; tensor: Tensor }>();
  /** New values of buffers computed by a train-mode forward pass (running statistics). */
  readonly bufferUpdates = new Map<string, Tensor>();

  constructor(
    readonly mode: ModelMode,
    readonly dtype: FloatDType,
    /** Parameter and buffer values; required in infer mode, where they become constants. */
    private readonly values?: ReadonlyMap<string, FloatArray>,
  ) {
    if (mode === 'infer' && !values) throw new Error('an inference graph needs the parameter values');
  }

  param(name: string, shape: Shape, init: Init, group = 'default'): Tensor {
    const existing = this.params.get(name);
    if (existing) return this.reuse(name, existing.spec.shape, shape, existing.tensor);
    const tensor = this.leaf(`param/${name}`, name, shape);
    this.params.set(name, { spec: { name, shape: [...shape], init, group }, tensor });
    return tensor;
  }

  buffer(name: string, shape: Shape, init: Init): Tensor {
    const existing = this.buffers.get(name);
    if (existing) return this.reuse(name, existing.spec.shape, shape, existing.tensor);
    const tensor = this.leaf(`buffer/${name}`, name, shape);
    this.buffers.set(name, { spec: { name, shape: [...shape], init }, tensor });
    return tensor;
  }

  updateBuffer(name: string, value: Tensor): void {
    if (this.mode !== 'train') return;
    if (!this.buffers.has(name)) throw new Error(`buffer ${name} is updated before it is declared`);
    this.bufferUpdates.set(name, value);
  }

  /** The current value of a parameter or buffer (infer mode only), for folding at build time. */
  value(name: string): FloatArray {
    const v = this.values?.get(name);
    if (!v) throw new Error(`no value for ${name}: folding needs the trained parameters`);
    return v;
  }

  /**
   * The number of the optimizer step being taken (1, 2, …; a float scalar), fed by the Trainer in train and eval
   * graphs and restored with a checkpoint's step: the key for per-step noise (ops.hashNoise) that repeats exactly
   * after a resume. Absent from inference graphs (it throws there: inference has no step).
   */
  stepCounter(): Tensor {
    if (this.mode === 'infer') throw new Error('an inference graph has no step counter; add noise in train mode only');
    return this.graph.inputs.get(STEP_INPUT) ?? this.graph.input(STEP_INPUT, [], this.dtype);
  }

  constant(values: FloatArray, shape: Shape): Tensor {
    return this.graph.constant(values, shape, this.dtype);
  }

  private leaf(inputName: string, name: string, shape: Shape): Tensor {
    if (this.mode !== 'infer') return this.graph.input(inputName, shape, this.dtype);
    const value = this.value(name);
    if (value.length !== sizeOf(shape)) throw new Error(`value of ${name} has ${value.length} numbers, its shape ${shape.join('×')} needs ${sizeOf(shape)}`);
    return this.constant(value, shape);
  }

  private reuse(name: string, had: Shape, want: Shape, tensor: Tensor): Tensor {
    if (had.length !== want.length || had.some((d, i) => d !== want[i])) {
      throw new Error(`${name} is used with shape [${want.join(', ')}] but was declared [${had.join(', ')}]`);
    }
    return tensor;
  }
}

/** Runs a model's forward pass in a fresh builder. */
export function trace(model: ModelDefinition, mode: ModelMode, dtype: FloatDType, values?: ReadonlyMap<string, FloatArray>) {
  const m = new ModelBuilder(mode, dtype, values);
  const specs = mode === 'infer' ? model.inputs : [...model.inputs, ...(model.targets ?? [])];
  const inputs = Object.fromEntries(specs.map((s) => [s.name, m.graph.input(s.name, s.shape, s.dtype ?? dtype)]));
  const result = model.forward(m, inputs);
  return { m, inputs, result };
}
