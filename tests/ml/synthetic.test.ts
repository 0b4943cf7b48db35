// Synthetic anomalies and the loss: Perlin masks repeat from a seed and are thresholded; the noise never lands in a
// real defect; and γ selects pixels — a weakly labelled image adds no segmentation pixels, checked against a
// hand-computed loss on a tiny batch run through the real loss graph in ONNX Runtime.
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { compileInference } from '../../src/main/ml/engine/compile.js';
import type { ModelDefinition } from '../../src/main/ml/engine/model.js';
import { createSession } from '../../src/main/ml/engine/runtime.js';
import { makeBatch, perlinThreshold, Sampler, streamRandom, type TrainSample } from '../../src/main/ml/ssn/batch.js';
import { FOCAL_GAMMA, ssnLoss } from '../../src/main/ml/ssn/model.js';
import type { FeatureGeometry } from '../../src/main/ml/ssn/model.js';
import { dilateMask, distanceWeights } from '../../src/main/ml/ssn/masks.js';
import { perlinMask } from '../../src/main/ml/ssn/perlin.js';
import { resolveConfig } from '../../src/main/ml/ssn/presets.js';
import { seededRandom } from '../../src/main/util/random.js';

const ones = (m: Uint8Array) => m.reduce((a, b) => a + b, 0);

describe('Perlin anomaly masks', () => {
  it('repeat exactly from a seed and differ between seeds', () => {
    const a = perlinMask(32, 48, 0.2, seededRandom(5));
    expect(perlinMask(32, 48, 0.2, seededRandom(5))).toEqual(a);
    expect(perlinMask(32, 48, 0.2, seededRandom(6))).not.toEqual(a);
    expect(a.every((v) => v === 0 || v === 1)).toBe(true);
  });

  it('are thresholded: a higher threshold keeps a subset of the pixels, and 0.2 covers a fraction of the map', () => {
    let low = 0;
    let high = 0;
    for (let seed = 0; seed < 40; seed++) {
      const m2 = perlinMask(32, 32, 0.2, seededRandom(seed));
      const m6 = perlinMask(32, 32, 0.6, seededRandom(seed));
      expect(m6.every((v, i) => v <= m2[i]!)).toBe(true);
      low += ones(m2);
      high += ones(m6);
    }
    const share = low / (40 * 1024);
    expect(share).toBeGreaterThan(0.1);
    expect(share).toBeLessThan(0.45);
    expect(high).toBeLessThan(low / 3);
  });
});

const geometry: FeatureGeometry = { s8: [2, 2, 2], s16: [2, 1, 1], pooledChannels: 4, channels: 3, height: 2, width: 2 };

describe('step batches', () => {
  it('put noise only inside synthetic masks and never inside a real defect; labels follow the masks', () => {
    const config = resolveConfig({ backbonePath: 'x', emptyMaskProbability: 0, perlinThreshold: { unsupervised: -2, supervised: -2 } }, { provider: 'cpu' });
    const real = Uint8Array.from([1, 0, 2, 1]); // cell 2 is partly a defect
    const samples: TrainSample[] = [
      { tensors: { features: new Float32Array(12) }, gamma: 1, anomalous: true, mask: real },
      { tensors: { features: new Float32Array(12) }, gamma: 1, anomalous: false, mask: null },
    ];
    // threshold -2: the synthetic mask covers everything, so the noise must fill exactly the non-defect pixels
    const batch = makeBatch(samples, [0, 1], 0, config, geometry, perlinThreshold(config, samples));
    const copies = 4;
    for (let k = 0; k < copies; k++) {
      for (let q = 0; q < 4; q++) {
        expect(batch.noiseMask![k * 4 + q]).toBe(k % 2 === 0 && real[q] !== 0 ? 0 : 1);
        // the partly covered cell is left out of the segmentation loss, every other pixel counts
        expect(batch.wFocal![k * 4 + q]).toBe(k % 2 === 0 && q === 2 ? 0 : Math.fround(1 / 14));
      }
    }
    expect(Array.from(batch.target!)).toEqual(Array(16).fill(1));
    expect(Array.from(batch.label!)).toEqual([1, 1, 1, 1]);
    expect(makeBatch(samples, [0, 1], 7, config, geometry, perlinThreshold(config, samples))).toEqual(makeBatch(samples, [0, 1], 7, config, geometry, perlinThreshold(config, samples)));
  });

  it('draw the smaller synthetic masks only when real masks train the map, not for weak labels alone', () => {
    const config = resolveConfig({ backbonePath: 'x' }, { provider: 'cpu' });
    const sample = (anomalous: boolean, mask: Uint8Array | null): TrainSample => ({ tensors: {}, gamma: anomalous && !mask ? 0 : 1, anomalous, mask });
    const normal = sample(false, null);
    expect(perlinThreshold(config, [normal, normal])).toBe(config.perlinThreshold.unsupervised);
    // weak images add no segmentation pixels: the map learns from normal images alone, as with no defects
    expect(perlinThreshold(config, [normal, sample(true, null)])).toBe(config.perlinThreshold.unsupervised);
    expect(perlinThreshold(config, [normal, sample(true, null), sample(true, Uint8Array.from([1, 0, 0, 0]))])).toBe(config.perlinThreshold.supervised);
    expect(config.perlinThreshold.supervised).toBeGreaterThan(config.perlinThreshold.unsupervised);
  });

  it('weigh real defect cells by their distance weights: each term is a weighted mean (hand-computed)', () => {
    const config = resolveConfig({ backbonePath: 'x', emptyMaskProbability: 1 }, { provider: 'cpu' });
    const samples: TrainSample[] = [
      { tensors: { features: new Float32Array(12) }, gamma: 1, anomalous: true, mask: Uint8Array.from([1, 0, 0, 1]), weights: Float32Array.from([0.25, 1, 1, 1]) },
      { tensors: { features: new Float32Array(12) }, gamma: 1, anomalous: false, mask: null },
    ];
    const batch = makeBatch(samples, [0, 1], 0, config, geometry, perlinThreshold(config, samples));
    // copies 0 and 2 hold the defect: anomalous weight 2·(0.25 + 1) = 2.5, normal 2·2 + 2·4 = 12, all 14.5
    expect(batch.wAnomalous![0]).toBeCloseTo(0.25 / 2.5, 7);
    expect(batch.wAnomalous![3]).toBeCloseTo(1 / 2.5, 7);
    expect(batch.wNormal![1]).toBeCloseTo(1 / 12, 7);
    expect(batch.wNormal![4]).toBeCloseTo(1 / 12, 7);
    expect(batch.wFocal![0]).toBeCloseTo(0.25 / 14.5, 7);
    expect(batch.wFocal![5]).toBeCloseTo(1 / 14.5, 7);
    const sum = (a: Float32Array) => a.reduce((x, y) => x + y, 0);
    expect(sum(batch.wAnomalous!)).toBeCloseTo(1, 6);
    expect(sum(batch.wFocal!)).toBeCloseTo(1, 6);
  });

  it('balance anomalous images 1:1 with normal ones and repeat the order from (seed, step)', () => {
    const samples = Array.from({ length: 10 }, (_, i): TrainSample => ({ tensors: {}, gamma: 1, anomalous: i < 2, mask: null }));
    const sampler = new Sampler(samples, 4, 3);
    expect(sampler.stepsPerEpoch).toBe(4); // 8 normal images, 2 per step
    for (let step = 0; step < 8; step++) {
      const idx = sampler.indices(step);
      expect(idx.filter((i) => i < 2).length).toBe(2);
      expect(new Sampler(samples, 4, 3).indices(step)).toEqual(idx);
    }
    const epoch = [0, 1, 2, 3].flatMap((s) => sampler.indices(s).filter((i) => i >= 2));
    expect([...epoch].sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(streamRandom(1, 'a')()).not.toBe(streamRandom(2, 'a')());
  });
});

/** The loss graph alone, on given map logits, image logits and a step batch's targets. */
function lossModel(copies: number): ModelDefinition {
  const px = [copies, 1, 2, 2];
  return {
    name: 'loss',
    inputs: [
      { name: 'map', shape: px },
      { name: 'logit', shape: [copies, 1] },
      { name: 'target', shape: px },
      { name: 'wNormal', shape: px },
      { name: 'wAnomalous', shape: px },
      { name: 'wFocal', shape: px },
      { name: 'label', shape: [copies, 1] },
    ],
    forward(_m, i) {
      const { loss, terms } = ssnLoss({ map: i.map!, logit: i.logit! }, i as never);
      return { outputs: { loss, ...terms } };
    },
  };
}

describe('loss with γ', () => {
  it('takes segmentation pixels from γ = 1 images only: a weak image adds none (hand-computed)', async () => {
    const config = resolveConfig({ backbonePath: 'x', emptyMaskProbability: 1 }, { provider: 'cpu' });
    const samples: TrainSample[] = [
      { tensors: { features: new Float32Array(12) }, gamma: 1, anomalous: false, mask: null }, // normal
      { tensors: { features: new Float32Array(12) }, gamma: 0, anomalous: true, mask: null }, // weak
    ];
    const batch = makeBatch(samples, [0, 1], 0, config, geometry, perlinThreshold(config, samples));
    // copies: 0 = normal, 1 = weak, 2 = normal (duplicate), 3 = weak (duplicate); no synthetic masks
    expect(Array.from(batch.label!)).toEqual([0, 1, 0, 1]);
    const map = Float32Array.from([-1, 0, 0.2, -0.6, 9, 9, 9, 9, 0.1, -2, -0.4, 0.5, -9, -9, -9, -9]);
    const logit = Float32Array.from([-1, 2, 0.5, -3]);
    const { session } = await createSession(compileInference(lossModel(4), new Map()).bytes, { providers: ['cpu'] });
    const run = async (m: Float32Array) => {
      const feeds: Record<string, ort.Tensor> = { map: new ort.Tensor('float32', m, [4, 1, 2, 2]), logit: new ort.Tensor('float32', logit, [4, 1]) };
      for (const name of ['target', 'wNormal', 'wAnomalous', 'wFocal']) feeds[name] = new ort.Tensor('float32', batch[name]!, [4, 1, 2, 2]);
      feeds.label = new ort.Tensor('float32', batch.label!, [4, 1]);
      const out = await session.run(feeds);
      return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, (v.data as Float32Array)[0]!]));
    };
    const got = await run(map);
    // by hand: the 8 pixels of the two normal copies, all target 0
    const normalPixels = [-1, 0, 0.2, -0.6, 0.1, -2, -0.4, 0.5];
    const l1 = normalPixels.reduce((s, v) => s + Math.max(0, v + 0.5), 0) / 8; // no anomalous γ=1 pixels: that half is 0
    const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
    const focal = (x: number, t: number) => {
      const p = t ? sigmoid(x) : 1 - sigmoid(x);
      return -((1 - p) ** FOCAL_GAMMA) * Math.log(p);
    };
    const focalMap = normalPixels.reduce((s, v) => s + focal(v, 0), 0) / 8;
    const focalScore = [focal(-1, 0), focal(2, 1), focal(0.5, 0), focal(-3, 1)].reduce((a, b) => a + b) / 4;
    expect(got.l1).toBeCloseTo(l1, 5);
    expect(got.focalMap).toBeCloseTo(focalMap, 5);
    expect(got.focalScore).toBeCloseTo(focalScore, 5);
    expect(got.loss).toBeCloseTo(l1 + focalMap + focalScore, 5);
    // whatever the weak image's map says, the segmentation terms do not move
    const changed = Float32Array.from(map);
    changed.fill(-5, 4, 8);
    changed.fill(3, 12, 16);
    const again = await run(changed);
    expect(again.l1).toBe(got.l1);
    expect(again.focalMap).toBe(got.focalMap);
    await session.release();
  });
});

describe('journal mask variants', () => {
  const grid = (rows: string[]) => Uint8Array.from(rows.join('').split(''), Number);
  it('grow every touched cell, partial ones included, by the given number of cells', () => {
    const mask = grid(['00000', '00000', '00200', '00000', '00001']);
    expect(Array.from(dilateMask(mask, 5, 5, 1))).toEqual(Array.from(grid(['00000', '01110', '01110', '01111', '00011'])));
    expect(dilateMask(mask, 5, 5, 0)).toBe(mask);
  });
  it('weigh a region by its distance from the edge, normalised per region (hand-computed)', () => {
    const mask = grid(['000000', '011100', '011100', '011100', '000000', '000001']);
    const w = distanceWeights(mask, 6, 6);
    // 3×3 block: its centre is 2 cells from the nearest cell outside, every rim cell 1: (1/2)² = 0.25
    expect(w[14]).toBeCloseTo(1, 6);
    for (const i of [7, 8, 9, 13, 15, 19, 20, 21]) expect(w[i]).toBeCloseTo(0.25, 6);
    // a one-cell region is its own core; cells outside defects weigh 1
    expect(w[35]).toBe(1);
    expect(w[0]).toBe(1);
    expect(w[10]).toBe(1);
  });
});
