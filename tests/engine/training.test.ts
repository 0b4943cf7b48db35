// The engine end to end: compile a model, train it through ONNX Runtime on a task with a known answer, resume from
// a checkpoint exactly, and deploy it as an inference graph with batch norm folded.
import path from 'node:path';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint, saveCheckpoint } from '../../src/main/ml/engine/checkpoint.js';
import { compileInference, compileTraining, type TrainingArtifacts } from '../../src/main/ml/engine/compile.js';
import { squaresBatch, squaresModel } from '../../src/main/ml/engine/examples/squares.js';
import type { OptimizerConfig } from '../../src/main/ml/engine/optim.js';
import { createSession } from '../../src/main/ml/engine/runtime.js';
import { Trainer } from '../../src/main/ml/engine/trainer.js';
import { useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();
const BATCH = 16;
const adamw: OptimizerConfig = { kind: 'adamw', weightDecay: { body: 1e-4, head: 0 }, maxGradNorm: 5 };
const lr = (step: number) => ({ body: 0.02 * Math.min(1, (step + 1) / 10), head: 0.02 * Math.min(1, (step + 1) / 10) });

async function trainSteps(trainer: Trainer, from: number, to: number) {
  const losses: number[] = [];
  for (let step = from; step < to; step++) losses.push((await trainer.trainStep(squaresBatch(BATCH, step), lr(step))).loss);
  return losses;
}

function pixelAccuracy(logits: Float32Array | Float64Array, mask: Float32Array): number {
  let correct = 0;
  for (let i = 0; i < mask.length; i++) if ((logits[i]! > 0 ? 1 : 0) === mask[i]) correct++;
  return correct / mask.length;
}

describe('training through the engine', () => {
  let artifacts: TrainingArtifacts;
  const compiled = () => (artifacts ??= compileTraining(squaresModel(BATCH), adamw));

  it('learns to find bright squares in noise (pixel accuracy on unseen images > 97%)', async () => {
    const trainer = await Trainer.create(compiled(), { seed: 7, providers: ['cpu'] });
    expect(trainer.provider).toBe('cpu');
    const losses = await trainSteps(trainer, 0, 150);
    const heldOut = squaresBatch(BATCH, 10_000);
    const result = await trainer.evaluate(heldOut);
    const accuracy = pixelAccuracy(result['out/logits']!, heldOut.mask);
    console.log(`squares: BCE ${losses[0]!.toFixed(3)} → ${losses.at(-1)!.toFixed(4)} after 150 steps; held-out eval loss ${result.loss![0]!.toFixed(4)}, pixel accuracy ${(accuracy * 100).toFixed(2)}%`);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! / 5);
    expect(accuracy).toBeGreaterThan(0.97);
    await trainer.release();
  });

  it('resumes from a checkpoint to exactly the parameters of an uninterrupted run', async () => {
    const straight = await Trainer.create(compiled(), { seed: 11, providers: ['cpu'], threads: 2 });
    await trainSteps(straight, 0, 40);
    const expected = straight.checkpoint();
    await straight.release();

    const first = await Trainer.create(compiled(), { seed: 11, providers: ['cpu'], threads: 2 });
    await trainSteps(first, 0, 20);
    const file = path.join(await tempDir(), 'run.ckpt');
    await saveCheckpoint(file, first.checkpoint({ note: 'half-way' }));
    await first.release();

    const loaded = await loadCheckpoint(file);
    expect(loaded.step).toBe(20);
    expect(loaded.config).toEqual({ note: 'half-way' });
    const resumed = await Trainer.create(compiled(), { providers: ['cpu'], threads: 2, checkpoint: loaded });
    await trainSteps(resumed, 20, 40);
    const actual = resumed.checkpoint();
    expect(actual.step).toBe(40);
    expect([...actual.tensors.keys()].sort()).toEqual([...expected.tensors.keys()].sort());
    for (const [name, values] of expected.tensors) expect(Buffer.from(actual.tensors.get(name)!.buffer).equals(Buffer.from(values.buffer)), name).toBe(true);
    await resumed.release();
  });

  it('checkpoints round-trip bit for bit and refuse damage or another graph', async () => {
    const trainer = await Trainer.create(compiled(), { seed: 3, providers: ['cpu'] });
    await trainSteps(trainer, 0, 3);
    const checkpoint = trainer.checkpoint({ lr: 0.02 });
    const file = path.join(await tempDir(), 'a.ckpt');
    await saveCheckpoint(file, checkpoint);
    const loaded = await loadCheckpoint(file);
    for (const [name, values] of checkpoint.tensors) expect(loaded.tensors.get(name)).toEqual(values);
    const { readFile, writeFile } = await import('node:fs/promises');
    const bytes = await readFile(file);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 5) ^ 0xff, bytes.length - 5);
    await writeFile(file, bytes);
    await expect(loadCheckpoint(file)).rejects.toThrow(/damaged/);
    // another model: the error names a tensor that does not fit and both shapes
    const other = compileTraining(squaresModel(BATCH, 6), adamw);
    await expect(Trainer.create(other, { checkpoint })).rejects.toThrow(/"block1\.conv\.weight" is \[8, 1, 3, 3\] in the checkpoint but \[6, 1, 3, 3\] in this model/);
    await trainer.release();
  });

  it('loads a checkpoint into a train-step graph generated differently, by tensor name and shape', async () => {
    const trainer = await Trainer.create(compiled(), { seed: 4, providers: ['cpu'] });
    await trainSteps(trainer, 0, 5);
    const file = path.join(await tempDir(), 'b.ckpt');
    await saveCheckpoint(file, trainer.checkpoint());
    const saved = trainer.checkpoint();
    await trainer.release();
    // other bytes (a changed clipping constant stands for any change in code generation), the same tensors
    const regenerated = compileTraining(squaresModel(BATCH), { ...adamw, maxGradNorm: 4 });
    expect(regenerated.trainStep.hash).not.toBe(compiled().trainStep.hash);
    const loaded = await loadCheckpoint(file);
    expect(loaded.shapes?.get('block1.conv.weight')).toEqual([8, 1, 3, 3]);
    const resumed = await Trainer.create(regenerated, { providers: ['cpu'], checkpoint: loaded });
    const again = resumed.checkpoint();
    expect(again.step).toBe(5);
    for (const [name, values] of saved.tensors) expect(again.tensors.get(name), name).toEqual(values);
    // the optimizer's moments are stored per parameter, so their layout does not depend on declaration order
    expect([...saved.tensors.keys()].filter((n) => n.startsWith('optstate/m/')).sort()).toEqual(
      compiled().params.map((p) => `optstate/m/${p.name}`).sort(),
    );
    await trainSteps(resumed, 5, 7);
    await resumed.release();
  });

  it('still reads format-1 checkpoints (flat optimizer state per group, no shapes)', async () => {
    const trainer = await Trainer.create(compiled(), { seed: 6, providers: ['cpu'] });
    await trainSteps(trainer, 0, 2);
    const current = trainer.checkpoint();
    await trainer.release();
    // format 1 as the first engine wrote it: magic, header length, JSON header, 8-byte aligned float data
    const tensors = new Map([...current.tensors].filter(([n]) => !n.startsWith('optstate/')));
    for (const state of compiled().state) {
      const [, kind, group] = state.name.split('/');
      const parts = compiled().params.filter((p) => p.group === group).map((p) => current.tensors.get(`optstate/${kind}/${p.name}`)!);
      tensors.set(state.name, Float32Array.from(parts.flatMap((a) => [...a])));
    }
    const entries: object[] = [];
    const chunks: Buffer[] = [];
    let offset = 0;
    for (const [name, values] of tensors) {
      const bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
      entries.push({ name, dtype: 'float32', length: values.length, offset });
      const padding = (8 - (bytes.length % 8)) % 8;
      chunks.push(bytes, Buffer.alloc(padding));
      offset += bytes.length + padding;
    }
    const data = Buffer.concat(chunks);
    const { createHash } = await import('node:crypto');
    const header = Buffer.from(JSON.stringify({ version: 1, step: 2, graphHash: 'an old graph', config: null, savedAt: '', dataSha256: createHash('sha256').update(data).digest('hex'), tensors: entries }));
    const length = Buffer.alloc(4);
    length.writeUInt32LE(header.length);
    const file = path.join(await tempDir(), 'v1.ckpt');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(file, Buffer.concat([Buffer.from('DWBCKPT1', 'latin1'), length, header, data]));
    const resumed = await Trainer.create(compiled(), { providers: ['cpu'], checkpoint: await loadCheckpoint(file) });
    const again = resumed.checkpoint();
    for (const [name, values] of current.tensors) expect(again.tensors.get(name), name).toEqual(values);
    await resumed.release();
  });

  it('exports an inference graph with batch norm folded that matches the eval graph', async () => {
    const trainer = await Trainer.create(compiled(), { seed: 5, providers: ['cpu'] });
    await trainSteps(trainer, 0, 30);
    const batch = squaresBatch(BATCH, 777);
    const evaluated = (await trainer.evaluate(batch))['out/logits']!;
    const inference = compileInference(squaresModel(BATCH), trainer.values());
    expect(inference.inputs.map((i) => i.name)).toEqual(['image']);
    const { session } = await createSession(inference.bytes, { providers: ['cpu'] });
    const deployed = (await session.run({ image: new ort.Tensor('float32', batch.image, [BATCH, 1, 16, 16]) })).logits!.data as Float32Array;
    const worst = Math.max(...deployed.map((v, i) => Math.abs(v - evaluated[i]!)));
    expect(worst).toBeLessThan(1e-4);
    // folded: no batch-norm arithmetic left, three convolutions in all
    const text = Buffer.from(inference.bytes).toString('latin1');
    expect(text.match(/Conv_\d+/g)?.length).toBe(3);
    expect(text).not.toContain('ReduceMean');
    await trainer.release();
  });

  it('falls back through the execution providers and says which one runs', async () => {
    const { provider, attempts } = await createSession(compiled().eval.bytes, { providers: ['cuda', 'webgpu', 'cpu'] });
    expect(provider).toBe(attempts.at(-1)!.provider);
    expect(attempts.at(-1)!.ok).toBe(true);
    for (const failed of attempts.slice(0, -1)) expect(failed.error).toBeTruthy();
    console.log(`providers tried: ${attempts.map((a) => `${a.provider} ${a.ok ? 'ok' : `failed (${a.error})`}`).join('; ')}`);
  });
});
