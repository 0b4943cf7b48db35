// The Ledoit–Wolf estimator written out from its definition, and correlated samples to fit it on: the reference the
// image density's and the regional density's fits are checked against.
import { expect } from 'vitest';
import { seededRandom } from '../../src/main/util/random.js';

/** n vectors of `dim` correlated, unequally spread values (a random mixing of independent uniforms). */
export function sample(n: number, dim: number, seed: number): Float32Array[] {
  const random = seededRandom(seed);
  const mixing = Array.from({ length: dim * dim }, () => random() - 0.5);
  return Array.from({ length: n }, () => {
    const u = Array.from({ length: dim }, (_, i) => (random() - 0.5) * (1 + i));
    return Float32Array.from({ length: dim }, (_, r) => 3 + u.reduce((s, v, c) => s + mixing[r * dim + c]! * v, 0));
  });
}

/** Σ = (1 − a)·S + a·(tr S / p)·I with a from Ledoit & Wolf (2004), each sum written as the paper defines it. */
export function ledoitWolf(xs: Float32Array[]): { covariance: number[][]; shrinkage: number } {
  const n = xs.length;
  const p = xs[0]!.length;
  const mean = Array.from({ length: p }, (_, i) => xs.reduce((s, x) => s + x[i]!, 0) / n);
  const c = xs.map((x) => Array.from(x, (v, i) => v - mean[i]!));
  const s = Array.from({ length: p }, (_, i) => Array.from({ length: p }, (_, j) => c.reduce((acc, x) => acc + x[i]! * x[j]!, 0) / n));
  const mu = s.reduce((acc, row, i) => acc + row[i]!, 0) / p;
  let d2 = 0;
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) d2 += (s[i]![j]! - (i === j ? mu : 0)) ** 2;
  let b2 = 0;
  for (const x of c) for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) b2 += (x[i]! * x[j]! - s[i]![j]!) ** 2;
  b2 /= n * n;
  const a = Math.min(b2, d2) / d2;
  return { covariance: s.map((row, i) => row.map((v, j) => (1 - a) * v + (i === j ? a * mu : 0))), shrinkage: a };
}

/** L⁻¹ [p, p] row-major whitens the covariance: L⁻¹ Σ L⁻ᵀ = I, and L⁻¹ is lower-triangular. */
export function expectWhitens(whitening: Float32Array, covariance: number[][]): void {
  const p = covariance.length;
  const w = (r: number, c: number) => whitening[r * p + c]!;
  for (let r = 0; r < p; r++) {
    for (let c = 0; c < p; c++) {
      let v = 0;
      for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) v += w(r, i) * covariance[i]![j]! * w(c, j);
      expect(v).toBeCloseTo(r === c ? 1 : 0, 4);
    }
    for (let c = r + 1; c < p; c++) expect(w(r, c)).toBe(0);
  }
}
