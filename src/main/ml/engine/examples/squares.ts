// A task whose answer is known, for checking the engine end to end: find bright squares in noisy images. Each
// image is Gaussian noise with one square of raised intensity; the target is the square's pixel mask. A small
// conv net with batch norm learns it to near-perfect pixel accuracy within a few hundred steps.
import { seededRandom, standardNormal } from '../../../util/random.js';
import { convBn, conv } from '../nn/layers.js';
import { binaryCrossEntropyWithLogits } from '../nn/losses.js';
import type { ModelDefinition } from '../model.js';
import * as op from '../ops.js';

export const SQUARES_SIZE = 16;

export function squaresModel(batch: number, width = 8): ModelDefinition {
  const size = SQUARES_SIZE;
  return {
    name: 'squares',
    inputs: [{ name: 'image', shape: [batch, 1, size, size] }],
    targets: [{ name: 'mask', shape: [batch, 1, size, size] }],
    forward(m, { image, mask }) {
      let h = op.leakyRelu(convBn(m, 'block1', image!, { out: width, kernel: 3, group: 'body' }), 0.2);
      h = op.leakyRelu(convBn(m, 'block2', h, { out: width, kernel: 3, group: 'body' }), 0.2);
      const logits = conv(m, 'head', h, { out: 1, kernel: 1, group: 'head' });
      if (m.mode === 'infer') return { outputs: { logits } };
      const loss = binaryCrossEntropyWithLogits(logits, mask!);
      return { loss, terms: { bce: loss }, outputs: { logits } };
    },
  };
}

/** Batch number `index` of the task: the same index always gives the same images. */
export function squaresBatch(batch: number, index: number): { image: Float32Array; mask: Float32Array } {
  const size = SQUARES_SIZE;
  const random = seededRandom(1_000_003 * (index + 1));
  const image = new Float32Array(batch * size * size);
  const mask = new Float32Array(batch * size * size);
  for (let b = 0; b < batch; b++) {
    const side = 3 + Math.floor(random() * 4);
    const top = Math.floor(random() * (size - side));
    const left = Math.floor(random() * (size - side));
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const i = b * size * size + y * size + x;
        const inside = y >= top && y < top + side && x >= left && x < left + side;
        const noise = standardNormal(random) * 0.35;
        image[i] = noise + (inside ? 1 : 0);
        mask[i] = inside ? 1 : 0;
      }
    }
  }
  return { image, mask };
}
