// The symbolic tensor: one node of a computation graph, with a static shape and dtype known when it is built.
// Leaves are graph inputs (batch data, parameters, optimizer state) and constants; every other tensor is a
// primitive op applied to earlier tensors. Nothing here computes: graphs are serialized to ONNX and run there.
import type { DType } from './dtype.js';
import type { Shape } from './shape.js';

export type AttrValue = number | string | readonly number[];
export type Attrs = Readonly<Record<string, AttrValue>>;
export type ConstantData = Float32Array | Float64Array | BigInt64Array | Uint8Array;

export class Tensor {
  constructor(
    readonly graph: Graph,
    readonly id: number,
    /** A primitive's name, or 'Input' / 'Constant' for leaves. */
    readonly op: string,
    readonly inputs: readonly Tensor[],
    readonly attrs: Attrs,
    readonly shape: Shape,
    readonly dtype: DType,
    /** Leaves only: the graph input's name. */
    readonly name?: string,
    /** Constants only. */
    readonly data?: ConstantData,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  get isLeaf(): boolean {
    return this.op === 'Input' || this.op === 'Constant';
  }

  toString(): string {
    return `${this.name ?? this.op}#${this.id}[${this.shape.join('×')} ${this.dtype}]`;
  }
}

/** Owns node ids and the named inputs of one graph under construction. */
export class Graph {
  private nextId = 0;
  private readonly namedInputs = new Map<string, Tensor>();

  input(name: string, shape: Shape, dtype: DType): Tensor {
    if (this.namedInputs.has(name)) throw new Error(`graph input "${name}" is declared twice`);
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new Error(`graph input "${name}" has an invalid shape [${shape.join(', ')}]`);
    }
    const tensor = new Tensor(this, this.nextId++, 'Input', [], {}, [...shape], dtype, name);
    this.namedInputs.set(name, tensor);
    return tensor;
  }

  constant(data: ConstantData, shape: Shape, dtype: DType): Tensor {
    const size = shape.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new Error(`constant of shape [${shape.join(', ')}] needs ${size} values, got ${data.length}`);
    return new Tensor(this, this.nextId++, 'Constant', [], {}, [...shape], dtype, undefined, data);
  }

  /** Creates a primitive's node; only ops.ts calls this, after checking shapes. */
  node(op: string, inputs: readonly Tensor[], attrs: Attrs, shape: Shape, dtype: DType): Tensor {
    for (const input of inputs) {
      if (input.graph !== this) throw new Error(`${op}: an input belongs to another graph`);
    }
    return new Tensor(this, this.nextId++, op, inputs, attrs, [...shape], dtype);
  }

  get inputs(): ReadonlyMap<string, Tensor> {
    return this.namedInputs;
  }
}

/** Every tensor the outputs depend on, inputs before the tensors that use them. */
export function topologicalOrder(outputs: readonly Tensor[]): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // iterative post-order DFS: deep graphs (a long training step) must not overflow the JS stack
  const stack: { tensor: Tensor; next: number }[] = [];
  for (const root of outputs) {
    if (visited.has(root)) continue;
    visited.add(root);
    stack.push({ tensor: root, next: 0 });
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const child = top.tensor.inputs[top.next++];
      if (child === undefined) {
        order.push(top.tensor);
        stack.pop();
      } else if (!visited.has(child)) {
        visited.add(child);
        stack.push({ tensor: child, next: 0 });
      }
    }
  }
  return order;
}
