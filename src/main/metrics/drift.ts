// Drift of the line: do the scores of recent good-looking parts still come from the distribution seen at validation?
// A two-sample Kolmogorov–Smirnov test: D = the largest gap between the two empirical CDFs; its p-value is exact
// (the permutation distribution, by counting lattice paths) when n·m ≤ 10^7, else the asymptotic Kolmogorov law
// with Stephens' small-sample correction. Warn when p < alpha: on data from the validation distribution a warning
// then comes in at most a share alpha of checks (the exact test is slightly conservative; ties make it more so).
// alpha is per check: a monitor that re-tests an overlapping window after every image raises false alarms far more
// often than alpha; test non-overlapping windows, or lower alpha.
import { InputError } from '../../shared/errors.js';

export interface KsResult {
  /** D, in [0, 1]. */
  statistic: number;
  pValue: number;
  /** 'exact' (n·m ≤ 10^7) or 'asymptotic'. */
  method: 'exact' | 'asymptotic';
  /** F_reference − F_recent at the largest gap: > 0 when recent scores are higher (more anomalous). */
  signedGap: number;
}

const EXACT_LIMIT = 1e7;

function sortedFinite(what: string, values: ArrayLike<number>): Float64Array {
  const sorted = Float64Array.from(values).sort();
  for (let i = 0; i < sorted.length; i++) {
    if (!Number.isFinite(sorted[i])) throw new InputError('metrics-score-not-finite', `a ${what} score is ${sorted[i]}`);
  }
  return sorted;
}

/** Two-sample KS test of two score samples (two-sided). Throws InputError when a sample is empty. */
export function ksTwoSample(reference: ArrayLike<number>, recent: ArrayLike<number>): KsResult {
  const a = sortedFinite('reference', reference);
  const b = sortedFinite('recent', recent);
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) {
    throw new InputError('drift-empty-sample', `cannot compare ${n} reference with ${m} recent scores: both need some`);
  }
  // walk both sorted samples; the gap n·m·(F_a − F_b) = i·m − j·n is an integer, so compare in integers
  let i = 0;
  let j = 0;
  let largest = 0;
  let signed = 0;
  while (i < n || j < m) {
    const x = Math.min(i < n ? a[i]! : Infinity, j < m ? b[j]! : Infinity);
    while (i < n && a[i] === x) i++;
    while (j < m && b[j] === x) j++;
    const gap = i * m - j * n;
    if (Math.abs(gap) > largest) (largest = Math.abs(gap)), (signed = gap);
  }
  const statistic = largest / (n * m);
  const exact = n * m <= EXACT_LIMIT;
  const pValue = exact ? exactPValue(n, m, largest) : asymptoticPValue(n, m, statistic);
  return { statistic, pValue, method: exact ? 'exact' : 'asymptotic', signedGap: signed / (n * m) };
}

/**
 * P(D ≥ d) under the null, d = gap / (n·m): 1 − the share of monotone lattice paths from (0,0) to (n,m) that keep
 * |i·m − j·n| < gap throughout. P(i, j) = share of the C(i+j, i) paths to (i, j) that stay inside; stepping from
 * (i−1, j) or (i, j−1) gives P(i, j) = P(i−1, j)·i/(i+j) + P(i, j−1)·j/(i+j), which never overflows.
 */
function exactPValue(n: number, m: number, gap: number): number {
  if (gap === 0) return 1;
  const row = new Float64Array(m + 1);
  row[0] = 1;
  for (let j = 1; j <= m; j++) row[j] = Math.abs(-j * n) < gap ? row[j - 1]! : 0;
  for (let i = 1; i <= n; i++) {
    row[0] = Math.abs(i * m) < gap ? row[0]! : 0;
    for (let j = 1; j <= m; j++) {
      row[j] = Math.abs(i * m - j * n) < gap ? (row[j]! * i + row[j - 1]! * j) / (i + j) : 0;
    }
  }
  return Math.min(1, Math.max(0, 1 - row[m]!));
}

/** λ = (√nₑ + 0.12 + 0.11/√nₑ)·D (Stephens' correction), nₑ = n·m/(n+m). */
function asymptoticPValue(n: number, m: number, d: number): number {
  const ne = Math.sqrt((n * m) / (n + m));
  return kolmogorovSurvival((ne + 0.12 + 0.11 / ne) * d);
}

/** The Kolmogorov distribution's survival function Q(λ) = 2 Σ_{k≥1} (−1)^(k−1) e^(−2k²λ²). */
export function kolmogorovSurvival(lambda: number): number {
  if (lambda < 1e-3) return 1;
  if (lambda < 1.18) {
    // the complementary theta-function form converges fast for small λ
    let sum = 0;
    for (let k = 1; k <= 20; k++) sum += Math.exp(-((2 * k - 1) ** 2) * Math.PI ** 2 / (8 * lambda * lambda));
    return Math.min(1, Math.max(0, 1 - (Math.sqrt(2 * Math.PI) / lambda) * sum));
  }
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * lambda * lambda);
    sum += (k % 2 === 1 ? 1 : -1) * term;
    if (term < 1e-16) break;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

export interface DriftOptions {
  /** Warn when p < alpha (default 0.01). */
  alpha?: number;
  /** Fewer recent scores than this: no verdict (default 30). */
  minRecent?: number;
  /**
   * Compare only scores below this (normally the pass threshold). The recent window holds the parts the line passed,
   * so it has no scores above the threshold; the validation good scores must be cut the same way or that cut alone
   * would look like drift.
   */
  below?: number;
}

export interface DriftCheck extends KsResult {
  alpha: number;
  warn: boolean;
  /** False when there were too few recent (or reference) scores for a verdict; warn is then false. */
  enoughData: boolean;
  referenceCount: number;
  recentCount: number;
  /** Recent median − reference median. */
  medianShift: number;
  /** A plain sentence for the user. */
  message: string;
}

function median(sorted: Float64Array): number {
  const h = sorted.length >> 1;
  return sorted.length % 2 ? sorted[h]! : (sorted[h - 1]! + sorted[h]!) / 2;
}

/** Compare recent normal-scored parts with the validation good scores. */
export function checkDrift(
  validationGood: ArrayLike<number>,
  recent: ArrayLike<number>,
  options: DriftOptions = {},
): DriftCheck {
  const alpha = options.alpha ?? 0.01;
  const minRecent = options.minRecent ?? 30;
  if (!(alpha > 0 && alpha < 1)) throw new InputError('metrics-bad-rate', `alpha ${alpha} must be in (0, 1)`);
  const cut = (values: ArrayLike<number>) => {
    const kept = Array.from(values);
    return Float64Array.from(options.below === undefined ? kept : kept.filter((s) => s < options.below!)).sort();
  };
  const reference = cut(validationGood);
  const window = cut(recent);
  const counts = { referenceCount: reference.length, recentCount: window.length };
  if (window.length < minRecent || reference.length < minRecent) {
    return {
      statistic: Number.NaN,
      pValue: Number.NaN,
      method: 'exact',
      signedGap: Number.NaN,
      alpha,
      warn: false,
      enoughData: false,
      ...counts,
      medianShift: Number.NaN,
      message:
        `Not enough scores to judge drift: ${window.length} recent and ${reference.length} validation scores, ` +
        `at least ${minRecent} of each are needed.`,
    };
  }
  const ks = ksTwoSample(reference, window);
  const warn = ks.pValue < alpha;
  const medianShift = median(window) - median(reference);
  const p = ks.pValue < 1e-4 ? ks.pValue.toExponential(1) : ks.pValue.toPrecision(2);
  const message = warn
    ? `The last ${window.length} passed parts score ${ks.signedGap > 0 ? 'higher' : 'lower'} than the good parts at ` +
      `validation (KS D = ${ks.statistic.toFixed(3)}, p = ${p} < ${alpha}): the line may have changed (lighting, ` +
      `camera, material). Check it, and retrain with recent good images if it is a lasting change.`
    : `No drift: the last ${window.length} passed parts score like the good parts at validation ` +
      `(KS D = ${ks.statistic.toFixed(3)}, p = ${p}).`;
  return { ...ks, alpha, warn, enoughData: true, ...counts, medianShift, message };
}
