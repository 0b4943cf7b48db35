// Image-level metrics, exact: every distinct score is a candidate threshold and a part is called anomalous when
// score ≥ threshold (higher score = more anomalous). A class that is absent makes the metrics that need it NaN.
import { aurocOfGroups, averagePrecisionOfGroups, f1MaxOfGroups, type GroupedCounts } from './groupedCounts.js';
import { countBelow } from './sorted.js';
import { allowedCount, checkPercent, checkScoresAndLabels, type Labels, type Scores } from './validate.js';

/** Scores split by class and sorted ascending, with the tie groups from the highest score down. */
export interface RankedScores {
  /** Scores of normal (good) images, ascending. */
  readonly good: Float64Array;
  /** Scores of anomalous (bad) images, ascending. */
  readonly bad: Float64Array;
  /** Distinct scores, descending; `groups` counts bad (pos) and good (neg) images at each. */
  readonly thresholds: Float64Array;
  readonly groups: GroupedCounts;
}

export function rankScores(scores: Scores, labels: Labels): RankedScores {
  checkScoresAndLabels(scores, labels);
  let badCount = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]) badCount++;
  const good = new Float64Array(scores.length - badCount);
  const bad = new Float64Array(badCount);
  for (let i = 0, g = 0, b = 0; i < scores.length; i++) {
    if (labels[i]) bad[b++] = scores[i]!;
    else good[g++] = scores[i]!;
  }
  good.sort();
  bad.sort();
  // Merge both ascending arrays from their ends, grouping equal scores.
  const thresholds = new Float64Array(scores.length);
  const pos = new Float64Array(scores.length);
  const neg = new Float64Array(scores.length);
  let g = good.length - 1;
  let b = bad.length - 1;
  let n = 0;
  while (g >= 0 || b >= 0) {
    const s = Math.max(g >= 0 ? good[g]! : -Infinity, b >= 0 ? bad[b]! : -Infinity);
    let p = 0;
    let q = 0;
    while (b >= 0 && bad[b] === s) (p++, b--);
    while (g >= 0 && good[g] === s) (q++, g--);
    thresholds[n] = s;
    pos[n] = p;
    neg[n] = q;
    n++;
  }
  return { good, bad, thresholds: thresholds.slice(0, n), groups: { pos: pos.slice(0, n), neg: neg.slice(0, n) } };
}

/** Image AUROC (Mann–Whitney, ties count ½). NaN when either class is absent. */
export function imageAuroc(scores: Scores, labels: Labels): number {
  return aurocOfGroups(rankScores(scores, labels).groups);
}

/** Image average precision, scikit-learn's step-wise definition (no interpolation). NaN without bad images. */
export function imageAveragePrecision(scores: Scores, labels: Labels): number {
  return averagePrecisionOfGroups(rankScores(scores, labels).groups);
}

export interface F1Max {
  f1: number;
  /** Anomalous when score ≥ threshold; an observed score. Among equal F1 the highest threshold. NaN without bad images. */
  threshold: number;
  precision: number;
  recall: number;
}

export function imageF1Max(scores: Scores, labels: Labels): F1Max {
  return f1MaxOfRanked(rankScores(scores, labels));
}

function f1MaxOfRanked(ranked: RankedScores): F1Max {
  const best = f1MaxOfGroups(ranked.groups);
  return {
    f1: best.f1,
    threshold: best.group >= 0 ? ranked.thresholds[best.group]! : Number.NaN,
    precision: best.precision,
    recall: best.recall,
  };
}

/** An operating point of PG@n / PB@n. */
export interface OperatingPoint {
  /** PG: share of good images passed; PB: share of bad images rejected. NaN when a class is absent. */
  rate: number;
  /** Rejected when score ≥ threshold. An observed score, +Infinity when nothing is rejected, NaN when undefined. */
  threshold: number;
  goodPassed: number;
  goodRejected: number;
  badPassed: number;
  badRejected: number;
  /** The number of errors the n % allowed, rounded down: misses of bad images (PG) or false rejects (PB). */
  allowed: number;
}

function pointAt(ranked: RankedScores, threshold: number, allowed: number, rate: 'pg' | 'pb'): OperatingPoint {
  const { good, bad } = ranked;
  const goodPassed = countBelow(good, threshold);
  const badPassed = countBelow(bad, threshold);
  const point = {
    threshold,
    goodPassed,
    goodRejected: good.length - goodPassed,
    badPassed,
    badRejected: bad.length - badPassed,
    allowed,
  };
  const value = rate === 'pg' ? goodPassed / good.length : point.badRejected / bad.length;
  return { rate: good.length > 0 && bad.length > 0 ? value : Number.NaN, ...point };
}

const undefinedPoint = (allowed: number): OperatingPoint => ({
  rate: Number.NaN,
  threshold: Number.NaN,
  goodPassed: 0,
  goodRejected: 0,
  badPassed: 0,
  badRejected: 0,
  allowed,
});

/**
 * PG@n: the share of good images passed at the highest threshold that misses at most n % of the bad images.
 * With k = ⌊n·B/100⌋ allowed misses among B bad images sorted ascending (b₀ ≤ b₁ ≤ …), the threshold is b_k:
 * every bad image scoring below it passes (at most k, fewer when b_k is tied), a good image passes only when it
 * scores strictly below it (a good image tied with the threshold counts as rejected). k ≥ B: threshold +Infinity.
 * NaN when either class is absent.
 */
export function pgAt(scores: Scores, labels: Labels, percent: number): OperatingPoint {
  checkPercent('PG miss rate', percent);
  return pgOfRanked(rankScores(scores, labels), percent);
}

function pgOfRanked(ranked: RankedScores, percent: number): OperatingPoint {
  const allowed = allowedCount(percent, ranked.bad.length);
  if (ranked.bad.length === 0 || ranked.good.length === 0) return undefinedPoint(allowed);
  const threshold = allowed >= ranked.bad.length ? Infinity : ranked.bad[allowed]!;
  return pointAt(ranked, threshold, allowed, 'pg');
}

/**
 * PB@n: the share of bad images rejected at the lowest threshold that rejects at most n % of the good images.
 * With k = ⌊n·G/100⌋ allowed false rejects among G good images, the (k+1)-th highest good score c must pass, so
 * exactly the images scoring strictly above c are rejected (at most k good ones, fewer when c is tied); the threshold
 * reported is the lowest observed score above c (+Infinity when there is none, rejecting nothing). k ≥ G: every image
 * is rejected, threshold = the lowest score. NaN when either class is absent.
 */
export function pbAt(scores: Scores, labels: Labels, percent: number): OperatingPoint {
  checkPercent('PB false-reject rate', percent);
  return pbOfRanked(rankScores(scores, labels), percent);
}

function pbOfRanked(ranked: RankedScores, percent: number): OperatingPoint {
  const { good, bad, thresholds } = ranked;
  const allowed = allowedCount(percent, good.length);
  if (bad.length === 0 || good.length === 0) return undefinedPoint(allowed);
  if (allowed >= good.length) return pointAt(ranked, thresholds[thresholds.length - 1]!, allowed, 'pb');
  const mustPass = good[good.length - 1 - allowed]!;
  // thresholds are distinct and descending: the last one above mustPass is the lowest observed score above it
  let threshold = Infinity;
  for (let i = 0; i < thresholds.length && thresholds[i]! > mustPass; i++) threshold = thresholds[i]!;
  return pointAt(ranked, threshold, allowed, 'pb');
}

export interface ImageMetrics {
  auroc: number;
  ap: number;
  f1max: F1Max;
  pg2: OperatingPoint;
  pb2: OperatingPoint;
  goodCount: number;
  badCount: number;
}

/** Every image metric from one sort. PG2/PB2 use n = 2 %. */
export function imageMetrics(scores: Scores, labels: Labels): ImageMetrics {
  const ranked = rankScores(scores, labels);
  return {
    auroc: aurocOfGroups(ranked.groups),
    ap: averagePrecisionOfGroups(ranked.groups),
    f1max: f1MaxOfRanked(ranked),
    pg2: pgOfRanked(ranked, 2),
    pb2: pbOfRanked(ranked, 2),
    goodCount: ranked.good.length,
    badCount: ranked.bad.length,
  };
}
