// What each evaluation figure means, in one line a quality engineer can act on.
import type { EvaluationMetrics } from '../../../shared/models';

export const METRICS: readonly { key: keyof EvaluationMetrics; name: string; meaning: string }[] = [
  { key: 'image_auroc', name: 'Image AUROC', meaning: 'Chance that a random bad part scores above a random good one (0.5 = guessing).' },
  { key: 'image_ap', name: 'Image AP', meaning: 'Precision averaged over every recall: how clean the top of the ranking is.' },
  { key: 'image_f1max', name: 'Image F1-max', meaning: 'Best balance of caught bad parts and false alarms at any one threshold.' },
  { key: 'pg2', name: 'PG2', meaning: 'Share of good parts passed when at most 2% of bad parts may slip through.' },
  { key: 'pb2', name: 'PB2', meaning: 'Share of bad parts rejected when at most 2% of good parts may be rejected.' },
  { key: 'pixel_auroc', name: 'Pixel AUROC', meaning: 'Chance that a random defect pixel scores above a random good pixel.' },
  { key: 'aupro', name: 'AUPRO', meaning: 'How much of each defect region is found, every region counted equally, up to 30% false-positive pixels.' },
  { key: 'pixel_ap', name: 'Pixel AP', meaning: 'Precision of the marked pixels averaged over recall: how tight the predicted masks are.' },
];

export const HEADLINE: readonly (keyof EvaluationMetrics)[] = ['image_auroc', 'pg2', 'aupro'];

export function percent(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : (100 * value).toFixed(1);
}
