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
import { compileTraining } from '../main/ml/engine/compile.js';
import type { ModelDefinition } from '../main/ml/engine/model.js';
import { fromChannelMajor, pointwise, pointwiseBn, toChannelMajor } from '../main/ml/engine/nn/layers.js';
import { binaryCrossEntropyWithLogits } from '../main/ml/engine/nn/losses.js';
import * as op from '../main/ml/engine/ops.js';
import type { ExecutionProvider, ProviderAttempt } from '../main/ml/engine/runtime.js';
import { Trainer } from '../main/ml/engine/trainer.js';
import { seededRandom } from '../main/util/random.js';

const run = promisify(execFile);
const FMA_SOURCE = fileURLToPath(new URL('../../../src/bench/native/fma_peak.c', import.meta.url));

export interface FmaPeak {
  gflops: number;
  threads: number;
}

/** Compiles (once, cached by source hash) and runs the FMA peak program on every core. */
export async function measureFmaPeak(log: (s: string) => void): Promise<FmaPeak | { error: string }> {
  const source = await readFile(FMA_SOURCE);
  const dir = path.join(os.tmpdir(), 'dwb-bench-native');
  const binary = path.join(dir, `fma_peak-${createHash('sha256').update(source).digest('hex').slice(0, 12)}`);
  if (!existsSync(binary)) {
    await mkdir(dir, { recursive: true });
    try {
      await run(process.env.CC ?? 'cc', ['-O3', '-march=native', '-pthread', '-o', binary, FMA_SOURCE]);
    } catch (error) {
      return { error: `no C compiler to build the FMA peak program (${(error as Error).message.split('\n')[0]}); install gcc` };
    }
  }
  const threads = os.availableParallelism();
  log(`measuring the FMA peak on ${threads} threads…\n`);
  // the best of three runs: the peak is what the hardware can do, not an average over interruptions
  let best = 0;
  for (let i = 0; i < 3; i++) {
    const { stdout } = await run(binary, [String(threads), '150000000']);
    best = Math.max(best, (JSON.parse(stdout) as { gflops: number }).gflops);
  }
  return { gflops: best, threads };
}

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

export interface StepBenchResult extends StepModelSize {
  provider: string;
  attempts: ProviderAttempt[];
  gflopPerStep: number;
  /** Median step time; `bestStepMs` is the fastest. */
  stepMs: number;
  bestStepMs: number;
  gflops: number;
  steps: number;
}

export async function benchTrainingStep(size: StepModelSize, options: { steps: number; providers?: ExecutionProvider[] }, log: (s: string) => void): Promise<StepBenchResult> {
  const artifacts = compileTraining(segmentationStepModel(size), { kind: 'adamw', weightDecay: { adaptor: 1e-5, head: 1e-5 } });
  const trainer = await Trainer.create(artifacts, { seed: 1, ...(options.providers ? { providers: options.providers } : {}) });
  const random = seededRandom(2);
  const features = Float32Array.from({ length: size.batch * size.channels * size.size * size.size }, () => random() * 2 - 1);
  const mask = Float32Array.from({ length: size.batch * size.size * size.size }, () => (random() < 0.05 ? 1 : 0));
  const batch = { features, mask };
  log(`step ${size.batch}×${size.channels}×${size.size}×${size.size}, head ${size.head}, on ${trainer.provider}: warming up…\n`);
  for (let i = 0; i < 2; i++) await trainer.trainStep(batch, 1e-4);
  const times: number[] = [];
  for (let i = 0; i < options.steps; i++) {
    const start = performance.now();
    await trainer.trainStep(batch, 1e-4);
    times.push(performance.now() - start);
  }
  await trainer.release();
  times.sort((a, b) => a - b);
  const stepMs = times[Math.floor(times.length / 2)]!;
  const bestStepMs = times[0]!;
  const gflopPerStep = artifacts.trainStep.matmulFlops / 1e9;
  return {
    ...size,
    provider: trainer.provider,
    attempts: trainer.attempts,
    gflopPerStep,
    stepMs,
    bestStepMs,
    gflops: gflopPerStep / (stepMs / 1000),
    steps: options.steps,
  };
}
