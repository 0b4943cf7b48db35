// A real, short training run: real bottle images through the real backbone (64×64, a small fast-preset variant),
// mixed labels (normal, one weak, one with a mask). The loss falls; a run cancelled part-way and started again in
// the same run folder ends with exactly the parameters of an uninterrupted run; the predictor's deployable graph
// scores like the training-side scoring of the same features.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint, saveCheckpoint } from '../../src/main/ml/engine/checkpoint.js';
import { Predictor } from '../../src/main/ml/ssn/predictor.js';
import { resolveConfig } from '../../src/main/ml/ssn/presets.js';
import { CHECKPOINT, compileRun, prepareRun, runsBackboneInStep, scoreCached, trainDefectModel } from '../../src/main/ml/ssn/train.js';
import type { TrainedModel, TrainingImage, TrainingProgress } from '../../src/main/ml/ssn/types.js';
import { DATASETS, PROJECT_ROOT, datasetsAvailable, useTempDirs } from '../helpers/paths.js';

const MODELS = path.resolve(PROJECT_ROOT, process.env.DWB_MODELS ?? '../shared/models');
const bottle = path.join(DATASETS, 'mvtec_bottle');
const tempDir = useTempDirs();

function image(imageId: number, file: string, label: TrainingImage['label'], maskPath: string | null = null): TrainingImage {
  return { imageId, sha256: createHash('sha256').update(readFileSync(file)).digest('hex'), path: file, label, maskPath };
}

describe.runIf(datasetsAvailable())('training SuperSimpleNet on real images', () => {
  const train = () => [
    ...['000', '005', '010', '015'].map((n, i) => image(i, path.join(bottle, `train/good/${n}.png`), 'normal')),
    image(4, path.join(bottle, 'test/broken_large/000.png'), 'anomalous', path.join(bottle, 'ground_truth/broken_large/000_mask.png')),
    image(5, path.join(bottle, 'test/contamination/000.png'), 'anomalous'), // weak: image-level label only
  ];
  const config = resolveConfig(
    {
      backbonePath: path.join(MODELS, 'resnet50_keras_imagenet_l2l3.onnx'),
      preset: 'fast',
      size: { height: 64, width: 64 },
      epochs: 8,
      batchSize: 4,
      projectedChannels: 64,
      segHidden: 32,
      clsHidden: 8,
      seed: 42,
    },
    // the images below, as the jobs resolve a run: 4 normal images are too few for the image density
    { provider: 'cpu', trainImages: { normal: 4, anomalous: 2 } },
  );

  let straight: TrainedModel;

  it('lowers the loss, resumes a cancelled run to bit-identical parameters, and predicts with the deployable graph', async () => {
    const cacheDir = await tempDir();
    const events: TrainingProgress[] = [];
    const validation = [image(10, path.join(bottle, 'train/good/020.png'), 'normal'), image(11, path.join(bottle, 'test/broken_small/001.png'), 'anomalous')];
    straight = await trainDefectModel({ train: train(), validation }, config, {
      runDir: await tempDir(),
      cacheDir,
      threads: 2,
      providers: ['cpu'],
      onProgress: (p) => events.push(p),
    });
    const steps = events.filter((e) => e.phase === 'training');
    expect(steps.length).toBe(16); // 4 normal images, 2 per balanced step: 2 steps an epoch
    expect(steps.at(-1)).toMatchObject({ epoch: 8, epochs: 8, step: 16, steps: 16, provider: 'cpu' });
    expect(Object.keys(steps[0]!.losses).sort()).toEqual(['focalMap', 'focalScore', 'l1', 'total']);
    // validation at the last epoch (the preset validates every 10 epochs and at the end), never during the others
    expect(steps.filter((e) => e.validation).map((e) => e.step)).toEqual([16]);
    expect(Object.keys(steps.at(-1)!.validation!).sort()).toEqual(['imageAuroc', 'maxNormalScore', 'meanNormalScore']);
    expect(events.some((e) => e.phase === 'validating')).toBe(true);
    const mean = (xs: TrainingProgress[]) => xs.reduce((s, e) => s + e.losses.total!, 0) / xs.length;
    console.log(`loss ${mean(steps.slice(0, 3)).toFixed(4)} (steps 1-3) → ${mean(steps.slice(-3)).toFixed(4)} (steps 14-16); feature scale ${straight.featureScale.toFixed(4)}`);
    expect(mean(steps.slice(-3))).toBeLessThan(0.7 * mean(steps.slice(0, 3)));
    expect(straight.featureScale).toBeGreaterThan(0);

    // cancel after step 5, then start again with the same run folder
    const runDir = await tempDir();
    const controller = new AbortController();
    const first = trainDefectModel({ train: train(), validation: [] }, config, {
      runDir,
      cacheDir,
      threads: 2,
      providers: ['cpu'],
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'features') expect(p.step).toBe(p.steps); // every feature came from the cache
        if (p.step === 5 && p.phase === 'training') controller.abort();
      },
    });
    await expect(first).rejects.toMatchObject({ name: 'AbortError' });
    const resumedSteps: number[] = [];
    const resumed = await trainDefectModel({ train: train(), validation: [] }, config, {
      runDir,
      cacheDir,
      threads: 2,
      providers: ['cpu'],
      onProgress: (p) => p.phase === 'training' && resumedSteps.push(p.step),
    });
    expect(resumedSteps[0]).toBe(6);
    expect([...resumed.parameters.keys()].sort()).toEqual([...straight.parameters.keys()].sort());
    for (const [name, values] of straight.parameters) {
      expect(Buffer.from(resumed.parameters.get(name)!.buffer).equals(Buffer.from(values.buffer)), name).toBe(true);
    }
    expect(Buffer.from(resumed.inferenceGraph).equals(Buffer.from(straight.inferenceGraph))).toBe(true);

    // a different run in the same folder is refused rather than mixed in
    await expect(trainDefectModel({ train: train(), validation: [] }, { ...config, seed: 43 }, { runDir, cacheDir, threads: 2, providers: ['cpu'] })).rejects.toThrow(
      /was written by a run with other settings or images and cannot be continued; start the training afresh/,
    );
    // so is one written by another version of the trainer (a cancelled run resumed after an update), saying so
    const file = path.join(runDir, CHECKPOINT);
    await saveCheckpoint(file, { ...(await loadCheckpoint(file)), graphHash: 'f'.repeat(64) });
    await expect(trainDefectModel({ train: train(), validation: [] }, config, { runDir, cacheDir, threads: 2, providers: ['cpu'] })).rejects.toThrow(
      /written by another version of the trainer .*dwb train --restart/,
    );

    await checkPredictor(straight, cacheDir);
  });

  it('resumes after a SIGKILL part-way and ends exactly where the uninterrupted run ends', async () => {
    expect(straight, 'runs after the first test').toBeDefined();
    const module = path.join(PROJECT_ROOT, 'out/node/main/ml/ssn/train.js');
    const runDir = await tempDir();
    const cacheDir = await tempDir();
    // the same run in another process, killed without warning once it is past the checkpoint of epoch 3 (step 6)
    const script = `
      const { trainDefectModel } = await import(${JSON.stringify(module)});
      await trainDefectModel(${JSON.stringify({ train: train(), validation: [] })}, ${JSON.stringify(config)},
        { runDir: ${JSON.stringify(runDir)}, cacheDir: ${JSON.stringify(cacheDir)}, threads: 2, providers: ['cpu'],
          onProgress: (p) => p.phase === 'training' && process.stdout.write(p.step + '\\n') });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let killedAt = 0;
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        const step = Math.max(...chunk.toString().trim().split('\n').map(Number));
        if (step >= 9 && !killedAt) {
          killedAt = step;
          child.kill('SIGKILL');
        }
      });
      child.once('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`the training process ended on its own (${code}) before it was killed`))));
    });
    const resumedSteps: number[] = [];
    const resumed = await trainDefectModel({ train: train(), validation: [] }, config, {
      runDir,
      cacheDir,
      threads: 2,
      providers: ['cpu'],
      onProgress: (p) => p.phase === 'training' && resumedSteps.push(p.step),
    });
    // it restarts after the last epoch checkpoint before the kill, not from scratch
    expect(resumedSteps[0]).toBeGreaterThan(2);
    expect(resumedSteps[0]).toBeLessThanOrEqual(killedAt + 1);
    console.log(`killed at step ${killedAt}, resumed from step ${resumedSteps[0]! - 1}`);
    for (const [name, values] of straight.parameters) {
      expect(Buffer.from(resumed.parameters.get(name)!.buffer).equals(Buffer.from(values.buffer)), name).toBe(true);
    }
  });

  it('trains the paper preset with the backbone inside the step (its GPU path) to the parameters of the cached-maps step', async () => {
    const paper = resolveConfig(
      { backbonePath: config.backbonePath, preset: 'paper', size: { height: 64, width: 64 }, epochs: 2, batchSize: 4, segHidden: 32, clsHidden: 8, seed: 5 },
      { provider: 'cpu' },
    );
    expect(paper.projectedChannels).toBeNull();
    expect(runsBackboneInStep(paper, ['webgpu', 'cpu'])).toBe(true);
    expect(runsBackboneInStep(paper, ['cpu'])).toBe(false);
    expect(runsBackboneInStep(config, ['webgpu', 'cpu'])).toBe(false); // projected features: the cache stays
    const cacheDir = await tempDir();
    const prepared = await prepareRun({ train: train(), validation: [] }, paper, { cacheDir, threads: 2, backboneInStep: true });
    expect(Object.keys(prepared.samples[0]!.tensors)).toEqual(['image']);
    const merged = compileRun(prepared.plan, prepared.backboneInStep);
    const plain = compileRun(prepared.plan);
    expect(merged.trainStep.inputs.map((i) => i.name)).toContain('image');
    expect(merged.trainStep.inputs.map((i) => i.name)).not.toContain('s8');
    // the same step function: a checkpoint written either way resumes the other way
    expect(merged.trainStep.hash).toBe(plain.trainStep.hash);

    const run = async (backboneInStep: boolean) => {
      const losses: number[] = [];
      const model = await trainDefectModel({ train: train(), validation: [] }, paper, {
        runDir: await tempDir(),
        cacheDir,
        threads: 2,
        providers: ['cpu'],
        backboneInStep,
        onProgress: (p) => p.phase === 'training' && losses.push(p.losses.total!),
      });
      return { model, losses };
    };
    const cached = await run(false);
    const inStep = await run(true);
    expect(inStep.losses).toHaveLength(4);
    let worstLoss = 0;
    inStep.losses.forEach((l, i) => (worstLoss = Math.max(worstLoss, Math.abs(l - cached.losses[i]!))));
    let worstParam = 0;
    let apart = 0;
    let count = 0;
    for (const [name, values] of cached.model.parameters) {
      const other = inStep.model.parameters.get(name)!;
      values.forEach((v, i) => {
        const d = Math.abs(v - other[i]!);
        worstParam = Math.max(worstParam, d);
        if (d > 1e-5) apart++;
        count++;
      });
    }
    console.log(`backbone in the step against cached maps, 4 steps: losses within ${worstLoss.toExponential(1)}, parameters within ${worstParam.toExponential(1)} (${apart} of ${count} beyond 1e-5)`);
    // the losses of steps 2-4 are computed with the parameters the steps before made: the tight check
    expect(worstLoss).toBeLessThan(1e-4);
    // AdamW moves a weight by about its learning rate whatever the gradient's size, so a gradient within rounding of 0
    // may move it either way on either side: a few such weights may differ by up to 2 × lr a step, the rest not at all
    expect(apart / count).toBeLessThan(1e-4);
    expect(worstParam).toBeLessThan(4 * 2 * Math.max(paper.lrAdaptor, paper.lrHeads));
  });

  async function checkPredictor(model: TrainedModel, cacheDir: string) {
    const probe = image(9, path.join(bottle, 'test/broken_small/000.png'), 'anomalous');
    const predictor = await Predictor.create(model, { providers: ['cpu'], threads: 2 });
    const prediction = await predictor.predict(probe);
    await predictor.release();
    expect([prediction.mapWidth, prediction.mapHeight]).toEqual([64, 64]);
    expect(prediction.map.length).toBe(64 * 64);
    expect(prediction.map.every((v) => v > 0 && v < 1)).toBe(true);
    expect(prediction.score).toBeGreaterThanOrEqual(0);
    expect(prediction.score).toBeLessThanOrEqual(1);
    // the deployable graph (backbone maps in, pooling + projection + normalisation inside) agrees with scoring from
    // the cached features the training used
    const prepared = await prepareRun({ train: train().slice(0, 2), validation: [probe] }, model.config, { cacheDir, threads: 2 });
    const [viaCache] = await scoreCached({ ...prepared.plan, featureScale: model.featureScale, supervised: true }, model.parameters, [prepared.validation[0]!.features]);
    expect(Math.abs(viaCache!.score - prediction.score)).toBeLessThan(1e-4);
    expect(Math.max(...viaCache!.map.map((v, i) => Math.abs(v - prediction.map[i]!)))).toBeLessThan(1e-4);
  }
});
