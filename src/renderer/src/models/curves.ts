// Curves and counts for the evaluation view, from per-image scores and labels (1 = anomalous). A higher score is
// more anomalous and an image is called anomalous when score ≥ threshold, as everywhere in the workbench.
export interface LabelledScore {
  score: number;
  anomalous: boolean;
}

export interface Curves {
  /** ROC: false-positive rate and true-positive rate, from (0,0) to (1,1). */
  fpr: number[];
  tpr: number[];
  /** Precision–recall, recall ascending. */
  recall: number[];
  precision: number[];
}

/** ROC and PR over every distinct score as a threshold (ties move together). */
export function curves(items: readonly LabelledScore[]): Curves {
  const sorted = [...items].sort((a, b) => b.score - a.score);
  const positives = sorted.filter((s) => s.anomalous).length;
  const negatives = sorted.length - positives;
  const fpr = [0];
  const tpr = [0];
  const recall: number[] = [];
  const precision: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (sorted[i]!.anomalous) tp++;
    else fp++;
    if (i + 1 < sorted.length && sorted[i + 1]!.score === sorted[i]!.score) continue;
    fpr.push(negatives ? fp / negatives : 0);
    tpr.push(positives ? tp / positives : 0);
    if (positives) {
      recall.push(tp / positives);
      precision.push(tp / (tp + fp));
    }
  }
  return { fpr, tpr, recall, precision };
}

/** Area under the ROC points by the trapezoid rule: with ties moving together this is Mann–Whitney (a tie ½). */
export function areaUnderRoc(c: Pick<Curves, 'fpr' | 'tpr'>): number {
  let area = 0;
  for (let i = 1; i < c.fpr.length; i++) area += (c.fpr[i]! - c.fpr[i - 1]!) * (c.tpr[i]! + c.tpr[i - 1]!) / 2;
  return area;
}

export interface Confusion {
  truePositive: number;
  falseNegative: number;
  falsePositive: number;
  trueNegative: number;
}

export function confusionAt(items: readonly LabelledScore[], threshold: number): Confusion {
  const c: Confusion = { truePositive: 0, falseNegative: 0, falsePositive: 0, trueNegative: 0 };
  for (const { score, anomalous } of items) {
    const called = score >= threshold;
    if (anomalous) called ? c.truePositive++ : c.falseNegative++;
    else called ? c.falsePositive++ : c.trueNegative++;
  }
  return c;
}

/** Counts of normal and anomalous scores in `bins` equal bins over [lo, hi]; x is each bin's centre. */
export function histogram(items: readonly LabelledScore[], bins: number, lo: number, hi: number): { x: number[]; normal: number[]; anomalous: number[] } {
  const width = (hi - lo) / bins || 1;
  const x = Array.from({ length: bins }, (_, i) => lo + (i + 0.5) * width);
  const normal = new Array<number>(bins).fill(0);
  const anomalous = new Array<number>(bins).fill(0);
  for (const { score, anomalous: bad } of items) {
    const bin = Math.min(bins - 1, Math.max(0, Math.floor((score - lo) / width)));
    (bad ? anomalous : normal)[bin]!++;
  }
  return { x, normal, anomalous };
}

/**
 * uPlot needs x strictly ascending; a curve's vertical steps repeat an x. Each repeat is moved right by a hair
 * (1e-9 per repeat, far below a pixel) so the step is drawn as the vertical segment it is.
 */
export function ascendingXY(x: readonly number[], y: readonly number[]): [number[], number[]] {
  const xs: number[] = [];
  for (let i = 0; i < x.length; i++) xs.push(i > 0 && x[i]! <= xs[i - 1]! ? xs[i - 1]! + 1e-9 : x[i]!);
  return [xs, [...y]];
}
