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

  for (let k = order.length - 1; k >= 0; k--) {
    const node = order[k]!;
    const g = grads.get(node);
    if (!g || node.isLeaf || !needs.has(node)) continue;
    const wanted = node.inputs.map((i) => needs.has(i));
    if (!wanted.some(Boolean)) continue;
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
  return new Map(targets.map((t) => [t, fitTo(grads.get(t) ?? op.scalar(t, 0), t.shape)]));
}
