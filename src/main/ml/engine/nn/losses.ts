// Losses and numerically careful activations, composed from primitives.
import type { Tensor } from '../graph.js';
import * as op from '../ops.js';

/** log(1 + eˣ) without overflow: max(x, 0) + log(1 + e^-|x|). */
export function softplus(x: Tensor): Tensor {
  return op.add(op.relu(x), op.log(op.add(op.exp(op.neg(op.abs(x))), 1)));
}

/** Mean binary cross-entropy of logits against 0/1 targets, from softplus so large logits stay exact. */
export function binaryCrossEntropyWithLogits(logits: Tensor, targets: Tensor): Tensor {
  // -[t·log σ(x) + (1-t)·log(1-σ(x))] = softplus(x) - t·x
  return op.reduceMean(op.sub(softplus(logits), op.mul(targets, logits)));
}

/**
 * Focal loss (Lin et al.) of logits against 0/1 targets, mean over elements:
 * -α_t (1-p_t)^γ log p_t, with log p_t = -softplus(-z_t) where z_t = x for t = 1 and -x for t = 0.
 */
export function focalLossWithLogits(logits: Tensor, targets: Tensor, options: { alpha?: number; gamma?: number } = {}): Tensor {
  const gamma = options.gamma ?? 2;
  const signed = op.mul(logits, op.sub(op.mul(targets, 2), 1)); // z_t
  const logPt = op.neg(softplus(op.neg(signed)));
  const pt = op.exp(logPt);
  const modulator = gamma === 0 ? null : op.pow(op.clip(op.sub(1, pt), 0, 1), gamma);
  let loss = op.neg(modulator ? op.mul(modulator, logPt) : logPt);
  if (options.alpha !== undefined) {
    const alphaT = op.add(op.mul(targets, 2 * options.alpha - 1), 1 - options.alpha);
    loss = op.mul(alphaT, loss);
  }
  return op.reduceMean(loss);
}
