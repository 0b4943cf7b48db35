// Per-region facts for the UI: for every ground-truth region of an image, its size, place, scores and how much of it
// the model covers at a threshold, so the app can list the defects a model misses. Small per region (≤ K+1 numbers),
// never the map itself.
import { InputError } from '../../shared/errors.js';
import { countBelow } from './sorted.js';
import { checkImageSize, connectedComponents, type Components } from './connectedComponents.js';

export interface RegionRecord {
  /** Index of the image in the order it was given (0-based). */
  image: number;
  /** The caller's id for the image, when one was given. */
  key?: string;
  /** The region's label within its image, 1..count (8-connected components of mask > 0). */
  region: number;
  /** Pixels in the region. */
  area: number;
  /** Bounding box in pixels (x, y of the top-left pixel; width, height in pixels). */
  box: { x: number; y: number; width: number; height: number };
  maxScore: number;
  meanScore: number;
  /** Exact overlap (share of the region's pixels with score ≥ t) at each threshold asked for up front, same order. */
  overlaps: number[];
  /**
   * The region's scores ascending: all of them when area ≤ K + 1 (then `regionOverlap` is exact), else the K + 1
   * order statistics at ranks ⌊i·(area − 1)/K⌋, i = 0..K (then `regionOverlap` is within 1/(2K) + 1/area).
   */
  profile: Float64Array;
}

export interface RegionOptions {
  /** Thresholds at which each region's exact overlap is recorded. */
  thresholds?: readonly number[];
  /** K: order statistics kept per region for overlaps at any later threshold (default 32). */
  profileSize?: number;
}

export const DEFAULT_PROFILE_SIZE = 32;

/**
 * Share of a region's pixels scoring ≥ threshold, from its record: exact for regions of up to K + 1 pixels, else
 * estimated from the kept order statistics (the midpoint of the interval they leave open).
 */
export function regionOverlap(record: RegionRecord, threshold: number): number {
  const { profile, area } = record;
  const below = countBelow(profile, threshold);
  if (profile.length === area) return (area - below) / area;
  if (below === 0) return 1;
  if (below === profile.length) return 0;
  const k = profile.length - 1;
  const rank = (i: number) => Math.floor((i * (area - 1)) / k);
  // pixels below the threshold: at least rank(below − 1) + 1, at most rank(below)
  const pixelsBelow = (rank(below - 1) + 1 + rank(below)) / 2;
  return 1 - pixelsBelow / area;
}

/** Exact region records of one image (for the app, on demand, from a stored map and its mask). */
export function describeRegions(
  map: ArrayLike<number>,
  mask: ArrayLike<number>,
  width: number,
  height: number,
  options: RegionOptions = {},
): RegionRecord[] {
  checkImageSize('anomaly map', map.length, width, height);
  return regionRecords(map, connectedComponents(mask, width, height), width, 0, undefined, options);
}

/** Records for every component; `components` must come from the same image as `map`. */
export function regionRecords(
  map: ArrayLike<number>,
  components: Components,
  width: number,
  image: number,
  key: string | undefined,
  options: RegionOptions,
): RegionRecord[] {
  const { labels, count, areas } = components;
  const profileSize = options.profileSize ?? DEFAULT_PROFILE_SIZE;
  if (!Number.isInteger(profileSize) || profileSize < 1) {
    throw new InputError('metrics-bad-profile', `region profile size ${profileSize} must be a whole number ≥ 1`);
  }
  const thresholds = options.thresholds ?? [];
  if (count === 0) return [];
  // group the region pixels' scores by region (a counting sort on the label)
  const offsets = new Int32Array(count + 1);
  for (let r = 0; r < count; r++) offsets[r + 1] = offsets[r]! + areas[r]!;
  const fill = offsets.slice(0, count);
  const scores = new Float64Array(offsets[count]!);
  const minX = new Int32Array(count).fill(width);
  const minY = new Int32Array(count).fill(labels.length);
  const maxX = new Int32Array(count).fill(-1);
  const maxY = new Int32Array(count).fill(-1);
  for (let p = 0; p < labels.length; p++) {
    const label = labels[p]!;
    if (label === 0) continue;
    const r = label - 1;
    scores[fill[r]!++] = map[p]!;
    const x = p % width;
    const y = (p - x) / width;
    if (x < minX[r]!) minX[r] = x;
    if (x > maxX[r]!) maxX[r] = x;
    if (y < minY[r]!) minY[r] = y;
    if (y > maxY[r]!) maxY[r] = y;
  }
  const records: RegionRecord[] = [];
  for (let r = 0; r < count; r++) {
    const own = scores.subarray(offsets[r]!, offsets[r + 1]!).sort();
    const area = own.length;
    let sum = 0;
    for (let i = 0; i < area; i++) sum += own[i]!;
    let profile: Float64Array;
    if (area <= profileSize + 1) profile = own.slice();
    else {
      profile = new Float64Array(profileSize + 1);
      for (let i = 0; i <= profileSize; i++) profile[i] = own[Math.floor((i * (area - 1)) / profileSize)]!;
    }
    const overlaps = thresholds.map((t) => (area - countBelow(own, t)) / area);
    records.push({
      image,
      ...(key === undefined ? {} : { key }),
      region: r + 1,
      area,
      box: { x: minX[r]!, y: minY[r]!, width: maxX[r]! - minX[r]! + 1, height: maxY[r]! - minY[r]! + 1 },
      maxScore: own[area - 1]!,
      meanScore: sum / area,
      overlaps,
      profile,
    });
  }
  return records;
}
