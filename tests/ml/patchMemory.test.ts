// The patch memory (ssn/patchMemory.ts): its farthest-point selection against the greedy written out in JavaScript,
// its nearest-window distances (with and without an image left out) against brute force, and its fit — the bank made
// of the training images' own windows, its size, the normal distances left one image out — against windows averaged
// by hand.
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { compileInference } from '../../src/main/ml/engine/compile.js';
import type { Tensor } from '../../src/main/ml/engine/graph.js';
import type { ModelBuilder } from '../../src/main/ml/engine/model.js';
import { createSession } from '../../src/main/ml/engine/runtime.js';
import { farthestPointSelection, fitPatchMemory, MEMORY_SHARE, nearestDistanceGraph } from '../../src/main/ml/ssn/patchMemory.js';
import { seededRandom } from '../../src/main/util/random.js';
import { images, windowsByHand } from './windows.js';

const distance = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, v, i) => s + (v - b[i]!) ** 2, 0));

function randomRows(n: number, dim: number, seed: number): Float32Array[] {
  const random = seededRandom(seed);
  // clustered, as features are: a few centres, points scattered round them
  const centres = Array.from({ length: 5 }, () => Float32Array.from({ length: dim }, () => 4 * random()));
  return Array.from({ length: n }, (_, i) => centres[i % 5]!.map((v) => v + random() - 0.5));
}

describe('the patch memory', () => {
  it('chooses each next row farthest from those chosen, as the greedy written out here', async () => {
    const rows = randomRows(300, 7, 1);
    const ours = await farthestPointSelection(Float32Array.from(rows.flatMap((r) => [...r])), 7, 25, 3, 1);
    const nearest = rows.map((r) => distance(r, rows[3]!));
    const expected = [3];
    while (expected.length < 25) {
      const next = nearest.indexOf(Math.max(...nearest));
      expected.push(next);
      rows.forEach((r, i) => (nearest[i] = Math.min(nearest[i]!, distance(r, rows[next]!))));
    }
    expect(ours).toEqual(expected);
    expect(await farthestPointSelection(Float32Array.from(rows.slice(0, 4).flatMap((r) => [...r])), 7, 9, 0, 1)).toEqual([0, 1, 2, 3]);
  });

  it('gives each row its distance to the nearest remembered row, and leaves out the rows it is told to', async () => {
    const dim = 6;
    const bankRows = randomRows(40, dim, 2);
    const queries = randomRows(30, dim, 3);
    const centre = Float32Array.from({ length: dim }, (_, d) => 0.1 * d);
    const memory = { bank: Float32Array.from(bankRows.flatMap((r) => [...r].map((v, d) => v - centre[d]!))), centre, size: bankRows.length };
    const excluded = Float32Array.from({ length: 40 }, (_, i) => (i % 5 === 0 ? 1e30 : 0));
    const model = {
      name: 'nearest',
      inputs: [
        { name: 'rows', shape: [30, dim] },
        { name: 'excluded', shape: [1, 40] },
      ],
      forward: (m: ModelBuilder, i: Record<string, Tensor>) => ({ outputs: { all: nearestDistanceGraph(m, i.rows!, memory), some: nearestDistanceGraph(m, i.rows!, memory, i.excluded!) } }),
    };
    const { session } = await createSession(compileInference(model, new Map()).bytes, { providers: ['cpu'], threads: 1 });
    const out = await session.run({
      rows: new ort.Tensor('float32', Float32Array.from(queries.flatMap((r) => [...r])), [30, dim]),
      excluded: new ort.Tensor('float32', excluded, [1, 40]),
    });
    await session.release();
    const all = out.all!.data as Float32Array;
    const some = out.some!.data as Float32Array;
    queries.forEach((q, i) => {
      const d = bankRows.map((b) => distance(q, b));
      expect(all[i]).toBeCloseTo(Math.min(...d), 4);
      expect(some[i]).toBeCloseTo(Math.min(...d.filter((_, j) => j % 5 !== 0)), 4);
    });
    // queries of the first centre are nearest to rows 0, 5, 10, …: leaving those out must move them
    expect(Math.max(...Array.from(some, (v, i) => v - all[i]!))).toBeGreaterThan(0.1);
  });

  it("remembers a share of its images' own windows and describes normal windows by their distance without their own image", async () => {
    const shape = [5, 6, 8] as const;
    const xs = images(40, shape, 4);
    const memory = await fitPatchMemory(xs, shape, 4, { threads: 1 });
    const windows = xs.map((x) => windowsByHand(x, shape, 4));
    const flat = windows.flat();
    expect(memory.size).toBe(Math.round(MEMORY_SHARE * flat.length));
    expect(memory.images).toBe(40);
    for (let d = 0; d < 5; d++) expect(memory.centre[d]).toBeCloseTo(flat.reduce((s, r) => s + r[d]!, 0) / flat.length, 5);
    // each remembered window is one of the images' windows; which image it came from, for the leave-one-out below
    const bank = Array.from({ length: memory.size }, (_, b) => Array.from({ length: 5 }, (_, d) => memory.bank[b * 5 + d]! + memory.centre[d]!));
    const imageOf = bank.map((b) => {
      const hits = windows.map((ws, i) => (ws.some((w) => distance(w, b) < 1e-4) ? i : -1)).filter((i) => i >= 0);
      expect(hits).toHaveLength(1);
      return hits[0]!;
    });
    expect(new Set(imageOf).size).toBeGreaterThan(1);
    const leftOut = windows.flatMap((ws, i) => ws.map((w) => Math.min(...bank.filter((_, b) => imageOf[b] !== i).map((b) => distance(w, b)))));
    const mean = leftOut.reduce((a, b) => a + b, 0) / leftOut.length;
    const std = Math.sqrt(leftOut.reduce((a, d) => a + (d - mean) ** 2, 0) / (leftOut.length - 1));
    expect(memory.normalDistance.mean).toBeCloseTo(mean, 4);
    expect(memory.normalDistance.std).toBeCloseTo(std, 4);
    // its own windows lie at distance 0: had they been counted, the mean would be lower
    const own = windows.flatMap((ws) => ws.map((w) => Math.min(...bank.map((b) => distance(w, b)))));
    expect(own.reduce((a, b) => a + b, 0) / own.length).toBeLessThan(mean - 0.01);
  });

  it('refuses fewer than ten normal images, saying how many it needs', async () => {
    await expect(fitPatchMemory(images(9, [5, 6, 8], 1), [5, 6, 8], 4)).rejects.toThrow(/at least 10 normal images, got 9/);
  });
});
