// Two image thresholds from the line's targets, with what they are expected to do and how sure that is.
//
// A part passes when score < lower, is rejected when score ≥ upper, and goes to a person in between.
// - upper: the lowest threshold that rejects at most ⌊maxFalseRejectRate · G⌋ of the G good validation images;
// - lower: the highest threshold that lets at most ⌊maxMissRate · B⌋ of the B bad validation images pass.
// Each sits in the middle of the gap between the two validation scores it separates (a margin both ways for new
// parts), as a float32 so the exported graph compares exactly the same way. When lower > upper the targets can both
// be met with no review band; both become one threshold midway between them.
// Without bad images in validation the miss rate cannot be measured: both thresholds come from the good images alone
// (upper as above, lower = upper) and the result says so. The upper threshold always lets the good image that must
// pass, pass: no target < 1 yields a threshold that rejects everything.
import { InputError } from '../../shared/errors.js';
import { percentileInterval } from './bootstrap.js';
import { float32Between, lastFloat32AtOrBelow } from './float32.js';
import { countAtOrBelow, countBelow } from './sorted.js';
import { seededRandom } from '../util/random.js';
import { checkRate } from './validate.js';

export interface LineTargets {
  /** Largest share of bad parts allowed to pass without review, e.g. 0.01. In [0, 1). */
  maxMissRate: number;
  /** Largest share of good parts allowed to be rejected without review, e.g. 0.02. In [0, 1). */
  maxFalseRejectRate: number;
}

export interface ThresholdOptions {
  /** Bootstrap resamples (default 1000; 0 gives no intervals: low and high NaN). */
  resamples?: number;
  /** Seed of the resampling (default 1): the same inputs and seed give the same intervals. */
  seed?: number;
  /** Interval coverage (default 0.95). */
  confidence?: number;
  /** Share of bad parts on the line, for the overall rates (default: the validation share). */
  defectRate?: number;
}

/** A rate measured on validation and its bootstrap interval. */
export interface RateEstimate {
  /** On the validation images at the chosen thresholds. */
  rate: number;
  /**
   * Bootstrap percentile interval: the central `confidence` share of the rates that thresholds derived the same way
   * from a resample of validation reach on the whole validation set. It covers the noise of the thresholds as well
   * as that of the rate; the in-sample rate itself is optimistic (the thresholds were fitted to it), so the interval
   * usually lies above it for misses and false rejects. Measured coverage of the true rate: 0.91–0.96 with ≥ 60 bad
   * and ≥ 150 good images, ~0.85 with 10–20 bad images (tests/metrics/thresholds.test.ts).
   */
  low: number;
  high: number;
  /** Validation images in the numerator and in the denominator of `rate`. */
  count: number;
  of: number;
}

export interface OutcomeRates {
  pass: RateEstimate;
  review: RateEstimate;
  reject: RateEstimate;
}

export interface ImageThresholds {
  /** Pass when score < lower. */
  lower: number;
  /** Reject when score ≥ upper; review when lower ≤ score < upper. */
  upper: number;
  /** 'normal-only' when validation had no bad images and the thresholds come from good images alone. */
  basis: 'good-and-bad' | 'normal-only';
  targets: LineTargets;
  /** What happens to good parts (reject = false rejects). */
  good: OutcomeRates;
  /** What happens to bad parts (pass = misses); null when validation had none. */
  bad: OutcomeRates | null;
  /** All parts at `defectRate` (the good rates alone when there are no bad images). */
  overall: OutcomeRates;
  defectRate: number;
  /** Validation images the estimates stand on. */
  goodImages: number;
  badImages: number;
  resamples: number;
  seed: number;
  confidence: number;
  /** Plain sentences for the user: how the thresholds were set and anything they should know. Empty when routine. */
  notes: string[];
}

interface Placement {
  lower: number;
  upper: number;
}

/** The thresholds for sorted good and bad scores (bad may be empty). */
function place(good: Float64Array, bad: Float64Array, targets: LineTargets): Placement {
  const G = good.length;
  // at most G − 1: the best good image always passes (targets are < 1; the clamp guards the rounding epsilon)
  const allowedRejects = Math.min(G - 1, Math.floor(targets.maxFalseRejectRate * G + 1e-9));
  const mustPass = good[G - 1 - allowedRejects]!;
  const above = Math.min(
    good[countAtOrBelow(good, mustPass)] ?? Infinity,
    bad[countAtOrBelow(bad, mustPass)] ?? Infinity,
  );
  const upper = float32Between(mustPass, above);
  if (bad.length === 0) return { lower: upper, upper };
  const allowedMisses = Math.min(bad.length - 1, Math.floor(targets.maxMissRate * bad.length + 1e-9));
  const mustNotPass = bad[allowedMisses]!;
  const goodBelow = countBelow(good, mustNotPass);
  const badBelow = countBelow(bad, mustNotPass);
  const below = Math.max(goodBelow > 0 ? good[goodBelow - 1]! : -Infinity, badBelow > 0 ? bad[badBelow - 1]! : -Infinity);
  const lower = below === -Infinity ? lastFloat32AtOrBelow(mustNotPass) : float32Between(below, mustNotPass);
  if (lower <= upper) return { lower, upper };
  // both targets met without a review band: one threshold, midway (both are float32, so is any rounding between)
  const single = Math.fround(upper + (lower - upper) / 2);
  return { lower: single, upper: single };
}

interface Counts {
  pass: number;
  review: number;
  reject: number;
  of: number;
}

function outcomes(sorted: Float64Array, { lower, upper }: Placement): Counts {
  const pass = countBelow(sorted, lower);
  const reject = sorted.length - countBelow(sorted, upper);
  return { pass, review: sorted.length - pass - reject, reject, of: sorted.length };
}

function checkScores(what: string, scores: ArrayLike<number>): Float64Array {
  const sorted = Float64Array.from(scores).sort();
  for (let i = 0; i < sorted.length; i++) {
    if (!Number.isFinite(sorted[i])) {
      throw new InputError('metrics-score-not-finite', `a ${what} validation score is ${sorted[i]}: scores must be finite`);
    }
  }
  return sorted;
}

/**
 * Thresholds for the line from validation scores of good (normal) and bad (anomalous) images. Throws InputError
 * without good images (nothing to bound false rejects with) or with targets outside [0, 1).
 */
export function deriveImageThresholds(
  goodScores: ArrayLike<number>,
  badScores: ArrayLike<number>,
  targets: LineTargets,
  options: ThresholdOptions = {},
): ImageThresholds {
  checkRate('maximum miss rate', targets.maxMissRate);
  checkRate('maximum false-reject rate', targets.maxFalseRejectRate);
  const good = checkScores('good', goodScores);
  const bad = checkScores('bad', badScores);
  if (good.length === 0) {
    throw new InputError(
      'thresholds-no-good-images',
      'validation has no good (normal) images: label some normal images into validation to set thresholds',
    );
  }
  const resamples = options.resamples ?? 1000;
  const seed = options.seed ?? 1;
  const confidence = options.confidence ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 0) {
    throw new InputError('thresholds-bad-resamples', `${resamples} resamples: give a whole number ≥ 0`);
  }
  checkRate('confidence', confidence);
  const defectRate = options.defectRate ?? bad.length / (good.length + bad.length);
  checkRate('defect rate', defectRate, { allowOne: true });

  const placement = place(good, bad, targets);
  const goodCounts = outcomes(good, placement);
  const badCounts = bad.length > 0 ? outcomes(bad, placement) : null;

  // Bootstrap with the validation set standing in for the line: resample each class, re-derive the thresholds from
  // the resample, and measure what those thresholds do on the whole validation set. The spread covers both the
  // noise of the thresholds and that of the rates.
  const random = seededRandom(seed);
  const replicates = { good: [[], [], []] as number[][], bad: [[], [], []] as number[][], all: [[], [], []] as number[][] };
  const drawGood = new Float64Array(good.length);
  const drawBad = new Float64Array(bad.length);
  const resample = (from: Float64Array, into: Float64Array) => {
    for (let i = 0; i < from.length; i++) into[i] = from[Math.floor(random() * from.length)]!;
    into.sort();
  };
  const keys = ['pass', 'review', 'reject'] as const;
  for (let r = 0; r < resamples; r++) {
    resample(good, drawGood);
    resample(bad, drawBad);
    const p = place(drawGood, drawBad, targets);
    const g = outcomes(good, p);
    const b = bad.length > 0 ? outcomes(bad, p) : null;
    keys.forEach((k, i) => {
      replicates.good[i]!.push(g[k] / g.of);
      if (b) replicates.bad[i]!.push(b[k] / b.of);
      replicates.all[i]!.push((1 - defectRate) * (g[k] / g.of) + (b ? defectRate * (b[k] / b.of) : 0));
    });
  }
  const estimate = (counts: Counts, key: 'pass' | 'review' | 'reject', samples: number[]): RateEstimate => {
    const [low, high] = percentileInterval(samples, confidence);
    return { rate: counts[key] / counts.of, low, high, count: counts[key], of: counts.of };
  };
  const rates = (counts: Counts, samples: number[][]): OutcomeRates => ({
    pass: estimate(counts, 'pass', samples[0]!),
    review: estimate(counts, 'review', samples[1]!),
    reject: estimate(counts, 'reject', samples[2]!),
  });
  const goodRates = rates(goodCounts, replicates.good);
  const badRates = badCounts ? rates(badCounts, replicates.bad) : null;
  const mix = (key: 'pass' | 'review' | 'reject', i: number): RateEstimate => {
    const [low, high] = percentileInterval(replicates.all[i]!, confidence);
    const goodPart = goodCounts[key] / goodCounts.of;
    const badPart = badCounts ? badCounts[key] / badCounts.of : 0;
    return {
      rate: (1 - defectRate) * goodPart + defectRate * badPart,
      low,
      high,
      count: goodCounts[key] + (badCounts?.[key] ?? 0),
      of: good.length + bad.length,
    };
  };
  const overall: OutcomeRates = { pass: mix('pass', 0), review: mix('review', 1), reject: mix('reject', 2) };

  const notes: string[] = [];
  const percent = (x: number) => `${(100 * x).toFixed(x < 0.1 ? 1 : 0)}%`;
  if (bad.length === 0) {
    notes.push(
      `Validation has no defective images, so the miss rate cannot be measured: the threshold comes from the ` +
        `${good.length} good images alone, set to reject at most ${percent(targets.maxFalseRejectRate)} of good parts ` +
        `(expected ${percent(goodRates.reject.rate)}, ${percent(goodRates.reject.low)}–${percent(goodRates.reject.high)}). ` +
        `There is no review band. Add defective images to validation to set thresholds from a miss-rate target.`,
    );
  } else if (placement.lower === placement.upper) {
    notes.push('Both targets are met with a single threshold, so no part needs review on validation.');
  }
  if (good.length < 20 || (bad.length > 0 && bad.length < 10)) {
    notes.push(
      `These estimates stand on only ${good.length} good and ${bad.length} defective validation images: ` +
        `expect the line to differ, and see the intervals.`,
    );
  }
  if (goodRates.review.rate > 0.5) {
    notes.push(
      `With these targets ${percent(goodRates.review.rate)} of good parts would go to review: the model cannot ` +
        `separate good from defective parts this finely. Loosen a target or improve the model.`,
    );
  }
  return {
    lower: placement.lower,
    upper: placement.upper,
    basis: bad.length > 0 ? 'good-and-bad' : 'normal-only',
    targets: { ...targets },
    good: goodRates,
    bad: badRates,
    overall,
    defectRate,
    goodImages: good.length,
    badImages: bad.length,
    resamples,
    seed,
    confidence,
    notes,
  };
}
