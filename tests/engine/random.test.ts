// Random numbers inside the graph. ONNX Runtime's own generators (RandomNormalLike, RandomUniformLike) are
// primitives without gradients, and how ORT seeds them is pinned here: the sequence runs on from run to run within a
// session and starts over in a new session, so a training run resumed in a new session would not see the noise an
// uninterrupted run sees. Counter-based hash noise keyed by the step counter has no state: it is checked for its
// statistics, against its definition written out in JavaScript, and for exact repetition across sessions and
// through a checkpoint resume.
import onnxProto from 'onnx-proto';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { compileTraining } from '../../src/main/ml/engine/compile.js';
import { Graph, type Tensor } from '../../src/main/ml/engine/graph.js';
import { gradients } from '../../src/main/ml/engine/grad.js';
import type { ModelDefinition } from '../../src/main/ml/engine/model.js';
import { mix32 } from '../../src/main/ml/engine/onnx/hashNoise.js';
import { toModelProto } from '../../src/main/ml/engine/onnx/serialize.js';
import { lowerForWebGpu } from '../../src/main/ml/engine/onnx/webgpuLowering.js';
import * as op from '../../src/main/ml/engine/ops.js';
import { Trainer } from '../../src/main/ml/engine/trainer.js';

const { onnx } = onnxProto;

async function session(outputs: { name: string; tensor: Tensor }[]) {
  return ort.InferenceSession.create(toModelProto({ name: 'random', outputs }), { executionProviders: ['cpu'], intraOpNumThreads: 2 });
}
const scalarFeed = (v: number) => new ort.Tensor('float32', Float32Array.of(v), []);

function moments(x: ArrayLike<number>) {
  let mean = 0;
  for (let i = 0; i < x.length; i++) mean += x[i]!;
  mean /= x.length;
  let m2 = 0;
  let m4 = 0;
  for (let i = 0; i < x.length; i++) {
    const d = x[i]! - mean;
    m2 += d * d;
    m4 += d ** 4;
  }
  m2 /= x.length;
  return { mean, std: Math.sqrt(m2), kurtosis: m4 / x.length / (m2 * m2) };
}

function correlation(a: ArrayLike<number>, b: ArrayLike<number>, n = Math.min(a.length, b.length)) {
  const ma = moments(Array.from({ length: n }, (_, i) => a[i]!));
  const mb = moments(Array.from({ length: n }, (_, i) => b[i]!));
  let s = 0;
  for (let i = 0; i < n; i++) s += (a[i]! - ma.mean) * (b[i]! - mb.mean);
  return s / n / (ma.std * mb.std);
}

/** The hash noise's fourth round (its 32-bit draw) and fifth, as defined in onnx/hashNoise.ts, for element i. */
function referenceRounds(seed: number, stream: number, step: number) {
  const key = mix32(mix32(mix32(seed) + stream) + step);
  const a = (mix32(key + 0x1000) * 2 + 1) >>> 0;
  const [b, c] = [mix32(key + 0x1001), mix32(key + 0x1002)];
  const square = (x: number) => Math.imul(x, x) >>> 0;
  const rotate = (x: number) => ((x >>> 16) + (x << 16)) >>> 0;
  return (i: number) => {
    const y = (Math.imul(i, a) + b) >>> 0;
    const z = (y + c) >>> 0;
    let x = rotate((square(y) + y) >>> 0);
    x = rotate((square(x) + z) >>> 0);
    x = rotate((square(x) + y) >>> 0);
    const fourth = (square(x) + z) >>> 0;
    return { fourth, fifth: (square(rotate(fourth)) + y) >>> 0 };
  };
}

/** Uniform hash noise: the top 24 bits of the draw. */
function referenceUniform(seed: number, stream: number, step: number, count: number): Float64Array {
  const rounds = referenceRounds(seed, stream, step);
  return Float64Array.from({ length: count }, (_, i) => ((rounds(i).fourth >>> 8) + 0.5) / 2 ** 24);
}

/** Normal hash noise: Box–Muller on the high 16 bits of the fourth and fifth rounds, cosines then sines. */
function referenceNormal(seed: number, stream: number, step: number, count: number): Float64Array {
  const rounds = referenceRounds(seed, stream, step);
  const pairs = Math.ceil(count / 2);
  const out = new Float64Array(count);
  for (let i = 0; i < pairs; i++) {
    const { fourth, fifth } = rounds(i);
    const radius = Math.sqrt(-2 * Math.log(((fourth >>> 16) + 0.5) / 2 ** 16));
    const angle = (2 * Math.PI * ((fifth >>> 16) + 0.5)) / 2 ** 16;
    out[i] = radius * Math.cos(angle);
    if (pairs + i < count) out[pairs + i] = radius * Math.sin(angle);
  }
  return out;
}

describe("ONNX Runtime's random-number ops", () => {
  it('have no gradient: noise shaped like a trained tensor is a constant to the backward pass', async () => {
    const g = new Graph();
    const x = g.input('x', [1000], 'float32');
    const noise = op.randomNormalLike(x, { mean: 1, std: 2 });
    const uniform = op.randomUniformLike(x, { low: -1, high: 3 });
    const loss = op.reduceSum(op.mul(x, op.add(noise, uniform)));
    const grad = gradients(loss, [x]).get(x)!;
    const s = await session([{ name: 'noise', tensor: noise }, { name: 'uniform', tensor: uniform }, { name: 'grad', tensor: grad }]);
    const r = await s.run({ x: new ort.Tensor('float32', new Float32Array(1000).fill(0.5), [1000]) });
    const [n, u, dx] = [r.noise!.data as Float32Array, r.uniform!.data as Float32Array, r.grad!.data as Float32Array];
    dx.forEach((v, i) => expect(v).toBeCloseTo(n[i]! + u[i]!, 5));
    expect(moments(n).mean).toBeCloseTo(1, 0);
    expect(moments(n).std).toBeGreaterThan(1.8);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...u)).toBeLessThan(3);
  });

  it('continue their sequence from run to run of a session and start it over in a new one (no resume)', async () => {
    const g = new Graph();
    const like = g.input('like', [64], 'float32');
    const outputs = [{ name: 'seeded', tensor: op.randomNormalLike(like, { seed: 42 }) }, { name: 'unseeded', tensor: op.randomNormalLike(like) }];
    const feeds = { like: new ort.Tensor('float32', new Float32Array(64), [64]) };
    const first = await session(outputs);
    const [run1, run2] = [await first.run(feeds), await first.run(feeds)];
    const run1b = await (await session(outputs)).run(feeds);
    for (const k of ['seeded', 'unseeded']) {
      expect([...(run2[k]!.data as Float32Array)], k).not.toEqual([...(run1[k]!.data as Float32Array)]);
      // a new session replays the first run: unseeded ones take one seed per process, seeded ones their attribute
      expect([...(run1b[k]!.data as Float32Array)], k).toEqual([...(run1[k]!.data as Float32Array)]);
    }
  });
});

describe('counter-based hash noise', () => {
  const N = 1 << 18;
  const build = (distribution: 'uniform' | 'normal', seed = 7) => {
    const g = new Graph();
    const step = g.input('step', [], 'float32');
    return [{ name: 'noise', tensor: op.hashNoise([step], [4, 1 << 16], { distribution, seed, stream: 3 }) }];
  };

  it('is exactly its definition: four square-and-rotate rounds of the element index under a key (seed, stream, step)', async () => {
    const s = await session(build('uniform'));
    for (const step of [1, 2, 12345]) {
      const got = (await s.run({ step: scalarFeed(step) })).noise!.data as Float32Array;
      const want = referenceUniform(7, 3, step, N);
      for (const i of [0, 1, 2, 1000, 65535, N - 1]) expect(got[i], `step ${step} element ${i}`).toBe(Math.fround(want[i]!));
      let differ = 0;
      for (let i = 0; i < N; i++) if (got[i] !== Math.fround(want[i]!)) differ++;
      expect(differ).toBe(0);
    }
  });

  it('draws its normals as defined: Box–Muller on two 16-bit halves of one draw per pair', async () => {
    const s = await session(build('normal'));
    for (const step of [1, 777]) {
      const got = (await s.run({ step: scalarFeed(step) })).noise!.data as Float32Array;
      const want = referenceNormal(7, 3, step, N);
      let worst = 0;
      for (let i = 0; i < N; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
      // float32 Log, Cos and Sin against float64: a few units in the last place of values up to 4.85
      expect(worst, `step ${step}`).toBeLessThan(2e-5);
    }
  });

  it('gives pairs of normals that are independent: uniform angles, radii as N(0, 1) pairs have, neither tied to the other', async () => {
    // the two normals of a pair come from one draw's two rounds; if those were related, angle and radius would be
    const z = (await (await session(build('normal'))).run({ step: scalarFeed(5) })).noise!.data as Float32Array;
    const pairs = N / 2;
    const side = 16;
    const cells = new Array<number>(side * side).fill(0);
    for (let i = 0; i < pairs; i++) {
      const [c, s] = [z[i]!, z[pairs + i]!];
      const angle = (Math.atan2(s, c) / (2 * Math.PI) + 1) % 1;
      // c² + s² of two independent N(0, 1) is exponential with mean 2: 1 − e^(−r²/2) is uniform
      const radius = 1 - Math.exp(-(c * c + s * s) / 2);
      cells[Math.min(side - 1, Math.floor(angle * side)) * side + Math.min(side - 1, Math.floor(radius * side))]!++;
    }
    const expected = pairs / cells.length;
    const chi2 = cells.reduce((t, b) => t + (b - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(340); // 255 degrees of freedom: p ≈ 0.0003 at 340
    expect(Math.abs(correlation(z, z.subarray(pairs)))).toBeLessThan(0.01);
    expect(Math.abs(correlation(z.map(Math.abs), z.subarray(pairs).map(Math.abs)))).toBeLessThan(0.01);
  });

  it('is uniform in (0, 1) and N(0, 1), with no correlation between neighbours or steps', async () => {
    const u = (await (await session(build('uniform'))).run({ step: scalarFeed(1) })).noise!.data as Float32Array;
    const bins = new Array<number>(64).fill(0);
    for (const v of u) bins[Math.floor(v * 64)]!++;
    const expected = N / 64;
    const chi2 = bins.reduce((s, b) => s + (b - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(110); // 63 degrees of freedom: p ≈ 0.0002 at 110
    expect(u.reduce((a, b) => Math.min(a, b))).toBeGreaterThan(0);
    expect(u.reduce((a, b) => Math.max(a, b))).toBeLessThan(1);

    const s = await session(build('normal'));
    const z1 = (await s.run({ step: scalarFeed(1) })).noise!.data as Float32Array;
    const z2 = (await s.run({ step: scalarFeed(2) })).noise!.data as Float32Array;
    const m = moments(z1);
    expect(Math.abs(m.mean)).toBeLessThan(0.01);
    expect(Math.abs(m.std - 1)).toBeLessThan(0.01);
    expect(Math.abs(m.kurtosis - 3)).toBeLessThan(0.1);
    const tail = z1.filter((v) => Math.abs(v) > 3).length / N;
    expect(tail).toBeGreaterThan(0.0018);
    expect(tail).toBeLessThan(0.0036);
    expect(Math.abs(correlation(z1, z1.subarray(1)))).toBeLessThan(0.01);
    expect(Math.abs(correlation(z1, z1.subarray(1 << 16)))).toBeLessThan(0.01);
    expect(Math.abs(correlation(z1, z2))).toBeLessThan(0.01);
    const other = (await (await session(build('normal', 8))).run({ step: scalarFeed(1) })).noise!.data as Float32Array;
    expect(Math.abs(correlation(z1, other))).toBeLessThan(0.01);
  });

  it('repeats exactly in a new session and through a checkpoint resume, keyed by the step counter', async () => {
    // a model whose loss depends on per-step noise: a parameter pulled towards noisy targets
    const model: ModelDefinition = {
      name: 'noisy',
      inputs: [{ name: 'x', shape: [4, 8] }],
      forward(m, { x }) {
        const w = m.param('w', [8], { kind: 'zeros' });
        if (m.mode === 'infer') return { outputs: { y: op.mul(x!, w) } };
        const noise = op.hashNoise([m.stepCounter()], [4, 8], { distribution: 'normal', seed: 1 });
        const d = op.sub(op.mul(x!, w), noise);
        const loss = op.reduceMean(op.mul(d, d));
        return { loss, outputs: { y: op.mul(x!, w) } };
      },
    };
    const artifacts = compileTraining(model, { kind: 'adamw' });
    const batch = { x: new Float32Array(32).fill(1) };
    const straight = await Trainer.create(artifacts, { providers: ['cpu'] });
    const losses: number[] = [];
    for (let i = 0; i < 6; i++) losses.push((await straight.trainStep(batch, 0.05)).loss);
    const first = await Trainer.create(artifacts, { providers: ['cpu'] });
    for (let i = 0; i < 3; i++) await first.trainStep(batch, 0.05);
    const resumed = await Trainer.create(artifacts, { providers: ['cpu'], checkpoint: await first.checkpoint() });
    const after: number[] = [];
    for (let i = 0; i < 3; i++) after.push((await resumed.trainStep(batch, 0.05)).loss);
    expect(after).toEqual(losses.slice(3));
    expect(new Set(losses).size).toBe(6);
    expect([...(await resumed.values()).get('w')!]).toEqual([...(await straight.values()).get('w')!]);
    for (const t of [straight, first, resumed]) await t.release();
  });

  it('is drawn with the same bits in the form a WebGPU session is given, which has no BitShift and no int64 Range', async () => {
    const opTypes = (bytes: Uint8Array) => onnx.ModelProto.decode(bytes).graph!.node!.map((n) => n.opType!);
    for (const distribution of ['uniform', 'normal'] as const) {
      const bytes = toModelProto({ name: 'random', outputs: build(distribution) });
      const lowered = lowerForWebGpu(bytes);
      expect(opTypes(bytes)).toContain('BitShift');
      expect(opTypes(lowered)).not.toContain('BitShift');
      const ranges = onnx.ModelProto.decode(lowered).graph!;
      const int64 = new Set(ranges.initializer!.filter((t) => t.dataType === onnx.TensorProto.DataType.INT64).map((t) => t.name));
      for (const range of ranges.node!.filter((n) => n.opType === 'Range')) expect(range.input!.some((i) => int64.has(i))).toBe(false);
      const canonical = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
      const rewritten = await ort.InferenceSession.create(lowered, { executionProviders: ['cpu'] });
      for (const step of [1, 977]) {
        const want = (await canonical.run({ step: scalarFeed(step) })).noise!.data as Float32Array;
        const got = (await rewritten.run({ step: scalarFeed(step) })).noise!.data as Float32Array;
        expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer)), `${distribution}, step ${step}`).toBe(true);
      }
    }
    // a graph without either op is passed through as it is
    const plain = toModelProto({ name: 'plain', outputs: [{ name: 'y', tensor: op.mul(new Graph().input('x', [2], 'float32'), 2) }] });
    expect(lowerForWebGpu(plain)).toBe(plain);
  });
});
