// Engine benchmark: the time of one compiled training step (forward, loss, backward, AdamW) of a
// SuperSimpleNet-sized segmentation path, the matrix-product FLOP/s it achieves, and the ratio to this machine's
// FMA peak measured in the same run by a small native program.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ort from 'onnxruntime-node';
import { compileTraining, type TrainingArtifacts } from '../main/ml/engine/compile.js';
import { Graph } from '../main/ml/engine/graph.js';
import { toModelProto } from '../main/ml/engine/onnx/serialize.js';
import { createSession } from '../main/ml/engine/runtime.js';
import { convInputGradient, convWeightGradient } from '../main/ml/engine/vjp.js';
import type { ModelDefinition } from '../main/ml/engine/model.js';
import type { FloatArray } from '../main/ml/engine/dtype.js';
import { fromChannelMajor, pointwise, pointwiseBn, toChannelMajor } from '../main/ml/engine/nn/layers.js';
import { binaryCrossEntropyWithLogits } from '../main/ml/engine/nn/losses.js';
import * as op from '../main/ml/engine/ops.js';
import type { ExecutionProvider, ProviderAttempt } from '../main/ml/engine/runtime.js';
import { Trainer } from '../main/ml/engine/trainer.js';
import { featureGeometry, trainingModel, type ModelPlan } from '../main/ml/ssn/model.js';
import { PRESETS } from '../main/ml/ssn/presets.js';
import { orthogonalProjection } from '../main/ml/ssn/projection.js';
import { compileRun } from '../main/ml/ssn/train.js';
import type { Preset, TrainingConfig } from '../main/ml/ssn/types.js';
import { seededRandom } from '../main/util/random.js';

const run = promisify(execFile);
const FMA_SOURCE = fileURLToPath(new URL('../../../src/bench/native/fma_peak.c', import.meta.url));

export interface FmaPeak {
  gflops: number;
  threads: number;
  /** The vector unit measured: avx512, avx2 (with FMA), sse, neon or scalar (see native/fma_peak.c). */
  isa: string;
  lanes: number;
  chains: number;
}

/**
 * Compiles (once, cached by source hash) and runs the FMA peak program on every core. It picks the widest vector
 * unit at run time; `isa` (or the DWB_FMA_ISA environment variable) forces a narrower one.
 */
export async function measureFmaPeak(
  log: (s: string) => void,
  isa = process.env.DWB_FMA_ISA,
  /** Runs (the best is kept) and iterations per run; a quick reading next to each timed run takes 1 × 2·10⁷. */
  { runs = 3, iterations = 150_000_000 }: { runs?: number; iterations?: number } = {},
): Promise<FmaPeak | { error: string }> {
  const source = await readFile(FMA_SOURCE);
  const dir = path.join(os.tmpdir(), 'dwb-bench-native');
  const binary = path.join(dir, `fma_peak-${createHash('sha256').update(source).digest('hex').slice(0, 12)}`);
  if (!existsSync(binary)) {
    await mkdir(dir, { recursive: true });
    try {
      // no -march=native: each kernel carries its own target attribute and the program dispatches on cpuid
      await run(process.env.CC ?? 'cc', ['-O3', '-pthread', '-o', binary, FMA_SOURCE]);
    } catch (error) {
      return { error: `no C compiler to build the FMA peak program (${(error as Error).message.split('\n')[0]}); install gcc` };
    }
  }
  const threads = os.availableParallelism();
  if (runs > 1) log(`measuring the FMA peak on ${threads} threads…\n`);
  // the best of three runs: the peak is what the hardware can do, not an average over interruptions
  let best: FmaPeak | null = null;
  for (let i = 0; i < runs; i++) {
    let stdout: string;
    try {
      ({ stdout } = await run(binary, [String(threads), String(iterations), ...(isa ? [isa] : [])]));
    } catch (error) {
      const out = (error as { stdout?: string }).stdout;
      return { error: out ? (JSON.parse(out) as { error: string }).error : (error as Error).message.split('\n')[0]! };
    }
    const r = JSON.parse(stdout) as FmaPeak;
    if (!best || r.gflops > best.gflops) best = { gflops: r.gflops, threads, isa: r.isa, lanes: r.lanes, chains: r.chains };
  }
  return best!;
}

/**
 * A quick FMA-peak reading for pairing with one timed run: on a shared machine the share of the cores a process gets
 * drifts within seconds, so each run is compared with the peak read just before and just after it (the higher).
 */
export type PeakProbe = () => Promise<number | null>;

export function fmaPeakProbe(log: (s: string) => void, isa?: string): PeakProbe {
  return async () => {
    const r = await measureFmaPeak(log, isa, { runs: 1, iterations: 20_000_000 });
    return 'gflops' in r ? r.gflops : null;
  };
}

/**
 * Times `once` `runs` times back to back, between two peak readings taken before and after the series: median ms and
 * the per-run ratios to the higher reading. Not a reading between runs: the probe's own process takes the cores, and
 * a session run right after it waits for its threads and caches (an AVX-512 EPYC: ResNet-50 26 ms back to back, 75
 * ms after each probe). One untimed run after the first reading lets the session settle again.
 */
export async function timedAgainstPeak(runs: number, once: () => Promise<unknown>, peak?: PeakProbe): Promise<{ times: number[]; ratios: number[] }> {
  const before = peak ? await peak() : null;
  if (peak) await once();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await once();
    times.push(performance.now() - start);
  }
  const after = peak ? await peak() : null;
  const ratios = before !== null && after !== null ? times.map((t) => 1000 / t / Math.max(before, after)) : [];
  return { times, ratios };
}

export const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export interface StepModelSize {
  batch: number;
  channels: number;
  size: number;
  head: number;
}

/**
 * The trainable part of SuperSimpleNet's segmentation path on frozen backbone features: a 1×1 adaptor, then a
 * head of 1×1 conv + batch norm + leaky ReLU + 1×1 conv to one logit per position, trained with BCE. The 1×1
 * layers run in channel-major layout (see nn/layers.ts pointwise), so the step's backward pass has no transposes.
 */
export function segmentationStepModel({ batch, channels, size, head }: StepModelSize): ModelDefinition {
  return {
    name: 'segmentation-step',
    inputs: [{ name: 'features', shape: [batch, channels, size, size] }],
    targets: [{ name: 'mask', shape: [batch, 1, size, size] }],
    forward(m, { features, mask }) {
      const x = toChannelMajor(features!);
      const adapted = pointwise(m, 'adaptor', x, { out: channels, group: 'adaptor' });
      const hidden = op.leakyRelu(pointwiseBn(m, 'seg.hidden', adapted, { out: head, group: 'head' }), 0.2);
      const logits = fromChannelMajor(pointwise(m, 'seg.out', hidden, { out: 1, group: 'head' }), batch, size, size);
      if (m.mode === 'infer') return { outputs: { logits } };
      const loss = binaryCrossEntropyWithLogits(logits, mask!);
      return { loss, terms: { bce: loss }, outputs: { logits } };
    },
  };
}

export interface SuperSimpleNetStepSize {
  preset: Preset;
  /** Images per step; the step trains on twice as many (each image clean and with synthetic anomalies). */
  batch: number;
  /** Image size: the heads' maps are its stride-4 (paper) or stride-8 (fast) grid. */
  size: number;
}

/**
 * The plan of SuperSimpleNet's real training step (ssn/model.ts) for a preset at a batch and image size, on a
 * ResNet-50-shaped backbone (512 + 1024 channels), with the preset's projection where it has one.
 */
export function superSimpleNetStepPlan({ preset, batch, size }: SuperSimpleNetStepSize): ModelPlan {
  const config: TrainingConfig = { ...PRESETS[preset], backbonePath: 'bench', seed: 1, size: { height: size, width: size }, mapScoreWeight: 1 };
  const geometry = featureGeometry(config, 512, 1024);
  const projection = config.projectedChannels ? orthogonalProjection(geometry.pooledChannels, geometry.channels) : null;
  return { config, geometry, featureScale: 1, supervised: false, batch, projection };
}

export interface StepBenchResult {
  provider: string;
  attempts: ProviderAttempt[];
  gflopPerStep: number;
  /** Median step time; `bestStepMs` is the fastest. */
  stepMs: number;
  bestStepMs: number;
  gflops: number;
  /** Median over the steps of GFLOP/s ÷ the FMA peak read next to that step (null without a peak probe). */
  ratio: number | null;
  steps: number;
}

export interface StepBenchOptions {
  steps: number;
  providers?: ExecutionProvider[];
  peak?: PeakProbe;
  /** Keep every node on the provider: a node it cannot run fails the session, named, instead of running on the CPU. */
  strict?: boolean;
}

/** Times the train step of a model on one fixed batch (after two warm-up steps). */
async function benchStep(artifacts: TrainingArtifacts, batch: Record<string, FloatArray>, label: string, options: StepBenchOptions, log: (s: string) => void): Promise<StepBenchResult> {
  const trainer = await Trainer.create(artifacts, { seed: 1, strict: options.strict === true, ...(options.providers ? { providers: options.providers } : {}) });
  log(`${label} on ${trainer.provider}: warming up…\n`);
  for (let i = 0; i < 2; i++) await trainer.trainStep(batch, 1e-4);
  const { times, ratios } = await timedAgainstPeak(options.steps, () => trainer.trainStep(batch, 1e-4), options.peak);
  await trainer.release();
  const stepMs = median(times);
  const gflopPerStep = artifacts.trainStep.matmulFlops / 1e9;
  return {
    provider: trainer.provider,
    attempts: trainer.attempts,
    gflopPerStep,
    stepMs,
    bestStepMs: Math.min(...times),
    gflops: gflopPerStep / (stepMs / 1000),
    ratio: ratios.length ? median(ratios) * gflopPerStep : null,
    steps: options.steps,
  };
}

const uniformValues = (random: () => number, count: number) => Float32Array.from({ length: count }, () => random() * 2 - 1);
const binaryValues = (random: () => number, count: number, p: number) => Float32Array.from({ length: count }, () => (random() < p ? 1 : 0));

export async function benchTrainingStep(size: StepModelSize, options: StepBenchOptions, log: (s: string) => void): Promise<StepBenchResult & StepModelSize> {
  const random = seededRandom(2);
  const batch = {
    features: uniformValues(random, size.batch * size.channels * size.size * size.size),
    mask: binaryValues(random, size.batch * size.size * size.size, 0.05),
  };
  const label = `segmentation step ${size.batch}×${size.channels}×${size.size}×${size.size}, head ${size.head}`;
  const artifacts = compileTraining(segmentationStepModel(size), { kind: 'adamw', weightDecay: { adaptor: 1e-5, head: 1e-5 } });
  return { ...size, ...(await benchStep(artifacts, batch, label, options, log)) };
}

/** The SuperSimpleNet training step as training runs it (ssn/model.ts, compiled like ssn/train.ts does). */
export async function benchSuperSimpleNetStep(size: SuperSimpleNetStepSize, options: StepBenchOptions, log: (s: string) => void): Promise<StepBenchResult & SuperSimpleNetStepSize> {
  const plan = superSimpleNetStepPlan(size);
  const model = trainingModel(plan);
  const random = seededRandom(2);
  const batch: Record<string, FloatArray> = {};
  for (const spec of [...model.inputs, ...(model.targets ?? [])]) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    // features signed, masks and labels 0/1, pixel weights a mean over every pixel
    batch[spec.name] = spec.name.startsWith('w') ? new Float32Array(count).fill(1 / count) : spec.name === 'noiseMask' || spec.name === 'target' || spec.name === 'label' ? binaryValues(random, count, 0.3) : uniformValues(random, count);
  }
  const g = plan.geometry;
  const label = `SuperSimpleNet step (${size.preset}) ${size.batch} images (${2 * size.batch} after doubling) ×${g.channels}×${g.height}×${g.width}, seg head ${plan.config.segHidden}, cls 5×5 →${plan.config.clsHidden}`;
  return { ...size, ...(await benchStep(compileRun(plan), batch, label, options, log)) };
}

export interface ConvGradientSize {
  batch: number;
  inChannels: number;
  outChannels: number;
  size: number;
  kernel: number;
}

export interface ConvGradientResult extends ConvGradientSize {
  /** Useful multiply-adds ×2 of the weight gradient (2·O·C·k²·N·H·W), the same for every formulation. */
  gflop: number;
  /** GFLOP/s of the forward convolution at the same size, for reference. */
  forwardGflops: number;
  /** GFLOP/s of the weight gradient per formulation (median of the runs). */
  weightGradientGflops: Partial<Record<'gemm' | 'conv', number>>;
  /** GFLOP/s of the input gradient per formulation. */
  inputGradientGflops: Partial<Record<'flippedConv' | 'gemm' | 'convTranspose', number>>;
  /** Each figure above ÷ the FMA peak read next to its runs (median over runs), by the same keys. */
  ratios: { forward: number | null; weightGradient: Record<string, number | null>; inputGradient: Record<string, number | null> };
}

/**
 * The weight and input gradients of a "same" k×k convolution (the SuperSimpleNet classification head's 5×5,
 * 1537→128) in each formulation ('gemm', the engine's; 'conv', the convolution ops ONNX Runtime has for them), against
 * the forward convolution at the same size: GFLOP/s of useful work.
 */
export async function benchConvWeightGradient(
  size: ConvGradientSize,
  options: { runs: number; formulations: readonly ('gemm' | 'conv')[]; peak?: PeakProbe },
  log: (s: string) => void,
): Promise<ConvGradientResult> {
  const { batch, inChannels, outChannels, size: hw, kernel } = size;
  const pad = (kernel - 1) / 2;
  const gflop = (2 * outChannels * inChannels * kernel * kernel * batch * hw * hw) / 1e9;
  const random = seededRandom(3);
  const values = (n: number) => Float32Array.from({ length: n }, () => random() * 2 - 1);
  const xShape = [batch, inChannels, hw, hw];
  const gShape = [batch, outChannels, hw, hw];
  const wShape = [outChannels, inChannels, kernel, kernel];
  const feeds = {
    x: new ort.Tensor('float32', values(batch * inChannels * hw * hw), xShape),
    g: new ort.Tensor('float32', values(batch * outChannels * hw * hw), gShape),
    w: new ort.Tensor('float32', values(outChannels * inChannels * kernel * kernel), wShape),
  };
  const time = async (name: string, build: (gr: Graph) => { inputs: string[]; output: import('../main/ml/engine/graph.js').Tensor }) => {
    const gr = new Graph();
    const { output, inputs } = build(gr);
    const { session } = await createSession(toModelProto({ name, outputs: [{ name: 'y', tensor: output }] }), { providers: ['cpu'] });
    const feed = Object.fromEntries(inputs.map((i) => [i, feeds[i as keyof typeof feeds]]));
    await session.run(feed); // warm-up: allocations, kernel selection
    const { times, ratios } = await timedAgainstPeak(options.runs, () => session.run(feed), options.peak);
    await session.release();
    const ms = median(times);
    const ratio = ratios.length ? median(ratios) * gflop : null;
    log(`  ${name}: ${ms.toFixed(0)} ms, ${(gflop / (ms / 1000)).toFixed(1)} GFLOP/s${ratio === null ? '' : `, ${(ratio * 100).toFixed(0)}% of the peak read beside it`}\n`);
    ratioOf.set(name, ratio);
    return gflop / (ms / 1000);
  };
  const ratioOf = new Map<string, number | null>();
  log(`conv ${kernel}×${kernel} ${inChannels}→${outChannels} on ${batch}×${hw}×${hw} (${gflop.toFixed(0)} GFLOP per pass):\n`);
  const forwardGflops = await time('forward', (gr) => ({
    inputs: ['x', 'w'],
    output: op.conv2d(gr.input('x', xShape, 'float32'), gr.input('w', wShape, 'float32'), undefined, pad),
  }));
  const weightGradientGflops: ConvGradientResult['weightGradientGflops'] = {};
  for (const formulation of options.formulations) {
    weightGradientGflops[formulation] = await time(`weight gradient (${formulation})`, (gr) => ({
      inputs: ['x', 'g'],
      output: convWeightGradient(gr.input('x', xShape, 'float32'), gr.input('g', gShape, 'float32'), wShape, pad, formulation),
    }));
  }
  const inputGradientGflops: ConvGradientResult['inputGradientGflops'] = {};
  // the engine's input gradient, then for a comparison ('conv' asked) ORT's ConvTranspose and the shifted-copy Gemms
  for (const formulation of options.formulations.includes('conv') ? (['flippedConv', 'convTranspose', 'gemm'] as const) : (['flippedConv'] as const)) {
    inputGradientGflops[formulation] = await time(`input gradient (${formulation})`, (gr) => ({
      inputs: ['g', 'w'],
      output: convInputGradient(gr.input('g', gShape, 'float32'), gr.input('w', wShape, 'float32'), pad, formulation),
    }));
  }
  const ratios = {
    forward: ratioOf.get('forward') ?? null,
    weightGradient: Object.fromEntries(Object.keys(weightGradientGflops).map((f) => [f, ratioOf.get(`weight gradient (${f})`) ?? null])),
    inputGradient: Object.fromEntries(Object.keys(inputGradientGflops).map((f) => [f, ratioOf.get(`input gradient (${f})`) ?? null])),
  };
  return { ...size, gflop, forwardGflops, weightGradientGflops, inputGradientGflops, ratios };
}
