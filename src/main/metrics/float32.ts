// Thresholds end up as float32 graph inputs (the exported ONNX model compares float32 scores with them), so a
// threshold meant to fall strictly between two scores must be a float32 that does.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The smallest float32 strictly greater than x (x itself a float32). */
export function nextFloat32Up(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x === 0) {
    u32[0] = 1;
    return f32[0]!;
  }
  f32[0] = x;
  u32[0] = x > 0 ? u32[0]! + 1 : u32[0]! - 1;
  return f32[0]!;
}

/** The smallest float32 strictly greater than x (any double). */
export function firstFloat32Above(x: number): number {
  const rounded = Math.fround(x);
  return rounded > x ? rounded : nextFloat32Up(rounded);
}

/** The largest float32 at or below x (any double). */
export function lastFloat32AtOrBelow(x: number): number {
  const rounded = Math.fround(x);
  return rounded <= x ? rounded : -nextFloat32Up(-rounded);
}

/**
 * A float32 t with lo < t ≤ hi, as near their midpoint as float32 allows (hi may be +Infinity: then the first float32
 * above lo); hi's float32 rounding when none exists (lo and hi then compare equal in float32 anyway).
 */
export function float32Between(lo: number, hi: number): number {
  if (hi === Infinity) return firstFloat32Above(lo);
  const mid = Math.fround(lo + (hi - lo) / 2);
  if (mid > lo && mid <= hi) return mid;
  const candidate = firstFloat32Above(lo);
  return candidate <= hi ? candidate : Math.fround(hi);
}
