// The normal images' patch memory: a few thousand windows of the normal training images' features, chosen to cover
// them all (greedy farthest-point selection, as PatchCore's coreset), and each window's distance to the nearest of
// them as a third map beside the heads' map and the regional density. The regional density judges a window against
// one Gaussian of all normal windows; a surface with several normal looks (magnetic_tile's streaks, its polished and
// rough zones) is many clusters, and the nearest remembered window judges each look against its own. Measured
// (README.md here, eighteenth series): a third of the map from it lifts magnetic_tile's AUPRO over ten seeds beyond
// the regional density's, and pixel AUROC with it. Not where real masks teach the map, as the regional density.
//
// Windows of 4 × 4 cells at every second cell (windowRows: the regional density's, with a smaller window), so the
// memory's map lies under the heads' map as the regional density's does. The selection runs on a fixed random
// projection of the windows to 64 channels (offline, the same AUPRO as 128); the distances use all channels. A
// distance becomes a probability as the densities' do, against each normal window's distance to the memory without
// its own image's windows (the memory holds some of every image's windows: their own distances would be 0).
import ort from 'onnxruntime-node';
import type { Tensor } from '../engine/graph.js';
import type { ModelBuilder, ModelDefinition } from '../engine/model.js';
import { compileInference } from '../engine/compile.js';
import { createSession } from '../engine/runtime.js';
import * as op from '../engine/ops.js';
import { seededRandom, standardNormal } from '../../util/random.js';
import { DENSITY_MIN_IMAGES, probabilityGraph } from './density.js';
import { onHeadsGrid, windowCount, windowRows } from './regionalDensity.js';

export interface PatchMemory {
  /** Window side in cells of the heads' grid (even). */
  window: number;
  /** The remembered windows less `centre`, [size, dim] row-major. */
  bank: Float32Array;
  /** The mean window of the normal training images [dim]: distances are taken about it, for float32's sake. */
  centre: Float32Array;
  size: number;
  /** Mean and standard deviation of the normal windows' distances to the memory without their own image. */
  normalDistance: { mean: number; std: number };
  images: number;
}

/** Windows remembered: this share of the normal windows, at most MEMORY_MAX_SIZE (≈ 1 GFLOP an image at 256²). */
export const MEMORY_SHARE = 0.05;
export const MEMORY_MAX_SIZE = 4096;
/** The selection scans at most this many windows (a seeded sample beyond): its time grows with windows × size. */
const MAX_CANDIDATES = 80_000;
const SELECTION_DIM = 64;
const SELECTION_SEED = 0x9a7c_0001;

/** [rows, 1] each row's (x − centre) Euclidean distance to the nearest bank row, less `excluded` (a [1, size] penalty, or none). */
export function nearestDistanceGraph(m: ModelBuilder, rows: Tensor, memory: Pick<PatchMemory, 'bank' | 'centre' | 'size'>, excluded?: Tensor): Tensor {
  const dim = memory.centre.length;
  const x = op.sub(rows, m.constant(memory.centre, [1, dim]));
  const bankSquared = new Float32Array(memory.size);
  for (let r = 0; r < memory.size; r++) for (let d = 0; d < dim; d++) bankSquared[r]! += memory.bank[r * dim + d]! ** 2;
  // ‖x − b‖² = ‖x‖² − (2x·b − ‖b‖²): the nearest b is the largest bracket
  let closeness = op.sub(op.mul(op.gemm(x, m.constant(memory.bank, [memory.size, dim]), { transB: true }), 2), m.constant(bankSquared, [1, memory.size]));
  if (excluded) closeness = op.sub(closeness, excluded);
  const squared = op.sub(op.reduceSum(op.mul(x, x), [1], true), op.reduceMax(closeness, [1], true));
  return op.sqrt(op.maximum(squared, 0));
}

/** [n, 1, h, w] the memory's probability on the heads' grid from the window rows of n images of an h × w grid. */
export function memoryProbability(m: ModelBuilder, rows: Tensor, memory: PatchMemory, grid: { n: number; h: number; w: number }): Tensor {
  return onHeadsGrid(probabilityGraph(nearestDistanceGraph(m, rows, memory), memory.normalDistance), grid);
}

/** One image's window rows, centred, and their projection for the selection. */
function rowsModel(shape: readonly [number, number, number], k: number): ModelDefinition {
  const [c, h, w] = shape;
  return {
    name: 'supersimplenet.memory.rows',
    inputs: [
      { name: 'features', shape: [1, c, h, w] },
      { name: 'centre', shape: [1, c] },
      { name: 'projection', shape: [c, SELECTION_DIM] },
    ],
    forward(m, inputs) {
      const rows = windowRows(m, inputs.features!, k);
      return { outputs: { rows, projected: op.matmul(op.sub(rows, inputs.centre!), inputs.projection!) } };
    },
  };
}

/**
 * Greedy farthest-point selection of `size` of the rows of `points` [n, dim]: each next row the one farthest from
 * those chosen. One graph run a choice (the distances of every row to the last one chosen, ≈ 3 s for 3 661 of 73 216
 * rows on 2 cores); the running minimum and its largest entry in JavaScript.
 */
export async function farthestPointSelection(points: Float32Array, dim: number, size: number, first: number, threads?: number): Promise<number[]> {
  const n = points.length / dim;
  if (size >= n) return [...Array(n).keys()];
  const squared = new Float32Array(n);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) squared[i]! += points[i * dim + d]! ** 2;
  const model: ModelDefinition = {
    name: 'supersimplenet.memory.selection',
    inputs: [
      { name: 'chosen', shape: [1, dim] }, // −2 × the row chosen last
      { name: 'chosenSquared', shape: [1] },
      { name: 'nearest', shape: [n] },
    ],
    forward(m, inputs) {
      const distances = op.add(op.add(op.reshape(op.gemm(m.constant(points, [n, dim]), inputs.chosen!, { transB: true }), [n]), m.constant(squared, [n])), inputs.chosenSquared!);
      return { outputs: { updated: op.minimum(distances, inputs.nearest!) } };
    },
  };
  const { session } = await createSession(compileInference(model, new Map()).bytes, { providers: ['cpu'], threads });
  try {
    let nearest: Float32Array = new Float32Array(n).fill(Number.MAX_VALUE);
    const chosen = [first];
    while (chosen.length < size) {
      const last = chosen[chosen.length - 1]!;
      const row = points.subarray(last * dim, (last + 1) * dim);
      const out = await session.run({
        chosen: new ort.Tensor('float32', row.map((v) => -2 * v), [1, dim]),
        chosenSquared: new ort.Tensor('float32', Float32Array.of(squared[last]!), [1]),
        nearest: new ort.Tensor('float32', nearest, [n]),
      });
      nearest = out.updated!.data as Float32Array;
      let farthest = 0;
      for (let i = 1; i < n; i++) if (nearest[i]! > nearest[farthest]!) farthest = i;
      chosen.push(farthest);
    }
    return chosen;
  } finally {
    await session.release();
  }
}

/** The leave-one-image-out distances' graph: rows of one image against the memory with that image's windows penalised. */
function calibrationModel(memory: Pick<PatchMemory, 'bank' | 'centre' | 'size'>, rows: number): ModelDefinition {
  return {
    name: 'supersimplenet.memory.calibration',
    inputs: [
      { name: 'rows', shape: [rows, memory.centre.length] },
      { name: 'excluded', shape: [1, memory.size] },
    ],
    forward(m, inputs) {
      return { outputs: { distance: nearestDistanceGraph(m, inputs.rows!, memory, inputs.excluded!) } };
    },
  };
}

/**
 * The patch memory of the normal training images' features (each [C, h, w], as cached), with windows of k cells:
 * MEMORY_SHARE of their windows (at most MEMORY_MAX_SIZE) chosen farthest-first, and the distances of normal windows
 * to the memory without their own image's windows.
 */
export async function fitPatchMemory(
  features: readonly Float32Array[],
  shape: readonly [number, number, number],
  k: number,
  options: { threads?: number; signal?: AbortSignal } = {},
): Promise<PatchMemory> {
  if (features.length < DENSITY_MIN_IMAGES) throw new Error(`the patch memory needs at least ${DENSITY_MIN_IMAGES} normal images, got ${features.length}`);
  const dim = shape[0];
  const windows = windowCount(shape[1]) * windowCount(shape[2]);
  const random = seededRandom(SELECTION_SEED);
  const projection = Float32Array.from({ length: dim * SELECTION_DIM }, () => standardNormal(random) / Math.sqrt(SELECTION_DIM));
  const { session } = await createSession(compileInference(rowsModel(shape, k), new Map()).bytes, { providers: ['cpu'], threads: options.threads });
  const total = features.length * windows;
  const centre = new Float32Array(dim);
  // an image's windows are computed again in each pass (about a millisecond) rather than kept: kept, they would hold
  // a quarter of the features' memory again; only their 64-channel projections are, for the selection
  const rowsOf = async (i: number) => {
    options.signal?.throwIfAborted();
    const out = await session.run({
      features: new ort.Tensor('float32', features[i]!, [1, ...shape]),
      centre: new ort.Tensor('float32', centre, [1, dim]),
      projection: new ort.Tensor('float32', projection, [dim, SELECTION_DIM]),
    });
    return { rows: out.rows!.data as Float32Array, projected: out.projected!.data as Float32Array };
  };
  try {
    const sum = new Float64Array(dim);
    for (let i = 0; i < features.length; i++) {
      const { rows } = await rowsOf(i);
      for (let r = 0; r < windows; r++) for (let d = 0; d < dim; d++) sum[d]! += rows[r * dim + d]!;
    }
    for (let d = 0; d < dim; d++) centre[d] = sum[d]! / total;
    const projected = new Float32Array(total * SELECTION_DIM);
    for (let i = 0; i < features.length; i++) projected.set((await rowsOf(i)).projected, i * windows * SELECTION_DIM);
    // the candidates: every window, or a seeded sample of them in a large project
    let candidates = [...Array(total).keys()];
    if (total > MAX_CANDIDATES) {
      for (let i = total - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
      }
      candidates = candidates.slice(0, MAX_CANDIDATES).sort((a, b) => a - b);
    }
    const points = new Float32Array(candidates.length * SELECTION_DIM);
    candidates.forEach((row, i) => points.set(projected.subarray(row * SELECTION_DIM, (row + 1) * SELECTION_DIM), i * SELECTION_DIM));
    options.signal?.throwIfAborted();
    const size = Math.max(1, Math.min(MEMORY_MAX_SIZE, Math.round(MEMORY_SHARE * total)));
    const chosen = (await farthestPointSelection(points, SELECTION_DIM, size, Math.floor(random() * candidates.length), options.threads)).map((c) => candidates[c]!);
    const imageOf = chosen.map((row) => Math.floor(row / windows));
    const bank = new Float32Array(chosen.length * dim);
    for (const i of new Set(imageOf)) {
      const { rows } = await rowsOf(i);
      chosen.forEach((row, b) => {
        if (imageOf[b] !== i) return;
        for (let d = 0; d < dim; d++) bank[b * dim + d] = rows[(row - i * windows) * dim + d]! - centre[d]!;
      });
    }
    const memory = { bank, centre, size: chosen.length };
    const normalDistance = await leaveOneImageOut(memory, imageOf, async (i) => (await rowsOf(i)).rows, features.length, windows, options.threads);
    return { window: k, ...memory, normalDistance, images: features.length };
  } finally {
    await session.release();
  }
}

/** Mean and spread of every normal window's distance to the memory less its own image's windows. */
async function leaveOneImageOut(
  memory: Pick<PatchMemory, 'bank' | 'centre' | 'size'>,
  imageOf: readonly number[],
  rowsOf: (image: number) => Promise<Float32Array>,
  images: number,
  windows: number,
  threads?: number,
) {
  const dim = memory.centre.length;
  const { session } = await createSession(compileInference(calibrationModel(memory, windows), new Map()).bytes, { providers: ['cpu'], threads });
  let sum = 0;
  let sumSquares = 0;
  try {
    for (let i = 0; i < images; i++) {
      const excluded = Float32Array.from(imageOf, (image) => (image === i ? 1e30 : 0));
      const out = await session.run({
        rows: new ort.Tensor('float32', await rowsOf(i), [windows, dim]),
        excluded: new ort.Tensor('float32', excluded, [1, memory.size]),
      });
      for (const d of out.distance!.data as Float32Array) {
        sum += d;
        sumSquares += d * d;
      }
    }
  } finally {
    await session.release();
  }
  const n = images * windows;
  const mean = sum / n;
  const std = Math.sqrt(Math.max(0, (sumSquares - n * mean * mean) / (n - 1)));
  return { mean, std: std > 0 ? std : 1 };
}
