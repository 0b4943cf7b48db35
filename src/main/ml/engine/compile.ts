// Compiles a model into its artifacts: the train-step graph (forward, loss, backward and optimizer update in one
// ONNX graph), the eval graph (losses and outputs, no update) and, from trained values, the inference graph with
// parameters as constants and batch norm folded. Each graph comes with the names and shapes of its inputs and
// outputs, and a hash that a checkpoint records so it is never loaded into a different graph.
import { createHash } from 'node:crypto';
import type { DType, FloatArray, FloatDType } from './dtype.js';
import type { Tensor } from './graph.js';
import { gradients } from './grad.js';
import { trace, type BufferSpec, type ModelDefinition, type ParamSpec } from './model.js';
import { countMatmulFlops, toModelProto, type GraphOutput } from './onnx/serialize.js';
import { optimizerStateSpecs, optimizerUpdate, type OptimizerConfig } from './optim.js';
import { matmulFlops } from './vjp.js';

export interface TensorInfo {
  name: string;
  shape: readonly number[];
  dtype: DType;
}

export interface CompiledGraph {
  bytes: Uint8Array;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /** SHA-256 of the ONNX bytes. */
  hash: string;
  /** FLOPs of the matrix products (conv, matmul) in one run, for throughput figures. */
  matmulFlops: number;
}

export interface TrainingArtifacts {
  model: string;
  dtype: FloatDType;
  params: ParamSpec[];
  buffers: BufferSpec[];
  /** Optimizer state: flat vectors, one per parameter group and kind of moment. */
  state: TensorInfo[];
  lossTerms: string[];
  optimizer: OptimizerConfig;
  trainStep: CompiledGraph;
  eval: CompiledGraph;
}

/** Output-name conventions shared by the compiler and the runtime. */
export const out = {
  param: (name: string) => `param_out/${name}`,
  buffer: (name: string) => `buffer_out/${name}`,
  state: (name: string) => `${name}_out`,
  loss: 'loss',
  term: (name: string) => `loss/${name}`,
  gradNorm: 'grad_norm',
  output: (name: string) => `out/${name}`,
};

function info(t: Tensor, name = t.name!): TensorInfo {
  return { name, shape: t.shape, dtype: t.dtype };
}

function finish(name: string, inputs: readonly Tensor[], outputs: GraphOutput[]): CompiledGraph {
  const bytes = toModelProto({ name, inputs, outputs });
  return {
    bytes,
    inputs: inputs.map((t) => info(t)),
    outputs: outputs.map((o) => info(o.tensor, o.name)),
    hash: createHash('sha256').update(bytes).digest('hex'),
    matmulFlops: countMatmulFlops(outputs.map((o) => o.tensor), matmulFlops),
  };
}

export function compileTraining(model: ModelDefinition, optimizer: OptimizerConfig, dtype: FloatDType = 'float32'): TrainingArtifacts {
  const { m, result } = trace(model, 'train', dtype);
  if (!result.loss) throw new Error(`model ${model.name} returns no loss in train mode`);
  const params = [...m.params.values()];
  const grads = gradients(result.loss, params.map((p) => p.tensor));
  const update = optimizerUpdate(
    params.map((p) => ({ name: p.spec.name, group: p.spec.group, value: p.tensor, grad: grads.get(p.tensor)! })),
    optimizer,
  );
  const terms = Object.entries(result.terms ?? {});
  const outputs: GraphOutput[] = [
    { name: out.loss, tensor: result.loss },
    ...terms.map(([name, tensor]) => ({ name: out.term(name), tensor })),
    { name: out.gradNorm, tensor: update.gradNorm },
    ...params.map((p) => ({ name: out.param(p.spec.name), tensor: update.newValues.get(p.spec.name)! })),
    ...update.outputs.map((s) => ({ name: out.state(s.name), tensor: s.tensor })),
    ...[...m.bufferUpdates].map(([name, tensor]) => ({ name: out.buffer(name), tensor })),
  ];
  const trainStep = finish(`${model.name}.train_step`, [...m.graph.inputs.values()], outputs);

  const evaluation = trace(model, 'eval', dtype);
  const evalOutputs: GraphOutput[] = [
    ...(evaluation.result.loss ? [{ name: out.loss, tensor: evaluation.result.loss }] : []),
    ...Object.entries(evaluation.result.terms ?? {}).map(([name, tensor]) => ({ name: out.term(name), tensor })),
    ...Object.entries(evaluation.result.outputs).map(([name, tensor]) => ({ name: out.output(name), tensor })),
  ];
  const evalGraph = finish(`${model.name}.eval`, [...evaluation.m.graph.inputs.values()], evalOutputs);

  return {
    model: model.name,
    dtype,
    params: params.map((p) => p.spec),
    buffers: [...m.buffers.values()].map((b) => b.spec),
    state: optimizerStateSpecs(optimizer, params.map((p) => p.spec)).map((s) => ({ ...s, dtype })),
    lossTerms: terms.map(([name]) => name),
    optimizer,
    trainStep,
    eval: evalGraph,
  };
}

/** The deployable graph: batch inputs in, predictions out, trained values baked in, batch norm folded. */
export function compileInference(model: ModelDefinition, values: ReadonlyMap<string, FloatArray>, dtype: FloatDType = 'float32'): CompiledGraph {
  const { m, result } = trace(model, 'infer', dtype, values);
  const outputs = Object.entries(result.outputs).map(([name, tensor]) => ({ name, tensor }));
  return finish(`${model.name}.inference`, [...m.graph.inputs.values()], outputs);
}
