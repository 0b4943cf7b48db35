// Exact pixel metrics for the cross-checks, written independently of src/main/metrics: union-find regions, and a
// brute-force PRO curve (every distinct score a threshold, every region's overlap counted directly).
import { seededRandom, type Random } from '../../src/main/util/random.js';

export interface TestImage {
  map: Float64Array;
  mask: Uint8Array | null;
  width: number;
  height: number;
}

/** Region id per pixel (−1 background), 8-connected, by union-find. */
export function referenceRegions(mask: Uint8Array, width: number, height: number): { ids: Int32Array; count: number } {
  const parent = Int32Array.from({ length: mask.length }, (_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      if (!mask[p]) continue;
      for (const [dx, dy] of [[1, 0], [-1, 1], [0, 1], [1, 1]] as const) {
        const nx = x + dx;
        const ny = y + dy;
        if (nx < 0 || nx >= width || ny >= height || !mask[ny * width + nx]) continue;
        parent[find(p)] = find(ny * width + nx);
      }
    }
  }
  const ids = new Int32Array(mask.length).fill(-1);
  const roots = new Map<number, number>();
  for (let p = 0; p < mask.length; p++) {
    if (!mask[p]) continue;
    const root = find(p);
    if (!roots.has(root)) roots.set(root, roots.size);
    ids[p] = roots.get(root)!;
  }
  return { ids, count: roots.size };
}

interface FlatPixel {
  score: number;
  region: number; // −1 normal, else a global region id
}

function flatten(images: TestImage[]): { pixels: FlatPixel[]; areas: number[] } {
  const pixels: FlatPixel[] = [];
  const areas: number[] = [];
  for (const image of images) {
    const { ids, count } = image.mask
      ? referenceRegions(image.mask, image.width, image.height)
      : { ids: new Int32Array(image.map.length).fill(-1), count: 0 };
    const base = areas.length;
    for (let r = 0; r < count; r++) areas.push(0);
    for (let p = 0; p < image.map.length; p++) {
      const region = ids[p]! < 0 ? -1 : base + ids[p]!;
      if (region >= 0) areas[region]!++;
      pixels.push({ score: image.map[p]!, region });
    }
  }
  return { pixels, areas };
}

/** All pixels as one scored, labelled list (for the exact image-metric functions). */
export function flatScoresAndLabels(images: TestImage[]): { scores: Float64Array; labels: Uint8Array } {
  const { pixels } = flatten(images);
  return {
    scores: Float64Array.from(pixels, (p) => p.score),
    labels: Uint8Array.from(pixels, (p) => (p.region >= 0 ? 1 : 0)),
  };
}

/** The PRO curve at every distinct score, by direct counting: O(thresholds × pixels), for small cases. */
export function bruteAupro(images: TestImage[], limit: number): number {
  const { pixels, areas } = flatten(images);
  const normals = pixels.filter((p) => p.region < 0).length;
  const thresholds = [...new Set(pixels.map((p) => p.score))].sort((a, b) => b - a);
  const points: [number, number][] = [[0, 0]];
  for (const t of thresholds) {
    let fp = 0;
    const hit = areas.map(() => 0);
    for (const p of pixels) {
      if (p.score < t) continue;
      if (p.region < 0) fp++;
      else hit[p.region]!++;
    }
    points.push([fp / normals, hit.reduce((sum, h, r) => sum + h / areas[r]!, 0) / areas.length]);
  }
  return integrate(points, limit);
}

/** The same curve by one sweep over the pixels sorted by score: O(pixels log pixels), for large cases. */
export function sweepAupro(images: TestImage[], limit: number): number {
  const { pixels, areas } = flatten(images);
  const normals = pixels.filter((p) => p.region < 0).length;
  pixels.sort((a, b) => b.score - a.score);
  const points: [number, number][] = [[0, 0]];
  let fp = 0;
  let pro = 0;
  for (let i = 0; i < pixels.length; ) {
    const s = pixels[i]!.score;
    for (; i < pixels.length && pixels[i]!.score === s; i++) {
      const r = pixels[i]!.region;
      if (r < 0) fp++;
      else pro += 1 / areas[r]! / areas.length;
    }
    points.push([fp / normals, pro]);
  }
  return integrate(points, limit);
}

function integrate(points: [number, number][], limit: number): number {
  let area = 0;
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1]!;
    const [x1, y1] = points[i]!;
    if (x1 >= limit) {
      const yAt = x1 > x0 ? y0 + ((y1 - y0) * (limit - x0)) / (x1 - x0) : y1;
      area += ((limit - x0) * (y0 + yAt)) / 2;
      break;
    }
    area += ((x1 - x0) * (y0 + y1)) / 2;
  }
  return area / limit;
}

/**
 * A random image like a model's output: smooth background noise in [0, 1), a few elliptic defects (some touching
 * only diagonally), defect pixels scored higher on average but overlapping the normal range; ~30 % images without
 * defects.
 */
export function randomImage(random: Random, width: number, height: number, levels = 0): TestImage {
  const mask = new Uint8Array(width * height);
  const hasDefect = random() < 0.7;
  const defects = hasDefect ? 1 + Math.floor(random() * 3) : 0;
  for (let d = 0; d < defects; d++) {
    const cx = random() * width;
    const cy = random() * height;
    const rx = 0.5 + random() * width * 0.15;
    const ry = 0.5 + random() * height * 0.15;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) if (((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1) mask[y * width + x] = 1;
    }
  }
  const map = new Float64Array(width * height);
  const lift = 0.2 + random() * 0.5;
  for (let p = 0; p < map.length; p++) {
    let s = random() * 0.6 + (mask[p] ? lift * random() + 0.1 : 0);
    s = Math.min(s, 0.999999);
    map[p] = levels > 0 ? Math.floor(s * levels) / levels : s;
  }
  return { map, mask: hasDefect ? mask : null, width, height };
}

export function randomImages(seed: number, count: number, width: number, height: number, levels = 0): TestImage[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => randomImage(random, width, height, levels));
}
