// The engine end to end: compile a model, train it through ONNX Runtime on a task with a known answer, resume from
// a checkpoint exactly, and deploy it as an inference graph with batch norm folded.
import path from 'node:path';
import onnxProto from 'onnx-proto';
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

/**
 * How well the predicted squares overlap the true ones: intersection over union of the foreground, and Dice. Both
 * are 0 for a model that predicts all background (which has 91.6% pixel accuracy here), so they cannot pass trivially.
 */
function overlap(logits: Float32Array | Float64Array, mask: Float32Array): { iou: number; dice: number; recall: number } {
  let both = 0;
  let predicted = 0;
  let actual = 0;
  for (let i = 0; i < mask.length; i++) {
    const p = logits[i]! > 0;
    const t = mask[i] === 1;
    if (p && t) both++;
    if (p) predicted++;
    if (t) actual++;
  }
  return { iou: both / (predicted + actual - both), dice: (2 * both) / (predicted + actual), recall: both / actual };
}

describe('training through the engine', () => {
  let artifacts: TrainingArtifacts;
  const compiled = () => (artifacts ??= compileTraining(squaresModel(BATCH), adamw));

  it('learns to find bright squares in noise (foreground IoU on unseen images > 0.9)', async () => {
    const trainer = await Trainer.create(compiled(), { seed: 7, providers: ['cpu'] });
    expect(trainer.provider).toBe('cpu');
    const losses = await trainSteps(trainer, 0, 150);
    const heldOut = squaresBatch(BATCH, 10_000);
    const result = await trainer.evaluate(heldOut);
    const { iou, dice, recall } = overlap(result['out/logits']!, heldOut.mask);
    // the measure cannot pass trivially: all background scores 0, all foreground the squares' share of pixels
    const everywhere = (value: number) => new Float32Array(heldOut.mask.length).fill(value);
    expect(overlap(everywhere(-1), heldOut.mask).iou).toBe(0);
    expect(overlap(everywhere(1), heldOut.mask).iou).toBeLessThan(0.15);
    console.log(
      `squares: BCE ${losses[0]!.toFixed(3)} → ${losses.at(-1)!.toFixed(4)} after 150 steps; held-out eval loss ${result.loss![0]!.toFixed(4)}, ` +
        `foreground IoU ${iou.toFixed(3)}, Dice ${dice.toFixed(3)}, recall ${recall.toFixed(3)}`,
    );
    expect(losses.at(-1)!).toBeLessThan(losses[0]! / 5);
    expect(iou).toBeGreaterThan(0.9);
    expect(dice).toBeGreaterThan(0.95);
    expect(recall).toBeGreaterThan(0.9);
    await trainer.release();
  });

  it('resumes from a checkpoint to exactly the parameters of an uninterrupted run', async () => {
    const straight = await Trainer.create(compiled(), { seed: 11, providers: ['cpu'], threads: 2 });
    await trainSteps(straight, 0, 40);
    const expected = await straight.checkpoint();
    await straight.release();

    const first = await Trainer.create(compiled(), { seed: 11, providers: ['cpu'], threads: 2 });
    await trainSteps(first, 0, 20);
    const file = path.join(await tempDir(), 'run.ckpt');
    await saveCheckpoint(file, await first.checkpoint({ note: 'half-way' }));
    await first.release();

    const loaded = await loadCheckpoint(file);
    expect(loaded.step).toBe(20);
    expect(loaded.config).toEqual({ note: 'half-way' });
    const resumed = await Trainer.create(compiled(), { providers: ['cpu'], threads: 2, checkpoint: loaded });
    await trainSteps(resumed, 20, 40);
    const actual = await resumed.checkpoint();
    expect(actual.step).toBe(40);
    expect([...actual.tensors.keys()].sort()).toEqual([...expected.tensors.keys()].sort());
    for (const [name, values] of expected.tensors) expect(Buffer.from(actual.tensors.get(name)!.buffer).equals(Buffer.from(values.buffer)), name).toBe(true);
    await resumed.release();
  });

  it("keeps its state in the provider's memory between steps (the GPU path, run on the CPU) to the same bits as in host tensors", async () => {
    const host = await Trainer.create(compiled(), { seed: 12, providers: ['cpu'], threads: 2 });
    const device = await Trainer.create(compiled(), { seed: 12, providers: ['cpu'], threads: 2, stateOnDeviceOnCpu: true });
    expect(host.stateOnDevice).toBe(false);
    expect(device.stateOnDevice).toBe(true);
    expect(await trainSteps(device, 0, 15)).toEqual(await trainSteps(host, 0, 15));
    const expected = await host.checkpoint();
    const actual = await device.checkpoint();
    expect(actual.step).toBe(15);
    for (const [name, values] of expected.tensors) expect(Buffer.from(actual.tensors.get(name)!.buffer).equals(Buffer.from(values.buffer)), name).toBe(true);
    const batch = squaresBatch(BATCH, 321);
    expect((await device.evaluate(batch))['out/logits']).toEqual((await host.evaluate(batch))['out/logits']);
    // what it downloads is a copy: training on does not change it
    const before = (await device.values()).get('block1.conv.weight')!;
    const kept = Float32Array.from(before);
    await trainSteps(device, 15, 17);
    expect(before).toEqual(kept);
    expect((await device.values()).get('block1.conv.weight')).not.toEqual(kept);
    // a device trainer resumes from its own checkpoint like a host one
    const resumed = await Trainer.create(compiled(), { providers: ['cpu'], threads: 2, checkpoint: actual, stateOnDeviceOnCpu: true });
    await trainSteps(resumed, 15, 17);
    await trainSteps(host, 15, 17);
    const [a, b] = [await resumed.checkpoint(), await host.checkpoint()];
    for (const [name, values] of b.tensors) expect(Buffer.from(a.tensors.get(name)!.buffer).equals(Buffer.from(values.buffer)), name).toBe(true);
    await Promise.all([host.release(), device.release(), resumed.release()]);
  });

  it('checkpoints round-trip bit for bit and refuse damage or another graph', async () => {
    const trainer = await Trainer.create(compiled(), { seed: 3, providers: ['cpu'] });
    await trainSteps(trainer, 0, 3);
    const checkpoint = await trainer.checkpoint({ lr: 0.02 });
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
    await saveCheckpoint(file, await trainer.checkpoint());
    const saved = await trainer.checkpoint();
    await trainer.release();
    // other bytes (a changed clipping constant stands for any change in code generation), the same tensors
    const regenerated = compileTraining(squaresModel(BATCH), { ...adamw, maxGradNorm: 4 });
    expect(regenerated.trainStep.hash).not.toBe(compiled().trainStep.hash);
    const loaded = await loadCheckpoint(file);
    expect(loaded.shapes?.get('block1.conv.weight')).toEqual([8, 1, 3, 3]);
    const resumed = await Trainer.create(regenerated, { providers: ['cpu'], checkpoint: loaded });
    const again = await resumed.checkpoint();
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
    const current = await trainer.checkpoint();
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
    const again = await resumed.checkpoint();
    for (const [name, values] of current.tensors) expect(again.tensors.get(name), name).toEqual(values);
    await resumed.release();
  });

  it('exports an inference graph with batch norm folded that matches the eval graph', async () => {
    const trainer = await Trainer.create(compiled(), { seed: 5, providers: ['cpu'] });
    await trainSteps(trainer, 0, 30);
    const batch = squaresBatch(BATCH, 777);
    const evaluated = (await trainer.evaluate(batch))['out/logits']!;
    const inference = compileInference(squaresModel(BATCH), await trainer.values());
    expect(inference.inputs.map((i) => i.name)).toEqual(['image']);
    const { session } = await createSession(inference.bytes, { providers: ['cpu'] });
    const deployed = (await session.run({ image: new ort.Tensor('float32', batch.image, [BATCH, 1, 16, 16]) })).logits!.data as Float32Array;
    const worst = Math.max(...deployed.map((v, i) => Math.abs(v - evaluated[i]!)));
    expect(worst).toBeLessThan(1e-4);
    // folded: the decoded graph has three convolutions and no batch-norm arithmetic left
    const graph = onnxProto.onnx.ModelProto.decode(inference.bytes).graph!;
    const ops = graph.node!.map((n) => n.opType!);
    expect(ops.filter((o) => o === 'Conv')).toHaveLength(3);
    for (const gone of ['BatchNormalization', 'ReduceMean', 'Sqrt', 'Div']) expect(ops).not.toContain(gone);
    expect(graph.input!.map((i) => i.name)).toEqual(['image']);
    expect(graph.output!.map((o) => o.name)).toEqual(['logits']);
    await trainer.release();
  });

  it('falls back through the execution providers, stops at the first that loads, and says which one runs', async () => {
    const trained = await Trainer.create(compiled(), { seed: 1, providers: ['cpu'] });
    const model = compileInference(squaresModel(BATCH), await trained.values()).bytes;
    await trained.release();
    const batch = squaresBatch(BATCH, 5);
    const feeds = { image: new ort.Tensor('float32', batch.image, [BATCH, 1, 16, 16]) };
    const reference = (await (await ort.InferenceSession.create(model, { executionProviders: ['cpu'] })).run(feeds)).logits!.data as Float32Array;

    const { session, provider, attempts } = await createSession(model, { providers: ['cuda', 'webgpu', 'cpu'] });
    console.log(`providers tried: ${attempts.map((a) => `${a.provider} ${a.ok ? 'ok' : `failed (${a.error})`}`).join('; ')}`);
    // each reported failure is real: that provider, tried on its own, does not load here
    for (const failed of attempts.filter((a) => !a.ok)) {
      expect(failed.error).toBeTruthy();
      await expect(ort.InferenceSession.create(model, { executionProviders: [failed.provider] })).rejects.toThrow();
    }
    // the one reported to run does run, and computes what the CPU computes
    expect(attempts.filter((a) => a.ok).map((a) => a.provider)).toEqual([provider]);
    const out = (await session.run(feeds)).logits!.data as Float32Array;
    expect(Math.max(...out.map((v, i) => Math.abs(v - reference[i]!)))).toBeLessThan(1e-3);

    // it stops at the first provider that loads: nothing after the CPU is tried
    const first = await createSession(model, { providers: ['cpu', 'cuda'] });
    expect([first.provider, first.attempts.length]).toEqual(['cpu', 1]);
    // and when none loads, the error names every provider tried
    const unavailable = attempts.filter((a) => !a.ok).map((a) => a.provider);
    if (unavailable.length > 0) {
      await expect(createSession(model, { providers: unavailable })).rejects.toThrow(new RegExp(`no execution provider could run the model: ${unavailable[0]}:`));
    }
  });
});
