// An int8 copy of a float backbone, in ONNX's QDQ form: QuantizeLinear → DequantizeLinear pairs around the tensors
// the convolutions read and write, and weights stored as int8 behind a DequantizeLinear. ONNX Runtime's CPU provider
// fuses each DequantizeLinear → Conv → QuantizeLinear into one QLinearConv (and Add into QLinearAdd, Relu/Clip into
// the quantization that follows them), which runs on 8-bit integer kernels; any runtime without those fusions still
// computes the same values in float. The result is an ordinary ONNX backbone with its own hash: the workbench
// trains, caches features, evaluates and exports with it exactly as with the float file, so scores stay consistent.
import { WorkbenchError } from '../../../shared/errors.js';
import { DataType, decodeModel, encodeModel, exposeAsOutputs, type NodeProto, type TensorProto } from '../pipeline/protoGraph.js';

export class QuantizeError extends WorkbenchError {
  override readonly name = 'QuantizeError';
  constructor(message: string) {
    super('backbone-quantize', message);
  }
}

/**
 * Weights are quantized to 7 bits (±63), not 8: x86 CPUs without VNNI multiply uint8 activations by int8 weights
 * with an instruction that adds two products into a saturating int16 (255·127·2 overflows it, 255·63·2 does not);
 * ONNX Runtime documents the same limit ("reduce_range").
 */
const WEIGHT_LEVELS = 63;
/** Per-axis DequantizeLinear (per-channel weights) is opset 13. */
const MIN_OPSET = 13;

export interface ActivationRange {
  min: number;
  max: number;
}

/** Ops whose output is ≥ 0 and which vanish into a following uint8 quantization with zero point 0. */
const RECTIFIERS = new Set(['Relu', 'Clip']);
/** Ops whose inputs are quantized so that ONNX Runtime runs them on integers (they keep any output params). */
const INTEGER_OPS = new Set(['Conv', 'Add', 'MaxPool']);

interface Plan {
  /** Activation tensors that get a QuantizeLinear → DequantizeLinear pair. */
  tensors: string[];
  /** For MaxPool outputs: the tensor whose parameters they reuse (ONNX Runtime drops the pair only when equal). */
  sameAs: Map<string, string>;
  /** Conv nodes whose weights (and bias) are quantized. */
  convs: NodeProto[];
}

function opsetOf(model: ReturnType<typeof decodeModel>): number {
  const entry = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  return entry ? Number(entry.version) : 1;
}

function isQuantized(model: ReturnType<typeof decodeModel>): boolean {
  return (model.graph?.node ?? []).some((n) => n.opType === 'QuantizeLinear' || n.opType === 'DequantizeLinear' || n.opType?.startsWith('QLinear'));
}

/** Which tensors and weights to quantize: see the file comment; anything else stays float. */
function planOf(model: ReturnType<typeof decodeModel>): Plan {
  const graph = model.graph!;
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const constants = new Map(initializers);
  for (const n of graph.node ?? []) {
    const value = n.opType === 'Constant' ? n.attribute?.find((a) => a.name === 'value')?.t : undefined;
    if (value) constants.set(n.output![0]!, value);
  }
  const consumers = new Map<string, NodeProto[]>();
  for (const n of graph.node ?? []) for (const i of n.input ?? []) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const convs = (graph.node ?? []).filter((n) => {
    if (n.opType !== 'Conv') return false;
    const w = initializers.get(n.input?.[1] ?? '');
    const b = n.input?.[2] ? initializers.get(n.input[2]) : undefined;
    return w?.dataType === DataType.FLOAT && w.dims?.length === 4 && (!n.input?.[2] || b?.dataType === DataType.FLOAT);
  });
  const quantizedConvs = new Set(convs);
  const tensors = new Set<string>();
  const sameAs = new Map<string, string>();
  // a conv's output is quantized where it is written, or after the rectifier that is its only reader
  const quantizeOutput = (name: string): void => {
    const readers = consumers.get(name) ?? [];
    const only = readers.length === 1 ? readers[0]! : undefined;
    if (only && RECTIFIERS.has(only.opType ?? '') && rectifiesFromZero(only, constants)) tensors.add(only.output![0]!);
    else tensors.add(name);
  };
  for (const n of graph.node ?? []) {
    if (!INTEGER_OPS.has(n.opType ?? '') || (n.opType === 'Conv' && !quantizedConvs.has(n))) continue;
    const inputs = n.opType === 'Conv' ? [n.input![0]!] : (n.input ?? []).filter((i) => i && !initializers.has(i));
    for (const i of inputs) tensors.add(i);
    if (n.opType === 'MaxPool') {
      sameAs.set(n.output![0]!, n.input![0]!);
      tensors.add(n.output![0]!);
    } else quantizeOutput(n.output![0]!);
  }
  return { tensors: [...tensors], sameAs, convs };
}

/** A Relu, or a Clip whose lower bound is 0: its output range starts at 0 and its effect is the uint8 clamp. */
function rectifiesFromZero(node: NodeProto, constants: Map<string, TensorProto>): boolean {
  if (node.opType === 'Relu') return true;
  const min = node.input?.[1] ? constants.get(node.input[1]) : undefined;
  return min !== undefined && floatsOf(min)[0] === 0;
}

function floatsOf(t: TensorProto): Float32Array {
  if (t.rawData?.length) {
    const copy = new Uint8Array(t.rawData);
    return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
  }
  return Float32Array.from(t.floatData ?? []);
}

/**
 * The tensors whose ranges calibration must measure, and a copy of the model that outputs them (with its own
 * outputs first). Throws a QuantizeError for models this cannot quantize.
 */
export function calibrationModel(bytes: Uint8Array): { bytes: Uint8Array; tensors: string[] } {
  const model = decodeModel(bytes);
  if (!model.graph) throw new QuantizeError('the file holds no ONNX graph');
  if (isQuantized(model)) throw new QuantizeError('the backbone is already quantized; give the float model');
  const opset = opsetOf(model);
  if (opset < MIN_OPSET) throw new QuantizeError(`the backbone uses ONNX opset ${opset}; quantizing needs opset ${MIN_OPSET} or later: re-export it`);
  const plan = planOf(model);
  if (!plan.convs.length) throw new QuantizeError('the backbone has no convolution with constant float weights; there is nothing to quantize');
  const measured = plan.tensors.filter((t) => !plan.sameAs.has(t));
  exposeAsOutputs(model, measured);
  return { bytes: encodeModel(model), tensors: measured };
}

/** Widens `ranges` by one calibration batch's outputs. */
export function accumulateRanges(ranges: Map<string, ActivationRange>, tensors: readonly string[], values: Record<string, Float32Array>): void {
  for (const name of tensors) {
    const data = values[name];
    if (!data) continue;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const r = ranges.get(name);
    ranges.set(name, r ? { min: Math.min(r.min, min), max: Math.max(r.max, max) } : { min, max });
  }
}

interface QParams {
  scale: number;
  zeroPoint: number;
}

/** uint8, asymmetric, with 0 exactly representable (zero padding and rectified zeros stay exact). */
function activationParams(range: ActivationRange): QParams {
  const min = Math.min(0, range.min);
  const max = Math.max(0, range.max);
  const scale = max > min ? (max - min) / 255 : 1;
  return { scale, zeroPoint: Math.min(255, Math.max(0, Math.round(-min / scale))) };
}

export interface QuantizeSummary {
  convolutions: number;
  tensors: number;
  floatBytes: number;
  int8Bytes: number;
}

/** The QDQ model, from the float model and the ranges calibration measured for `calibrationModel`'s tensors. */
export function quantizeModel(bytes: Uint8Array, ranges: ReadonlyMap<string, ActivationRange>): { bytes: Uint8Array; summary: QuantizeSummary } {
  const model = decodeModel(bytes);
  const graph = model.graph!;
  const plan = planOf(model);
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const added: TensorProto[] = [];
  const weightNodes: NodeProto[] = [];
  const scalar = (name: string, dataType: number, value: number): string => {
    added.push(dataType === DataType.FLOAT ? { name, dataType, dims: [], floatData: [value] } : { name, dataType, dims: [], int32Data: [value] });
    return name;
  };
  const params = new Map<string, QParams & { names: [string, string] }>();
  const paramsOf = (tensor: string): QParams & { names: [string, string] } => {
    const source = plan.sameAs.get(tensor) ?? tensor;
    let p = params.get(source);
    if (!p) {
      const range = ranges.get(source);
      if (!range || !Number.isFinite(range.min) || !Number.isFinite(range.max)) throw new QuantizeError(`calibration measured no range for ${source}`);
      const q = activationParams(range);
      p = { ...q, names: [scalar(`${source}::scale`, DataType.FLOAT, q.scale), scalar(`${source}::zero_point`, DataType.UINT8, q.zeroPoint)] };
      params.set(source, p);
    }
    return p;
  };

  // weights: per output channel, symmetric; bias: int32 at the input's scale × the weight's
  for (const conv of plan.convs) {
    const w = initializers.get(conv.input![1]!)!;
    const values = floatsOf(w);
    const channels = Number(w.dims![0]);
    const per = values.length / channels;
    const scales = new Float32Array(channels);
    const q = new Int8Array(values.length);
    for (let c = 0; c < channels; c++) {
      let peak = 0;
      for (let i = 0; i < per; i++) peak = Math.max(peak, Math.abs(values[c * per + i]!));
      scales[c] = peak > 0 ? peak / WEIGHT_LEVELS : 1;
      for (let i = 0; i < per; i++) q[c * per + i] = Math.round(values[c * per + i]! / scales[c]!);
    }
    const name = `${w.name}::int8`;
    added.push(
      { name, dataType: DataType.INT8, dims: w.dims, rawData: new Uint8Array(q.buffer) },
      { name: `${name}::scale`, dataType: DataType.FLOAT, dims: [channels], rawData: new Uint8Array(scales.buffer) },
      { name: `${name}::zero_point`, dataType: DataType.INT8, dims: [channels], rawData: new Uint8Array(channels) },
    );
    weightNodes.push(dequantize(name, `${name}::scale`, `${name}::zero_point`, `${w.name}::dequantized`, 0));
    const input = paramsOf(conv.input![0]!);
    const inputs = [...conv.input!];
    inputs[1] = `${w.name}::dequantized`;
    if (conv.input![2]) {
      const b = initializers.get(conv.input![2])!;
      const bias = floatsOf(b);
      const biasScales = scales.map((s) => s * input.scale);
      const qb = Int32Array.from(bias, (v, c) => Math.round(v / biasScales[c]!));
      const bname = `${b.name}::int32`;
      added.push(
        { name: bname, dataType: DataType.INT32, dims: [channels], rawData: new Uint8Array(qb.buffer) },
        { name: `${bname}::scale`, dataType: DataType.FLOAT, dims: [channels], rawData: new Uint8Array(biasScales.buffer) },
        { name: `${bname}::zero_point`, dataType: DataType.INT32, dims: [channels], rawData: new Uint8Array(4 * channels) },
      );
      weightNodes.push(dequantize(bname, `${bname}::scale`, `${bname}::zero_point`, `${b.name}::dequantized`, 0));
      inputs[2] = `${b.name}::dequantized`;
    }
    conv.input = inputs;
  }

  // activations: the writer of T now writes T::float; Q → DQ gives T back to every reader and to the graph output
  const quantized = new Set(plan.tensors);
  const graphInputs = new Set((graph.input ?? []).map((i) => i.name ?? ''));
  const pairs = (tensor: string, source: string): NodeProto[] => {
    const p = paramsOf(tensor);
    return [
      { opType: 'QuantizeLinear', name: `${tensor}::quantize`, input: [source, ...p.names], output: [`${tensor}::uint8`] },
      dequantize(`${tensor}::uint8`, ...p.names, tensor),
    ];
  };
  const nodes: NodeProto[] = [...weightNodes];
  for (const input of graphInputs) {
    if (!quantized.has(input)) continue;
    // a graph input keeps its name; its readers are renamed to the dequantized copy
    for (const n of graph.node ?? []) n.input = (n.input ?? []).map((i) => (i === input ? `${input}::dequantized` : i));
    const p = paramsOf(input);
    nodes.push({ opType: 'QuantizeLinear', name: `${input}::quantize`, input: [input, ...p.names], output: [`${input}::uint8`] }, dequantize(`${input}::uint8`, ...p.names, `${input}::dequantized`));
  }
  for (const n of graph.node ?? []) {
    const outputs = (n.output ?? []).map((o) => (quantized.has(o) ? `${o}::float` : o));
    n.output = outputs;
    nodes.push(n);
    for (const o of outputs) if (o.endsWith('::float')) nodes.push(...pairs(o.slice(0, -'::float'.length), o));
  }
  const used = new Set(nodes.flatMap((n) => n.input ?? []));
  graph.node = nodes as typeof graph.node;
  graph.initializer = [...(graph.initializer ?? []), ...added].filter((t) => used.has(t.name ?? '')) as typeof graph.initializer;
  const out = encodeModel(model);
  return { bytes: out, summary: { convolutions: plan.convs.length, tensors: quantized.size, floatBytes: bytes.byteLength, int8Bytes: out.byteLength } };
}

function dequantize(input: string, scale: string, zeroPoint: string, output: string, axis?: number): NodeProto {
  return {
    opType: 'DequantizeLinear',
    name: `${output}::node`,
    input: [input, scale, zeroPoint],
    output: [output],
    ...(axis === undefined ? {} : { attribute: [{ name: 'axis', type: 2, i: axis }] }),
  };
}
