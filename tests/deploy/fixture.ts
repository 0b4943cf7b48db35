// A small real project for the deploy tests: a few mvtec_bottle images (copied into an MVTec-layout folder in a
// temp dir, never copied into the repository), imported, and a model version trained on them for one epoch at
// 128² with the real MobileNet backbone — the smallest real model the whole export path can be checked on.
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { runImport } from '../../src/main/import/importer.js';
import { planImport } from '../../src/main/import/sources.js';
import { createTrainingRun, executeTrainingRun } from '../../src/main/ml/jobs/trainingRun.js';
import { Project } from '../../src/main/store/project.js';
import { DATASETS, PROJECT_ROOT } from '../helpers/paths.js';

export const MODELS = path.resolve(PROJECT_ROOT, process.env.DWB_MODELS ?? '../shared/models');
export const MOBILENET = path.join(MODELS, 'mobilenet_v1_keras_imagenet_s8s16.onnx');
export const BOTTLE = path.join(DATASETS, 'mvtec_bottle');

async function linkFirst(from: string, to: string, count: number, suffix = ''): Promise<string[]> {
  await mkdir(to, { recursive: true });
  const names = (await readdir(from)).filter((n) => !n.startsWith('.')).sort().slice(0, count);
  for (const name of names) await copyFile(path.join(from, name), path.join(to, name));
  return names.map((n) => n.replace(suffix, ''));
}

/**
 * A bottle subset in MVTec layout: 14 train (11 after the validation fifth: enough for the image density, so the
 * export carries it), 2 good + 2 broken_large test images with masks.
 */
export async function bottleSubset(dir: string): Promise<string> {
  const src = path.join(dir, 'bottle');
  await linkFirst(path.join(BOTTLE, 'train/good'), path.join(src, 'train/good'), 14);
  await linkFirst(path.join(BOTTLE, 'test/good'), path.join(src, 'test/good'), 2);
  const broken = await linkFirst(path.join(BOTTLE, 'test/broken_large'), path.join(src, 'test/broken_large'), 2);
  await mkdir(path.join(src, 'ground_truth/broken_large'), { recursive: true });
  for (const name of broken) {
    const stem = path.basename(name, path.extname(name));
    await copyFile(path.join(BOTTLE, 'ground_truth/broken_large', `${stem}_mask.png`), path.join(src, 'ground_truth/broken_large', `${stem}_mask.png`));
  }
  return src;
}

/** Imports the subset and trains one tiny version (1 epoch, 128², MobileNet); returns the open project and version. */
export async function trainedProject(dir: string): Promise<{ project: Project; versionId: number }> {
  const project = await Project.create(path.join(dir, 'project'));
  await runImport(project, await planImport(await bottleSubset(dir), 'mvtec'));
  const { runId } = await createTrainingRun(project, { backbone: MOBILENET, preset: 'fast', epochs: 1, size: { height: 128, width: 128 }, seed: 3 }, ['cpu']);
  const { versionId } = await executeTrainingRun(project, runId, { providers: ['cpu'], evaluateTest: false });
  return { project, versionId };
}
