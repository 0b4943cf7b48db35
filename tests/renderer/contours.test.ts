// The predicted-mask outline: marching squares on the bilinearly upsampled anomaly map, on hand-made maps whose
// level sets are known in closed form.
import { describe, expect, it } from 'vitest';
import { bilinearSampler, maskContours, type Contour } from '../../src/renderer/src/models/contours';

/** Shoelace area of a closed polyline. */
function area(c: Contour): number {
  let twice = 0;
  const p = c.points;
  for (let i = 0; i < p.length; i += 2) {
    const j = (i + 2) % p.length;
    twice += p[i]! * p[j + 1]! - p[j]! * p[i + 1]!;
  }
  return Math.abs(twice) / 2;
}

function pointsOf(c: Contour): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < c.points.length; i += 2) out.push([c.points[i]!, c.points[i + 1]!]);
  return out;
}

/** An 8×8 map, zero but for one cell. */
function oneHotMap(cx: number, cy: number): Float32Array {
  const map = new Float32Array(64);
  map[cy * 8 + cx] = 1;
  return map;
}

describe('bilinear upsampling of the map', () => {
  it('puts each map value at its cell centre and interpolates between, clamped at the edges', () => {
    const sample = bilinearSampler([0, 1, 2, 3], 4, 1, 40, 10);
    expect(sample(5, 5)).toBeCloseTo(0, 12); // centre of cell 0
    expect(sample(15, 5)).toBeCloseTo(1, 12);
    expect(sample(20, 5)).toBeCloseTo(1.5, 12);
    expect(sample(0, 5)).toBeCloseTo(0, 12); // clamped
    expect(sample(40, 5)).toBeCloseTo(3, 12);
  });
});

describe('predicted-mask contours', () => {
  it('finds nothing where no pixel reaches the threshold', () => {
    expect(maskContours(new Float32Array(64), 8, 8, 0.5, { width: 80, height: 80 })).toEqual([]);
  });

  it('draws a ramp map cut halfway as one straight line at the exact sub-pixel crossing', () => {
    // value = column index; upsampled ×10 the value at image x is x/10 − 0.5, so 1.5 is crossed at x = 20
    const map = new Float32Array(16).map((_, i) => i % 4);
    const contours = maskContours(map, 4, 4, 1.5, { width: 40, height: 40 });
    expect(contours).toHaveLength(1);
    const [line] = contours;
    expect(line!.closed).toBe(true);
    // the region is the right half, its line closed along the image border (its corners cut by half a pixel)
    expect(Math.abs(area(line!) - 20 * 40)).toBeLessThan(1);
    for (const [x, y] of pointsOf(line!)) {
      const onBorder = x === 40 || y === 0 || y === 40;
      if (!onBorder) expect(x).toBeCloseTo(20, 9);
    }
  });

  it('outlines one hot cell as the smooth level set of its bilinear tent, not as a block', () => {
    // the tent around cell (3,3) upsampled ×10: (1 − |du|)(1 − |dv|), du = x/10 − 3.5 — cut at c = 1/4 it is a
    // four-pointed star with area 4[(1 − c) − c·ln(1/c)] cells, reaching ±7.5 px along the axes, ±5 on diagonals
    const c = 0.25;
    const contours = maskContours(oneHotMap(3, 3), 8, 8, c, { width: 80, height: 80 });
    expect(contours).toHaveLength(1);
    const line = contours[0]!;
    expect(line.closed).toBe(true);
    const exact = 100 * 4 * (1 - c - c * Math.log(1 / c));
    expect(Math.abs(area(line) - exact) / exact).toBeLessThan(0.02);
    const sample = bilinearSampler(oneHotMap(3, 3), 8, 8, 80, 80);
    const points = pointsOf(line);
    // every vertex lies on the level set (linear interpolation between samples one pixel apart)
    for (const [x, y] of points) expect(Math.abs(sample(x, y) - c)).toBeLessThan(0.02);
    const xs = points.map(([x]) => x);
    // (the nearest sample rows are half a pixel off the axis, where the tip is 0.13 px shorter)
    expect(Math.abs(Math.max(...xs) - 42.5)).toBeLessThan(0.2);
    expect(Math.abs(Math.min(...xs) - 27.5)).toBeLessThan(0.2);
    // smooth at image resolution: many vertices, and not the map cell's square (30..40 on both axes)
    expect(points.length).toBeGreaterThan(40);
    expect(points.some(([x, y]) => Math.abs(x - 35) < 1 && Math.abs(y - 35) > 7)).toBe(true);
  });

  it('keeps two separate defects apart and closes a region that touches the border along it', () => {
    const map = new Float32Array(64);
    map[1 * 8 + 1] = 1;
    map[6 * 8 + 6] = 1;
    expect(maskContours(map, 8, 8, 0.5, { width: 80, height: 80 })).toHaveLength(2);
    const everywhere = maskContours(new Float32Array(64).fill(1), 8, 8, 0.5, { width: 120, height: 80 });
    expect(everywhere).toHaveLength(1);
    expect(Math.abs(area(everywhere[0]!) - 120 * 80)).toBeLessThan(1);
  });

  it('separates the two hot corners of a saddle cell when its centre is below the threshold', () => {
    // a 2×2 map with hot opposite corners: the centre is the mean 0.5 < 0.6, so two regions, not one
    const map = new Float32Array([1, 0, 0, 1]);
    expect(maskContours(map, 2, 2, 0.6, { width: 20, height: 20 })).toHaveLength(2);
    expect(maskContours(map, 2, 2, 0.4, { width: 20, height: 20 })).toHaveLength(1);
  });

  it('samples a large image at most maxSamples along its longer side', () => {
    const contours = maskContours(oneHotMap(3, 3), 8, 8, 0.25, { width: 4000, height: 4000, maxSamples: 400 });
    expect(contours).toHaveLength(1);
    const exact = (4000 / 8) ** 2 * 4 * (0.75 - 0.25 * Math.log(4));
    expect(Math.abs(area(contours[0]!) - exact) / exact).toBeLessThan(0.02);
    expect(contours[0]!.points.length / 2).toBeLessThan(400);
  });
});
