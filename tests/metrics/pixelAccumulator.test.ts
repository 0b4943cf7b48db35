// The streamed pixel metrics: hand-computed cases, regions, and the binned values against exact computation with
// the stated error bounds.
import { describe, expect, it } from 'vitest';
import {
  connectedComponents,
  describeRegions,
  imageAuroc,
  imageAveragePrecision,
  imageF1Max,
  PixelMetricsAccumulator,
  regionOverlap,
} from '../../src/main/metrics/index.js';
import { seededRandom } from '../../src/main/util/random.js';
import { referenceAuroc } from './reference.js';
import {
  bruteAupro,
  flatScoresAndLabels,
  randomImages,
  referenceRegions,
  sweepAupro,
  type TestImage,
} from './pixelReference.js';

function accumulate(images: TestImage[], bins?: number): PixelMetricsAccumulator {
  const acc = new PixelMetricsAccumulator(bins === undefined ? {} : { bins });
  for (const { map, mask, width, height } of images) acc.add(map, mask, width, height);
  return acc;
}

describe('pixel metrics by hand', () => {
  // 3×2 map, defects at (0,0) and (2,1): two regions of one pixel (not neighbours even diagonally).
  // defect scores 0.9, 0.3; normal scores 0.8, 0.1, 0.7, 0.2.
  const map = Float64Array.from([0.9, 0.8, 0.1, 0.7, 0.2, 0.3]);
  const mask = Uint8Array.from([1, 0, 0, 0, 0, 1]);
  const m = accumulate([{ map, mask, width: 3, height: 2 }], 1024).result();

  it('AUROC: 0.9 beats all 4 normals, 0.3 beats 0.1 and 0.2 → 6/8', () => {
    expect(m.auroc).toBe(0.75);
    expect(m.aurocErrorBound).toBe(0); // no defect and normal pixel share a bin
  });

  it('AP: 0.9 → recall ½ at precision 1; 0.3 → recall 1 at precision 2/4 → ½ + ¼', () => {
    expect(m.ap).toBe(0.75);
    expect(m.apErrorBound).toBe(0);
  });

  it('F1: ⅔ at 0.9 and ⅔ at 0.3 → the higher threshold, the edge of 0.9’s bin (921/1024)', () => {
    expect(m.f1max.f1).toBeCloseTo(2 / 3, 15);
    expect(m.f1max.threshold).toBe(921 / 1024);
    expect(m.f1max.recall).toBe(0.5);
  });

  it('AUPRO: curve (0,0)→(0,½)→(¼,½)→(½,½); area to FPR 0.3 = ¼·½ + 0.05·½ = 0.15; /0.3 = ½', () => {
    expect(m.aupro).toBeCloseTo(0.5, 15);
    expect(m.auproErrorBound).toBe(0);
    expect(m.regionCount).toBe(2);
    expect([m.defectPixels, m.normalPixels, m.imageCount]).toEqual([2, 4, 1]);
  });

  it('a normal image (mask null) only adds normal pixels: PRO curve reaches FPR 0.3 sooner', () => {
    const acc = accumulate([{ map, mask, width: 3, height: 2 }], 1024);
    acc.add(Float64Array.from([0.95, 0.05]), null, 2, 1);
    const r = acc.result();
    // normals 0.95, 0.8, 0.7, 0.2, 0.1, 0.05 (6); PRO: (1/6, 0) at 0.95, (1/6, ½) at 0.9, (2/6, ½) at 0.8 → cut at 0.3
    // area = (0.3 − 1/6)·½ → /0.3
    expect(r.aupro).toBeCloseTo(((0.3 - 1 / 6) * 0.5) / 0.3, 12);
    expect(r.normalPixels).toBe(6);
  });
});

describe('regions', () => {
  it('8-connectivity: diagonal neighbours are one region, a gap of one pixel splits', () => {
    // 1 0 0 1
    // 0 1 0 0
    // 0 0 0 1
    const mask = Uint8Array.from([1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1]);
    const c = connectedComponents(mask, 4, 3);
    expect(c.count).toBe(3);
    expect(Array.from(c.areas)).toEqual([2, 1, 1]);
    expect(Array.from(c.labels)).toEqual([1, 0, 0, 2, 0, 1, 0, 0, 0, 0, 0, 3]);
  });

  it('components match a union-find reference on random masks (and 0/255 masks work)', () => {
    const random = seededRandom(7);
    for (let trial = 0; trial < 50; trial++) {
      const w = 1 + Math.floor(random() * 20);
      const h = 1 + Math.floor(random() * 20);
      const mask = Uint8Array.from({ length: w * h }, () => (random() < 0.35 ? 255 : 0));
      const ours = connectedComponents(mask, w, h);
      const ref = referenceRegions(mask, w, h);
      expect(ours.count).toBe(ref.count);
      // the same partition: pixels share our label exactly when they share the reference id
      const pairs = new Map<number, number>();
      for (let p = 0; p < mask.length; p++) {
        if (!mask[p]) continue;
        const seen = pairs.get(ours.labels[p]!);
        if (seen === undefined) pairs.set(ours.labels[p]!, ref.ids[p]!);
        else expect(seen).toBe(ref.ids[p]);
      }
    }
  });

  it('records area, box, max and exact overlaps at given thresholds; overlapAt exact for small regions', () => {
    // 4×3 map; one region of 3 pixels scored 0.2, 0.6, 0.9 and one of 1 pixel scored 0.4
    const map = Float64Array.from([0.2, 0.6, 0, 0, 0, 0.9, 0, 0, 0, 0, 0, 0.4]);
    const mask = Uint8Array.from([1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
    const acc = new PixelMetricsAccumulator({ bins: 1024, regionThresholds: [0.5, 0.95] });
    const added = acc.add(map, mask, 4, 3, 'img-a');
    expect(added.regions).toHaveLength(2);
    const [big, small] = added.regions;
    expect(big).toMatchObject({ image: 0, key: 'img-a', region: 1, area: 3, maxScore: 0.9, overlaps: [2 / 3, 0] });
    expect(big!.box).toEqual({ x: 0, y: 0, width: 2, height: 2 });
    expect(big!.meanScore).toBeCloseTo(1.7 / 3, 15);
    expect(small).toMatchObject({ region: 2, area: 1, box: { x: 3, y: 2, width: 1, height: 1 }, overlaps: [0, 0] });
    expect(regionOverlap(big!, 0.6)).toBe(2 / 3);
    expect(regionOverlap(big!, 0.61)).toBe(1 / 3);
    expect(regionOverlap(small!, 0.4)).toBe(1);
    expect(acc.regions()).toHaveLength(2);
    expect(describeRegions(map, mask, 4, 3, { thresholds: [0.5] })[0]!.overlaps).toEqual([2 / 3]);
  });

  it('overlapAt on large regions is within 1/(2K) + 1/area of the exact share', () => {
    const random = seededRandom(11);
    const w = 40;
    const h = 30;
    const mask = new Uint8Array(w * h).fill(1); // one region of 1200 pixels
    const map = Float64Array.from({ length: w * h }, () => random() ** 2);
    const [record] = describeRegions(map, mask, w, h, { profileSize: 16 });
    for (let t = 0; t <= 1; t += 0.01) {
      let exact = 0;
      for (const s of map) if (s >= t) exact++;
      expect(Math.abs(regionOverlap(record!, t) - exact / map.length)).toBeLessThanOrEqual(1 / 32 + 1 / 1200);
    }
  });
});

describe('input handling', () => {
  it('scores outside the range go to the end bins and are counted', () => {
    const acc = new PixelMetricsAccumulator({ bins: 1024 });
    acc.add(Float64Array.from([1.5, -0.2, 0.5, 1]), Uint8Array.from([1, 0, 0, 0]), 2, 2);
    const r = acc.result();
    expect(r.clampedPixels).toBe(2);
    // 1.5 shares the top bin with the normal 1.0: a tie → ½ + 1 + 1 of 3
    expect(r.auroc).toBeCloseTo(2.5 / 3, 15);
  });

  it('NaN, wrong sizes, bad bins, mismatched merges and one class are handled clearly', () => {
    const acc = new PixelMetricsAccumulator({ bins: 1024 });
    expect(() => acc.add([0.1, Number.NaN], null, 2, 1)).toThrow(/NaN/);
    expect(() => acc.add([0.1, 0.2, 0.3], null, 2, 1)).toThrow(/3 values but the image is 2×1/);
    expect(() => acc.add([0.1, 0.2], [1], 2, 1)).toThrow(/mask has 1 values/);
    expect(() => new PixelMetricsAccumulator({ bins: 10 })).toThrow(/1024/);
    expect(() => new PixelMetricsAccumulator({ range: [1, 1] })).toThrow(/lo < hi/);
    expect(() => acc.merge(new PixelMetricsAccumulator({ bins: 2048 }))).toThrow(/equal bins/);
    acc.add([0.1, 0.2], null, 2, 1);
    const r = acc.result();
    expect([r.auroc, r.ap, r.f1max.f1, r.aupro]).toEqual([NaN, NaN, NaN, NaN]);
    expect(r.normalPixels).toBe(2);
  });

  it('merging two accumulators equals one fed everything, region image indices follow on', () => {
    const images = randomImages(5, 6, 16, 12);
    const whole = accumulate(images);
    const a = accumulate(images.slice(0, 3));
    const b = accumulate(images.slice(3));
    a.merge(b);
    expect(a.result()).toEqual(whole.result());
    expect(a.regions().map((r) => r.image)).toEqual(whole.regions().map((r) => r.image));
  });

  it('normal-pixel quantile: at most 1 − q of the normal pixels at or above it', () => {
    const acc = new PixelMetricsAccumulator({ bins: 1024 });
    acc.add(Float64Array.from({ length: 1000 }, (_, i) => i / 1000), null, 1000, 1);
    const t = acc.normalQuantile(0.99);
    // pixels ≥ t: exactly the top 10 (0.990 … 0.999); t is the edge of 0.99's bin
    expect(t).toBe(Math.floor(0.99 * 1024) / 1024);
    // q = 1: no normal pixel may be flagged → the edge just above the top score 0.999 (bin 1022)
    expect(acc.normalQuantile(1)).toBe(1023 / 1024);
  });
});

describe('binned against exact', () => {
  const metricsOf = (images: TestImage[], bins: number) => accumulate(images, bins).result();

  it('on small random maps, with a coarse binning, every metric is within its bound of brute force', () => {
    for (let trial = 0; trial < 12; trial++) {
      const images = randomImages(100 + trial, 3, 14, 10);
      const { scores, labels } = flatScoresAndLabels(images);
      if (!labels.includes(1)) continue;
      const m = metricsOf(images, 1024);
      expect(Math.abs(m.auroc - referenceAuroc(scores, labels))).toBeLessThanOrEqual(m.aurocErrorBound + 1e-12);
      expect(Math.abs(m.aupro - bruteAupro(images, 0.3))).toBeLessThanOrEqual(m.auproErrorBound + 1e-12);
    }
  });

  it('the sorted-sweep AUPRO reference agrees with brute force (so it can check large cases)', () => {
    for (let trial = 0; trial < 5; trial++) {
      const images = randomImages(200 + trial, 3, 12, 9, trial % 2 ? 50 : 0);
      expect(sweepAupro(images, 0.3)).toBeCloseTo(bruteAupro(images, 0.3), 12);
    }
  });

  it('every bound holds on 40 random sets at 2^10 and 2^16 bins, tied and continuous scores', () => {
    const worst = { bins10: [0, 0, 0, 0], bins16: [0, 0, 0, 0] };
    for (let trial = 0; trial < 40; trial++) {
      const images = randomImages(300 + trial, 4, 48, 32, trial % 4 === 0 ? 300 : 0);
      const { scores, labels } = flatScoresAndLabels(images);
      if (!labels.includes(1)) continue;
      const exact = {
        auroc: imageAuroc(scores, labels),
        ap: imageAveragePrecision(scores, labels),
        f1: imageF1Max(scores, labels).f1,
        aupro: sweepAupro(images, 0.3),
      };
      for (const [bins, key] of [[1 << 10, 'bins10'], [1 << 16, 'bins16']] as const) {
        const m = metricsOf(images, bins);
        const errors = [m.auroc - exact.auroc, m.ap - exact.ap, exact.f1 - m.f1max.f1, m.aupro - exact.aupro];
        expect(Math.abs(errors[0]!)).toBeLessThanOrEqual(m.aurocErrorBound + 1e-12);
        expect(Math.abs(errors[1]!)).toBeLessThanOrEqual(m.apErrorBound + 1e-12);
        expect(errors[2]!).toBeGreaterThanOrEqual(-1e-12); // the binned F1-max never exceeds the exact one
        expect(errors[2]!).toBeLessThanOrEqual(m.f1max.errorBound + 1e-12);
        expect(Math.abs(errors[3]!)).toBeLessThanOrEqual(m.auproErrorBound + 1e-12);
        errors.forEach((e, i) => (worst[key][i] = Math.max(worst[key][i]!, Math.abs(e))));
      }
    }
    // 6144 pixels per set: at 2^16 bins few pixels share a bin, so the binned values are exact to ~1e-4
    expect(Math.max(...worst.bins16)).toBeLessThan(2e-3);
    console.log(`max |binned − exact| over 40 sets (AUROC, AP, F1-max, AUPRO): 2^10 bins ${worst.bins10
      .map((e) => e.toExponential(1))
      .join(', ')}; 2^16 bins ${worst.bins16.map((e) => e.toExponential(1)).join(', ')}`);
  });
});
