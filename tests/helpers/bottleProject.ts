// A small real dataset for model tests: a handful of real bottle images (and real masks) from the shared MVTec bottle
// set, laid out as MVTec AD in a temporary folder, so a project imports them as it would any user's folder.
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DATASETS, PROJECT_ROOT } from './paths.js';

export const MODELS = path.resolve(PROJECT_ROOT, process.env.DWB_MODELS ?? '../shared/models');
/** The smallest shipped backbone: model tests stay fast. */
export const SMALL_BACKBONE = path.join(MODELS, 'mobilenet_v1_keras_imagenet_s8s16.onnx');
/** A tiny model: 64×64 input, fast preset. */
export const TINY = ['--backbone', SMALL_BACKBONE, '--preset', 'fast', '--size', '64x64'];

const bottle = () => path.join(DATASETS, 'mvtec_bottle');

export async function writeBottleSubset(dir: string): Promise<string> {
  const copy = async (from: string, to: string) => {
    await mkdir(path.dirname(path.join(dir, to)), { recursive: true });
    await copyFile(path.join(bottle(), from), path.join(dir, to));
  };
  for (const n of ['000', '005', '010', '015', '020', '025', '030', '035']) await copy(`train/good/${n}.png`, `train/good/${n}.png`);
  for (const n of ['000', '001']) await copy(`test/good/${n}.png`, `test/good/${n}.png`);
  for (const n of ['000', '001']) {
    await copy(`test/broken_large/${n}.png`, `test/broken_large/${n}.png`);
    await copy(`ground_truth/broken_large/${n}_mask.png`, `ground_truth/broken_large/${n}_mask.png`);
  }
  return dir;
}
