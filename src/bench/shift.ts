// A lighting change applied to a dataset, for the retraining and drift experiments: every image gets a gain, a
// gamma and a Gaussian blur (v' = 255·(gain·v/255)^gamma, clipped, then blurred), written losslessly as PNG; masks
// are copied unchanged. The result keeps the MVTec layout, so it imports like the original.
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';

export interface LightingShift {
  gain: number;
  gamma: number;
  blurSigma: number;
}

export const DEFAULT_SHIFT: LightingShift = { gain: 0.75, gamma: 1.4, blurSigma: 1.5 };

export async function shiftImage(src: string, dst: string, shift: LightingShift): Promise<void> {
  const { data, info } = await sharp(src).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) lut[v] = Math.max(0, Math.min(255, Math.round(255 * Math.pow(Math.min(1, (shift.gain * v) / 255), shift.gamma))));
  for (let i = 0; i < data.length; i++) data[i] = lut[data[i]!]!;
  let image = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
  if (shift.blurSigma > 0) image = image.blur(shift.blurSigma);
  await mkdir(path.dirname(dst), { recursive: true });
  await image.png().toFile(dst);
}

const IMAGE = /\.(png|jpe?g|bmp|tiff?)$/i;

/** Shifted copy of an MVTec-layout dataset (images as PNG, masks copied); `only` limits the folders copied. */
export async function shiftDataset(src: string, dst: string, shift: LightingShift, only?: (rel: string) => boolean): Promise<number> {
  let count = 0;
  const walk = async (rel: string): Promise<void> => {
    for (const entry of await readdir(path.join(src, rel), { withFileTypes: true })) {
      const child = path.join(rel, entry.name);
      if (entry.isDirectory()) await walk(child);
      else if (IMAGE.test(entry.name) && (!only || only(child))) {
        if (child.startsWith('ground_truth')) {
          await mkdir(path.dirname(path.join(dst, child)), { recursive: true });
          await copyFile(path.join(src, child), path.join(dst, child));
        } else {
          await shiftImage(path.join(src, child), path.join(dst, child.replace(IMAGE, '.png')), shift);
          count++;
        }
      }
    }
  };
  await walk('');
  return count;
}
