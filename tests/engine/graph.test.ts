import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { gradients } from '../../src/main/ml/engine/grad.js';
import { Graph } from '../../src/main/ml/engine/graph.js';
import { toModelProto } from '../../src/main/ml/engine/onnx/serialize.js';
import * as op from '../../src/main/ml/engine/ops.js';

describe('graph builder', () => {
  it('infers shapes at build time and names the op and shapes when they do not fit', () => {
    const g = new Graph();
    const x = g.input('x', [2, 3, 8, 8], 'float32');
    const w = g.input('w', [4, 5, 3, 3], 'float32');
    expect(() => op.conv2d(x, w)).toThrow(/^Conv: input has 3 channels, the weight expects 5 \(inputs \[2, 3, 8, 8\] float32, \[4, 5, 3, 3\] float32\)/);
    expect(() => op.add(x, g.input('y', [3, 7], 'float32'))).toThrow(/Add: shapes do not broadcast \(inputs \[2, 3, 8, 8\] float32, \[3, 7\] float32\)/);
    expect(() => op.matmul(g.input('a', [2, 3], 'float32'), g.input('b', [4, 5], 'float32'))).toThrow(/MatMul: inner dimensions differ/);
    expect(() => op.add(x, g.input('d', [2, 3, 8, 8], 'float64'))).toThrow(/Add: needs inputs of one dtype/);
    expect(() => op.reshape(x, [5, -1])).toThrow(/Reshape: cannot reshape \[2, 3, 8, 8\] to \[5, -1\]/);
    expect(op.conv2d(x, g.input('w2', [6, 3, 3, 3], 'float32'), undefined, 1).shape).toEqual([2, 6, 8, 8]);
    expect(op.reduceMean(x, [1, 2], true).shape).toEqual([2, 1, 1, 8]);
    expect(op.resizeBilinear(x, [16, 12]).shape).toEqual([2, 3, 16, 12]);
  });

  it('refuses to differentiate through an op without a gradient, naming it, unless the path is cut', () => {
    const g = new Graph();
    const image = g.input('image', [1, 3, 4, 4], 'float32');
    const w = g.input('w', [2, 3, 1, 1], 'float32');
    const loss = op.reduceSum(op.resizeBilinear(op.conv2d(image, w), [8, 8]));
    expect(() => gradients(loss, [w])).toThrow(/Resize has no gradient, but .* lies between the loss and a trained tensor/);
    // a frozen path (the backbone) in front of the trained part needs no gradient and gets no backward nodes
    const frozen = op.resizeBilinear(image, [8, 8]);
    const trained = op.reduceSum(op.conv2d(frozen, w));
    expect(gradients(trained, [w]).get(w)!.shape).toEqual([2, 3, 1, 1]);
    // stopGradient cuts a path on purpose: the loss then does not depend on w at all, so its gradient is 0
    expect(gradients(op.reduceSum(op.stopGradient(op.conv2d(image, w))), [w]).get(w)!.op).toBe('Expand');
  });

  it('serializes to an ONNX model of opset 17 with the declared inputs and outputs', () => {
    const g = new Graph();
    const x = g.input('x', [2, 3], 'float32');
    const y = op.sigmoid(op.add(x, 1));
    const bytes = toModelProto({ name: 'tiny', inputs: [x], outputs: [{ name: 'y', tensor: y }] });
    const model = onnxProto.onnx.ModelProto.decode(bytes);
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
    const graph = model.graph as onnxProto.onnx.GraphProto;
    expect(graph.input.map((i) => i.name)).toEqual(['x']);
    expect(graph.output.map((o) => o.name)).toEqual(['y']);
    expect(graph.node.map((n) => n.opType)).toEqual(['Add', 'Sigmoid', 'Identity']);
  });
});
