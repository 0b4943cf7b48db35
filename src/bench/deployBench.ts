// `npm run bench -- deploy`: per shared dataset, a fast-preset model is trained and evaluated as the workbench does,
// then: (1) the line thresholds derived from validation for stated targets, with the rates validation promises beside
// the rates measured on the test split — once as the datasets come (normal-only validation) and once with a seeded
// third of the defective test images moved into validation (measured on the remaining test images); (2) parity of the
// exported file with the workbench over the whole test split, and its ms/image; (3) the drift monitor on fresh
// normal test images and on a lighting-shifted copy of them (false-alarm rate and detection rate over windows).
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { checkDrift } from '../main/metrics/index.js';
import { DRIFT_ALPHA, driftStatus, passShareOf, recordPredictions, referenceScores } from '../main/deploy/driftMonitor.js';
import { exportModelVersion } from '../main/deploy/exportModel.js';
import { DEFAULT_TARGETS, deriveLineThresholds, measuredRates, type ScoredImage } from '../main/deploy/thresholdsService.js';
import { runImport } from '../main/import/importer.js';
import { planImport } from '../main/import/sources.js';
import { createSession } from '../main/ml/engine/runtime.js';
import { loadTrainedModel } from '../main/ml/jobs/modelFiles.js';
import { createTrainingRun, executeTrainingRun } from '../main/ml/jobs/trainingRun.js';
import { Predictor } from '../main/ml/ssn/predictor.js';
import { Project } from '../main/store/project.js';
import { shuffled } from '../main/util/random.js';
import { DEFAULT_SHIFT, shiftImage } from './shift.js';

export interface DeployBenchOptions {
  datasets: string;
  backbone: string;
  dataset?: string;
  epochs?: number;
  seed?: number;
  driftWindow?: number;
  /** Parity over a seeded sample of this many test images (default: the whole test split). */
  parityImages?: number;
}

const DRIFT_TRIALS = 200;

/** Share of seeded random windows of `window` scores (drawn without replacement) on which the monitor warns. */
function warnRate(reference: number[], scores: number[], window: number, below: number, seed: number): number {
  let warnings = 0;
  for (let t = 0; t < DRIFT_TRIALS; t++) {
    const recent = shuffled(scores, seed + t).slice(0, window);
    // both of the monitor's rules: the KS test on the passed parts, and the collapse of the share that passes
    if (checkDrift(reference, recent, { alpha: DRIFT_ALPHA, below, minRecent: Math.min(30, window) }).warn || passShareOf(recent, reference, below).collapsed) warnings++;
  }
  return warnings / DRIFT_TRIALS;
}

export async function benchDeployDataset(dir: string, options: DeployBenchOptions, log: (s: string) => void) {
  const name = path.basename(dir);
  const work = await mkdtemp(path.join(os.tmpdir(), `dwb-deploy-${name}-`));
  const project = await Project.create(path.join(work, 'project'), { name });
  try {
    await runImport(project, await planImport(dir, 'mvtec'));
    log(`${name}: imported; training the fast preset`);
    const started = performance.now();
    const { runId } = await createTrainingRun(project, { backbone: options.backbone, preset: 'fast', seed: options.seed ?? 0, ...(options.epochs ? { epochs: options.epochs } : {}) }, ['cpu']);
    const { versionId } = await executeTrainingRun(project, runId, { providers: ['cpu'] });
    const trainWall = (performance.now() - started) / 1000;
    const version = project.models.require(versionId);
    log(`${name}: v${versionId} trained and evaluated in ${trainWall.toFixed(0)} s (test image AUROC ${version.evaluations.find((e) => e.split === 'test')?.metrics.image_auroc})`);

    // (1) thresholds, normal-only validation as the dataset comes
    const test = project.models.evaluation(versionId, 'test')!.perImage.filter((i) => i.labelState !== 'unlabeled') as unknown as ScoredImage[];
    const normalOnly = await deriveLineThresholds(project, versionId, DEFAULT_TARGETS);
    const thresholdRows = [
      {
        validation: 'as the dataset comes (good images only)',
        targets: normalOnly.targets,
        basis: normalOnly.basis,
        thresholds: { review: normalOnly.review, reject: normalOnly.reject, pixel: normalOnly.pixel },
        promised: { good: normalOnly.derivation.image.good, bad: normalOnly.derivation.image.bad },
        validationImages: { good: normalOnly.derivation.image.goodImages, bad: normalOnly.derivation.image.badImages },
        measuredOnTest: measuredRates(test, normalOnly),
        notes: [...normalOnly.derivation.image.notes, normalOnly.derivation.pixel.note],
      },
    ];

    // (2) parity of the exported file over the whole test split, with ms/image of the file
    const exported = await exportModelVersion(project, { versionId, out: path.join(work, 'export', `${name}.onnx`) });
    const model = await loadTrainedModel(project, version);
    const predictor = await Predictor.create(model, { cacheDir: project.layout.featureCache, providers: ['cpu'] });
    const { session } = await createSession(await import('node:fs/promises').then((fs) => fs.readFile(exported.file)), { providers: ['cpu'], spinning: true });
    let maxScoreDiff = 0;
    let maxMapDiff = 0;
    let onnxMs = 0;
    let labelDisagreements = 0;
    const testImages = project.images.list({ split: 'test' });
    const parityImages = options.parityImages ? shuffled(testImages, 3).slice(0, options.parityImages) : testImages;
    for (const [i, image] of parityImages.entries()) {
      const file = project.imagePath(image);
      const expected = await predictor.predict({ path: file, sha256: image.sha256 });
      const { data, info } = await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
      const t0 = performance.now();
      const out = await session.run({ image: new ort.Tensor('uint8', data, [info.height, info.width, info.channels]) });
      if (i > 0) onnxMs += performance.now() - t0;
      const score = (out.score!.data as Float32Array)[0]!;
      maxScoreDiff = Math.max(maxScoreDiff, Math.abs(score - expected.score));
      const map = out.anomaly_map!.data as Float32Array;
      for (let p = 0; p < map.length; p++) maxMapDiff = Math.max(maxMapDiff, Math.abs(map[p]! - expected.map[p]!));
      const label = Number((out.label!.data as BigInt64Array)[0]);
      const workbenchLabel = expected.score >= exported.thresholds.reject ? 2 : expected.score >= exported.thresholds.review ? 1 : 0;
      if (label !== workbenchLabel) labelDisagreements++;
    }
    await session.release();
    const parity = { images: parityImages.length, of: testImages.length, maxScoreDiff, maxMapDiff, labelDisagreements, onnxMsPerImage: onnxMs / Math.max(1, parityImages.length - 1), fileBytes: exported.bytes };
    log(`${name}: parity over ${parityImages.length} test images: max |Δscore| ${maxScoreDiff.toExponential(2)}, max |Δmap| ${maxMapDiff.toExponential(2)}, ${parity.onnxMsPerImage.toFixed(1)} ms/image`);

    // (3) drift: validation good scores vs fresh normal test images and a lighting-shifted copy of them
    const reference = await referenceScores(project, versionId);
    const freshNormal = test.filter((s) => s.labelState === 'normal').map((s) => s.score);
    const shiftedDir = path.join(work, 'shifted');
    const goodImages = testImages.filter((i) => i.labelState === 'normal');
    const shiftedScores: number[] = [];
    for (const image of goodImages) {
      const dst = path.join(shiftedDir, `${image.id}.png`);
      await shiftImage(project.imagePath(image), dst, DEFAULT_SHIFT);
      shiftedScores.push((await predictor.predict({ path: dst })).score);
    }
    await predictor.release();
    const window = Math.min(options.driftWindow ?? 50, freshNormal.length);
    const cut = normalOnly.review;
    // the monitor's own path (as dwb predict runs it): record the shifted folder's scores, then check
    recordPredictions(project, versionId, shiftedScores.map((score, i) => ({ path: `shifted/${goodImages[i]!.id}.png`, score })));
    const monitor = await driftStatus(project, versionId, { window: 100 });
    const drift = {
      alpha: DRIFT_ALPHA,
      window,
      trials: DRIFT_TRIALS,
      referenceGood: reference.length,
      cutAt: cut,
      shift: DEFAULT_SHIFT,
      falseAlarmRateOnNormalTest: warnRate(reference, freshNormal, window, cut, 1000),
      detectionRateOnShifted: warnRate(reference, shiftedScores, window, cut, 2000),
      passedShare: { fresh: freshNormal.filter((s) => s < cut).length / freshNormal.length, shifted: shiftedScores.filter((s) => s < cut).length / shiftedScores.length },
      medianScore: { validation: median(reference), fresh: median(freshNormal), shifted: median(shiftedScores) },
      monitorAfterShiftedFolder: { warn: monitor.warn, pValue: monitor.pValue, message: monitor.message },
    };
    log(`${name}: drift false alarms ${(100 * drift.falseAlarmRateOnNormalTest).toFixed(1)}% on normal test windows, detection ${(100 * drift.detectionRateOnShifted).toFixed(1)}% on shifted`);

    // (1b) thresholds with defects in validation: a seeded third of the defective test images moved to val
    const anomalousTest = testImages.filter((i) => i.labelState === 'anomalous');
    const moved = new Set(shuffled(anomalousTest.map((i) => i.id), 7).slice(0, Math.round(anomalousTest.length / 3)));
    project.images.setSplits([...moved].map((id) => ({ id, split: 'val' as const })));
    const withDefects = await deriveLineThresholds(project, versionId, DEFAULT_TARGETS);
    const remaining = test.filter((s) => !moved.has(s.imageId));
    thresholdRows.push({
      validation: `with ${moved.size} defective test images moved to validation (seed 7); measured on the other ${remaining.length} test images`,
      targets: withDefects.targets,
      basis: withDefects.basis,
      thresholds: { review: withDefects.review, reject: withDefects.reject, pixel: withDefects.pixel },
      promised: { good: withDefects.derivation.image.good, bad: withDefects.derivation.image.bad },
      validationImages: { good: withDefects.derivation.image.goodImages, bad: withDefects.derivation.image.badImages },
      measuredOnTest: measuredRates(remaining, withDefects),
      notes: [...withDefects.derivation.image.notes, withDefects.derivation.pixel.note],
    });
    return {
      dataset: name,
      versionId,
      trainWallSeconds: trainWall,
      testMetrics: version.evaluations.find((e) => e.split === 'test')?.metrics ?? null,
      thresholds: thresholdRows,
      parity,
      drift,
    };
  } finally {
    project.close();
    await rm(work, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

export async function benchDeploy(options: DeployBenchOptions, log: (s: string) => void) {
  const names = options.dataset ? [options.dataset] : (await readdir(options.datasets, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const results = [];
  for (const name of names) results.push(await benchDeployDataset(path.join(options.datasets, name), options, log));
  return { loadAverage: os.loadavg(), cpus: os.cpus().length, results };
}

