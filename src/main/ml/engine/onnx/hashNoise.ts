// Counter-based noise in plain ONNX integer arithmetic: every element is a hash of its index and of a key that
// mixes the build-time seed and stream with the scalar key inputs (a step counter). No generator state exists, so
// the numbers depend only on (keys, seed, stream, index): the same after a resume from a checkpoint, in a new
// session, on another provider. The arithmetic is uint32, which wraps modulo 2³² by definition, so every runtime
// computes the same bits; shifts and wrapping products are single vector instructions (an int64 version with Mod
// and Div ran 3× slower, on integer division).
//
// Each element is a 32-bit version of the Squares counter-based generator (Widynski 2020): from y = i·A + B (A odd,
// A and B from the key) four rounds of x ← rot16(x² + y or z). The squares are what make it nonlinear; opset 17
// has no bitwise xor, and the xor-shift-multiply finalizers rewritten with adds measured a lag-1 correlation of 0.5.
// The rotation is two shifts and an add (their bits do not overlap, so the add is an or). Keys (seed, stream, step)
// are folded into the scalars A, B, C by a multiply-shift mixer, which is cheap on scalars and only needs to spread.
import { ONNX_DTYPE } from '../dtype.js';
import type { Tensor } from '../graph.js';
import { sizeOf } from '../shape.js';
import type { EmitContext } from './emitters.js';

const MULTIPLIER = 0x45d9f3b;
const UINT32 = 12; // onnx.TensorProto.DataType.UINT32

/** The graph's mixer in JavaScript, for the key constants computed at build time and for tests. */
export function mix32(x: number): number {
  let h = x >>> 0;
  for (let round = 0; round < 2; round++) h = Math.imul((h + (h >>> 16)) >>> 0, MULTIPLIER) >>> 0;
  return (h + (h >>> 16)) >>> 0;
}

export function emitHashNoise(t: Tensor, keys: readonly string[], output: string, ctx: EmitContext): void {
  const emit = (opType: string, inputs: string[], attrs?: Record<string, number | string>) => {
    const name = ctx.temp();
    ctx.node(opType, inputs, [name], attrs);
    return name;
  };
  const u32 = (x: string) => emit('Cast', [x], { to: UINT32 });
  const c = (v: number) => u32(ctx.int64([v >>> 0]));
  const shiftRight = (x: string, bits: number) => emit('BitShift', [x, c(bits)], { direction: 'RIGHT' });
  const add = (a: string, b: string) => emit('Add', [a, b]);
  const mul = (a: string, b: string) => emit('Mul', [a, b]);
  const mix = (x: string) => {
    for (let round = 0; round < 2; round++) x = mul(add(x, shiftRight(x, 16)), c(MULTIPLIER));
    return add(x, shiftRight(x, 16));
  };
  const rotate = (x: string) => add(shiftRight(x, 16), emit('BitShift', [x, c(16)], { direction: 'LEFT' }));

  // the key: seed and stream mixed at build time, then each key input (a float holding a whole number) folded in
  let key = c(mix32(mix32(t.attrs.seed as number) + (t.attrs.stream as number)));
  for (const k of keys) key = mix(add(key, u32(emit('Reshape', [emit('Cast', [k], { to: ONNX_DTYPE.int64 }), ctx.int64([1])]))));
  // A normal pair takes one draw and one more round: the high 16 bits of the fourth round and of a fifth (x ←
  // rot16(x), x² + y, as the 64-bit Squares gets its second word) are the two uniforms of Box–Muller. Low bits of
  // a square are poor, so only high halves are used. At the fast preset's size (16.8 M normals) this takes 0.20 s
  // where a second full draw per pair took 0.23 s. 16 bits bound |z| by √(2·17·ln 2) = 4.85 (1 normal in 800 000).
  const n = sizeOf(t.shape);
  const normal = t.attrs.distribution === 'normal';
  const draws = normal ? Math.ceil(n / 2) : n;
  const index = u32(emit('Range', [ctx.int64Scalar(0), ctx.int64Scalar(draws), ctx.int64Scalar(1)]));
  // one draw of 32 bits per element (the fourth round), and y for a fifth; A, B, C are scalars from the key
  const a = add(mul(mix(add(key, c(0x1000))), c(2)), c(1));
  const y = add(mul(index, a), mix(add(key, c(0x1001))));
  const z = add(y, mix(add(key, c(0x1002))));
  const square = (x: string) => mul(x, x);
  let x = rotate(add(square(y), y));
  x = rotate(add(square(x), z));
  x = rotate(add(square(x), y));
  const draw = add(square(x), z);
  const float = ONNX_DTYPE[t.dtype];
  // k bits as (k + ½)/2^bits: strictly inside (0, 1) and exact in float32
  const toUnit = (x: string, width: number) =>
    emit('Mul', [add(emit('Cast', [x], { to: float }), ctx.floatScalar(t, 0.5)), ctx.floatScalar(t, 2 ** -width)]);
  if (!normal) return void ctx.node('Reshape', [toUnit(shiftRight(draw, 8), 24), ctx.int64(t.shape)], [output]);
  const u1 = toUnit(shiftRight(draw, 16), 16);
  const fifth = add(square(rotate(draw)), y);
  const u2 = toUnit(shiftRight(fifth, 16), 16);
  // Box–Muller: √(−2 ln u₁)·(cos 2πu₂, sin 2πu₂), the cosines filling the first half and the sines the second
  const radius = emit('Sqrt', [emit('Mul', [emit('Log', [u1]), ctx.floatScalar(t, -2)])]);
  const angle = emit('Mul', [u2, ctx.floatScalar(t, 2 * Math.PI)]);
  let both = emit('Concat', [emit('Mul', [radius, emit('Cos', [angle])]), emit('Mul', [radius, emit('Sin', [angle])])], { axis: 0 });
  if (2 * draws !== n) both = emit('Slice', [both, ctx.int64([0]), ctx.int64([n]), ctx.int64([0])]);
  ctx.node('Reshape', [both, ctx.int64(t.shape)], [output]);
}
