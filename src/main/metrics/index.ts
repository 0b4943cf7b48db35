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
export * from './imageMetrics.js';
export * from './connectedComponents.js';
export * from './regions.js';
export * from './pixelAccumulator.js';
export * from './thresholds.js';
export * from './pixelThreshold.js';
export { float32Between, firstFloat32Above, lastFloat32AtOrBelow } from './float32.js';
export * from './drift.js';
