// Writes a built graph as an ONNX ModelProto (opset 17). Graph inputs are the graph's named Input leaves (in the
// order given), constants become initializers (small ones shared by value), and each requested output is an
// Identity of its tensor under the output's name. Only what the outputs depend on is written.
import onnxProto from 'onnx-proto';
import { ONNX_DTYPE, type DType } from '../dtype.js';
import { topologicalOrder, type ConstantData, type Tensor } from '../graph.js';
import { EMITTERS, type EmitContext, type OnnxAttr } from './emitters.js';

const { onnx } = onnxProto;

export const OPSET = 17;

export interface GraphOutput {
  name: string;
  tensor: Tensor;
}

export interface SerializeOptions {
  name: string;
  /** Input leaves in the order the ONNX graph lists them; defaults to every input the outputs use. */
  inputs?: readonly Tensor[];
  outputs: readonly GraphOutput[];
  docString?: string;
  metadata?: Record<string, string>;
}

function bytesOf(data: ConstantData): Uint8Array {
  if (data instanceof Uint8Array) return data;
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function valueInfo(name: string, shape: readonly number[], dtype: DType): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: ONNX_DTYPE[dtype], shape: { dim: shape.map((d) => ({ dimValue: d })) } } },
  };
}

function attribute(name: string, value: OnnxAttr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') return { name, type: T.INT, i: value };
  if (Array.isArray(value)) return { name, type: T.INTS, ints: [...(value as number[])] };
  if ('float' in (value as object)) return { name, type: T.FLOAT, f: (value as { float: number }).float };
  return { name, type: T.FLOATS, floats: [...(value as { floats: number[] }).floats] };
}

export function toModelProto(options: SerializeOptions): Uint8Array {
  const roots = options.outputs.map((o) => o.tensor);
  const order = topologicalOrder(roots);
  const nodes: onnxProto.onnx.INodeProto[] = [];
  const initializers: onnxProto.onnx.ITensorProto[] = [];
  const shared = new Map<string, string>();
  const names = new Map<Tensor, string>();
  let counter = 0;

  const addInitializer = (data: ConstantData, shape: readonly number[], dtype: DType): string => {
    const bytes = bytesOf(data);
    const key = bytes.length <= 128 ? `${dtype}:${shape.join('x')}:${Buffer.from(bytes).toString('base64')}` : null;
    if (key && shared.has(key)) return shared.get(key)!;
    const name = `const_${counter++}`;
    initializers.push({ name, dims: [...shape], dataType: ONNX_DTYPE[dtype], rawData: bytes });
    if (key) shared.set(key, name);
    return name;
  };

  const ctx: EmitContext = {
    node(opType, inputs, outputs, attrs = {}) {
      nodes.push({
        opType,
        input: [...inputs],
        output: [...outputs],
        name: `${opType}_${nodes.length}`,
        attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      });
    },
    int64: (values) => addInitializer(BigInt64Array.from(values.map((v) => BigInt(v))), [values.length], 'int64'),
    int64Scalar: (value) => addInitializer(BigInt64Array.of(BigInt(value)), [], 'int64'),
    floatScalar: (like, value) =>
      addInitializer(like.dtype === 'float64' ? Float64Array.of(value) : Float32Array.of(value), [], like.dtype),
    temp: () => `tmp_${counter++}`,
  };

  const usedInputs: Tensor[] = [];
  for (const t of order) {
    if (t.op === 'Input') {
      names.set(t, t.name!);
      usedInputs.push(t);
    } else if (t.op === 'Constant') {
      names.set(t, addInitializer(t.data!, t.shape, t.dtype));
    } else {
      const emit = EMITTERS[t.op];
      if (!emit) throw new Error(`no ONNX emitter for primitive ${t.op}`);
      const output = `v${t.id}`;
      names.set(t, output);
      emit(t, t.inputs.map((i) => names.get(i)!), output, ctx);
    }
  }
  for (const { name, tensor } of options.outputs) ctx.node('Identity', [names.get(tensor)!], [name]);

  const inputs = options.inputs ?? usedInputs;
  const model: onnxProto.onnx.IModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'defect-workbench',
    producerVersion: '1',
    docString: options.docString ?? '',
    metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: options.name,
      node: nodes,
      initializer: initializers,
      input: inputs.map((t) => valueInfo(t.name!, t.shape, t.dtype)),
      output: options.outputs.map(({ name, tensor }) => valueInfo(name, tensor.shape, tensor.dtype)),
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(model)).finish();
}

/** FLOPs of the matrix products in what the outputs depend on (for benchmarks). */
export function countMatmulFlops(outputs: readonly Tensor[], flopsOf: (t: Tensor) => number): number {
  return topologicalOrder(outputs).reduce((sum, t) => sum + flopsOf(t), 0);
}
