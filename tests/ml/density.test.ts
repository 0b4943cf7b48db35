// The normal images' density (ssn/density.ts): its covariance against the Ledoit–Wolf estimator written out from
// its definition, its normal distances against a cross-fit done by hand through the public functions, and the graph
// against the same arithmetic in JavaScript.
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { compileInference } from '../../src/main/ml/engine/compile.js';
import { createSession } from '../../src/main/ml/engine/runtime.js';
import { densityDistance, densityGraph, densityProbability, fitImageDensity, meanFeature } from '../../src/main/ml/ssn/density.js';
import { seededRandom } from '../../src/main/util/random.js';
import { expectWhitens, ledoitWolf, sample } from './ledoitWolf.js';

describe('the image density', () => {
  it('whitens the Ledoit–Wolf covariance of its images: L⁻¹ Σ L⁻ᵀ = I', () => {
    const xs = sample(40, 12, 5);
    const density = fitImageDensity(xs);
    const { covariance, shrinkage } = ledoitWolf(xs);
    expect(shrinkage).toBeGreaterThan(0.01); // 40 images of 12 values: a shrinkage the check below can see
    expect(density.shrinkage).toBeCloseTo(shrinkage, 10);
    expectWhitens(density.whitening, covariance);
    for (let i = 0; i < 12; i++) expect(density.mean[i]).toBeCloseTo(xs.reduce((s, x) => s + x[i]!, 0) / xs.length, 4);
  });

  it("describes normal distances by images each fit has not seen (five folds), not by its own images' distances", () => {
    const xs = sample(50, 8, 9);
    const density = fitImageDensity(xs);
    const heldOut: number[] = [];
    for (let fold = 0; fold < 5; fold++) {
      const rest = fitImageDensity(xs.filter((_, i) => i % 5 !== fold));
      xs.forEach((x, i) => i % 5 === fold && heldOut.push(densityDistance(rest, x)));
    }
    const mean = heldOut.reduce((a, b) => a + b, 0) / heldOut.length;
    const std = Math.sqrt(heldOut.reduce((a, d) => a + (d - mean) ** 2, 0) / (heldOut.length - 1));
    expect(density.normalDistance.mean).toBeCloseTo(mean, 6);
    expect(density.normalDistance.std).toBeCloseTo(std, 6);
    const ownMean = xs.reduce((a, x) => a + densityDistance(density, x), 0) / xs.length;
    expect(ownMean).toBeLessThan(density.normalDistance.mean); // what the fit has learnt lies closer
  });

  it('gives a far image a probability near 1 and a typical one near 0.5', () => {
    const xs = sample(60, 6, 2);
    const density = fitImageDensity(xs);
    const typical = densityProbability(density, density.normalDistance.mean);
    expect(typical).toBeCloseTo(0.5, 10);
    const far = Float32Array.from(density.mean, (v) => v + 50);
    expect(densityProbability(density, densityDistance(density, far))).toBeGreaterThan(0.999);
  });

  it('refuses fewer than ten normal images, saying how many it needs', () => {
    expect(() => fitImageDensity(sample(9, 4, 1))).toThrow(/at least 10 normal images, got 9/);
  });

  it('computes in the graph what it computes in JavaScript: mean features of both maps, distance, probability', async () => {
    const xs = sample(30, 5, 4); // 2 + 3 channels
    const density = fitImageDensity(xs);
    const random = seededRandom(7);
    const s8 = Float32Array.from({ length: 2 * 4 * 6 }, () => 3 + 4 * (random() - 0.5));
    const s16 = Float32Array.from({ length: 3 * 2 * 3 }, () => 3 + 4 * (random() - 0.5));
    const model = {
      name: 'density',
      inputs: [
        { name: 's8', shape: [1, 2, 4, 6] },
        { name: 's16', shape: [1, 3, 2, 3] },
      ],
      forward(m: Parameters<typeof densityGraph>[0], inputs: Record<string, Parameters<typeof meanFeature>[0]>) {
        return { outputs: { p: densityGraph(m, meanFeature(inputs.s8!, inputs.s16!), density) } };
      },
    };
    const { session } = await createSession(compileInference(model, new Map()).bytes, { providers: ['cpu'], threads: 1 });
    const out = await session.run({ s8: new ort.Tensor('float32', s8, [1, 2, 4, 6]), s16: new ort.Tensor('float32', s16, [1, 3, 2, 3]) });
    await session.release();
    const mean = (data: Float32Array, channels: number, positions: number) =>
      Array.from({ length: channels }, (_, c) => data.subarray(c * positions, (c + 1) * positions).reduce((a, b) => a + b, 0) / positions);
    const feature = Float32Array.from([...mean(s8, 2, 24), ...mean(s16, 3, 6)]);
    const expected = densityProbability(density, densityDistance(density, feature));
    expect(expected).toBeGreaterThan(0.05);
    expect(expected).toBeLessThan(0.999); // in the range where a wrong distance shows
    expect((out.p!.data as Float32Array)[0]).toBeCloseTo(expected, 5);
  });
});
