// The training step of both presets in the form a WebGPU session is given (engine/onnx/webgpuLowering.ts): none
// of the ops onnxruntime's WebGPU provider has no kernel for, and, run here on the CPU, the very same step: the same
// losses and parameters to the bit, with real defects in the batch (the supervised loss, gradient clipping).
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { lowerForWebGpu } from '../../src/main/ml/engine/onnx/webgpuLowering.js';
import { Trainer } from '../../src/main/ml/engine/trainer.js';
import { makeBatch, perlinThreshold, Sampler, type TrainSample } from '../../src/main/ml/ssn/batch.js';
import { featureGeometry } from '../../src/main/ml/ssn/model.js';
import { orthogonalProjection } from '../../src/main/ml/ssn/projection.js';
import { resolveConfig } from '../../src/main/ml/ssn/presets.js';
import { learningRates } from '../../src/main/ml/ssn/schedule.js';
import { compileRun } from '../../src/main/ml/ssn/train.js';
import { seededRandom } from '../../src/main/util/random.js';

const { onnx } = onnxProto;

describe('the training step as WebGPU runs it', () => {
  it.each(['paper', 'fast'] as const)('%s preset: has no BitShift, Sign or int64 Range, and trains to the same bits as the canonical step', async (preset) => {
    const config = resolveConfig(
      { backbonePath: 'unused.onnx', preset, size: { height: 64, width: 64 }, epochs: 1, batchSize: 4, segHidden: 32, clsHidden: 8, seed: 3, projectedChannels: preset === 'fast' ? 32 : null },
      { provider: 'cpu' },
    );
    const geometry = featureGeometry(config, 32, 64);
    const random = seededRandom(11);
    const values = (shape: readonly number[]) => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() * 4);
    const tensors = (): Record<string, Float32Array> =>
      preset === 'fast' ? { features: values([geometry.channels, geometry.height, geometry.width]) } : { s8: values(geometry.s8), s16: values(geometry.s16) };
    const samples: TrainSample[] = Array.from({ length: 4 }, (_, i) => {
      const mask = i === 3 ? Uint8Array.from({ length: geometry.height * geometry.width }, (_, p) => (p % 37 < 4 ? 1 : 0)) : null;
      return { tensors: tensors(), gamma: 1, anomalous: i === 3, mask };
    });
    const projection = preset === 'fast' ? orthogonalProjection(geometry.pooledChannels, geometry.channels) : null;
    const plan = { config, geometry, featureScale: 0.1, supervised: true, batch: 4, projection };
    const canonical = compileRun(plan);
    const lowered = { ...canonical, trainStep: { ...canonical.trainStep, bytes: lowerForWebGpu(canonical.trainStep.bytes) } };

    const ops = (bytes: Uint8Array) => onnx.ModelProto.decode(bytes).graph!.node!.map((n) => n.opType!);
    expect(ops(canonical.trainStep.bytes)).toEqual(expect.arrayContaining(['BitShift', 'Sign', 'Range']));
    for (const absent of ['BitShift', 'Sign']) expect(ops(lowered.trainStep.bytes)).not.toContain(absent);
    const graph = onnx.ModelProto.decode(lowered.trainStep.bytes).graph!;
    const int64 = new Set(graph.initializer!.filter((t) => t.dataType === onnx.TensorProto.DataType.INT64).map((t) => t.name));
    for (const range of graph.node!.filter((n) => n.opType === 'Range')) expect(range.input!.some((i) => int64.has(i))).toBe(false);

    const sampler = new Sampler(samples, plan.batch, config.seed);
    const threshold = perlinThreshold(config, samples);
    const train = async (artifacts: typeof canonical) => {
      const trainer = await Trainer.create(artifacts, { seed: config.seed, providers: ['cpu'], threads: 2 });
      const losses: number[] = [];
      for (let step = 0; step < 3; step++) {
        const batch = makeBatch(samples, sampler.indices(step), step, config, geometry, threshold);
        losses.push((await trainer.trainStep(batch, learningRates(config, step, 3))).loss);
      }
      const parameters = (await trainer.values()) as Map<string, Float32Array>;
      await trainer.release();
      return { losses, values: parameters };
    };
    const want = await train(canonical);
    const got = await train(lowered);
    expect(got.losses).toEqual(want.losses);
    expect(new Set(want.losses).size).toBe(3);
    for (const [name, values] of want.values) expect(Buffer.from(got.values.get(name)!.buffer).equals(Buffer.from(values.buffer)), name).toBe(true);
  });
});
