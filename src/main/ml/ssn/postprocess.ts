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
  const tmp = new Float32Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let k = -radius; k <= radius; k++) acc += kernel[k + radius]! * src[y * w + reflect(x + k, w)]!;
      tmp[y * w + x] = acc;
    }
  }
  const out = new Float32Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let k = -radius; k <= radius; k++) acc += kernel[k + radius]! * tmp[reflect(y + k, h) * w + x]!;
      out[y * w + x] = acc;
    }
  }
  return out;
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
