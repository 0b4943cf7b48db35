// A small builder for hand-written ONNX graphs (the camera-image preprocessing, the map post-processing, the
// exported pipeline) on onnx-proto, the same library the engine serializes with. Names are prefixed per builder so
// sub-graphs built apart can be merged into one graph without collisions.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
export type ModelProto = onnxProto.onnx.IModelProto;
export const DataType = onnx.TensorProto.DataType;

/** Opset of every graph built here: Resize's `antialias` (the camera-image resize) needs 18. */
export const PIPELINE_OPSET = 18;

type Attr = number | string | number[] | { float: number } | { floats: number[] };

function attribute(name: string, value: Attr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') return { name, type: T.INT, i: value };
  if (Array.isArray(value)) return { name, type: T.INTS, ints: [...value] };
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  return { name, type: T.FLOATS, floats: [...value.floats] };
}

export function tensorInfo(name: string, elemType: number, dims: readonly (number | string)[]): ValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private counter = 0;

  constructor(readonly prefix: string) {}

  /** A fresh tensor name inside this builder's namespace. */
  name(hint = 't'): string {
    return `${this.prefix}${hint}_${this.counter++}`;
  }

  node(opType: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, outputs = 1): string[] {
    const out = Array.from({ length: outputs }, () => this.name(opType.toLowerCase()));
    this.nodes.push({
      opType,
      input: [...inputs],
      output: out,
      name: this.name(`${opType}_node`),
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return out;
  }

  /** One-output node (the common case). */
  op(opType: string, inputs: readonly string[], attrs: Record<string, Attr> = {}): string {
    return this.node(opType, inputs, attrs)[0]!;
  }

  /** A node whose output gets an exact (unprefixed) name: graph outputs. */
  named(opType: string, inputs: readonly string[], output: string, attrs: Record<string, Attr> = {}): string {
    this.nodes.push({ opType, input: [...inputs], output: [output], name: this.name(`${opType}_node`), attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
    return output;
  }

  float(values: number[] | Float32Array, dims: readonly number[] = [values.length], name?: string): string {
    const data = Float32Array.from(values);
    const id = name ?? this.name('f');
    this.initializers.push({ name: id, dims: [...dims], dataType: DataType.FLOAT, rawData: new Uint8Array(data.buffer) });
    return id;
  }

  int64(values: number[], dims: readonly number[] = [values.length]): string {
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    const id = this.name('i');
    this.initializers.push({ name: id, dims: [...dims], dataType: DataType.INT64, rawData: new Uint8Array(data.buffer) });
    return id;
  }
}

export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(model)).finish();
}

/** Makes intermediate float tensors of `model` graph outputs too (to read them in a run); names already there are kept. */
export function exposeAsOutputs(model: onnxProto.onnx.ModelProto, names: readonly string[]): void {
  const graph = model.graph!;
  graph.output ??= [];
  const known = new Set([...graph.output, ...(graph.input ?? [])].map((o) => o.name));
  for (const name of names) {
    if (known.has(name)) continue;
    graph.output.push(onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: DataType.FLOAT } } }));
    known.add(name);
  }
}

export function decodeModel(bytes: Uint8Array): onnxProto.onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}

export function modelOf(
  builder: GraphBuilder,
  graph: { name: string; inputs: ValueInfoProto[]; outputs: ValueInfoProto[]; metadata?: Record<string, string>; docString?: string },
): ModelProto {
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: PIPELINE_OPSET }],
    producerName: 'defect-workbench',
    producerVersion: '1',
    docString: graph.docString ?? '',
    metadataProps: Object.entries(graph.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: { name: graph.name, node: builder.nodes, initializer: builder.initializers, input: graph.inputs, output: graph.outputs },
  };
}
