// `dwb export` and the app's export: one ONNX file per model version that runs from camera pixels to score, map,
// label and mask (exportGraph.ts), the metadata inside it and in a JSON beside it, and golden images — a few of the
// project's images written as lossless PNGs beside the file, with the outputs the workbench's own Predictor gives
// for them — so the line can check its runtime. Before anything is written, the file is run here on the golden
// images and refused if it differs from the workbench beyond the stated tolerance.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import type { ImageFormat } from '../../shared/domain.js';
import type { ExportResultView } from '../../shared/deploy.js';
import { InputError } from '../../shared/errors.js';
import { openImage, probeImage } from '../images/decode.js';
import { Backbone } from '../ml/backbone/backbone.js';
import { createSession } from '../ml/engine/runtime.js';
import { loadTrainedModel } from '../ml/jobs/modelFiles.js';
import { PREPROCESSING_DESCRIPTION } from '../ml/pipeline/imageInput.js';
import { Predictor } from '../ml/ssn/predictor.js';
import type { Project } from '../store/project.js';
import { buildExportModel, EXPORT_INPUT, LABELS, MASK_ON, THRESHOLD_INPUTS } from './exportGraph.js';
import { LineThresholdStore } from './lineThresholdStore.js';
import { deriveLineThresholds, outcomeOf } from './thresholdsService.js';
import { workbenchVersion } from './workbenchVersion.js';

export const EXPORT_FORMAT = 'defect-workbench-export/1';
/** Workbench vs exported file on the same ONNX Runtime CPU build: max |Δ| of score and of any map value. */
export const PARITY_TOLERANCE = 1e-5;
/** What the line's own runtime (another build, provider or precision) should stay within on the golden images. */
export const LINE_CHECK_TOLERANCE = 1e-3;

export interface ExportOptions {
  versionId?: number;
  out: string;
  /** Golden images carried beside the file (default 4: two normal, two anomalous where the project has them). */
  golden?: number;
  threads?: number;
}

export interface GoldenImage {
  file: string;
  imageId: number;
  labelState: string;
  height: number;
  width: number;
  channels: number;
  /** SHA-256 of the decoded uint8 H×W×C pixels, to check the line decodes the PNG the same way. */
  pixelsSha256: string;
  expected: { score: number; label: number; maskPixels: number; mapMax: number; mapMean: number; anomalyMapFloat32Base64: string };
}

/** What an export wrote: the API's view of it, one definition for the job and the renderer. */
export type ExportResult = ExportResultView;

export class ExportError extends Error {
  override readonly name = 'ExportError';
}

async function decodeForLine(file: string): Promise<{ data: Buffer; height: number; width: number; channels: number }> {
  // what a camera gives: 8-bit RGB (grey replicated), no alpha — decoded exactly as the workbench decodes for the model
  const info = await probeImage(file);
  const { data, info: raw } = await (await openImage(file, info.format)).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { data, height: raw.height, width: raw.width, channels: raw.channels };
}

function goldenCandidates(project: Project, count: number) {
  const rows = project.db
    .prepare(
      `SELECT id, sha256, format, label_state AS labelState FROM images WHERE label_state IN ('normal', 'anomalous')
       ORDER BY CASE split WHEN 'test' THEN 0 WHEN 'val' THEN 1 ELSE 2 END, id`,
    )
    .all() as { id: number; sha256: string; format: ImageFormat; labelState: string }[];
  const anomalous = rows.filter((r) => r.labelState === 'anomalous').slice(0, Math.floor(count / 2));
  const normal = rows.filter((r) => r.labelState === 'normal').slice(0, count - anomalous.length);
  return [...normal, ...anomalous];
}

export async function exportModelVersion(project: Project, options: ExportOptions): Promise<ExportResult> {
  const version = project.models.resolve(options.versionId);
  const out = path.resolve(options.out);
  if (!out.endsWith('.onnx')) throw new InputError('export-bad-name', `the export file must end in .onnx (got ${options.out})`);
  const stem = out.slice(0, -'.onnx'.length);
  const metadataFile = `${stem}.json`;
  const goldenDir = `${stem}.golden`;

  const store = new LineThresholdStore(project.db);
  let thresholds = store.get(version.id);
  const derivedNow = !thresholds;
  if (!thresholds) thresholds = await deriveLineThresholds(project, version.id);

  const model = await loadTrainedModel(project, version);
  const backbone = await Backbone.load(model.config.backbonePath, { providers: ['cpu'] });
  const backboneInfo = backbone.info;
  await backbone.release();
  const evaluations = Object.fromEntries(project.models.evaluations(version.id).map((e) => [e.split, { metrics: e.metrics, images: e.images, msPerImage: e.msPerImage }]));
  const metadata = {
    format: EXPORT_FORMAT,
    workbench_version: workbenchVersion(),
    exported_at: new Date().toISOString(),
    model_version: version.id,
    input: {
      name: EXPORT_INPUT,
      dtype: 'uint8',
      layout: 'HWC (height, width, channels), any height and width',
      channels: '1 = grey (replicated to RGB), 3 = RGB (not BGR: convert OpenCV images), 4 = RGBA (alpha dropped)',
    },
    model_size: version.size,
    preprocessing: PREPROCESSING_DESCRIPTION,
    outputs: {
      score: 'float32 [1], image score in [0, 1]',
      anomaly_map: `float32 [1, 1, ${version.size.height}, ${version.size.width}], per-pixel probability at the model size (the whole image stretched)`,
      label: 'int64 [1]: 0 pass (score < review_threshold), 1 review, 2 reject (score >= reject_threshold)',
      mask: `uint8 [H, W] at the input image size: ${MASK_ON} where the map (bilinearly resized to H×W) >= pixel_threshold, else 0`,
    },
    thresholds: {
      inputs: THRESHOLD_INPUTS,
      review: thresholds.review,
      reject: thresholds.reject,
      pixel: thresholds.pixel,
      basis: thresholds.basis,
      targets: thresholds.targets,
      notes: [...thresholds.derivation.image.notes, thresholds.derivation.pixel.note],
      edited_at: thresholds.editedAt,
      how_to_override: 'feed float32 scalars named review_threshold, reject_threshold, pixel_threshold (ONNX Runtime C/C++/Python/C#/Java); onnxruntime-node ignores feeds that are not required inputs: see the README',
    },
    backbone: { name: version.backboneName, sha256: version.backboneSha256, outputs: [backboneInfo.s8Name, backboneInfo.s16Name] },
    feature_scale: version.featureScale,
    config: { ...model.config, backbonePath: undefined },
    dataset_snapshot: { sha256: version.snapshotSha256, counts: version.counts },
    metrics: { training: version.trainingMetrics, ...evaluations },
  };
  const flat: Record<string, string> = Object.fromEntries(Object.entries(metadata).map(([k, v]) => [`dwb.${k}`, typeof v === 'string' ? v : JSON.stringify(v)]));
  const bytes = buildExportModel({
    config: model.config,
    backbone: { bytes: await readFile(model.config.backbonePath), inputName: backboneInfo.inputName, s8Name: backboneInfo.s8Name, s16Name: backboneInfo.s16Name },
    heads: model.inferenceGraph,
    thresholds,
    metadata: flat,
  });

  // golden images: decoded as the line would, stored losslessly, scored by the workbench and by the file
  const staging = `${goldenDir}.partial-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  const predictor = await Predictor.create(model, { providers: ['cpu'], threads: options.threads });
  const { session } = await createSession(bytes, { providers: ['cpu'], threads: options.threads });
  const golden: GoldenImage[] = [];
  let maxScoreDiff = 0;
  let maxMapDiff = 0;
  try {
    for (const [i, image] of goldenCandidates(project, options.golden ?? 4).entries()) {
      const pixels = await decodeForLine(project.imagePath(image));
      const name = `${String(i).padStart(2, '0')}-${image.labelState}.png`;
      const file = path.join(staging, name);
      await sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: pixels.channels as 3 } }).png().toFile(file);
      const expected = await predictor.predict({ path: file });
      const run = await session.run({ [EXPORT_INPUT]: new ort.Tensor('uint8', pixels.data, [pixels.height, pixels.width, pixels.channels]) });
      const map = run.anomaly_map!.data as Float32Array;
      maxScoreDiff = Math.max(maxScoreDiff, Math.abs((run.score!.data as Float32Array)[0]! - expected.score));
      for (let p = 0; p < map.length; p++) maxMapDiff = Math.max(maxMapDiff, Math.abs(map[p]! - expected.map[p]!));
      const mask = run.mask!.data as Uint8Array;
      let maskPixels = 0;
      for (let p = 0; p < mask.length; p++) if (mask[p]) maskPixels++;
      let mapMax = -Infinity;
      let mapSum = 0;
      for (const v of expected.map) {
        mapMax = Math.max(mapMax, v);
        mapSum += v;
      }
      golden.push({
        file: `${path.basename(goldenDir)}/${name}`,
        imageId: image.id,
        labelState: image.labelState,
        height: pixels.height,
        width: pixels.width,
        channels: pixels.channels,
        pixelsSha256: createHash('sha256').update(pixels.data).digest('hex'),
        expected: {
          score: expected.score,
          label: LABELS.indexOf(outcomeOf(expected.score, thresholds)),
          maskPixels,
          mapMax,
          mapMean: mapSum / expected.map.length,
          anomalyMapFloat32Base64: Buffer.from(expected.map.buffer, expected.map.byteOffset, expected.map.byteLength).toString('base64'),
        },
      });
    }
  } finally {
    await predictor.release();
    await session.release();
  }
  if (maxScoreDiff > PARITY_TOLERANCE || maxMapDiff > PARITY_TOLERANCE) {
    await rm(staging, { recursive: true, force: true });
    throw new ExportError(
      `the exported graph disagrees with the workbench on the golden images (max |Δscore| ${maxScoreDiff.toExponential(2)}, max |Δmap| ${maxMapDiff.toExponential(2)}, tolerance ${PARITY_TOLERANCE}); nothing was written — report this as a bug`,
    );
  }
  const parity = { maxScoreDiff, maxMapDiff, images: golden.length, tolerance: PARITY_TOLERANCE };
  const sidecar = {
    ...metadata,
    file: path.basename(out),
    sha256: createHash('sha256').update(bytes).digest('hex'),
    parity_at_export: parity,
    golden: {
      tolerance: LINE_CHECK_TOLERANCE,
      how_to_check:
        'decode each PNG to uint8 H×W×C (RGB), run the model with the default thresholds, and compare score and anomaly_map (float32 little-endian, base64) with expected: max |difference| <= tolerance; label must match except for scores within tolerance of a threshold',
      images: golden,
    },
  };
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(`${out}.partial`, bytes);
  await writeFile(`${metadataFile}.partial`, `${JSON.stringify(sidecar, null, 2)}\n`);
  await rm(goldenDir, { recursive: true, force: true });
  await rename(staging, goldenDir);
  await rename(`${metadataFile}.partial`, metadataFile);
  await rename(`${out}.partial`, out);
  return {
    file: out,
    metadataFile,
    goldenDir,
    versionId: version.id,
    bytes: bytes.length,
    thresholds: { review: thresholds.review, reject: thresholds.reject, pixel: thresholds.pixel, basis: thresholds.basis, derivedNow },
    parity,
  };
}
