// The evaluation view's curves and counts on hand-computed cases.
import { describe, expect, it } from 'vitest';
import { areaUnderRoc, ascendingXY, confusionAt, curves, histogram } from '../../src/renderer/src/models/curves';

const items = [
  { score: 0.9, anomalous: true },
  { score: 0.8, anomalous: false },
  { score: 0.7, anomalous: true },
  { score: 0.7, anomalous: false },
  { score: 0.1, anomalous: false },
];

describe('evaluation curves', () => {
  it('steps ROC and PR through every distinct score, ties together', () => {
    const c = curves(items);
    expect(c.fpr).toEqual([0, 0, 1 / 3, 2 / 3, 1]);
    expect(c.tpr).toEqual([0, 0.5, 0.5, 1, 1]);
    expect(c.recall).toEqual([0.5, 0.5, 1, 1]);
    expect(c.precision).toEqual([1, 0.5, 0.5, 0.4]);
    // Mann–Whitney by hand: of the 6 (bad, good) pairs, 0.9 beats all 3, 0.7 beats 0.1 and ties 0.7: 4.5 / 6
    expect(areaUnderRoc(c)).toBeCloseTo(4.5 / 6, 12);
  });

  it('counts at a threshold with score ≥ threshold called anomalous', () => {
    expect(confusionAt(items, 0.7)).toEqual({ truePositive: 2, falseNegative: 0, falsePositive: 2, trueNegative: 1 });
    expect(confusionAt(items, 0.85)).toEqual({ truePositive: 1, falseNegative: 1, falsePositive: 0, trueNegative: 3 });
  });

  it('bins normal and anomalous scores apart, the top edge in the last bin', () => {
    const h = histogram(items, 2, 0, 1);
    expect(h.x).toEqual([0.25, 0.75]);
    expect(h.normal).toEqual([1, 2]);
    expect(h.anomalous).toEqual([0, 2]);
    expect(histogram([{ score: 1, anomalous: true }], 4, 0, 1).anomalous).toEqual([0, 0, 0, 1]);
  });

  it('keeps vertical steps as strictly ascending x', () => {
    const [x, y] = ascendingXY([0, 0, 0.5, 0.5, 1], [0, 0.5, 0.5, 1, 1]);
    expect(y).toEqual([0, 0.5, 0.5, 1, 1]);
    for (let i = 1; i < x.length; i++) expect(x[i]!).toBeGreaterThan(x[i - 1]!);
    expect(x[1]! - x[0]!).toBeLessThan(1e-6);
  });
});
