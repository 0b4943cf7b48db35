// From the heads' map logits to what people see and what scores are made of: bilinear upsampling to the model
// input size (half-pixel centres), Gaussian smoothing (σ in input pixels, reflected borders), then sigmoid.
import type { TrainingConfig } from './types.js';

export function upsampleBilinear(src: Float32Array, h: number, w: number, outH: number, outW: number): Float32Array {
  const out = new Float32Array(outH * outW);
  for (let y = 0; y < outH; y++) {
    const sy = Math.min(h - 1, Math.max(0, ((y + 0.5) * h) / outH - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(h - 1, y0 + 1);
    const ay = sy - y0;
    for (let x = 0; x < outW; x++) {
      const sx = Math.min(w - 1, Math.max(0, ((x + 0.5) * w) / outW - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(w - 1, x0 + 1);
      const ax = sx - x0;
      out[y * outW + x] = (src[y0 * w + x0]! * (1 - ax) + src[y0 * w + x1]! * ax) * (1 - ay) + (src[y1 * w + x0]! * (1 - ax) + src[y1 * w + x1]! * ax) * ay;
    }
  }
  return out;
}

/** Separable Gaussian blur, kernel radius 4σ (rounded up), reflect padding (torch's 'reflect', no edge repeat). */
export function gaussianBlur(src: Float32Array, h: number, w: number, sigma: number): Float32Array {
  if (sigma <= 0) return src;
  const radius = Math.ceil(4 * sigma);
  const kernel = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += kernel[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < kernel.length; i++) kernel[i]! /= sum;
  const reflect = (i: number, n: number) => {
    if (n === 1) return 0;
    const period = 2 * (n - 1);
    i = ((i % period) + period) % period;
    return i < n ? i : period - i;
  };
  // each row, then each column, copied once into a reflect-padded line so the inner loop has no index arithmetic
  const blurLines = (data: Float32Array, count: number, length: number, stride: number, step: number) => {
    const out = new Float32Array(data.length);
    const line = new Float32Array(length + 2 * radius);
    for (let l = 0; l < count; l++) {
      const base = l * stride;
      for (let i = -radius; i < length + radius; i++) line[i + radius] = data[base + reflect(i, length) * step]!;
      for (let i = 0; i < length; i++) {
        let acc = 0;
        for (let k = 0; k < kernel.length; k++) acc += kernel[k]! * line[i + k]!;
        out[base + i * step] = acc;
      }
    }
    return out;
  };
  return blurLines(blurLines(src, h, w, w, 1), w, h, 1, w);
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** The map a person sees (probabilities at input size) and the image score blended from it as the preset says. */
export function finishPrediction(config: TrainingConfig, clsScore: number, logits: Float32Array, mapHeight: number, mapWidth: number) {
  const { height, width } = config.size;
  const smooth = gaussianBlur(upsampleBilinear(logits, mapHeight, mapWidth, height, width), height, width, config.mapSigma);
  let max = -Infinity;
  for (let i = 0; i < smooth.length; i++) {
    if (smooth[i]! > max) max = smooth[i]!;
    smooth[i] = sigmoid(smooth[i]!);
  }
  const w = config.mapScoreWeight ?? 0;
  return { score: (1 - w) * clsScore + w * sigmoid(max), map: smooth, mapMax: sigmoid(max) };
}
