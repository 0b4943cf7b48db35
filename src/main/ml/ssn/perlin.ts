// Seeded Perlin-noise masks for synthetic anomalies. Each mask is gradient noise with an independent number of
// cells per axis (2^0..2^5), generated on a square grid at the next power of two ≥ the feature map, sampled
// bilinearly down to the feature map and thresholded: irregular blobs of every size and elongation.
import type { Random } from '../../util/random.js';

const fade = (t: number) => t * t * t * (t * (t * 6 - 15) + 10);

/** Perlin noise on an n×n grid with cellsX × cellsY cells (both dividing n not required). */
export function perlinNoise(n: number, cellsY: number, cellsX: number, random: Random): Float32Array {
  const gradients = new Float32Array((cellsY + 1) * (cellsX + 1) * 2);
  for (let i = 0; i < gradients.length / 2; i++) {
    const angle = 2 * Math.PI * random();
    gradients[2 * i] = Math.cos(angle);
    gradients[2 * i + 1] = Math.sin(angle);
  }
  const g = (cy: number, cx: number, dy: number, dx: number) => {
    const i = 2 * (cy * (cellsX + 1) + cx);
    return gradients[i]! * dy + gradients[i + 1]! * dx;
  };
  const out = new Float32Array(n * n);
  for (let y = 0; y < n; y++) {
    const fy = (y / n) * cellsY;
    const cy = Math.floor(fy);
    const ty = fy - cy;
    const wy = fade(ty);
    for (let x = 0; x < n; x++) {
      const fx = (x / n) * cellsX;
      const cx = Math.floor(fx);
      const tx = fx - cx;
      const wx = fade(tx);
      const top = g(cy, cx, ty, tx) * (1 - wx) + g(cy, cx + 1, ty, tx - 1) * wx;
      const bottom = g(cy + 1, cx, ty - 1, tx) * (1 - wx) + g(cy + 1, cx + 1, ty - 1, tx - 1) * wx;
      out[y * n + x] = Math.SQRT2 * (top * (1 - wy) + bottom * wy);
    }
  }
  return out;
}

/** A binary h×w mask (1 = synthetic anomaly) from Perlin noise thresholded at `threshold`. */
export function perlinMask(height: number, width: number, threshold: number, random: Random, maxLog2Scale = 5): Uint8Array {
  let n = 1;
  while (n < Math.max(height, width)) n *= 2;
  const scale = () => 2 ** Math.floor(random() * (Math.min(maxLog2Scale, Math.log2(n)) + 1));
  const cellsY = scale();
  const cellsX = scale();
  const noise = perlinNoise(n, cellsY, cellsX, random);
  const mask = new Uint8Array(height * width);
  // bilinear sampling of the n×n grid at the h×w pixel centres (half-pixel alignment)
  for (let y = 0; y < height; y++) {
    const sy = Math.min(n - 1, Math.max(0, ((y + 0.5) * n) / height - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(n - 1, y0 + 1);
    const ay = sy - y0;
    for (let x = 0; x < width; x++) {
      const sx = Math.min(n - 1, Math.max(0, ((x + 0.5) * n) / width - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(n - 1, x0 + 1);
      const ax = sx - x0;
      const v =
        (noise[y0 * n + x0]! * (1 - ax) + noise[y0 * n + x1]! * ax) * (1 - ay) + (noise[y1 * n + x0]! * (1 - ax) + noise[y1 * n + x1]! * ax) * ay;
      mask[y * width + x] = v > threshold ? 1 : 0;
    }
  }
  return mask;
}
