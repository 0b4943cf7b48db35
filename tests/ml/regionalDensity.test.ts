// The regional density (ssn/regionalDensity.ts): its windows against ONNX Runtime's own AveragePool, its fit against
// the Ledoit–Wolf estimator written out from its definition on windows averaged here by hand, its normal distances
// against a cross-fit done by hand, and its map probability and blend against the same arithmetic in JavaScript.
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { compileInference } from '../../src/main/ml/engine/compile.js';
import type { Tensor } from '../../src/main/ml/engine/graph.js';
import type { ModelBuilder } from '../../src/main/ml/engine/model.js';
import { createSession } from '../../src/main/ml/engine/runtime.js';
import * as op from '../../src/main/ml/engine/ops.js';
import { DataType, encodeModel, GraphBuilder, modelOf, tensorInfo } from '../../src/main/ml/pipeline/protoGraph.js';
import { blendedMapLogits, fitRegionalDensity, regionalProbability, windowRows, type RegionalDensity } from '../../src/main/ml/ssn/regionalDensity.js';
import { seededRandom } from '../../src/main/util/random.js';
import { expectWhitens, ledoitWolf } from './ledoitWolf.js';
import { images, windowsByHand } from './windows.js';

async function run(forward: (m: ModelBuilder, x: Tensor) => Tensor, input: Float32Array, shape: number[]): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const model = { name: 't', inputs: [{ name: 'x', shape }], forward: (m: ModelBuilder, i: Record<string, Tensor>) => ({ outputs: { y: forward(m, i.x!) } }) };
  const { session } = await createSession(compileInference(model, new Map()).bytes, { providers: ['cpu'], threads: 1 });
  const out = await session.run({ x: new ort.Tensor('float32', input, shape) });
  await session.release();
  return { data: out.y!.data as Float32Array, dims: out.y!.dims };
}

/** (x − mean)ᵀ Σ⁻¹ (x − mean), solved by Gaussian elimination. */
function mahalanobis(covariance: number[][], mean: ArrayLike<number>, x: ArrayLike<number>): number {
  const p = covariance.length;
  const a = covariance.map((row, i) => [...row, x[i]! - mean[i]!]);
  for (let col = 0; col < p; col++) {
    for (let r = col + 1; r < p; r++) {
      const f = a[r]![col]! / a[col]![col]!;
      for (let q = col; q <= p; q++) a[r]![q]! -= f * a[col]![q]!;
    }
  }
  const y = new Array<number>(p).fill(0);
  for (let r = p - 1; r >= 0; r--) {
    let s = a[r]![p]!;
    for (let q = r + 1; q < p; q++) s -= a[r]![q]! * y[q]!;
    y[r] = s / a[r]![r]!;
  }
  return Math.sqrt(y.reduce((s, v, i) => s + v * (x[i]! - mean[i]!), 0));
}

function meanAndStd(values: number[]) {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return { mean, std: Math.sqrt(values.reduce((a, d) => a + (d - mean) ** 2, 0) / (values.length - 1)) };
}

const SHAPE = [6, 6, 8] as const;

describe('the regional density', () => {
  it.each([4, 6, 8])('averages windows of %i cells as ONNX AveragePool does with stride 2, pads k/2 − 1 and the cells outside left out', async (k) => {
    const shape = [2, 3, 8, 12];
    const random = seededRandom(k);
    const x = Float32Array.from({ length: 2 * 3 * 8 * 12 }, () => random() - 0.5);
    const ours = await run((m, t) => windowRows(m, t, k), x, shape);
    const g = new GraphBuilder('');
    const p = k / 2 - 1;
    g.named('AveragePool', ['x'], 'y', { kernel_shape: [k, k], strides: [2, 2], pads: [p, p, p, p], count_include_pad: 0 });
    const reference = encodeModel(modelOf(g, { name: 'pool', inputs: [tensorInfo('x', DataType.FLOAT, shape)], outputs: [tensorInfo('y', DataType.FLOAT, [2, 3, 4, 6])] }));
    const { session } = await createSession(reference, { providers: ['cpu'], threads: 1 });
    const pooled = (await session.run({ x: new ort.Tensor('float32', x, shape) })).y!.data as Float32Array;
    await session.release();
    expect(ours.dims).toEqual([2 * 4 * 6, 3]);
    // rows are (image, window row, window column), channels along a row
    for (let n = 0; n < 2; n++) {
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 6; j++) {
          for (let c = 0; c < 3; c++) expect(ours.data[((n * 4 + i) * 6 + j) * 3 + c]).toBeCloseTo(pooled[((n * 3 + c) * 4 + i) * 6 + j]!, 6);
        }
      }
    }
  });

  it('whitens the Ledoit–Wolf covariance of every window of its images: L⁻¹ Σ L⁻ᵀ = I', async () => {
    const xs = images(12, SHAPE, 3);
    const density = await fitRegionalDensity(xs, SHAPE, 4, { threads: 1 });
    const rows = xs.flatMap((x) => windowsByHand(x, SHAPE, 4));
    const { covariance, shrinkage } = ledoitWolf(rows);
    expect(rows).toHaveLength(12 * 3 * 4);
    expect(shrinkage).toBeGreaterThan(0.003); // a shrinkage the check below can see
    expect(density.shrinkage).toBeCloseTo(shrinkage, 5);
    expectWhitens(density.whitening, covariance);
    for (let i = 0; i < SHAPE[0]; i++) expect(density.mean[i]).toBeCloseTo(rows.reduce((s, x) => s + x[i]!, 0) / rows.length, 5);
  });

  it("describes normal windows by the distances of images each fit has not seen (five folds of images), not by its own", async () => {
    const xs = images(13, SHAPE, 8);
    const density = await fitRegionalDensity(xs, SHAPE, 4, { threads: 1 });
    const heldOut: number[] = [];
    for (let fold = 0; fold < 5; fold++) {
      const rest = xs.filter((_, i) => i % 5 !== fold).flatMap((x) => windowsByHand(x, SHAPE, 4));
      const { covariance } = ledoitWolf(rest);
      const mean = Array.from({ length: SHAPE[0] }, (_, d) => rest.reduce((s, x) => s + x[d]!, 0) / rest.length);
      xs.forEach((x, i) => i % 5 === fold && windowsByHand(x, SHAPE, 4).forEach((row) => heldOut.push(mahalanobis(covariance, mean, row))));
    }
    const expected = meanAndStd(heldOut);
    expect(density.normalDistance.mean).toBeCloseTo(expected.mean, 4);
    expect(density.normalDistance.std).toBeCloseTo(expected.std, 4);
    const all = xs.flatMap((x) => windowsByHand(x, SHAPE, 4));
    const { covariance } = ledoitWolf(all);
    const own = meanAndStd(all.map((row) => mahalanobis(covariance, density.mean, row)));
    expect(own.mean).toBeLessThan(expected.mean - 0.05); // what the fit has learnt lies closer
  });

  it('refuses fewer than ten normal images, saying how many it needs', async () => {
    await expect(fitRegionalDensity(images(9, SHAPE, 1), SHAPE, 4)).rejects.toThrow(/at least 10 normal images, got 9/);
  });

  it("computes each window's probability on the heads' grid (2× bilinear) and blends it into the map's probability", async () => {
    const all = images(13, SHAPE, 5);
    const xs = all.slice(0, 12);
    const density: RegionalDensity = await fitRegionalDensity(xs, SHAPE, 4, { threads: 1 });
    const [c, h, w] = SHAPE;
    const x = all[12]!.map((v, i) => (i < 2 * w ? v + 1 : v)); // an image the fit has not seen, two rows of one channel shifted
    const random = seededRandom(2);
    const logits = Float32Array.from({ length: h * w }, () => 4 * (random() - 0.5));
    const model = {
      name: 'blend',
      inputs: [
        { name: 'x', shape: [1, c, h, w] },
        { name: 'logits', shape: [1, 1, h, w] },
      ],
      forward(m: ModelBuilder, i: Record<string, Tensor>) {
        const p = regionalProbability(m, windowRows(m, i.x!, 4), density, { n: 1, h, w });
        // a second part (the patch memory's place): here p², so that its share shows
        const two = [{ probability: p, weight: 0.3 }, { probability: op.mul(p, p), weight: 0.2 }];
        return { outputs: { p, blended: blendedMapLogits(i.logits!, [{ probability: p, weight: 0.3 }]), both: blendedMapLogits(i.logits!, two) } };
      },
    };
    const { session } = await createSession(compileInference(model, new Map()).bytes, { providers: ['cpu'], threads: 1 });
    const out = await session.run({ x: new ort.Tensor('float32', x, [1, c, h, w]), logits: new ort.Tensor('float32', logits, [1, 1, h, w]) });
    await session.release();
    const { covariance } = ledoitWolf(xs.flatMap((v) => windowsByHand(v, SHAPE, 4)));
    const { mean: m0, std: s0 } = density.normalDistance;
    const coarse = windowsByHand(x, SHAPE, 4).map((row) => 1 / (1 + Math.exp((-1.702 * (mahalanobis(covariance, density.mean, row) - m0)) / s0)));
    expect(Math.max(...coarse) - Math.min(...coarse)).toBeGreaterThan(0.3); // windows the comparison can tell apart
    // half-pixel 2× upsampling: each cell takes ¾ of its window and ¼ of the next one out, clamped at the edges
    const axis = (i: number, size: number) => {
      const j = Math.floor(i / 2);
      const other = Math.min(size - 1, Math.max(0, i % 2 === 0 ? j - 1 : j + 1));
      return [j, other] as const;
    };
    const p = out.p!.data as Float32Array;
    const blended = out.blended!.data as Float32Array;
    const both = out.both!.data as Float32Array;
    for (let r = 0; r < h; r++) {
      for (let q = 0; q < w; q++) {
        const [r0, r1] = axis(r, h / 2);
        const [q0, q1] = axis(q, w / 2);
        const at = (a: number, b: number) => coarse[a * (w / 2) + b]!;
        const expected = 0.5625 * at(r0, q0) + 0.1875 * (at(r1, q0) + at(r0, q1)) + 0.0625 * at(r1, q1);
        expect(p[r * w + q]).toBeCloseTo(expected, 4);
        const mixed = 0.7 / (1 + Math.exp(-logits[r * w + q]!)) + 0.3 * p[r * w + q]!;
        expect(blended[r * w + q]).toBeCloseTo(Math.log(mixed / (1 - mixed)), 4);
        const three = 0.5 / (1 + Math.exp(-logits[r * w + q]!)) + 0.3 * p[r * w + q]! + 0.2 * p[r * w + q]! ** 2;
        expect(both[r * w + q]).toBeCloseTo(Math.log(three / (1 - three)), 4);
      }
    }
  });
});
