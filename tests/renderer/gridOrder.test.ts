// The grid's one Order: store orders pass through, score orders rearrange with unscored images last.
import { describe, expect, it } from 'vitest';
import type { ImageSummary } from '../../src/shared/api';
import { GRID_ORDERS, orderItems, storeSort, type ScoreMap } from '../../src/renderer/src/workspace/gridOrder';

const item = (id: number): ImageSummary => ({
  id,
  sha256: String(id).padStart(64, '0'),
  maskSha256: null,
  name: `${id}.png`,
  folder: 'f',
  split: 'train',
  splitPinned: false,
  labelState: 'unlabeled',
  defectClass: null,
  hasMask: false,
  width: 10,
  height: 10,
});

// threshold 0.5: margins are |score − 0.5|
const scores: ScoreMap = new Map([
  [1, { score: 0.9, predicted: 'anomalous', margin: 0.4 }],
  [2, { score: 0.2, predicted: 'normal', margin: 0.3 }],
  [4, { score: 0.55, predicted: 'anomalous', margin: 0.05 }],
]);
const items = [1, 2, 3, 4].map(item);
const ids = (list: ImageSummary[]) => list.map((i) => i.id);

describe('grid order', () => {
  it('offers every kind of order in one list, each value once', () => {
    const values = GRID_ORDERS.map((o) => o.value);
    expect(new Set(values).size).toBe(values.length);
    expect(values).toEqual(['imported', 'newest', 'name', 'score-desc', 'score-asc', 'uncertain']);
  });

  it('asks the store for name or import order', () => {
    expect(storeSort('name')).toBe('name');
    for (const order of ['imported', 'newest', 'score-desc', 'score-asc', 'uncertain'] as const) expect(storeSort(order)).toBe('imported');
  });

  it('orders by score either way and by uncertainty, unscored images last', () => {
    expect(ids(orderItems(items, scores, 'imported'))).toEqual([1, 2, 3, 4]);
    expect(ids(orderItems(items, scores, 'newest'))).toEqual([4, 3, 2, 1]);
    expect(ids(orderItems(items, scores, 'score-desc'))).toEqual([1, 4, 2, 3]);
    expect(ids(orderItems(items, scores, 'score-asc'))).toEqual([2, 4, 1, 3]);
    expect(ids(orderItems(items, scores, 'uncertain'))).toEqual([4, 2, 1, 3]);
    // the store's list is never reordered in place
    expect(ids(items)).toEqual([1, 2, 3, 4]);
  });
});
