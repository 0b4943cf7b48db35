// The predicted mask's outline, smooth at image resolution: the anomaly map (a coarse grid, 32×32 for a 256² input at
// stride 8) is upsampled bilinearly to the image — as the service does when it turns the map into a mask — and its
// level set at the pixel threshold is traced with marching squares, crossing points interpolated linearly along each
// cell edge. The result is a set of polylines in image pixels that any canvas can stroke at any zoom, instead of the
// map's blocks. Plain data in, plain data out: no DOM, so it is unit-tested on hand-made maps.

export interface Contour {
  /** x0, y0, x1, y1, … in image pixels (pixel centres at .5). */
  points: number[];
  /** The line comes back to its start (it encloses a region); open lines cannot occur since the border counts as below. */
  closed: boolean;
}

export interface ContourOptions {
  /** The image the map covers, in pixels. */
  width: number;
  height: number;
  /** Most samples along the longer side (default 1024): image resolution up to that, finer than any screen shows. */
  maxSamples?: number;
}

/**
 * The map's value at a point of the image, bilinear with pixel centres aligned (the convention of image resizers:
 * map cell i covers image pixels [i·s, (i+1)·s) and its value sits at its centre); clamped at the edges.
 */
export function bilinearSampler(scores: ArrayLike<number>, mapWidth: number, mapHeight: number, width: number, height: number) {
  const sx = mapWidth / width;
  const sy = mapHeight / height;
  return (x: number, y: number): number => {
    const u = Math.min(mapWidth - 1, Math.max(0, x * sx - 0.5));
    const v = Math.min(mapHeight - 1, Math.max(0, y * sy - 0.5));
    const x0 = Math.floor(u);
    const y0 = Math.floor(v);
    const x1 = Math.min(mapWidth - 1, x0 + 1);
    const y1 = Math.min(mapHeight - 1, y0 + 1);
    const fx = u - x0;
    const fy = v - y0;
    const top = scores[y0 * mapWidth + x0]! * (1 - fx) + scores[y0 * mapWidth + x1]! * fx;
    const bottom = scores[y1 * mapWidth + x0]! * (1 - fx) + scores[y1 * mapWidth + x1]! * fx;
    return top * (1 - fy) + bottom * fy;
  };
}

/** The outline of {map ≥ threshold} upsampled to the image: closed polylines in image pixels. */
export function maskContours(scores: ArrayLike<number>, mapWidth: number, mapHeight: number, threshold: number, options: ContourOptions): Contour[] {
  const { width, height } = options;
  if (scores.length !== mapWidth * mapHeight) throw new Error(`a ${mapWidth}×${mapHeight} map needs ${mapWidth * mapHeight} scores, got ${scores.length}`);
  const step = Math.max(1, Math.max(width, height) / (options.maxSamples ?? 1024));
  const cols = Math.max(1, Math.round(width / step));
  const rows = Math.max(1, Math.round(height / step));
  const sample = bilinearSampler(scores, mapWidth, mapHeight, width, height);
  // sample grid with a ring of "below" around it, so every region's line closes at the image border
  const gw = cols + 2;
  const gh = rows + 2;
  const value = new Float64Array(gw * gh).fill(-Infinity);
  const xAt = (gx: number) => Math.min(width, Math.max(0, ((gx - 1) + 0.5) * (width / cols)));
  const yAt = (gy: number) => Math.min(height, Math.max(0, ((gy - 1) + 0.5) * (height / rows)));
  for (let gy = 1; gy <= rows; gy++) for (let gx = 1; gx <= cols; gx++) value[gy * gw + gx] = sample(xAt(gx), yAt(gy));
  // the border ring sits on the image's edge
  const posX = (gx: number) => (gx === 0 ? 0 : gx === gw - 1 ? width : xAt(gx));
  const posY = (gy: number) => (gy === 0 ? 0 : gy === gh - 1 ? height : yAt(gy));
  const above = (gx: number, gy: number) => value[gy * gw + gx]! >= threshold;

  // crossing points are named by the cell edge they lie on: shared by the two cells either side, so segments join
  const points = new Map<number, [number, number]>();
  const horizontal = (gx: number, gy: number) => 2 * (gy * gw + gx); // edge (gx,gy)–(gx+1,gy)
  const vertical = (gx: number, gy: number) => 2 * (gy * gw + gx) + 1; // edge (gx,gy)–(gx,gy+1)
  const crossing = (id: number): number => {
    if (points.has(id)) return id;
    const cell = id >> 1;
    const gx = cell % gw;
    const gy = Math.floor(cell / gw);
    const [bx, by] = id & 1 ? [gx, gy + 1] : [gx + 1, gy];
    const a = value[gy * gw + gx]!;
    const b = value[by * gw + bx]!;
    // linear interpolation between the two samples; a border sample (−∞) puts the point on the border
    const t = !Number.isFinite(a) ? 0 : !Number.isFinite(b) ? 1 : Math.min(1, Math.max(0, (threshold - a) / (b - a)));
    const x = posX(gx) + (posX(bx) - posX(gx)) * t;
    const y = posY(gy) + (posY(by) - posY(gy)) * t;
    points.set(id, [x, y]);
    return id;
  };
  const next = new Map<number, number[]>();
  const link = (a: number, b: number) => {
    next.set(a, [...(next.get(a) ?? []), b]);
    next.set(b, [...(next.get(b) ?? []), a]);
  };
  for (let gy = 0; gy < gh - 1; gy++) {
    for (let gx = 0; gx < gw - 1; gx++) {
      const tl = above(gx, gy);
      const tr = above(gx + 1, gy);
      const br = above(gx + 1, gy + 1);
      const bl = above(gx, gy + 1);
      const code = (tl ? 8 : 0) | (tr ? 4 : 0) | (br ? 2 : 0) | (bl ? 1 : 0);
      if (code === 0 || code === 15) continue;
      const top = () => crossing(horizontal(gx, gy));
      const bottom = () => crossing(horizontal(gx, gy + 1));
      const left = () => crossing(vertical(gx, gy));
      const right = () => crossing(vertical(gx + 1, gy));
      switch (code) {
        case 1: case 14: link(left(), bottom()); break;
        case 2: case 13: link(bottom(), right()); break;
        case 3: case 12: link(left(), right()); break;
        case 4: case 11: link(top(), right()); break;
        case 6: case 9: link(top(), bottom()); break;
        case 7: case 8: link(left(), top()); break;
        case 5: case 10: {
          // a saddle: the cell's centre (mean of its corners) decides whether the two "above" corners connect
          const centre = (value[gy * gw + gx]! + value[gy * gw + gx + 1]! + value[(gy + 1) * gw + gx + 1]! + value[(gy + 1) * gw + gx]!) / 4;
          const joined = centre >= threshold;
          if ((code === 5) === joined) {
            link(left(), top());
            link(bottom(), right());
          } else {
            link(left(), bottom());
            link(top(), right());
          }
          break;
        }
      }
    }
  }

  // walk the links into lines; every crossing has two neighbours, so each walk ends where it began
  const contours: Contour[] = [];
  const visited = new Set<number>();
  for (const start of next.keys()) {
    if (visited.has(start)) continue;
    const line: number[] = [];
    let previous = -1;
    let current = start;
    let closed = false;
    for (;;) {
      visited.add(current);
      const [x, y] = points.get(current)!;
      line.push(x, y);
      const onward = (next.get(current) ?? []).find((n) => n !== previous && !visited.has(n));
      if (onward === undefined) {
        closed = (next.get(current) ?? []).includes(start) && line.length > 4;
        break;
      }
      previous = current;
      current = onward;
    }
    contours.push({ points: line, closed });
  }
  return contours;
}
