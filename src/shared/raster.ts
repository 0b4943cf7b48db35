// Rasterising label shapes onto an indexed mask (one byte a pixel), the same way in the renderer's tools, the
// label importer and the tests: a pixel belongs to a shape when its centre does. Pure functions; no DOM.

export interface PixelRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface IndexedMask {
  width: number;
  height: number;
  pixels: Uint8Array;
}

/** Scanline fill of the polygon(s) given as edges [x0, y0, x1, y1], even-odd, at pixel centres. */
export function fillEdges(edges: readonly (readonly [number, number, number, number])[], pixels: Uint8Array, width: number, height: number, value: number): PixelRect | null {
  const xs: number[] = [];
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const [x0, y0, x1, y1] of edges) {
    minY = Math.min(minY, y0, y1);
    maxY = Math.max(maxY, y0, y1);
  }
  const yFrom = Math.max(0, Math.floor(minY));
  const yTo = Math.min(height - 1, Math.ceil(maxY));
  for (let y = yFrom; y <= yTo; y++) {
    const cy = y + 0.5;
    xs.length = 0;
    for (const [x0, y0, x1, y1] of edges) {
      if ((y0 <= cy && y1 > cy) || (y1 <= cy && y0 > cy)) xs.push(x0 + ((cy - y0) / (y1 - y0)) * (x1 - x0));
    }
    if (xs.length < 2) continue;
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const from = Math.max(0, Math.ceil(xs[k]! - 0.5));
      const to = Math.min(width - 1, Math.ceil(xs[k + 1]! - 0.5) - 1);
      if (to < from) continue;
      pixels.fill(value, y * width + from, y * width + to + 1);
      minX = Math.min(minX, from);
      maxX = Math.max(maxX, to);
      minY = Math.min(minY, y);
    }
  }
  if (maxX < minX) return null;
  return { x: minX, y: yFrom, width: maxX - minX + 1, height: yTo - yFrom + 1 };
}

/** A closed polygon from points [x, y][]. */
export function polygonEdges(points: readonly (readonly [number, number])[]): [number, number, number, number][] {
  return points.map((p, i) => {
    const q = points[(i + 1) % points.length]!;
    return [p[0], p[1], q[0], q[1]];
  });
}

/**
 * A brush stroke: every pixel whose centre lies within `radius` of the polyline through `points` (image pixels).
 * Returns the rectangle it may have touched.
 */
export function paintStroke(mask: IndexedMask, points: readonly (readonly [number, number])[], radius: number, value: number): PixelRect | null {
  if (points.length === 0) return null;
  const { width, height, pixels } = mask;
  const r = Math.max(0.5, radius);
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const [x, y] of points) {
    minX = Math.min(minX, x);
    minY = Math.min(minY, y);
    maxX = Math.max(maxX, x);
    maxY = Math.max(maxY, y);
  }
  const x0 = Math.max(0, Math.floor(minX - r));
  const y0 = Math.max(0, Math.floor(minY - r));
  const x1 = Math.min(width - 1, Math.ceil(maxX + r));
  const y1 = Math.min(height - 1, Math.ceil(maxY + r));
  if (x1 < x0 || y1 < y0) return null;
  const r2 = r * r;
  for (let i = 0; i < points.length; i++) {
    const [ax, ay] = points[i]!;
    const [bx, by] = points[Math.min(i + 1, points.length - 1)]!;
    const sx0 = Math.max(x0, Math.floor(Math.min(ax, bx) - r));
    const sx1 = Math.min(x1, Math.ceil(Math.max(ax, bx) + r));
    const sy0 = Math.max(y0, Math.floor(Math.min(ay, by) - r));
    const sy1 = Math.min(y1, Math.ceil(Math.max(ay, by) + r));
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    for (let y = sy0; y <= sy1; y++) {
      const cy = y + 0.5;
      for (let x = sx0; x <= sx1; x++) {
        const cx = x + 0.5;
        let t = len2 === 0 ? 0 : ((cx - ax) * dx + (cy - ay) * dy) / len2;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        const ex = ax + t * dx - cx;
        const ey = ay + t * dy - cy;
        if (ex * ex + ey * ey <= r2) pixels[y * width + x] = value;
      }
    }
  }
  return { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/** Fills the 4-connected region of equal value around (x, y) with `value`. */
export function floodFill(mask: IndexedMask, x: number, y: number, value: number): PixelRect | null {
  const { width, height, pixels } = mask;
  if (x < 0 || y < 0 || x >= width || y >= height) return null;
  const target = pixels[y * width + x]!;
  if (target === value) return null;
  let minX = x;
  let maxX = x;
  let minY = y;
  let maxY = y;
  const stack: number[] = [x, y];
  while (stack.length) {
    const sy = stack.pop()!;
    const sx = stack.pop()!;
    let left = sx;
    const row = sy * width;
    if (pixels[row + left] !== target) continue;
    while (left > 0 && pixels[row + left - 1] === target) left--;
    let right = sx;
    while (right < width - 1 && pixels[row + right + 1] === target) right++;
    pixels.fill(value, row + left, row + right + 1);
    minX = Math.min(minX, left);
    maxX = Math.max(maxX, right);
    minY = Math.min(minY, sy);
    maxY = Math.max(maxY, sy);
    for (const ny of [sy - 1, sy + 1]) {
      if (ny < 0 || ny >= height) continue;
      const nrow = ny * width;
      let inRun = false;
      for (let nx = left; nx <= right; nx++) {
        const hit = pixels[nrow + nx] === target;
        if (hit && !inRun) stack.push(nx, ny);
        inRun = hit;
      }
    }
  }
  return { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 };
}

/** Copies a rectangle out of a mask. */
export function readRect(mask: IndexedMask, rect: PixelRect): Uint8Array {
  const out = new Uint8Array(rect.width * rect.height);
  for (let row = 0; row < rect.height; row++) {
    const start = (rect.y + row) * mask.width + rect.x;
    out.set(mask.pixels.subarray(start, start + rect.width), row * rect.width);
  }
  return out;
}

export function writeRect(mask: IndexedMask, rect: PixelRect, values: Uint8Array): void {
  for (let row = 0; row < rect.height; row++) {
    mask.pixels.set(values.subarray(row * rect.width, (row + 1) * rect.width), (rect.y + row) * mask.width + rect.x);
  }
}

export function unionRect(a: PixelRect | null, b: PixelRect | null): PixelRect | null {
  if (!a) return b;
  if (!b) return a;
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y };
}
