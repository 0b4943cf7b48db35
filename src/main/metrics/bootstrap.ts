// Percentile intervals for bootstrap replicates.

/** The p-quantile of ascending values, linear between order statistics (the common "type 7" definition). */
export function quantileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * p;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}

/** The central `confidence` share of the values: [low, high]; NaN, NaN when there are none. */
export function percentileInterval(values: ArrayLike<number>, confidence: number): [number, number] {
  const sorted = Float64Array.from(values).sort();
  const tail = (1 - confidence) / 2;
  return [quantileOfSorted(sorted, tail), quantileOfSorted(sorted, 1 - tail)];
}
