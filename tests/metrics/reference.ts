// Slow, obviously-correct reference implementations for the randomized cross-checks: brute force over every pair
// and every candidate threshold, nothing shared with the code under test.

export function referenceAuroc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (!labels[i]) continue;
    for (let j = 0; j < scores.length; j++) {
      if (labels[j]) continue;
      pairs++;
      if (scores[i]! > scores[j]!) wins += 1;
      else if (scores[i] === scores[j]) wins += 0.5;
    }
  }
  return pairs === 0 ? Number.NaN : wins / pairs;
}

/** Distinct scores, descending. */
export function distinctDescending(scores: ArrayLike<number>): number[] {
  return [...new Set(Array.from(scores))].sort((a, b) => b - a);
}

export function countsAt(scores: ArrayLike<number>, labels: ArrayLike<number>, t: number) {
  let tp = 0;
  let fp = 0;
  let p = 0;
  let n = 0;
  for (let i = 0; i < scores.length; i++) {
    if (labels[i]) {
      p++;
      if (scores[i]! >= t) tp++;
    } else {
      n++;
      if (scores[i]! >= t) fp++;
    }
  }
  return { tp, fp, p, n };
}

export function referenceAp(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  let ap = 0;
  let previousRecall = 0;
  for (const t of distinctDescending(scores)) {
    const { tp, fp, p } = countsAt(scores, labels, t);
    if (p === 0) return Number.NaN;
    const recall = tp / p;
    ap += (recall - previousRecall) * (tp / (tp + fp));
    previousRecall = recall;
  }
  return ap;
}

export function referenceF1Max(scores: ArrayLike<number>, labels: ArrayLike<number>): { f1: number; threshold: number } {
  let best = { f1: -1, threshold: Number.NaN };
  for (const t of distinctDescending(scores)) {
    const { tp, fp, p } = countsAt(scores, labels, t);
    const f1 = tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + (p - tp));
    if (f1 > best.f1) best = { f1, threshold: t };
  }
  return best;
}

/** PG@n by brute force: the highest candidate threshold whose misses are ≤ ⌊n·B/100⌋, then the goods below it. */
export function referencePg(scores: ArrayLike<number>, labels: ArrayLike<number>, percent: number) {
  const candidates = [Infinity, ...distinctDescending(scores)];
  for (const t of candidates) {
    const { tp, fp, p, n } = countsAt(scores, labels, t);
    if (p - tp <= Math.floor((percent * p) / 100 + 1e-9)) return { rate: (n - fp) / n, threshold: t };
  }
  throw new Error('unreachable: the lowest score misses nothing');
}

/** PB@n by brute force: the lowest candidate threshold whose false rejects are ≤ ⌊n·G/100⌋. */
export function referencePb(scores: ArrayLike<number>, labels: ArrayLike<number>, percent: number) {
  const candidates = [Infinity, ...distinctDescending(scores)];
  let best = { rate: Number.NaN, threshold: Number.NaN };
  for (const t of candidates) {
    const { tp, fp, p, n } = countsAt(scores, labels, t);
    if (fp <= Math.floor((percent * n) / 100 + 1e-9)) best = { rate: tp / p, threshold: t };
    else break;
  }
  return best;
}
