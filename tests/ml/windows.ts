// Windows of cached features written out by hand, and images to take them from: shared by the tests of the map's
// normal parts (the regional density, the patch memory).
import { sample } from './ledoitWolf.js';

/** Window means of one image [c, h, w] by their definition: cells 2j − (k/2 − 1) … 2j + k/2 of each axis, those inside the grid. */
export function windowsByHand(x: Float32Array, [c, h, w]: readonly number[], k: number): Float32Array[] {
  const span = (j: number, size: number) => [Math.max(0, 2 * j - (k / 2 - 1)), Math.min(size - 1, 2 * j + k / 2)] as const;
  const rows: Float32Array[] = [];
  for (let i = 0; i < Math.ceil(h! / 2); i++) {
    for (let j = 0; j < Math.ceil(w! / 2); j++) {
      const [r0, r1] = span(i, h!);
      const [c0, c1] = span(j, w!);
      rows.push(
        Float32Array.from({ length: c! }, (_, ch) => {
          let s = 0;
          for (let r = r0; r <= r1; r++) for (let q = c0; q <= c1; q++) s += x[(ch * h! + r) * w! + q]!;
          return s / ((r1 - r0 + 1) * (c1 - c0 + 1));
        }),
      );
    }
  }
  return rows;
}

/** n images [c, h, w] whose cells are correlated, unequally spread vectors. */
export function images(n: number, shape: readonly [number, number, number], seed: number): Float32Array[] {
  const [c, h, w] = shape;
  const cells = sample(n * h * w, c, seed);
  return Array.from({ length: n }, (_, i) => {
    const x = new Float32Array(c * h * w);
    for (let p = 0; p < h * w; p++) for (let ch = 0; ch < c; ch++) x[ch * h * w + p] = cells[i * h * w + p]![ch]!;
    return x;
  });
}
