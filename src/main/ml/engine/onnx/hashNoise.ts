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
  // a normal draw takes two uniforms and Box–Muller gives two normals from them: half as many indices
  const n = sizeOf(t.shape);
  const normal = t.attrs.distribution === 'normal';
  const draws = normal ? Math.ceil(n / 2) : n;
  const index = u32(emit('Range', [ctx.int64Scalar(0), ctx.int64Scalar(draws), ctx.int64Scalar(1)]));
  // one draw of 32 bits per element; A, B, C are scalars derived from the key and the draw's salt
  const bits = (salt: number) => {
    const a = add(mul(mix(add(key, c(salt))), c(2)), c(1));
    const y = add(mul(index, a), mix(add(key, c(salt + 1))));
    const z = add(y, mix(add(key, c(salt + 2))));
    let x = rotate(add(mul(y, y), y));
    x = rotate(add(mul(x, x), z));
    x = rotate(add(mul(x, x), y));
    return add(mul(x, x), z);
  };
  const float = ONNX_DTYPE[t.dtype];
  // the top 24 bits as (k + ½)/2²⁴: strictly inside (0, 1) and exact in float32
  const toUnit = (x: string) => emit('Mul', [add(emit('Cast', [shiftRight(x, 8)], { to: float }), ctx.floatScalar(t, 0.5)), ctx.floatScalar(t, 2 ** -24)]);
  const u1 = toUnit(bits(0x1000));
  if (!normal) return void ctx.node('Reshape', [u1, ctx.int64(t.shape)], [output]);
  // Box–Muller: √(−2 ln u₁)·(cos 2πu₂, sin 2πu₂), the cosines filling the first half and the sines the second
  const u2 = toUnit(bits(0x2000));
  const radius = emit('Sqrt', [emit('Mul', [emit('Log', [u1]), ctx.floatScalar(t, -2)])]);
  const angle = emit('Mul', [u2, ctx.floatScalar(t, 2 * Math.PI)]);
  let both = emit('Concat', [emit('Mul', [radius, emit('Cos', [angle])]), emit('Mul', [radius, emit('Sin', [angle])])], { axis: 0 });
  if (2 * draws !== n) both = emit('Slice', [both, ctx.int64([0]), ctx.int64([n]), ctx.int64([0])]);
  ctx.node('Reshape', [both, ctx.int64(t.shape)], [output]);
}
