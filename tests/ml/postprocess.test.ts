// The map post-processing the workbench runs (the same ONNX nodes as the export's tail), on hand-computed cases.
import { describe, expect, it } from 'vitest';
import { MapFinisher } from '../../src/main/ml/ssn/postprocess.js';
import { PRESETS } from '../../src/main/ml/ssn/presets.js';
import type { TrainingConfig } from '../../src/main/ml/ssn/types.js';

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const config = (mapScoreWeight: number, mapSigma = 4, mapScoreTopShare = 0): TrainingConfig => ({ ...PRESETS.fast, backbonePath: 'x', seed: 0, size: { height: 64, width: 64 }, mapScoreWeight, mapSigma, mapScoreTopShare });

describe('MapFinisher', () => {
  it('turns constant logits into a constant map and blends the score with its maximum', async () => {
    const finisher = await MapFinisher.create(config(0.25), 8, 8);
    try {
      const out = await finisher.finish(0.2, new Float32Array(64).fill(0.3));
      expect(out.map.length).toBe(64 * 64);
      for (const v of out.map) expect(v).toBeCloseTo(sigmoid(0.3), 6);
      expect(out.mapScore).toBeCloseTo(sigmoid(0.3), 6);
      expect(out.score).toBeCloseTo(0.75 * 0.2 + 0.25 * sigmoid(0.3), 6);
    } finally {
      await finisher.release();
    }
  });

  it("scores the map by the mean of its highest share of pixels when the config asks, by its maximum otherwise", async () => {
    // logits at model size and no smoothing, so the map is exactly their sigmoid: 100 pixels at 3, 300 at 1, the rest 0
    const logits = new Float32Array(64 * 64);
    logits.fill(3, 0, 100);
    logits.fill(1, 1000, 1300);
    const top = await MapFinisher.create(config(1, 0, 0.05), 64, 64);
    const max = await MapFinisher.create(config(1, 0), 64, 64);
    try {
      // 5 % of 4096 pixels: 205, the 100 at 3 and 105 of those at 1
      const expected = (100 * sigmoid(3) + 105 * sigmoid(1)) / 205;
      const scored = await top.finish(0.2, logits);
      expect(scored.mapScore).toBeCloseTo(expected, 6);
      expect(scored.score).toBeCloseTo(expected, 6);
      expect((await max.finish(0.2, logits)).mapScore).toBeCloseTo(sigmoid(3), 6);
    } finally {
      await top.release();
      await max.release();
    }
  });

  it('upsamples with half-pixel centres, smooths with reflected borders, and keeps the classification score alone at weight 0', async () => {
    // a 2×2 bright block in the middle of a 4×4 map: symmetric under both flips, peak at the centre, mass preserved
    const logits = new Float32Array(16);
    for (const i of [5, 6, 9, 10]) logits[i] = 4;
    const finisher = await MapFinisher.create(config(0, 2), 4, 4);
    try {
      const out = await finisher.finish(0.9, logits);
      expect(out.score).toBeCloseTo(0.9, 6);
      const at = (y: number, x: number) => out.map[y * 64 + x]!;
      for (const [y, x] of [[3, 7], [20, 41], [31, 12]] as const) {
        expect(at(y, x)).toBeCloseTo(at(63 - y, x), 6);
        expect(at(y, x)).toBeCloseTo(at(y, 63 - x), 6);
      }
      expect(at(31, 31)).toBeGreaterThan(at(10, 31));
      expect(out.mapScore).toBeCloseTo(Math.max(...out.map), 6);
      // without smoothing, the upsampled logits at a block centre are exactly 4 (bilinear inside the block)
      const sharp = await MapFinisher.create(config(0, 0), 4, 4);
      try {
        const raw = await sharp.finish(0.9, logits);
        expect(raw.map[31 * 64 + 31]).toBeCloseTo(sigmoid(4), 6);
        expect(raw.map[0]).toBeCloseTo(sigmoid(0), 6);
      } finally {
        await sharp.release();
      }
    } finally {
      await finisher.release();
    }
  });
});
