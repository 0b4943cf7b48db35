// The normal images' regional density: a Gaussian of the features averaged over windows of the heads' grid (k × k
// cells), fitted on every window of the normal training images, and each window's Mahalanobis distance from it as a
// second map beside the heads' map. The heads judge each position against synthetic noise; a window's mean says what
// a position cannot — a patch of the surface that differs as a whole (a fray, a break's surroundings, an uneven zone)
// — and no position of a normal image is judged by it alone. Measured (README.md here, seventeenth series): the
// heads' map averaged with it lifts magnetic_tile's AUPRO from 70.0 to 73.8 and pixel AUROC from 79.0 to 81.2 over
// ten seeds, every seed higher, detection unchanged; the fast preset now gives it a third of the map, beside the patch
// memory's (patchMemory.ts). Not where real masks teach the map: there it dilutes them.
//
// The features are the fast preset's projected pooled features as the feature cache holds them (before the feature
// normalisation: a Mahalanobis distance does not see one scale). Windows are averages with the cells outside the
// grid left out, at every second cell: an even k puts their centres on the half-pixel grid of a 2× bilinear
// upsampling, so the coarse map lies exactly under the heads' map, and a quarter of the windows cost a quarter of the
// whitening (the windows overlap by three quarters at k = 8; windows at every cell, k = 7, measured within 0.1 AUPRO
// offline, with pixel AUROC 1 lower).
// Distances become probabilities as the image density's do, against cross-fitted distances of normal windows.
import ort from 'onnxruntime-node';
import type { Tensor } from '../engine/graph.js';
import type { ModelBuilder, ModelDefinition } from '../engine/model.js';
import { compileInference } from '../engine/compile.js';
import { createSession } from '../engine/runtime.js';
import * as op from '../engine/ops.js';
import { DENSITY_MIN_IMAGES, gaussianFromScatter, invertLower, mahalanobisGraph, probabilityGraph, type Gaussian } from './density.js';

export interface RegionalDensity {
  /** Window side in cells of the heads' grid (even). */
  window: number;
  /** Mean window feature of the normal training images [dim]. */
  mean: Float32Array;
  /** L⁻¹ of the shrunk covariance's Cholesky factor, [dim, dim] row-major. */
  whitening: Float32Array;
  /** Mean and standard deviation of the normal windows' cross-fitted distances. */
  normalDistance: { mean: number; std: number };
  /** Ledoit–Wolf weight of the identity target, in [0, 1]. */
  shrinkage: number;
  images: number;
}

const FOLDS = 5;

/** Cells per side of the window grid for a grid side of `size` cells. */
export const windowCount = (size: number) => Math.ceil(size / 2);

/**
 * [windowCount(size), size]: row j averages the cells of window j (centre 2j + ½, k cells wide), those outside the
 * grid left out — the averaging of an ONNX AveragePool with kernel k, stride 2, pads k/2 − 1 and count_include_pad 0.
 */
export function windowMatrix(size: number, k: number): Float32Array {
  if (!(k >= 2 && k % 2 === 0)) throw new Error(`the regional density's window must be an even number of cells, got ${k}`);
  const out = windowCount(size);
  const matrix = new Float32Array(out * size);
  for (let j = 0; j < out; j++) {
    const from = Math.max(0, 2 * j - (k / 2 - 1));
    const to = Math.min(size - 1, 2 * j + k / 2);
    for (let i = from; i <= to; i++) matrix[j * size + i] = 1 / (to - from + 1);
  }
  return matrix;
}

function transposed(matrix: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(matrix.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) out[c * rows + r] = matrix[r * columns + c]!;
  return out;
}

/** [n·h'·w', C] the window means of x [n, C, h, w], one row per window, rows in (image, window row, window column) order. */
export function windowRows(m: ModelBuilder, x: Tensor, k: number): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [hh, ww] = [windowCount(h), windowCount(w)];
  // separable: along the width ([.., w] · [w, w']), then along the height on the transposed result
  const alongWidth = op.matmul(x, m.constant(transposed(windowMatrix(w, k), ww, w), [w, ww]));
  const alongHeight = op.matmul(op.transpose(alongWidth, [0, 1, 3, 2]), m.constant(transposed(windowMatrix(h, k), hh, h), [h, hh])); // [n, c, w', h']
  return op.reshape(op.transpose(alongHeight, [0, 3, 2, 1]), [n * hh * ww, c]);
}

/**
 * [n, 1, h, w] the regional density's probability on the heads' grid, from the window rows of n images of an
 * h × w grid (windowRows, in the density's channels): the distances' probabilities, bilinearly upsampled.
 */
export function regionalProbability(m: ModelBuilder, rows: Tensor, density: RegionalDensity, grid: { n: number; h: number; w: number }): Tensor {
  const dim = density.mean.length;
  const distance = mahalanobisGraph(rows, m.constant(density.mean, [1, dim]), m.constant(density.whitening, [dim, dim]));
  return onHeadsGrid(probabilityGraph(distance, density.normalDistance), grid);
}

/** [n, 1, h, w] from one probability per window [n·h'·w', 1]: the window grid bilinearly upsampled to the heads' grid. */
export function onHeadsGrid(probability: Tensor, grid: { n: number; h: number; w: number }): Tensor {
  const coarse = op.reshape(probability, [grid.n, 1, windowCount(grid.h), windowCount(grid.w)]);
  return windowCount(grid.h) === grid.h && windowCount(grid.w) === grid.w ? coarse : op.resizeBilinear(coarse, [grid.h, grid.w]);
}

/**
 * The heads' map logits with the normal images' maps blended in: logit((1 − Σρ)·sigmoid(logits) + Σ ρ·probability).
 * Clipped a little inside (0, 1) so that a saturated float32 sigmoid gives a finite logit to the smoothing.
 */
export function blendedMapLogits(logits: Tensor, parts: readonly { probability: Tensor; weight: number }[]): Tensor {
  const rest = 1 - parts.reduce((a, part) => a + part.weight, 0);
  const blended = parts.reduce((sum, part) => op.add(sum, op.mul(part.probability, part.weight)), op.mul(op.sigmoid(logits), rest));
  const p = op.clip(blended, 1e-6, 1 - 1e-6);
  return op.sub(op.log(p), op.log(op.sub(op.scalar(p, 1), p)));
}

/** The fit's graph: one image's window rows, and their scatter about a given centre (float32, accumulated in float64 by the caller). */
function momentsModel(shape: readonly [number, number, number], k: number): ModelDefinition {
  const [c, h, w] = shape;
  return {
    name: 'supersimplenet.regional.moments',
    inputs: [
      { name: 'features', shape: [1, c, h, w] },
      { name: 'centre', shape: [1, c] },
    ],
    forward(m, inputs) {
      const rows = windowRows(m, inputs.features!, k);
      const centred = op.sub(rows, inputs.centre!);
      return { outputs: { rows, scatter: op.gemm(centred, centred, { transA: true }) } };
    },
  };
}

/** The cross-fit's graph: distances of rows from a Gaussian given as inputs (one session for every fold). */
function distanceModel(rows: number, dim: number): ModelDefinition {
  return {
    name: 'supersimplenet.regional.distance',
    inputs: [
      { name: 'rows', shape: [rows, dim] },
      { name: 'mean', shape: [1, dim] },
      { name: 'whitening', shape: [dim, dim] },
    ],
    forward(_m, inputs) {
      return { outputs: { distance: mahalanobisGraph(inputs.rows!, inputs.mean!, inputs.whitening!) } };
    },
  };
}

/**
 * The regional density of the normal training images' features (each [C, h, w], as cached), with windows of k cells:
 * the Gaussian of all their windows, and what a normal window's distance is from five folds of the images (a fold's
 * windows against the Gaussian of the other four).
 */
export async function fitRegionalDensity(
  features: readonly Float32Array[],
  shape: readonly [number, number, number],
  k: number,
  options: { threads?: number; signal?: AbortSignal } = {},
): Promise<RegionalDensity> {
  if (features.length < DENSITY_MIN_IMAGES) throw new Error(`the regional density needs at least ${DENSITY_MIN_IMAGES} normal images, got ${features.length}`);
  const dim = shape[0];
  const windows = windowCount(shape[1]) * windowCount(shape[2]);
  const moments = await createSession(compileInference(momentsModel(shape, k), new Map()).bytes, { providers: ['cpu'], threads: options.threads });
  const fold = (image: number) => image % FOLDS;
  // per fold: window count, Σ (x − centre), Σ (x − centre)(x − centre)ᵀ; the centre (one image's mean window) keeps float32 sums well-conditioned
  const centre = new Float32Array(dim);
  const sums = Array.from({ length: FOLDS }, () => new Float64Array(dim));
  const scatters = Array.from({ length: FOLDS }, () => new Float64Array(dim * dim));
  const counts = new Array<number>(FOLDS).fill(0);
  // an image's windows are computed again in each pass (about a millisecond) rather than kept: kept, they would
  // hold a quarter of the features' memory again for the length of the fit
  const rowsOf = async (i: number) => {
    options.signal?.throwIfAborted();
    const out = await moments.session.run({
      features: new ort.Tensor('float32', features[i]!, [1, ...shape]),
      centre: new ort.Tensor('float32', centre, [1, dim]),
    });
    return { rows: out.rows!.data as Float32Array, scatter: out.scatter!.data as Float32Array };
  };
  try {
    const first = (await rowsOf(0)).rows;
    for (let r = 0; r < windows; r++) for (let d = 0; d < dim; d++) centre[d]! += first[r * dim + d]! / windows;
    for (let i = 0; i < features.length; i++) {
      const { rows, scatter } = await rowsOf(i);
      const f = fold(i);
      counts[f]! += windows;
      const sum = sums[f]!;
      for (let r = 0; r < windows; r++) for (let d = 0; d < dim; d++) sum[d]! += rows[r * dim + d]! - centre[d]!;
      const total = scatters[f]!;
      for (let r = 0; r < dim; r++) for (let c = 0; c <= r; c++) total[r * dim + c]! += scatter[r * dim + c]!;
    }
    // the Gaussians: of all folds (the model's) and of all but each fold (its cross-fit)
    const without = (excluded: number | null) => {
      const included = [...Array(FOLDS).keys()].filter((f) => f !== excluded);
      const n = included.reduce((a, f) => a + counts[f]!, 0);
      const shift = new Float64Array(dim); // mean − centre
      for (const f of included) for (let d = 0; d < dim; d++) shift[d]! += sums[f]![d]! / n;
      const scatter = new Float64Array(dim * dim);
      for (let r = 0; r < dim; r++) {
        for (let c = 0; c <= r; c++) {
          let s = 0;
          for (const f of included) s += scatters[f]![r * dim + c]!;
          scatter[r * dim + c] = s - n * shift[r]! * shift[c]!;
        }
      }
      const mean = Float64Array.from(shift, (v, d) => v + centre[d]!);
      return { n, mean, scatter, fourth: 0 };
    };
    const fits = [null, ...Array(FOLDS).keys()].map((excluded) => ({ excluded, moments: without(excluded) }));
    // Σ ‖x − mean‖⁴ of each fit's windows, for its Ledoit–Wolf weight (a second pass: it needs the means)
    for (let i = 0; i < features.length; i++) {
      const { rows } = await rowsOf(i);
      for (const fit of fits) {
        if (fit.excluded === fold(i)) continue;
        const mean = fit.moments.mean;
        for (let r = 0; r < windows; r++) {
          let squared = 0;
          for (let d = 0; d < dim; d++) squared += (rows[r * dim + d]! - mean[d]!) ** 2;
          fit.moments.fourth += squared * squared;
        }
      }
    }
    const gaussians = fits.map((fit) => gaussianFromScatter(fit.moments));
    const distances = await crossFittedDistances(features.length, windows, dim, gaussians.slice(1), fold, async (i) => (await rowsOf(i)).rows, options.threads);
    const mean = distances.reduce((a, b) => a + b, 0) / distances.length;
    const std = Math.sqrt(distances.reduce((a, d) => a + (d - mean) ** 2, 0) / (distances.length - 1));
    const model = gaussians[0]!;
    return {
      window: k,
      mean: Float32Array.from(model.mean),
      whitening: Float32Array.from(invertLower(model.factor, dim)),
      normalDistance: { mean, std: std > 0 ? std : 1 },
      shrinkage: model.shrinkage,
      images: features.length,
    };
  } finally {
    await moments.session.release();
  }
}

/** Each image's window distances from the Gaussian fitted without its fold. */
async function crossFittedDistances(
  images: number,
  windows: number,
  dim: number,
  foldGaussians: readonly Gaussian[],
  fold: (image: number) => number,
  rowsOf: (image: number) => Promise<Float32Array>,
  threads?: number,
): Promise<Float64Array> {
  const { session } = await createSession(compileInference(distanceModel(windows, dim), new Map()).bytes, { providers: ['cpu'], threads });
  try {
    const whitenings = foldGaussians.map((g) => new ort.Tensor('float32', Float32Array.from(invertLower(g.factor, dim)), [dim, dim]));
    const means = foldGaussians.map((g) => new ort.Tensor('float32', Float32Array.from(g.mean), [1, dim]));
    const out = new Float64Array(images * windows);
    for (let i = 0; i < images; i++) {
      const f = fold(i);
      const result = await session.run({ rows: new ort.Tensor('float32', await rowsOf(i), [windows, dim]), mean: means[f]!, whitening: whitenings[f]! });
      out.set(result.distance!.data as Float32Array, i * windows);
    }
    return out;
  } finally {
    await session.release();
  }
}
