// Gradients and broadcasting, in one place. A gradient may be kept in any shape that broadcasts to its tensor's
// shape (a per-channel gradient stays [1, C, 1, 1] instead of being copied out to the full activation): elementwise
// rules consume it as it is, and it is expanded only where an op needs the full shape.
import type { Tensor } from './graph.js';
import * as op from './ops.js';

/**
 * Sums `g` over the axes where it is larger than `shape` (leading axes `shape` lacks, and axes where `shape` has
 * size 1). The result has `shape`'s rank and broadcasts to it, but may still be smaller.
 */
export function reduceTo(g: Tensor, shape: readonly number[]): Tensor {
  const offset = g.rank - shape.length;
  const axes: number[] = [];
  g.shape.forEach((d, i) => {
    if (i < offset || (shape[i - offset] === 1 && d !== 1)) axes.push(i);
  });
  const summed = axes.length ? op.reduceSum(g, axes, true) : g;
  if (offset <= 0) return summed;
  return op.reshape(summed, summed.shape.slice(offset));
}

/** `g` summed or expanded to exactly `shape`. */
export function fitTo(g: Tensor, shape: readonly number[]): Tensor {
  const reduced = reduceTo(g, shape);
  const same = reduced.rank === shape.length && reduced.shape.every((d, i) => d === shape[i]);
  return same ? reduced : op.expand(reduced, shape);
}
