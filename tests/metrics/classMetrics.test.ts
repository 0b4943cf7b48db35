// Per-class metrics on hand-computed cases: each class against all normal images, and the merged pixel metrics equal
// to one accumulator fed every map.
import { describe, expect, it } from 'vitest';
import { ClassMetricsAccumulator, PixelMetricsAccumulator } from '../../src/main/metrics/index.js';

describe('metrics per defect class', () => {
  it('scores each class against every normal image, most images first', () => {
    const acc = new ClassMetricsAccumulator();
    // 2×2 maps; normal images score 0.1 and 0.4
    acc.addNormal(0.1, [0, 0, 0.1, 0.2], 2, 2);
    acc.addNormal(0.4, [0, 0, 0.1, 0.2], 2, 2);
    // crack: 0.5 beats both normals, 0.3 beats one → AUROC 3/4; its masked pixel 0.9 beats every normal pixel
    acc.addAnomalous('crack', 0.5, [0.9, 0.1, 0.1, 0.1], [1, 0, 0, 0], 2, 2);
    acc.addAnomalous('crack', 0.3, [0.3, 0.3, 0.3, 0.3], null, 2, 2);
    // dent: one image above every normal; defect pixels 0.5 (above all 10 normal pixels) and 0.05 (above the 6
    // zeros of 10: the normals' 0, 0 twice and this image's own two zeros) → pixel AUROC (10 + 6) / 20
    acc.addAnomalous('dent', 0.9, [0.05, 0.5, 0, 0], [1, 1, 0, 0], 2, 2);
    const [crack, dent] = acc.result();
    expect(crack).toMatchObject({ defectClass: 'crack', anomalous: 2, masks: 1, image_auroc: 0.75 });
    // crack's pixel AUROC: 0.9 against the normals' 8 pixels and its own 3
    expect(crack!.pixel_auroc).toBeCloseTo(1, 6);
    expect(dent).toMatchObject({ defectClass: 'dent', anomalous: 1, masks: 1, image_auroc: 1, image_ap: 1 });
    expect(dent!.pixel_auroc).toBeCloseTo(16 / 20, 6);
  });

  it('merges into the split’s pixel metrics exactly as one accumulator fed every map', () => {
    const acc = new ClassMetricsAccumulator();
    const one = new PixelMetricsAccumulator({ keepRegions: false });
    const maps: [string | null, number[], number[] | null][] = [
      [null, [0.2, 0.1, 0.7, 0.3], null],
      ['a', [0.8, 0.6, 0.1, 0.2], [1, 1, 0, 0]],
      [null, [0.4, 0.1, 0.1, 0.1], null],
      ['b', [0.1, 0.9, 0.3, 0.2], [0, 1, 0, 0]],
      ['a', [0.5, 0.5, 0.5, 0.5], null],
    ];
    for (const [cls, map, mask] of maps) {
      if (cls === null) acc.addNormal(0.2, map, 2, 2);
      else acc.addAnomalous(cls, 0.6, map, mask, 2, 2);
      if (cls === null || mask) one.add(map, mask, 2, 2);
    }
    expect(acc.allPixels()!.result()).toEqual(one.result());
    expect(acc.result().map((c) => [c.defectClass, c.anomalous, c.masks])).toEqual([['a', 2, 1], ['b', 1, 1]]);
  });

  it('leaves what cannot be measured null: no normal images, no masks', () => {
    const acc = new ClassMetricsAccumulator();
    acc.addAnomalous(null, 0.7, [0.1, 0.2, 0.3, 0.4], null, 2, 2);
    expect(acc.allPixels()).toBeNull();
    expect(acc.result()).toEqual([{ defectClass: null, anomalous: 1, masks: 0, image_auroc: null, image_ap: null, pixel_auroc: null, aupro: null, pixel_ap: null }]);
  });
});
