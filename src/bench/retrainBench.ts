// `npm run bench -- retrain`: retraining after a line change. A lighting-shifted copy of a shared dataset (gain,
// gamma, blur; masks kept) stands for the changed line. Figures: (a) the model trained on the original images, on
// shifted and original test images; (b) warm-started from it (adaptor and heads) on N shifted normal images plus a
// replay sample of R original ones, for fewer epochs — once with the feature normalisation re-fitted on the new
// images and once kept from the old model; (c) trained from scratch on the same data, with the full epochs and with
// the warm start's epochs. Image AUROC / AP and pixel AUROC / AUPRO on both test sets, and wall times.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { maskAtSize } from '../main/images/anomalyMap.js';
import { imageMetrics, PixelMetricsAccumulator } from '../main/metrics/index.js';
import { probeBackbone } from '../main/ml/jobs/ssn.js';
import { resolveConfig, warmStartConfig } from '../main/ml/ssn/presets.js';
import { PREDICT_BATCH, Predictor } from '../main/ml/ssn/predictor.js';
import { trainDefectModel } from '../main/ml/ssn/train.js';
import type { TrainedModel, TrainingImage } from '../main/ml/ssn/types.js';
import { shuffled } from '../main/util/random.js';
import { DEFAULT_SHIFT, shiftDataset } from './shift.js';

export interface RetrainBenchOptions {
  datasets: string;
  backbone: string;
  dataset?: string;
  /** Shifted normal images the retraining gets (default 20). */
  newImages?: number;
  /** Original normal images replayed with them (default 10). */
  replay?: number;
  epochs?: number;
  warmEpochs?: number;
  seed?: number;
}

interface TestImage {
  path: string;
  sha256: string;
  anomalous: boolean;
  maskPath: string | null;
}

const IMAGE = /\.(png|jpe?g|bmp|tiff?)$/i;

async function sha256Of(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

async function listImages(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter((n) => IMAGE.test(n)).sort().map((n) => path.join(dir, n));
}

async function testSet(root: string): Promise<TestImage[]> {
  const images: TestImage[] = [];
  for (const kind of (await readdir(path.join(root, 'test'))).sort()) {
    for (const file of await listImages(path.join(root, 'test', kind))) {
      const stem = path.basename(file).replace(IMAGE, '');
      images.push({ path: file, sha256: await sha256Of(file), anomalous: kind !== 'good', maskPath: kind === 'good' ? null : path.join(root, 'ground_truth', kind, `${stem}_mask.png`) });
    }
  }
  return images;
}

async function normals(files: string[], startId: number): Promise<TrainingImage[]> {
  return Promise.all(files.map(async (file, i) => ({ imageId: startId + i, sha256: await sha256Of(file), path: file, label: 'normal' as const, maskPath: null })));
}

async function evaluate(model: TrainedModel, images: TestImage[], cacheDir: string) {
  const predictor = await Predictor.create(model, { cacheDir, providers: ['cpu'] });
  const scores: number[] = [];
  const labels: number[] = [];
  const pixels = new PixelMetricsAccumulator({ keepRegions: false });
  try {
    for (let start = 0; start < images.length; start += PREDICT_BATCH) {
      const batch = images.slice(start, start + PREDICT_BATCH);
      const predictions = await predictor.predictMany(batch.map((image) => ({ path: image.path, sha256: image.sha256 })));
      for (const [k, image] of batch.entries()) {
        const p = predictions[k]!;
        scores.push(p.score);
        labels.push(image.anomalous ? 1 : 0);
        pixels.add(p.map, image.maskPath ? await maskAtSize(image.maskPath, p.mapWidth, p.mapHeight) : null, p.mapWidth, p.mapHeight);
      }
    }
  } finally {
    await predictor.release();
  }
  const m = imageMetrics(scores, labels);
  const px = pixels.result();
  const normalScores = scores.filter((_, i) => labels[i] === 0);
  return { image_auroc: m.auroc, image_ap: m.ap, pixel_auroc: px.auroc, aupro: px.aupro, median_normal_score: normalScores.sort((a, b) => a - b)[normalScores.length >> 1] };
}

export async function benchRetrain(options: RetrainBenchOptions, log: (s: string) => void) {
  const name = options.dataset ?? 'mvtec_bottle';
  const original = path.join(options.datasets, name);
  const work = await mkdtemp(path.join(os.tmpdir(), `dwb-retrain-${name}-`));
  const cacheDir = path.join(work, 'cache');
  const seed = options.seed ?? 0;
  try {
    const shifted = path.join(work, 'shifted');
    const shiftedCount = await shiftDataset(original, shifted, DEFAULT_SHIFT);
    log(`${name}: shifted copy of ${shiftedCount} images (gain ${DEFAULT_SHIFT.gain}, gamma ${DEFAULT_SHIFT.gamma}, blur σ ${DEFAULT_SHIFT.blurSigma})`);
    const [testOriginal, testShifted] = [await testSet(original), await testSet(shifted)];
    const originalTrain = await normals(await listImages(path.join(original, 'train/good')), 0);
    const shiftedTrain = await normals(await listImages(path.join(shifted, 'train/good')), 100_000);
    const newImages = shuffled(shiftedTrain, seed + 11).slice(0, options.newImages ?? 20);
    const replay = shuffled(originalTrain, seed + 12).slice(0, options.replay ?? 10);
    const retrainData = { train: [...newImages, ...replay], validation: [] };
    // only normal images train every model here: the preset's defaults for that case (the image score from the map)
    const { pooledChannels } = await probeBackbone(options.backbone, ['cpu']);
    const base = resolveConfig(
      { backbonePath: options.backbone, preset: 'fast', seed, ...(options.epochs ? { epochs: options.epochs } : {}) },
      { provider: 'cpu', trainImages: { normal: originalTrain.length, anomalous: 0 }, pooledChannels },
    );
    // the retraining set is small: the preset gives it the epochs the app would (its minimum number of steps)
    const scratchEpochs =
      options.epochs ??
      resolveConfig({ backbonePath: options.backbone, preset: 'fast', seed }, { provider: 'cpu', trainImages: { normal: retrainData.train.length, anomalous: 0 } }).epochs;
    const warmEpochs = options.warmEpochs ?? Math.max(1, Math.round(scratchEpochs / 4));
    log(`${name}: ${base.epochs} epochs on the original images, ${scratchEpochs} from scratch and ${warmEpochs} warm-started on the new ones; image score weight of the map ${base.mapScoreWeight}`);
    const train = async (label: string, data: { train: TrainingImage[]; validation: TrainingImage[] }, epochs: number, extra: { warmStart?: TrainedModel; keepFeatureScale?: boolean } = {}) => {
      const started = performance.now();
      // as the app retrains from a version: at the rates its parent ended with
      const config = extra.warmStart ? warmStartConfig({ ...base, epochs }, extra.warmStart.config) : { ...base, epochs };
      const model = await trainDefectModel(data, config, { runDir: path.join(work, 'runs', label), cacheDir, ...extra });
      const wallSeconds = (performance.now() - started) / 1000;
      log(`${name}: ${label}: ${epochs} epochs on ${data.train.length} images in ${wallSeconds.toFixed(0)} s (feature scale ${model.featureScale.toFixed(4)})`);
      return { model, wallSeconds };
    };
    const old = await train('a-original', { train: originalTrain, validation: [] }, base.epochs);
    const rows: Record<string, unknown>[] = [];
    const report = async (label: string, run: { model: TrainedModel; wallSeconds: number }, epochs: number, images: number) => {
      const row = {
        model: label,
        epochs,
        trainImages: images,
        trainWallSeconds: run.wallSeconds,
        featureScale: run.model.featureScale,
        shiftedTest: await evaluate(run.model, testShifted, cacheDir),
        originalTest: await evaluate(run.model, testOriginal, cacheDir),
      };
      log(`${name}: ${label}: shifted test image AUROC ${row.shiftedTest.image_auroc.toFixed(3)} pixel AUROC ${row.shiftedTest.pixel_auroc.toFixed(3)}; original test ${row.originalTest.image_auroc.toFixed(3)} / ${row.originalTest.pixel_auroc.toFixed(3)}`);
      rows.push(row);
    };
    await report('(a) original model, no retraining', old, base.epochs, originalTrain.length);
    await report('(b) warm start, feature scale re-fit', await train('b-warm-refit', retrainData, warmEpochs, { warmStart: old.model }), warmEpochs, retrainData.train.length);
    await report('(b) warm start, feature scale kept', await train('b-warm-keep', retrainData, warmEpochs, { warmStart: old.model, keepFeatureScale: true }), warmEpochs, retrainData.train.length);
    await report('(c) from scratch, full epochs', await train('c-scratch', retrainData, scratchEpochs), scratchEpochs, retrainData.train.length);
    await report('(c) from scratch, warm-start epochs', await train('c-scratch-short', retrainData, warmEpochs), warmEpochs, retrainData.train.length);
    return { dataset: name, shift: DEFAULT_SHIFT, newImages: newImages.length, replay: replay.length, loadAverage: os.loadavg(), rows };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
