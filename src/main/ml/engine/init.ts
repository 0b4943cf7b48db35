// Initial parameter and buffer values, from a seed. Each tensor draws from its own stream, seeded by the run's seed
// and the tensor's name, so adding a layer does not change the initial values of the others.
import { createHash } from 'node:crypto';
import { seededRandom } from '../../util/random.js';
import { floatArray, type FloatArray, type FloatDType } from './dtype.js';
import type { Init } from './model.js';
import { sizeOf, type Shape } from './shape.js';

function streamSeed(seed: number, name: string): number {
  return createHash('sha256').update(`${seed}/${name}`).digest().readUInt32LE(0);
}

export function initialValue(init: Init, shape: Shape, dtype: FloatDType, seed: number, name: string): FloatArray {
  const values = floatArray(dtype, sizeOf(shape));
  const random = seededRandom(streamSeed(seed, name));
  switch (init.kind) {
    case 'zeros':
      break;
    case 'ones':
      values.fill(1);
      break;
    case 'constant':
      values.fill(init.value);
      break;
    case 'uniform':
      for (let i = 0; i < values.length; i++) values[i] = (random() * 2 - 1) * init.bound;
      break;
    case 'normal':
      // Box-Muller as util/random.ts's standardNormal, written out so that (std · radius) · cos rounds as it always
      // has: the initial values of every seed, and so every trained version, stay bit for bit
      for (let i = 0; i < values.length; i++) {
        const u = 1 - random();
        values[i] = init.std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
      }
      break;
  }
  return values;
}
