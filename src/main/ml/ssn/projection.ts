// The fast preset's channel reduction: a fixed random orthogonal projection of the pooled backbone channels.
// Random rather than PCA on purpose: PCA keeps the high-variance directions of normal images and drops exactly
// the low-variance ones where small feature perturbations (the synthetic anomalies) stand out; a random subspace
// keeps them in proportion (measured: PCA-256 never leaves the constant-map plateau; random-256 trains normally).
// Nor are the channels rescaled by their spread first: either way it lowers the map's AUPRO (README.md, fifteenth series).
// The matrix depends only on the channel counts and a fixed seed, so cached features stay valid across runs.
import { seededRandom, standardNormal } from '../../util/random.js';

const PROJECTION_SEED = 0x55e7_0001;

/** [out, in] with orthonormal rows (Gram–Schmidt on Gaussian rows, in float64). */
export function orthogonalProjection(inChannels: number, outChannels: number): Float32Array {
  if (outChannels > inChannels) throw new Error(`cannot project ${inChannels} channels onto ${outChannels}`);
  const random = seededRandom(PROJECTION_SEED ^ (inChannels * 65_537 + outChannels));
  const rows: Float64Array[] = [];
  for (let r = 0; r < outChannels; r++) {
    const v = new Float64Array(inChannels);
    for (let i = 0; i < inChannels; i++) v[i] = standardNormal(random);
    // twice for numerical orthogonality
    for (let pass = 0; pass < 2; pass++) {
      for (const u of rows) {
        let dot = 0;
        for (let i = 0; i < inChannels; i++) dot += u[i]! * v[i]!;
        for (let i = 0; i < inChannels; i++) v[i]! -= dot * u[i]!;
      }
    }
    let norm = 0;
    for (let i = 0; i < inChannels; i++) norm += v[i]! * v[i]!;
    norm = Math.sqrt(norm);
    for (let i = 0; i < inChannels; i++) v[i]! /= norm;
    rows.push(v);
  }
  const out = new Float32Array(outChannels * inChannels);
  rows.forEach((row, r) => out.set(row, r * inChannels));
  return out;
}
