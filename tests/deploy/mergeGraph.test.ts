// Merging a model into the export graph: names prefixed, inputs rewired, attributes of older opsets moved to inputs
// (checked by running the merged graph in ONNX Runtime against the source model), and a clear refusal of what the
// export cannot merge.
import onnxProto from 'onnx-proto';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { appendModel, MergeError } from '../../src/main/ml/pipeline/mergeGraph.js';
import { DataType, encodeModel, GraphBuilder, modelOf, tensorInfo } from '../../src/main/ml/pipeline/protoGraph.js';

const { onnx } = onnxProto;

/** x [2, 3, 4] → ReduceMean over axes 1 and 2 (an attribute before opset 18), then Unsqueeze, at the given opset. */
function sourceModel(opset: number, extra: Partial<onnxProto.onnx.INodeProto> = {}): Uint8Array {
  const unsqueeze: onnxProto.onnx.INodeProto =
    opset < 13
      ? { opType: 'Unsqueeze', input: ['m'], output: ['y'], attribute: [{ name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [1] }] }
      : { opType: 'Unsqueeze', input: ['m', 'axes1'], output: ['y'] };
  return onnx.ModelProto.encode(
    onnx.ModelProto.fromObject({
      irVersion: 7,
      opsetImport: [{ domain: '', version: opset }],
      graph: {
        name: 'source',
        node: [
          { opType: 'ReduceMean', input: ['x'], output: ['m'], attribute: [{ name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 2] }, { name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }], ...extra },
          unsqueeze,
        ],
        initializer: opset < 13 ? [] : [{ name: 'axes1', dims: [1], dataType: DataType.INT64, rawData: new Uint8Array(BigInt64Array.of(1n).buffer) }],
        input: [tensorInfo('x', DataType.FLOAT, [2, 3, 4])],
        output: [tensorInfo('y', DataType.FLOAT, [2, 1])],
      },
    }),
  ).finish();
}

async function run(bytes: Uint8Array, x: Float32Array, input = 'x', output = 'y'): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    return (await session.run({ [input]: new ort.Tensor('float32', x, [2, 3, 4]) }))[output]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe('merging a model into the export graph', () => {
  const x = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i) * 3);

  for (const opset of [11, 17]) {
    it(`raises opset ${opset} to the pipeline's opset and computes what the source computes`, async () => {
      const g = new GraphBuilder('');
      const doubled = g.op('Add', ['image', 'image']);
      const merged = appendModel(g, sourceModel(opset), 'm/', { x: doubled }, 'the test model');
      expect(merged.opset).toBe(opset);
      expect(merged.outputs.y).toBe('m/y');
      g.named('Identity', [merged.outputs.y!], 'out');
      expect(g.nodes.every((n) => n.opType !== 'ReduceMean' || !(n.attribute ?? []).some((a) => a.name === 'axes'))).toBe(true);
      const bytes = encodeModel(modelOf(g, { name: 't', inputs: [tensorInfo('image', DataType.FLOAT, [2, 3, 4])], outputs: [tensorInfo('out', DataType.FLOAT, [2, 1])] }));
      const expected = await run(sourceModel(opset), x.map((v) => 2 * v));
      expect(Array.from(await run(bytes, x, 'image', 'out'))).toEqual(Array.from(expected));
    });
  }

  it('refuses what it cannot merge, saying what and why', () => {
    expect(() => appendModel(new GraphBuilder(''), sourceModel(10), 'm/', { x: 'a' }, 'the backbone')).toThrow(new MergeError('the backbone uses ONNX opset 10; the workbench merges opset 11 to 18: re-export it within that range'));
    expect(() => appendModel(new GraphBuilder(''), sourceModel(17), 'm/', {}, 'the backbone')).toThrow(/no tensor given for its input x/);
    const withSubgraph = sourceModel(17, { attribute: [{ name: 'body', type: onnx.AttributeProto.AttributeType.GRAPH, g: { name: 'sub' } }] });
    expect(() => appendModel(new GraphBuilder(''), withSubgraph, 'm/', { x: 'a' }, 'the backbone')).toThrow(/subgraph/);
  });
});
