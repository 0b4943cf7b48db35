// A small real project for the line monitor's tests: magnetic_tile's good training images (real grayscale JPEGs,
// copied into a temp folder, never into the repository), 12 to train on and 40 pinned to validation so the drift
// monitor has a reference, and one version trained at 128² with the real MobileNet backbone. Its test images are the
// "line": fresh good parts the model has never seen. The dataset's images come from seven capture sessions (the
// exp0…exp6 prefixes), and the line spans them, so training and validation images are taken evenly across the
// sorted names: the first 52 names alone are two sessions, against which the other sessions' good parts are a real
// change of line, and a model good enough tells them apart (the drift monitor rightly warned).
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { runImport } from '../../src/main/import/importer.js';
import { planImport } from '../../src/main/import/sources.js';
import { createTrainingRun, executeTrainingRun } from '../../src/main/ml/jobs/trainingRun.js';
import { Project } from '../../src/main/store/project.js';
import { MOBILENET } from '../deploy/fixture.js';
import { DATASETS } from '../helpers/paths.js';

export const TILES = path.join(DATASETS, 'magnetic_tile');
const TRAIN = 12;
const VAL = 40;

/** The line's images: magnetic_tile's good test images, sorted (never seen by the model). */
export async function lineImages(): Promise<string[]> {
  const dir = path.join(TILES, 'test/good');
  return (await readdir(dir)).filter((n) => !n.startsWith('.')).sort().map((n) => path.join(dir, n));
}

/** The version is trained with the fast preset's own step budget (100 steps for these 12 images) unless told. */
export async function monitorProject(dir: string, epochs = process.env.DWB_MONITOR_EPOCHS ? Number(process.env.DWB_MONITOR_EPOCHS) : undefined): Promise<{ project: Project; versionId: number }> {
  const src = path.join(dir, 'tiles');
  const all = (await readdir(path.join(TILES, 'train/good'))).filter((n) => !n.startsWith('.')).sort();
  const names = Array.from({ length: TRAIN + VAL }, (_, i) => all[Math.floor((i * all.length) / (TRAIN + VAL))]!);
  await mkdir(path.join(src, 'train/good'), { recursive: true });
  for (const name of names) await copyFile(path.join(TILES, 'train/good', name), path.join(src, 'train/good', name));
  const project = await Project.create(path.join(dir, 'project'));
  await runImport(project, await planImport(src, 'mvtec'));
  // every session in both splits: 12 of the 52 (sorted by name) spread evenly to training, the rest to validation
  const images = project.images.list({}).sort((a, b) => a.originalName.localeCompare(b.originalName));
  const toTrain = (i: number) => Math.floor((i * TRAIN) / (TRAIN + VAL)) !== Math.floor(((i + 1) * TRAIN) / (TRAIN + VAL));
  project.images.setSplits(images.map((image, i) => ({ id: image.id, split: toTrain(i) ? 'train' : 'val' })));
  const { runId } = await createTrainingRun(project, { backbone: MOBILENET, preset: 'fast', ...(epochs ? { epochs } : {}), size: { height: 128, width: 128 }, seed: 3 }, ['cpu']);
  const { versionId } = await executeTrainingRun(project, runId, { providers: ['cpu'], evaluateTest: false });
  return { project, versionId };
}
