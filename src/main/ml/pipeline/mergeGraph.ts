// Copies one ONNX model's graph into a GraphBuilder under a name prefix, wiring its inputs to tensors already in the
// builder (the export: backbone and heads between pre- and post-processing; the paper preset's GPU step: the backbone
// before the training step), and raises it to the pipeline's opset on the way (the ops whose inputs changed between
// opset 11 and 18: Reduce*'s `axes`, Squeeze/Unsqueeze's `axes` and Split's `split` moved from attributes to inputs).
import type onnxProto from 'onnx-proto';
import { decodeModel, PIPELINE_OPSET, type GraphBuilder, type NodeProto } from './protoGraph.js';

export class MergeError extends Error {
  override readonly name = 'MergeError';
}

/** Ops whose `axes` attribute became an input in opset 18 (ReduceSum already in 13). */
const AXES_TO_INPUT_18 = new Set(['ReduceMax', 'ReduceMin', 'ReduceMean', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare']);
const AXES_TO_INPUT_13 = new Set(['ReduceSum', 'Squeeze', 'Unsqueeze']);

function defaultOpset(model: onnxProto.onnx.ModelProto): number {
  const entry = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  return entry ? Number(entry.version) : 1;
}

function intsOf(attr: onnxProto.onnx.IAttributeProto): number[] {
  return (attr.ints ?? []).map((v) => Number(v));
}

/** Moves an attribute into an int64 input at `position` (inputs before it padded with ''). */
function attributeToInput(g: GraphBuilder, node: NodeProto, attrName: string, position: number): void {
  const attrs = node.attribute ?? [];
  const index = attrs.findIndex((a) => a.name === attrName);
  if (index < 0) return;
  const values = intsOf(attrs[index]!);
  node.attribute = attrs.filter((_, i) => i !== index);
  const inputs = [...(node.input ?? [])];
  while (inputs.length < position) inputs.push('');
  inputs[position] = g.int64(values);
  node.input = inputs;
}

export interface MergeResult {
  /** The merged graph's output names, by the source graph's output names. */
  outputs: Record<string, string>;
  /** The source model's opset (default domain). */
  opset: number;
}

/**
 * Appends `bytes` (an ONNX model) to `g`: every node, initializer and tensor name gets `prefix`, except the graph
 * inputs, which are replaced by the tensors named in `inputs` (each graph input must be given one).
 */
export function appendModel(g: GraphBuilder, bytes: Uint8Array, prefix: string, inputs: Record<string, string>, what: string): MergeResult {
  const model = decodeModel(bytes);
  const opset = defaultOpset(model);
  if (opset < 11 || opset > PIPELINE_OPSET) {
    throw new MergeError(`${what} uses ONNX opset ${opset}; the workbench merges opset 11 to ${PIPELINE_OPSET}: re-export it within that range`);
  }
  const foreign = model.opsetImport.filter((o) => o.domain && o.domain !== 'ai.onnx');
  if (foreign.length) throw new MergeError(`${what} uses operators of ${foreign.map((o) => o.domain).join(', ')}; the workbench merges standard ONNX operators only`);
  const graph = model.graph!;
  const initializers = graph.initializer ?? [];
  const nodes = graph.node ?? [];
  if (graph.sparseInitializer?.length) throw new MergeError(`${what} has sparse initializers, which the workbench cannot merge`);
  const initializerNames = new Set(initializers.map((t) => t.name ?? ''));
  const realInputs = (graph.input ?? []).map((i) => i.name ?? '').filter((n) => !initializerNames.has(n));
  for (const name of realInputs) if (!(name in inputs)) throw new MergeError(`${what}: no tensor given for its input ${name}`);

  const rename = (name: string | null | undefined): string => {
    if (!name) return '';
    if (name in inputs && !initializerNames.has(name)) return inputs[name]!;
    return `${prefix}${name}`;
  };
  // the decoded model is ours alone: its tensors and nodes are renamed in place rather than copied (34 MB backbones)
  for (const t of initializers) {
    t.name = rename(t.name);
    g.initializers.push(t);
  }
  for (const source of nodes) {
    for (const a of source.attribute ?? []) {
      if (a.g || a.graphs?.length) throw new MergeError(`${what}: node ${source.name || source.opType} has a subgraph (If/Loop/Scan), which the workbench cannot merge`);
    }
    const node: NodeProto = {
      opType: source.opType,
      domain: source.domain,
      name: `${prefix}${source.name || source.opType}`,
      input: (source.input ?? []).map(rename),
      output: (source.output ?? []).map(rename),
      attribute: source.attribute,
    };
    if (opset < 18 && AXES_TO_INPUT_18.has(node.opType!)) attributeToInput(g, node, 'axes', 1);
    if (opset < 13 && AXES_TO_INPUT_13.has(node.opType!)) attributeToInput(g, node, 'axes', 1);
    if (opset < 13 && node.opType === 'Split') attributeToInput(g, node, 'split', 1);
    g.nodes.push(node);
  }
  return { outputs: Object.fromEntries((graph.output ?? []).map((o) => [o.name ?? '', rename(o.name)])), opset };
}
