// The exported file against the workbench: the file is run by plain onnxruntime-node (no workbench code on that
// side: only ort, sharp to decode PNGs and onnx-proto for the threshold patch a Node user would write) and must give
// the Predictor's scores and maps within PARITY_TOLERANCE, carry the golden images' expected outputs, honour its
// thresholds, take grey images, and hold its metadata.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportModelVersion, PARITY_TOLERANCE, type GoldenImage } from '../../src/main/deploy/exportModel.js';
import { LineThresholdStore } from '../../src/main/deploy/lineThresholdStore.js';
import { loadTrainedModel } from '../../src/main/ml/jobs/modelFiles.js';
import { Predictor } from '../../src/main/ml/ssn/predictor.js';
import type { Project } from '../../src/main/store/project.js';
import { dwb, onlyJson } from '../helpers/cli.js';
import { datasetsAvailable } from '../helpers/paths.js';
import { BOTTLE, trainedProject } from './fixture.js';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';

const run = datasetsAvailable() ? describe : describe.skip;
// the threshold inputs are initializer-backed, which ORT reports at warning level on every session
const QUIET: ort.InferenceSession.SessionOptions = { logSeverityLevel: 3 };
/** The classification head's score inside the exported graph (the merged heads' `score`, before the blend). */
const HEADS_SCORE = 'heads/score';

/** The model with one of its inner float tensors of shape [1] made an output too. */
function withOutput(bytes: Uint8Array, name: string): Uint8Array {
  const model = onnxProto.onnx.ModelProto.decode(bytes);
  expect(model.graph!.node!.some((n) => n.output?.includes(name)), name).toBe(true);
  model.graph!.output!.push({ name, type: { tensorType: { elemType: onnxProto.onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: 1 }] } } } });
  return onnxProto.onnx.ModelProto.encode(model).finish();
}

/** What a Node user on the line writes: set the defaults of the threshold inputs in the file's bytes. */
function withThresholds(bytes: Uint8Array, values: Record<string, number>): Uint8Array {
  const model = onnxProto.onnx.ModelProto.decode(bytes);
  for (const t of model.graph?.initializer ?? []) {
    const value = t.name ? values[t.name] : undefined;
    if (value !== undefined) t.rawData = new Uint8Array(Float32Array.of(value).buffer);
  }
  return onnxProto.onnx.ModelProto.encode(model).finish();
}

async function pixelsOf(file: string) {
  const { data, info } = await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return new ort.Tensor('uint8', data, [info.height, info.width, info.channels]);
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

run('export', () => {
  let dir: string;
  let project: Project;
  let versionId: number;
  let file: string;
  let session: ort.InferenceSession;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'dwb-export-'));
    ({ project, versionId } = await trainedProject(dir));
    const result = await exportModelVersion(project, { versionId, out: path.join(dir, 'line/model.onnx'), golden: 4 });
    file = result.file;
    session = await ort.InferenceSession.create(file, QUIET);
  }, 400_000);

  afterAll(async () => {
    await session?.release();
    project?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('gives the workbench Predictor scores and maps on images it never saw, from the file alone', async () => {
    const model = await loadTrainedModel(project, project.models.require(versionId));
    expect([model.config.mapScoreWeight, model.config.densityScoreWeight]).toEqual([0.25, 0.5]); // 11 normal training images: the density is in
    const predictor = await Predictor.create(model, { providers: ['cpu'] });
    const headsSession = await ort.InferenceSession.create(withOutput(await readFile(file), HEADS_SCORE), QUIET);
    try {
      for (const rel of ['test/contamination/000.png', 'test/broken_small/003.png', 'test/good/019.png']) {
        const image = path.join(BOTTLE, rel);
        const expected = await predictor.predict({ path: image });
        const out = await session.run({ image: await pixelsOf(image) });
        expect(Math.abs((out.score!.data as Float32Array)[0]! - expected.score)).toBeLessThanOrEqual(PARITY_TOLERANCE);
        expect(out.anomaly_map!.dims).toEqual([1, 1, 128, 128]);
        expect(maxDiff(out.anomaly_map!.data as Float32Array, expected.map)).toBeLessThanOrEqual(PARITY_TOLERANCE);
        expect(out.mask!.dims).toEqual([900, 900]);
        // the fast preset's image score: a quarter the map's (the mean of its top 1 % of pixels), the rest the heads'
        // (the classification head's quarter and the image density's half)
        const top = Float32Array.from(out.anomaly_map!.data as Float32Array).sort().reverse().subarray(0, Math.round(0.01 * 128 * 128));
        const head = (await headsSession.run({ image: await pixelsOf(image) }))[HEADS_SCORE]!.data as Float32Array;
        expect((out.score!.data as Float32Array)[0]!).toBeCloseTo(0.75 * head[0]! + 0.25 * (top.reduce((a, b) => a + b, 0) / top.length), 6);
      }
    } finally {
      await predictor.release();
      await headsSession.release();
    }
  });

  it('carries golden images with the outputs the line must reproduce, and its metadata inside and beside', async () => {
    const sidecar = JSON.parse(await readFile(file.replace(/\.onnx$/, '.json'), 'utf8')) as { golden: { tolerance: number; images: GoldenImage[] }; thresholds: { review: number; reject: number; pixel: number }; model_size: unknown; dataset_snapshot: { sha256: string } };
    expect(sidecar.golden.images.map((g) => g.labelState)).toEqual(['normal', 'normal', 'anomalous', 'anomalous']);
    for (const golden of sidecar.golden.images) {
      const out = await session.run({ image: await pixelsOf(path.join(path.dirname(file), golden.file)) });
      const expectedMap = new Float32Array(new Uint8Array(Buffer.from(golden.expected.anomalyMapFloat32Base64, 'base64')).buffer);
      expect(Math.abs((out.score!.data as Float32Array)[0]! - golden.expected.score)).toBeLessThanOrEqual(PARITY_TOLERANCE);
      expect(maxDiff(out.anomaly_map!.data as Float32Array, expectedMap)).toBeLessThanOrEqual(PARITY_TOLERANCE);
      expect(Number((out.label!.data as BigInt64Array)[0])).toBe(golden.expected.label);
    }
    const stored = new LineThresholdStore(project.db).get(versionId)!;
    expect(sidecar.thresholds).toMatchObject({ review: stored.review, reject: stored.reject, pixel: stored.pixel });
    const inside = onnxProto.onnx.ModelProto.decode(await readFile(file)).metadataProps;
    const meta = Object.fromEntries(inside.map((p) => [p.key, p.value]));
    expect(JSON.parse(meta['dwb.thresholds']!)).toMatchObject({ review: stored.review, reject: stored.reject });
    expect(JSON.parse(meta['dwb.dataset_snapshot']!).sha256).toBe(sidecar.dataset_snapshot.sha256);
    expect(JSON.parse(meta['dwb.model_size']!)).toEqual({ height: 128, width: 128 });
    for (const key of ['dwb.preprocessing', 'dwb.backbone', 'dwb.metrics', 'dwb.workbench_version']) expect(meta[key]).toBeTruthy();
  });

  it('labels pass / review / reject by its threshold inputs, whose stored values are the defaults', async () => {
    const bytes = await readFile(file);
    const image = await pixelsOf(path.join(BOTTLE, 'test/broken_large/005.png'));
    const score = (await session.run({ image })).score!.data[0] as number;
    const labelWith = async (review: number, reject: number) => {
      const patched = await ort.InferenceSession.create(withThresholds(bytes, { review_threshold: review, reject_threshold: reject }), QUIET);
      try {
        return Number((await patched.run({ image })).label!.data[0]);
      } finally {
        await patched.release();
      }
    };
    expect(await labelWith(score + 0.01, score + 0.02)).toBe(0);
    expect(await labelWith(score, score + 0.02)).toBe(1);
    expect(await labelWith(score - 0.02, score)).toBe(2);
    // the mask follows the pixel threshold: 0 marks everything, above 1 nothing
    const all = await ort.InferenceSession.create(withThresholds(bytes, { pixel_threshold: 0 }), QUIET);
    const none = await ort.InferenceSession.create(withThresholds(bytes, { pixel_threshold: 1.5 }), QUIET);
    const marked = async (s: ort.InferenceSession) => (await s.run({ image })).mask!.data as Uint8Array;
    expect((await marked(all)).every((v) => v === 255)).toBe(true);
    expect((await marked(none)).every((v) => v === 0)).toBe(true);
    await all.release();
    await none.release();
  });

  it('takes a grey camera image as one channel and an RGBA one with its alpha ignored', async () => {
    const image = path.join(BOTTLE, 'test/good/019.png');
    const grey = await sharp(image).greyscale().raw().toBuffer({ resolveWithObject: true });
    expect(grey.info.channels).toBe(1);
    const rgb = Buffer.alloc(grey.data.length * 3);
    for (let i = 0; i < grey.data.length; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = grey.data[i]!;
    const rgba = Buffer.alloc(grey.data.length * 4, 7);
    for (let i = 0; i < grey.data.length; i++) rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = grey.data[i]!;
    const shape = [grey.info.height, grey.info.width];
    const one = await session.run({ image: new ort.Tensor('uint8', grey.data, [...shape, 1]) });
    const three = await session.run({ image: new ort.Tensor('uint8', rgb, [...shape, 3]) });
    const four = await session.run({ image: new ort.Tensor('uint8', rgba, [...shape, 4]) });
    expect(maxDiff(one.anomaly_map!.data as Float32Array, three.anomaly_map!.data as Float32Array)).toBe(0);
    expect(maxDiff(four.anomaly_map!.data as Float32Array, three.anomaly_map!.data as Float32Array)).toBe(0);
    expect(one.score!.data[0]).toBe(three.score!.data[0]);
  });

  it('runs from the command line: dwb thresholds, dwb export, and dwb predict recording scores for the drift monitor', async () => {
    const root = path.join(dir, 'project');
    const deriving = await dwb(['thresholds', '--project', root, '--miss', '1%', '--false-reject', '5%', '--json']);
    const derived = onlyJson(deriving);
    expect(derived).toMatchObject({ versionId, basis: 'normal-only', targets: { maxMissRate: 0.01, maxFalseRejectRate: 0.05 } });
    const exporting = await dwb(['export', '--project', root, '--out', path.join(dir, 'cli/model.onnx'), '--golden', '2', '--json']);
    const exported = onlyJson(exporting);
    // ONNX Runtime's own log lines stay off the terminal: the thresholds' initializers that the line may override
    // (a warning per threshold), a GPU provider that is not installed (an error)
    for (const run of [deriving, exporting]) expect(run.stderr).not.toMatch(/\[[WE]:onnxruntime/);
    expect(exported).toMatchObject({ versionId, thresholds: { review: derived.review, reject: derived.reject, derivedNow: false }, parity: { images: 2 } });
    expect(exported.parity.maxMapDiff).toBeLessThanOrEqual(PARITY_TOLERANCE);
    const bad = await dwb(['export', '--project', root, '--out', path.join(dir, 'cli/model.bin')]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/must end in \.onnx/);
    const predicted = onlyJson(await dwb(['predict', '--project', root, path.join(BOTTLE, 'test/good'), '--heatmaps', path.join(dir, 'heat'), '--json']));
    expect(predicted.predictions).toHaveLength(20);
    expect(predicted.predictions.every((p: { line_label: string }) => ['pass', 'review', 'reject'].includes(p.line_label))).toBe(true);
    // a 2-image validation split is too small to judge drift, and the verdict says so instead of warning
    expect(predicted.drift).toMatchObject({ enoughData: false, warn: false });
    expect(project.db.prepare('SELECT count(*) FROM predictions WHERE version_id = ?').pluck().get(versionId)).toBe(20);
  }, 400_000);
});
