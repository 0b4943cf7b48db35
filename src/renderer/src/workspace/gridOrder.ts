// The grid's one order: by import, by name, or by the model's scores. The store sorts by import or name; the score
// orders (and newest first) rearrange that list here, since scores come from a model version, not from the catalog.
import type { ImageSort, ImageSummary } from '../../../shared/api';

export interface ImageScore {
  score: number;
  predicted: 'normal' | 'anomalous';
  /** |score − the version's image threshold|: small means the model is unsure. */
  margin: number;
}
export type ScoreMap = ReadonlyMap<number, ImageScore>;

export const GRID_ORDERS = [
  { value: 'imported', label: 'Import order', needsScores: false },
  { value: 'newest', label: 'Newest imports first', needsScores: false },
  { value: 'name', label: 'Name', needsScores: false },
  { value: 'score-desc', label: 'Score, most anomalous first', needsScores: true },
  { value: 'score-asc', label: 'Score, most normal first', needsScores: true },
  { value: 'uncertain', label: 'Most uncertain first (nearest the threshold)', needsScores: true },
] as const;
export type GridOrder = (typeof GRID_ORDERS)[number]['value'];
export const DEFAULT_GRID_ORDER: GridOrder = 'imported';

/** What the store is asked for: the score orders start from import order (their ties keep it). */
export function storeSort(order: GridOrder): ImageSort {
  return order === 'name' ? 'name' : 'imported';
}

/** The store's list in the chosen order; images the model has not scored come last in every score order. */
export function orderItems(items: ImageSummary[], scores: ScoreMap, order: GridOrder): ImageSummary[] {
  if (order === 'newest') return [...items].reverse();
  const key: ((s: ImageScore) => number) | null =
    order === 'score-desc' ? (s) => -s.score : order === 'score-asc' ? (s) => s.score : order === 'uncertain' ? (s) => s.margin : null;
  if (!key) return items;
  return [...items].sort((a, b) => {
    const sa = scores.get(a.id);
    const sb = scores.get(b.id);
    if (!sa || !sb) return (sa ? 0 : 1) - (sb ? 0 : 1);
    return key(sa) - key(sb);
  });
}
