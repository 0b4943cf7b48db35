// Pixel-level metrics over any number of full-resolution maps, streamed: each map is folded into fixed histograms
// as it arrives and can be dropped, so memory is O(bins + regions), never O(pixels).
//
// Binning: a score s falls in bin ⌊(s − lo)·bins/(hi − lo)⌋ of the range [lo, hi] fixed up front (default [0, 1],
// sigmoid scores); scores outside the range go to the end bins and are counted as `clampedPixels`. Binning is
// monotone, so every bin-edge threshold is a real threshold of the exact computation: the binned metrics are the
// exact metrics restricted to those thresholds, and the only error comes from pixels sharing a bin. Each result
// carries a bound on that error, computed from the same histograms (proved in the comments below and checked against
// exact computation in tests/metrics/pixelAccumulator.test.ts).
import { InputError } from '../../shared/errors.js';
import { checkImageSize, connectedComponents } from './connectedComponents.js';
import { aurocOfGroups, averagePrecisionOfGroups, f1MaxOfGroups, type GroupedCounts } from './groupedCounts.js';
import { regionRecords, type RegionOptions, type RegionRecord } from './regions.js';

export interface PixelAccumulatorOptions {
  /** Histogram bins (default 2^16 = 65 536; 2^10..2^24). */
  bins?: number;
  /** Score range [lo, hi] binned (default [0, 1]). Fix it up front, e.g. from a first pass over the maps. */
  range?: readonly [number, number];
  /** Record exact per-region overlaps at these thresholds (e.g. the pixel threshold in use). */
  regionThresholds?: readonly number[];
  /** K order statistics kept per region for overlaps at any later threshold (default 32). */
  regionProfileSize?: number;
  /** Keep per-region records (default true); the metrics do not need them. */
  keepRegions?: boolean;
}

export interface PixelF1Max {
  f1: number;
  /** A pixel is called defective when score ≥ threshold (a bin's lower edge). NaN without defect pixels. */
  threshold: number;
  precision: number;
  recall: number;
  /** exact F1-max − binned F1-max lies in [0, errorBound]. */
  errorBound: number;
}

export interface PixelMetrics {
  /** Pixel AUROC (Mann–Whitney; pixels in the same bin count as ties). |exact − this| ≤ aurocErrorBound. */
  auroc: number;
  aurocErrorBound: number;
  /** Pixel average precision (step-wise, as for images). |exact − this| ≤ apErrorBound. */
  ap: number;
  apErrorBound: number;
  f1max: PixelF1Max;
  /** Area under the PRO curve up to FPR = fprLimit, divided by fprLimit. |exact − this| ≤ auproErrorBound. */
  aupro: number;
  auproErrorBound: number;
  fprLimit: number;
  imageCount: number;
  defectPixels: number;
  normalPixels: number;
  regionCount: number;
  /** Pixels whose score fell outside the range and were put in an end bin (bounds stay valid, but grow). */
  clampedPixels: number;
  bins: number;
  range: [number, number];
}

/** What one `add` learned about its image's ground-truth regions. */
export interface AddedImage {
  image: number;
  regions: RegionRecord[];
}

export class PixelMetricsAccumulator {
  readonly bins: number;
  readonly range: [number, number];
  private readonly scale: number;
  /** Per bin: defect pixels, normal pixels, and Σ 1/area(region) over the defect pixels (the PRO mass). */
  private readonly defect: Float64Array;
  private readonly normal: Float64Array;
  private readonly proMass: Float64Array;
  private readonly regionOptions: RegionOptions;
  private readonly keepRegions: boolean;
  private readonly records: RegionRecord[] = [];
  private images = 0;
  private regionTotal = 0;
  private clamped = 0;

  constructor(options: PixelAccumulatorOptions = {}) {
    const bins = options.bins ?? 1 << 16;
    if (!Number.isInteger(bins) || bins < 1 << 10 || bins > 1 << 24) {
      throw new InputError('metrics-bad-bins', `${bins} bins: choose a whole number from 1024 to 16777216`);
    }
    const [lo, hi] = options.range ?? [0, 1];
    if (!(Number.isFinite(lo) && Number.isFinite(hi) && hi > lo)) {
      throw new InputError('metrics-bad-range', `score range [${lo}, ${hi}] must be finite with lo < hi`);
    }
    this.bins = bins;
    this.range = [lo, hi];
    this.scale = bins / (hi - lo);
    this.defect = new Float64Array(bins);
    this.normal = new Float64Array(bins);
    this.proMass = new Float64Array(bins);
    this.regionOptions = {
      thresholds: [...(options.regionThresholds ?? [])],
      ...(options.regionProfileSize === undefined ? {} : { profileSize: options.regionProfileSize }),
    };
    this.keepRegions = options.keepRegions ?? true;
  }

  /** The lower edge of a bin: a pixel is in bin ≥ b when its score is ≥ this (up to rounding at the edge itself). */
  binEdge(bin: number): number {
    return this.range[0] + bin / this.scale;
  }

  /**
   * Fold one image in. `map`: anomaly scores, row-major, width × height. `mask`: the ground truth (> 0 = defect), or
   * null for an image with no defect (every pixel normal). `key`: the caller's id, copied into region records.
   */
  add(map: ArrayLike<number>, mask: ArrayLike<number> | null, width: number, height: number, key?: string): AddedImage {
    checkImageSize('anomaly map', map.length, width, height);
    const image = this.images;
    const components = mask ? connectedComponents(mask, width, height) : null;
    const bins = new Int32Array(map.length);
    const [lo, hi] = this.range;
    const last = this.bins - 1;
    let clamped = 0;
    for (let p = 0; p < map.length; p++) {
      const s = map[p]!;
      let b = Math.floor((s - lo) * this.scale);
      if (!(b >= 0 && b <= last)) {
        if (Number.isNaN(s)) {
          throw new InputError('metrics-score-not-finite', `pixel ${p} of image ${image} is NaN: maps must hold numbers`);
        }
        if (s < lo || s > hi) clamped++;
        b = b < 0 ? 0 : last;
      }
      bins[p] = b;
    }
    let regions: RegionRecord[] = [];
    if (components && components.count > 0) {
      const { labels, areas } = components;
      for (let p = 0; p < map.length; p++) {
        const label = labels[p]!;
        if (label === 0) this.normal[bins[p]!]! += 1;
        else {
          this.defect[bins[p]!]! += 1;
          this.proMass[bins[p]!]! += 1 / areas[label - 1]!;
        }
      }
      regions = regionRecords(map, components, width, image, key, this.regionOptions);
      this.regionTotal += components.count;
    } else {
      for (let p = 0; p < map.length; p++) this.normal[bins[p]!]! += 1;
    }
    if (this.keepRegions) for (const r of regions) this.records.push(r);
    this.clamped += clamped;
    this.images++;
    return { image, regions };
  }

  /** Fold in another accumulator with the same bins and range (e.g. from a parallel worker); its images follow ours. */
  merge(other: PixelMetricsAccumulator): void {
    if (other.bins !== this.bins || other.range[0] !== this.range[0] || other.range[1] !== this.range[1]) {
      throw new InputError('metrics-merge-mismatch', 'accumulators can only be merged with equal bins and range');
    }
    for (let b = 0; b < this.bins; b++) {
      this.defect[b]! += other.defect[b]!;
      this.normal[b]! += other.normal[b]!;
      this.proMass[b]! += other.proMass[b]!;
    }
    if (this.keepRegions) for (const r of other.records) this.records.push({ ...r, image: r.image + this.images });
    this.images += other.images;
    this.regionTotal += other.regionTotal;
    this.clamped += other.clamped;
  }

  /** Region records of every image added so far, in order. */
  regions(): readonly RegionRecord[] {
    return this.records;
  }

  /** Bins from the highest score down, as the shared ranking core expects. */
  private groups(): GroupedCounts {
    const pos = new Float64Array(this.bins);
    const neg = new Float64Array(this.bins);
    for (let i = 0, b = this.bins - 1; b >= 0; i++, b--) {
      pos[i] = this.defect[b]!;
      neg[i] = this.normal[b]!;
    }
    return { pos, neg };
  }

  /** Descending group index → its threshold (the lower edge of that bin). */
  private groupThreshold(group: number): number {
    return this.binEdge(this.bins - 1 - group);
  }

  /**
   * Normal-pixel score quantile q (e.g. 0.999): the lowest bin edge t with at most (1 − q) of the normal pixels at or
   * above it, i.e. calling pixels ≥ t defective flags at most a share 1 − q of normal pixels. NaN without normal pixels.
   */
  normalQuantile(q: number): number {
    if (!(q >= 0 && q <= 1)) throw new InputError('metrics-bad-rate', `quantile ${q} must be between 0 and 1`);
    let total = 0;
    for (let b = 0; b < this.bins; b++) total += this.normal[b]!;
    if (total === 0) return Number.NaN;
    const allowed = (1 - q) * total + 1e-9;
    let above = 0;
    for (let b = this.bins - 1; b >= 0; b--) {
      if (above + this.normal[b]! > allowed) return this.binEdge(b + 1);
      above += this.normal[b]!;
    }
    return this.binEdge(0);
  }

  result(options: { fprLimit?: number } = {}): PixelMetrics {
    const fprLimit = options.fprLimit ?? 0.3;
    if (!(fprLimit > 0 && fprLimit <= 1)) {
      throw new InputError('metrics-bad-rate', `FPR limit ${fprLimit} must be in (0, 1]`);
    }
    const groups = this.groups();
    const { pos, neg } = groups;
    let positives = 0;
    let negatives = 0;
    for (let i = 0; i < this.bins; i++) (positives += pos[i]!), (negatives += neg[i]!);

    // AUROC: the binned value scores a defect/normal pair in the same bin ½; exactly it scores 0, ½ or 1. So the
    // error is at most ½ · (pairs sharing a bin) / (all pairs).
    let sharedPairs = 0;
    for (let i = 0; i < this.bins; i++) sharedPairs += pos[i]! * neg[i]!;
    const aurocErrorBound = positives > 0 && negatives > 0 ? (0.5 * sharedPairs) / (positives * negatives) : Number.NaN;

    // AP: within a bin holding p defect and n normal pixels below TP₀, FP₀ pixels above it, each exact step gains
    // recall at a precision between (TP₀+1)/(TP₀+1+FP₀+n) and (TP₀+p)/(TP₀+p+FP₀); the binned step uses one value in
    // that interval for the bin's whole recall gain p/P. Summing (p/P) × the interval's width bounds the error.
    // F1: the exact F1 at any threshold inside a bin is at most 2(TP₀+p)/(TP₀+p+FP₀+P); the binned F1-max is one of
    // the exact values, so exact − binned ∈ [0, max of those − binned].
    let apErrorBound = 0;
    let f1Ceiling = 0;
    for (let i = 0, tp = 0, fp = 0; i < this.bins; i++) {
      const p = pos[i]!;
      const n = neg[i]!;
      if (p > 0) {
        const high = (tp + p) / (tp + p + fp);
        const low = (tp + 1) / (tp + 1 + fp + n);
        apErrorBound += (p / positives) * Math.max(0, high - low);
        f1Ceiling = Math.max(f1Ceiling, (2 * (tp + p)) / (tp + p + fp + positives));
      }
      tp += p;
      fp += n;
    }
    const best = f1MaxOfGroups(groups);
    const f1max: PixelF1Max = {
      f1: best.f1,
      threshold: best.group >= 0 ? this.groupThreshold(best.group) : Number.NaN,
      precision: best.precision,
      recall: best.recall,
      errorBound: best.group >= 0 ? Math.max(0, f1Ceiling - best.f1) : Number.NaN,
    };
    const pro = this.aupro(fprLimit, negatives);
    return {
      auroc: aurocOfGroups(groups),
      aurocErrorBound,
      ap: averagePrecisionOfGroups(groups),
      apErrorBound: positives > 0 ? apErrorBound : Number.NaN,
      f1max,
      aupro: pro.value,
      auproErrorBound: pro.errorBound,
      fprLimit,
      imageCount: this.images,
      defectPixels: positives,
      normalPixels: negatives,
      regionCount: this.regionTotal,
      clampedPixels: this.clamped,
      bins: this.bins,
      range: [...this.range],
    };
  }

  /**
   * AUPRO: the PRO curve (x = share of all normal pixels at or above the threshold, y = mean over every ground-truth
   * region of every image of the share of its pixels at or above the threshold), linear between thresholds,
   * integrated by the trapezoid rule from FPR 0 to fprLimit (interpolated at the limit) and divided by fprLimit.
   * The mean overlap is linear in pixels, so each region pixel adds 1/area to its bin's PRO mass: O(bins) memory.
   * Error: between two bin edges the exact curve rises monotonically inside the box of the two edge points, and the
   * binned trapezoid is that box's middle: ≤ ½·Δx·Δy per box (the whole box for the part cut at the limit).
   */
  private aupro(fprLimit: number, negatives: number): { value: number; errorBound: number } {
    if (negatives === 0 || this.regionTotal === 0) return { value: Number.NaN, errorBound: Number.NaN };
    let area = 0;
    let bound = 0;
    let normalAbove = 0;
    let massAbove = 0;
    let x0 = 0;
    let y0 = 0;
    for (let b = this.bins - 1; b >= 0; b--) {
      normalAbove += this.normal[b]!;
      massAbove += this.proMass[b]!;
      const x1 = normalAbove / negatives;
      const y1 = massAbove / this.regionTotal;
      if (x1 >= fprLimit) {
        const dx = fprLimit - x0;
        const yAt = x1 > x0 ? y0 + ((y1 - y0) * dx) / (x1 - x0) : y1;
        area += (dx * (y0 + yAt)) / 2;
        bound += dx * (y1 - y0);
        break;
      }
      area += ((x1 - x0) * (y0 + y1)) / 2;
      bound += ((x1 - x0) * (y1 - y0)) / 2;
      x0 = x1;
      y0 = y1;
    }
    return { value: area / fprLimit, errorBound: bound / fprLimit };
  }
}
