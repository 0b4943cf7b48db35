// Metrics per defect class, as MVTec-style benchmarks report them: each class's anomalous images against all the
// split's normal images, so a class the model misses is not hidden in the average. Normal maps are folded once into
// their own accumulator and each class's into another; the per-class and the overall pixel metrics are merges of
// those (the histograms add), so nothing is accumulated twice.
import type { ClassMetrics } from '../../shared/models.js';
import { imageMetrics } from './imageMetrics.js';
import { PixelMetricsAccumulator } from './pixelAccumulator.js';

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

interface ClassGroup {
  scores: number[];
  masks: number;
  pixels: PixelMetricsAccumulator;
}

export class ClassMetricsAccumulator {
  private readonly normalScores: number[] = [];
  private readonly normalPixels = new PixelMetricsAccumulator({ keepRegions: false });
  private readonly groups = new Map<string | null, ClassGroup>();

  /** A normal image: its score, and its map where pixel metrics are wanted. */
  addNormal(score: number, map: ArrayLike<number> | null, width: number, height: number): void {
    this.normalScores.push(score);
    if (map) this.normalPixels.add(map, null, width, height);
  }

  /** An anomalous image of `defectClass` (null: none given); `mask` only where it has one. */
  addAnomalous(defectClass: string | null, score: number, map: ArrayLike<number>, mask: ArrayLike<number> | null, width: number, height: number): void {
    let group = this.groups.get(defectClass);
    if (!group) {
      group = { scores: [], masks: 0, pixels: new PixelMetricsAccumulator({ keepRegions: false }) };
      this.groups.set(defectClass, group);
    }
    group.scores.push(score);
    if (mask) {
      group.pixels.add(map, mask, width, height);
      group.masks++;
    }
  }

  /** Every normal and masked anomalous map together (the split's pixel metrics); null without a masked image. */
  allPixels(): PixelMetricsAccumulator | null {
    const masked = [...this.groups.values()].filter((g) => g.masks > 0);
    if (!masked.length) return null;
    const all = new PixelMetricsAccumulator({ keepRegions: false });
    all.merge(this.normalPixels);
    for (const g of masked) all.merge(g.pixels);
    return all;
  }

  /** One entry per class, most anomalous images first (then by name); metrics that need normal images are null without. */
  result(): ClassMetrics[] {
    const entries = [...this.groups.entries()].sort((a, b) => b[1].scores.length - a[1].scores.length || String(a[0] ?? '').localeCompare(String(b[0] ?? '')));
    return entries.map(([defectClass, g]) => {
      const image = this.normalScores.length ? imageMetrics([...this.normalScores, ...g.scores], [...this.normalScores.map(() => 0), ...g.scores.map(() => 1)]) : null;
      let pixel = null;
      if (g.masks > 0) {
        const merged = new PixelMetricsAccumulator({ keepRegions: false });
        merged.merge(this.normalPixels);
        merged.merge(g.pixels);
        pixel = merged.result();
      }
      return {
        defectClass,
        anomalous: g.scores.length,
        masks: g.masks,
        image_auroc: image ? finite(image.auroc) : null,
        image_ap: image ? finite(image.ap) : null,
        pixel_auroc: pixel ? finite(pixel.auroc) : null,
        aupro: pixel ? finite(pixel.aupro) : null,
        pixel_ap: pixel ? finite(pixel.ap) : null,
      };
    });
  }
}
