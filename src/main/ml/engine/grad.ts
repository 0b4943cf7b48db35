// Reverse-mode differentiation over a built graph: emits the gradient nodes of a scalar loss with respect to the
// requested targets into the same graph. Only nodes that lie between the loss and a target are visited, so a
// frozen path (the backbone) gets no backward graph; gradients reaching a node twice are summed; a gradient that
// was broadcast is summed back to its input's shape here, once, for every op.
import { fitTo, reduceTo } from './broadcastGrad.js';
import { topologicalOrder, type Tensor } from './graph.js';
import * as op from './ops.js';
import { PRIMITIVES } from './ops.js';
import { isFloat } from './dtype.js';
import { formatShape, sizeOf } from './shape.js';
import { VJP } from './vjp.js';

/**
 * Ops whose rule accepts an upstream gradient of any shape that broadcasts to the op's output: elementwise rules
 * written with broadcasting ops. Every other rule receives the gradient expanded to the output's exact shape.
 */
const TAKES_BROADCAST_GRADIENT = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Where', 'Neg', 'Exp', 'Log', 'Abs', 'Sqrt', 'Relu', 'Sigmoid',
  'LeakyRelu', 'Clip', 'Identity', 'Cast', 'Expand',
]);

export class GradientError extends Error {
  override readonly name = 'GradientError';
}

/**
 * d loss / d target for every target. A target the loss does not depend on gets zeros. `seed` is the upstream
 * gradient for a non-scalar `loss` (defaults to 1 for a scalar).
 */
export function gradients(loss: Tensor, targets: readonly Tensor[], seed?: Tensor): Map<Tensor, Tensor> {
  if (!seed && sizeOf(loss.shape) !== 1) {
    throw new GradientError(`gradients: the loss must be a scalar, got shape ${formatShape(loss.shape)}; pass a seed gradient for other outputs`);
  }
  const order = topologicalOrder([loss]);
  // tensors that depend on a target (forward reachability): only they need gradients
  const needs = new Set<Tensor>(targets);
  for (const t of order) {
    // a bool or integer tensor (a comparison, a cast to bool) carries no gradient, whatever it depends on
    if (!needs.has(t) && isFloat(t.dtype) && t.inputs.some((i) => needs.has(i)) && !PRIMITIVES[t.op]?.cutsGradient) needs.add(t);
  }
  const grads = new Map<Tensor, Tensor>();
  grads.set(loss, seed ?? op.reshape(op.scalar(loss, 1), loss.shape));
  // gradients of slices, kept unpadded until every consumer of the sliced tensor has been visited
  const slices = new Map<Tensor, SlicePiece[]>();
  const gradientOf = (t: Tensor): Tensor | undefined => {
    const pieces = slices.get(t);
    if (!pieces) return grads.get(t);
    slices.delete(t);
    const previous = grads.get(t);
    const merged = mergeSliceGradients(t, pieces);
    grads.set(t, previous ? op.add(previous, merged) : merged);
    return grads.get(t);
  };

  for (let k = order.length - 1; k >= 0; k--) {
    const node = order[k]!;
    const g = gradientOf(node);
    if (!g || node.isLeaf || !needs.has(node)) continue;
    const wanted = node.inputs.map((i) => needs.has(i));
    if (!wanted.some(Boolean)) continue;
    if (node.op === 'Slice' && (node.attrs.axes as number[]).length === 1) {
      const input = node.inputs[0]!;
      const piece = { axis: (node.attrs.axes as number[])[0]!, start: (node.attrs.starts as number[])[0]!, end: (node.attrs.ends as number[])[0]!, g: fitTo(g, node.shape) };
      slices.set(input, [...(slices.get(input) ?? []), piece]);
      continue;
    }
    const rule = VJP[node.op];
    if (!rule || !PRIMITIVES[node.op]?.differentiable) {
      throw new GradientError(`gradients: ${node.op} has no gradient, but ${node} lies between the loss and a trained tensor; cut the path with stopGradient if it is meant to be frozen`);
    }
    const upstream = TAKES_BROADCAST_GRADIENT.has(node.op) ? g : fitTo(g, node.shape);
    const inputGrads = rule(upstream, node, node.inputs, node.attrs);
    if (inputGrads.length !== node.inputs.length) throw new GradientError(`gradients: the rule of ${node.op} returned ${inputGrads.length} gradients for ${node.inputs.length} inputs`);
    node.inputs.forEach((input, i) => {
      const gi = inputGrads[i];
      if (!wanted[i] || !gi) return;
      const shaped = reduceTo(gi, input.shape);
      const previous = grads.get(input);
      grads.set(input, previous ? op.add(previous, shaped) : shaped);
    });
  }
  return new Map(targets.map((t) => [t, fitTo(gradientOf(t) ?? op.scalar(t, 0), t.shape)]));
}

interface SlicePiece {
  axis: number;
  start: number;
  end: number;
  g: Tensor;
}

/**
 * The gradient of a tensor read through slices. Slices that tile an axis without overlapping (a tensor cut into
 * parts, such as the taps of a convolution written as one matrix product) get one Concat of their gradients, with
 * zeros for the parts nobody read; summing one zero-padded copy of the whole tensor per slice would cost as many
 * full-size writes as there are slices. Overlapping slices are padded and summed.
 */
function mergeSliceGradients(x: Tensor, pieces: readonly SlicePiece[]): Tensor {
  const byAxis = new Map<number, SlicePiece[]>();
  for (const p of pieces) byAxis.set(p.axis, [...(byAxis.get(p.axis) ?? []), p]);
  const sums: Tensor[] = [];
  for (const [axis, group] of byAxis) {
    const sorted = [...group].sort((a, b) => a.start - b.start);
    const overlaps = sorted.some((p, i) => i > 0 && p.start < sorted[i - 1]!.end);
    if (overlaps) {
      for (const p of sorted) sums.push(VJP.Slice!(p.g, p.g, [x], { axes: [axis], starts: [p.start], ends: [p.end] })[0]!);
      continue;
    }
    const parts: Tensor[] = [];
    const zeros = (length: number) => op.expand(op.scalar(x, 0), x.shape.map((d, i) => (i === axis ? length : d)));
    let cursor = 0;
    for (const p of sorted) {
      if (p.start > cursor) parts.push(zeros(p.start - cursor));
      parts.push(p.g);
      cursor = p.end;
    }
    if (cursor < x.shape[axis]!) parts.push(zeros(x.shape[axis]! - cursor));
    sums.push(parts.length === 1 ? parts[0]! : op.concat(parts, axis));
  }
  return sums.reduce((a, b) => op.add(a, b));
}
