// Static shapes: numpy broadcasting, sizes, and the axes a broadcast gradient must be summed over.
export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** The broadcast of several shapes, or null when they do not broadcast. */
export function broadcastShapes(...shapes: Shape[]): number[] | null {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let dim = 1;
    for (const s of shapes) {
      const d = s[s.length - rank + i] ?? 1;
      if (d === 1) continue;
      if (dim !== 1 && d !== dim) return null;
      dim = d;
    }
    out.push(dim);
  }
  return out;
}

/**
 * For a gradient of shape `from` flowing to an operand of shape `to` that was broadcast up to it: the axes of
 * `from` to sum over (with keepdims) before reshaping to `to`.
 */
export function broadcastReductionAxes(from: Shape, to: Shape): number[] {
  const axes: number[] = [];
  const offset = from.length - to.length;
  for (let i = 0; i < from.length; i++) {
    const target = i < offset ? 1 : to[i - offset]!;
    if (i < offset || (target === 1 && from[i] !== 1)) axes.push(i);
  }
  return axes;
}

export function normalizeAxes(axes: readonly number[], rank: number): number[] {
  return [...new Set(axes.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
}
