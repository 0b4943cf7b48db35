// The engine's graphs as onnxruntime's WebGPU provider can run them whole. A node that provider has no kernel for
// runs on the CPU, and its tensors cross the bus both ways each run: in the paper preset's step the synthetic-anomaly
// noise (hashNoise.ts) is drawn over 200 M elements, and its uint32 BitShift nodes and int64 Range have no WebGPU
// kernel (in the versions of onnxruntime's WebGPU kernel registry read: Add/Mul/Div for float, float16, int32 and
// uint32, no BitShift, Range for float and int32 only). They are rewritten here into ops it has, with the same bits: a uint32 shift right by
// k is a division by 2^k (both truncate), a shift left a product (both wrap modulo 2³²), and a Range whose bounds fit
// int32 counts in int32 for the Cast that reads it. Sign (the gradient of Abs, in the loss's softplus) has no WebGPU
// kernel either; in a float32 graph it becomes Where(x > 0, 1, Where(x < 0, −1, 0)). The canonical graph keeps BitShift: on the CPU a shift is one
// instruction where an integer division is tens, so only a session on the WebGPU provider is given this form.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const { DataType } = onnx.TensorProto;
type TensorProto = onnxProto.onnx.ITensorProto;

/** The graph with BitShift and int64 Range rewritten as above; the bytes unchanged when it has neither. */
export function lowerForWebGpu(bytes: Uint8Array): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph!;
  const nodes = graph.node!;
  if (!nodes.some((n) => n.opType === 'BitShift' || n.opType === 'Range' || n.opType === 'Sign')) return bytes;
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name!, t]));
  const producers = new Map(nodes.flatMap((n) => (n.output ?? []).map((o) => [o, n] as const)));
  const consumers = new Map<string, onnxProto.onnx.INodeProto[]>();
  for (const n of nodes) for (const i of n.input ?? []) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  let fresh = 0;
  const added: TensorProto[] = [];
  const constant = (dataType: number, values: number[], dims: number[] = []) => {
    const raw = new Uint8Array(4 * values.length);
    const view = new DataView(raw.buffer);
    values.forEach((v, i) =>
      dataType === DataType.INT32 ? view.setInt32(4 * i, v, true) : dataType === DataType.FLOAT ? view.setFloat32(4 * i, v, true) : view.setUint32(4 * i, v, true),
    );
    const name = `webgpu_lowering_${fresh++}`;
    added.push({ name, dataType, dims, rawData: raw });
    return name;
  };
  // Sign's constants are float32: a graph that holds float64 anywhere (gradient checks, never run on WebGPU) keeps it
  const float32Only = ![...(graph.input ?? []), ...(graph.output ?? [])].some((v) => v.type?.tensorType?.elemType === DataType.DOUBLE) &&
    !(graph.initializer ?? []).some((t) => t.dataType === DataType.DOUBLE);
  const rewritten: onnxProto.onnx.INodeProto[] = [];
  let changed = false;
  for (const node of nodes) {
    if (node.opType === 'Sign' && float32Only) {
      const x = node.input![0]!;
      const name = (what: string) => `${node.output![0]}_webgpu_${what}`;
      const [zero, one, minusOne] = [constant(DataType.FLOAT, [0]), constant(DataType.FLOAT, [1]), constant(DataType.FLOAT, [-1])];
      rewritten.push(
        { opType: 'Greater', input: [x, zero], output: [name('positive')], name: name('greater') },
        { opType: 'Less', input: [x, zero], output: [name('negative')], name: name('less') },
        { opType: 'Where', input: [name('negative'), minusOne, zero], output: [name('nonpositive')], name: name('where_negative') },
        { opType: 'Where', input: [name('positive'), one, name('nonpositive')], output: [node.output![0]!], name: name('where_positive') },
      );
      changed = true;
      continue;
    }
    rewritten.push(node);
    if (node.opType === 'BitShift') {
      const bits = scalarOf(node.input![1]!, initializers, producers);
      if (bits === null || !Number.isInteger(bits) || bits < 0 || bits > 31) continue;
      const right = node.attribute?.find((a) => a.name === 'direction')?.s;
      node.opType = right && new TextDecoder().decode(right) === 'RIGHT' ? 'Div' : 'Mul';
      node.attribute = [];
      node.input = [node.input![0]!, constant(DataType.UINT32, [2 ** bits >>> 0])];
      changed = true;
    } else if (node.opType === 'Range') {
      const bounds = node.input!.map((i) => initializers.get(i));
      const values = node.input!.map((i) => scalarOf(i, initializers, producers));
      const int64 = bounds.every((t) => t?.dataType === DataType.INT64);
      const fits = values.every((v) => v !== null && Number.isInteger(v) && Math.abs(v) < 2 ** 31);
      const readByCasts = (consumers.get(node.output![0]!) ?? []).every((c) => c.opType === 'Cast');
      if (!int64 || !fits || !readByCasts) continue;
      node.input = values.map((v) => constant(DataType.INT32, [v!]));
      changed = true;
    }
  }
  if (!changed) return bytes;
  graph.node = rewritten;
  graph.initializer = [...(graph.initializer ?? []), ...added];
  return onnx.ModelProto.encode(model).finish();
}

/** The value of a scalar that is an initializer, or a Cast of one; null otherwise. */
function scalarOf(name: string, initializers: Map<string, TensorProto>, producers: Map<string, onnxProto.onnx.INodeProto>): number | null {
  const cast = producers.get(name);
  const source = cast?.opType === 'Cast' ? cast.input![0]! : name;
  const t = initializers.get(source);
  if (!t || (t.dims ?? []).reduce((a, b) => a * Number(b), 1) !== 1) return null;
  if (t.rawData && t.rawData.length) {
    const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    if (t.dataType === DataType.INT64) return Number(view.getBigInt64(0, true));
    if (t.dataType === DataType.INT32) return view.getInt32(0, true);
    if (t.dataType === DataType.UINT32) return view.getUint32(0, true);
    return null;
  }
  if (t.dataType === DataType.INT64 && t.int64Data?.length) return Number(t.int64Data[0]);
  if (t.dataType === DataType.INT32 && t.int32Data?.length) return t.int32Data[0]!;
  if (t.dataType === DataType.UINT32 && t.uint64Data?.length) return Number(t.uint64Data[0]);
  return null;
}
