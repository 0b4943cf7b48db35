// Procedural surface textures (brushed metal, matte plastic...) as raw pixels: the stand-in for camera images in
// benchmarks and tests, and the base of the demo project. Deterministic for a given seed.
import { seededRandom } from '../util/random.js';

export interface SurfaceOptions {
  width: number;
  height: number;
  channels: 1 | 3;
  seed: number;
  /**
   * Seed of the material (base grey, tint, grain direction and waves). Images of one material look like parts of
   * one production line; without it every seed is a material of its own.
   */
  material?: number;
  /** Per-pixel sensor noise amplitude in grey levels. */
  noise?: number;
}

export function renderSurface({ width, height, channels, seed, material, noise = 3 }: SurfaceOptions): Buffer {
  const look = seededRandom(material ?? seed);
  const random = seededRandom(seed);
  const base = 90 + look() * 80 + (material === undefined ? 0 : (random() - 0.5) * 6);
  const tint = [1, 0.97 + look() * 0.06, 0.94 + look() * 0.1];
  const angle = look() * Math.PI;
  const [cx, cy] = [Math.cos(angle), Math.sin(angle)];
  const waves = Array.from({ length: 4 }, () => ({ freq: 0.002 + look() * 0.05, phase: random() * 6.283, amp: 2 + look() * 8 }));
  const vignette = 0.15 + look() * 0.2;
  const pixels = Buffer.allocUnsafe(width * height * channels);
  let noiseState = (seed * 2654435761) >>> 0;
  for (let y = 0; y < height; y++) {
    const dy = (y / height - 0.5) * 2;
    for (let x = 0; x < width; x++) {
      const along = x * cx + y * cy;
      let v = base;
      for (const w of waves) v += w.amp * Math.sin(along * w.freq + w.phase);
      const dx = (x / width - 0.5) * 2;
      v *= 1 - vignette * (dx * dx + dy * dy) * 0.5;
      // xorshift noise: cheaper than the PRNG above, and only its distribution matters here
      noiseState ^= noiseState << 13;
      noiseState ^= noiseState >>> 17;
      noiseState ^= noiseState << 5;
      v += ((noiseState >>> 0) / 4294967296 - 0.5) * 2 * noise;
      const i = (y * width + x) * channels;
      for (let c = 0; c < channels; c++) pixels[i + c] = Math.max(0, Math.min(255, v * tint[c]!));
    }
  }
  return pixels;
}
