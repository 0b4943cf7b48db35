// The one core every ranking metric here is computed from: positives and negatives counted per group of equal
// decision, groups ordered from the highest score down. For image metrics a group is a set of tied scores (exact);
// for pixel metrics a group is a histogram bin (binned). Predicting "anomalous" for groups 0..k is the decision
// "score ≥ the lowest score of group k", so every quantity below is the same formula for both.

/** Per-group counts, ordered by decreasing score. `pos[i]`/`neg[i]` may be fractional (weighted pixels). */
export interface GroupedCounts {
  readonly pos: Float64Array;
  readonly neg: Float64Array;
}

export function totals(groups: GroupedCounts): { positives: number; negatives: number } {
  let positives = 0;
  let negatives = 0;
  for (let i = 0; i < groups.pos.length; i++) {
    positives += groups.pos[i]!;
    negatives += groups.neg[i]!;
  }
  return { positives, negatives };
}

/**
 * Area under the ROC curve as the Mann–Whitney statistic: the probability that a random positive scores above a
 * random negative, a tie counting one half. Equals the trapezoidal area of the ROC through every group. NaN when a
 * class is absent.
 */
export function aurocOfGroups(groups: GroupedCounts): number {
  const { positives, negatives } = totals(groups);
  if (positives === 0 || negatives === 0) return Number.NaN;
  let negativesBelow = 0;
  let wins = 0;
  for (let i = groups.pos.length - 1; i >= 0; i--) {
    const neg = groups.neg[i]!;
    wins += groups.pos[i]! * (negativesBelow + 0.5 * neg);
    negativesBelow += neg;
  }
  return wins / positives / negatives;
}

/**
 * Average precision, step-wise without interpolation (scikit-learn's `average_precision_score`):
 * AP = Σ_k (R_k − R_{k−1}) · P_k over the groups from the highest score down. NaN without positives.
 */
export function averagePrecisionOfGroups(groups: GroupedCounts): number {
  const { positives } = totals(groups);
  if (positives === 0) return Number.NaN;
  let tp = 0;
  let fp = 0;
  let ap = 0;
  for (let i = 0; i < groups.pos.length; i++) {
    const pos = groups.pos[i]!;
    tp += pos;
    fp += groups.neg[i]!;
    if (pos > 0) ap += (pos / positives) * (tp / (tp + fp));
  }
  return ap;
}

export interface F1AtGroup {
  f1: number;
  precision: number;
  recall: number;
  /** Index of the lowest group predicted anomalous; -1 when there is no positive. */
  group: number;
}

/**
 * The best F1 = 2·TP / (2·TP + FP + FN) over the decisions "groups 0..k are anomalous". Among equal F1 values the
 * highest threshold (the fewest rejections) wins. f1 NaN and group -1 without positives.
 */
export function f1MaxOfGroups(groups: GroupedCounts): F1AtGroup {
  const { positives } = totals(groups);
  const best: F1AtGroup = { f1: Number.NaN, precision: Number.NaN, recall: Number.NaN, group: -1 };
  if (positives === 0) return best;
  let tp = 0;
  let fp = 0;
  let bestF1 = -1;
  for (let i = 0; i < groups.pos.length; i++) {
    tp += groups.pos[i]!;
    fp += groups.neg[i]!;
    const f1 = (2 * tp) / (tp + fp + positives);
    if (f1 > bestF1) {
      bestF1 = f1;
      best.f1 = f1;
      best.precision = tp + fp > 0 ? tp / (tp + fp) : 0;
      best.recall = tp / positives;
      best.group = i;
    }
  }
  return best;
}
