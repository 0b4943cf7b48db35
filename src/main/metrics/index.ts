// Metrics for defect detection: pure functions over scores, labels, maps and masks. No I/O, no state beyond the
// pixel accumulator you hold. Convention everywhere: a higher score is more anomalous, and something is called
// anomalous (rejected / a defect pixel) when score ≥ threshold. Label 1 or true = anomalous (bad part, defect pixel).
//
// Image level, exact (every distinct score is a candidate threshold):
//   imageMetrics(scores, labels) → { auroc, ap, f1max: {f1, threshold, precision, recall}, pg2, pb2,
//                                     goodCount, badCount }            one sort for all of them
//   imageAuroc, imageAveragePrecision, imageF1Max                      the same, one at a time
//   pgAt(scores, labels, n) / pbAt(scores, labels, n)                 PG@n / PB@n, n in percent → OperatingPoint
//     AUROC: Mann–Whitney, a tie counts ½. AP: scikit-learn's step-wise sum Σ ΔRecall·Precision (no interpolation).
//     F1-max: the best F1 over all thresholds; among equal values the highest threshold.
//     PG@n: share of good images passed at the highest threshold missing ≤ ⌊n·B/100⌋ of the B bad images.
//     PB@n: share of bad images rejected at the lowest threshold rejecting ≤ ⌊n·G/100⌋ of the G good images.
//     Counts round down ("at most"); a good image tied with the PG threshold counts as rejected.
//   One class absent: the metrics that need both classes are NaN (never an exception); with only bad images AP
//   and F1 are 1. Mismatched lengths, non-finite scores and labels other than 0/1/boolean throw InputError.
//
// Pixel level, streamed (memory O(bins + regions), never O(pixels)):
//   const acc = new PixelMetricsAccumulator({ bins: 2**16, range: [0, 1], regionThresholds: [t] });
//   for each image: acc.add(map, mask | null, width, height, key?)  → { image, regions: RegionRecord[] }
//   acc.result({ fprLimit: 0.3 }) → { auroc, ap, f1max: {f1, threshold, precision, recall, errorBound}, aupro,
//                                     and an error bound for each, pixel/region/clamped counts }
//   acc.normalQuantile(q), acc.regions(), acc.merge(otherAccumulator)
//     Scores are binned in the fixed range (outside → end bins, counted as clampedPixels). Binning is monotone, so
//     the binned metrics are the exact ones restricted to bin-edge thresholds; each carries a proven bound on
//     |binned − exact| computed from the histograms (AUROC: ½ × share of defect/normal pairs sharing a bin).
//     AUPRO: PRO curve over FPR of all normal pixels, per-region overlap averaged over every ground-truth region
//     (8-connected components of mask > 0) of every image, trapezoid to FPR 0.3, divided by 0.3.
//   Regions for the UI: RegionRecord {image, key, region, area, box, maxScore, meanScore, overlaps (exact, at the
//   regionThresholds), profile}; regionOverlap(record, t) gives the overlap at any later threshold (exact up to
//   K + 1 pixels, else within 1/(2K) + 1/area); describeRegions(map, mask, w, h, options) for one stored map.
//   connectedComponents(mask, w, h) → { labels, count, areas }.
//
// Thresholds for the line (issue 12), pure:
//   deriveImageThresholds(goodScores, badScores, { maxMissRate, maxFalseRejectRate }, { resamples: 1000, seed: 1,
//                         confidence: 0.95, defectRate? }) → ImageThresholds
//     { lower, upper, basis: 'good-and-bad' | 'normal-only', good / bad / overall: { pass, review, reject } each
//       { rate, low, high, count, of }, goodImages, badImages, notes: plain sentences for the UI }
//     pass when score < lower, reject when score ≥ upper, review between. upper: the lowest threshold rejecting at
//     most ⌊maxFalseRejectRate·G⌋ good images; lower: the highest passing at most ⌊maxMissRate·B⌋ bad ones; each in
//     the middle of the gap it falls in, as a float32 (what the exported graph compares). lower > upper collapses
//     to one threshold. No bad images: basis 'normal-only', lower = upper from the good scores, and a note saying
//     so; a target < 1 never rejects every good image. Intervals: seeded bootstrap, thresholds re-derived on each
//     resample and measured on the whole validation set.
//   derivePixelThreshold(validationAccumulator, { normalQuantile: 0.999 }) → { threshold, basis: 'pixel-f1max' |
//     'normal-quantile', f1?, note }
//
// Per defect class: ClassMetricsAccumulator — addNormal(score, map?), addAnomalous(class, score, map, mask?) →
//   result(): per class its anomalous images against all normal ones (image AUROC/AP, pixel AUROC/AUPRO/AP);
//   allPixels(): the merged accumulator of every map (the split's own pixel metrics).
//
// Drift (issue 12 item 5):
//   checkDrift(validationGoodScores, recentPassedScores, { alpha: 0.01, minRecent: 30, below: passThreshold })
//     → { statistic (KS D), pValue, method, warn, enoughData, signedGap (> 0: recent higher), medianShift, message }
//   ksTwoSample(a, b), kolmogorovSurvival(λ). Pass `below` = the lower threshold when the window holds only passed
//   parts, so the reference is cut the same way. alpha is per check: test non-overlapping windows.
//
// Randomness: every seeded step uses seededRandom from src/main/util/random.ts (mulberry32).
export * from './imageMetrics.js';
export * from './connectedComponents.js';
export * from './regions.js';
export * from './pixelAccumulator.js';
export * from './thresholds.js';
export * from './pixelThreshold.js';
export { float32Between, firstFloat32Above, lastFloat32AtOrBelow } from './float32.js';
export * from './drift.js';
export * from './classMetrics.js';
