// A pixel threshold for masks: where validation has defect masks, the threshold of the best pixel F1; where it has
// none, a high quantile of the normal pixels' scores (a stated share of normal pixels marked), said plainly.
import { InputError } from '../../shared/errors.js';
import type { PixelMetricsAccumulator } from './pixelAccumulator.js';

export interface PixelThreshold {
  /** A pixel is marked defective when its score ≥ threshold. */
  threshold: number;
  basis: 'pixel-f1max' | 'normal-quantile';
  /** The pixel F1 at the threshold (basis 'pixel-f1max'). */
  f1?: number;
  /** The normal-pixel quantile used (basis 'normal-quantile'). */
  normalQuantile?: number;
  /** A plain sentence for the user on how the threshold was set. */
  note: string;
}

/**
 * From an accumulator fed the validation maps (with their masks where there are any). `normalQuantile` (default
 * 0.999: about 0.1 % of normal pixels marked) is used only when no validation image has a defect mask.
 */
export function derivePixelThreshold(
  validation: PixelMetricsAccumulator,
  options: { normalQuantile?: number } = {},
): PixelThreshold {
  const metrics = validation.result();
  if (metrics.defectPixels === 0 && metrics.normalPixels === 0) {
    throw new InputError('thresholds-no-pixels', 'no validation maps were given: score validation images first');
  }
  if (metrics.defectPixels > 0) {
    const { f1, threshold } = metrics.f1max;
    return {
      threshold,
      basis: 'pixel-f1max',
      f1,
      note: `Set where the pixel F1 on ${metrics.regionCount} defect regions of the validation masks is highest (${f1.toFixed(3)}).`,
    };
  }
  const q = options.normalQuantile ?? 0.999;
  const threshold = validation.normalQuantile(q);
  const share = (100 * (1 - q)).toPrecision(2);
  return {
    threshold,
    basis: 'normal-quantile',
    normalQuantile: q,
    note:
      `Validation has no defect masks, so the pixel threshold is set from normal images alone: at most ${share}% of ` +
      `their pixels are marked. Draw masks on a few defective validation images to set it from real defects.`,
  };
}
