// The demo dataset: seeded procedural surfaces with synthetic scratches, spots and dents and their masks, written
// in MVTec AD layout so it enters a project through the ordinary importer. Generated, never shipped: datasets under
// licenses that forbid redistribution stay out of the product.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { renderSurface } from '../synth/surface.js';
import { seededRandom } from '../util/random.js';
import { DEMO_DEFECTS, drawDefect } from './syntheticDefects.js';

export interface DemoOptions {
  seed?: number;
  size?: number;
  trainGood?: number;
  testGood?: number;
  perDefect?: number;
}

export async function writeDemoDataset(dir: string, options: DemoOptions = {}): Promise<{ images: number }> {
  const { seed = 2026, size = 256, trainGood = 120, testGood = 30, perDefect = 25 } = options;
  const random = seededRandom(seed);
  // one material for the whole demo: the same line, part after part
  const material = Math.floor(random() * 1e6);
  const jobs: { file: string; defect: (typeof DEMO_DEFECTS)[number] | null; maskFile?: string; seed: number }[] = [];
  let n = 0;
  const next = () => seed * 7919 + n++ * 104729;
  for (let i = 0; i < trainGood; i++) jobs.push({ file: path.join(dir, 'train/good', `${pad(i)}.png`), defect: null, seed: next() });
  for (let i = 0; i < testGood; i++) jobs.push({ file: path.join(dir, 'test/good', `${pad(i)}.png`), defect: null, seed: next() });
  for (const defect of DEMO_DEFECTS) {
    for (let i = 0; i < perDefect; i++) {
      jobs.push({
        file: path.join(dir, 'test', defect, `${pad(i)}.png`),
        maskFile: path.join(dir, 'ground_truth', defect, `${pad(i)}_mask.png`),
        defect,
        seed: next(),
      });
    }
  }
  await Promise.all(['train/good', 'test/good', ...DEMO_DEFECTS.flatMap((d) => [`test/${d}`, `ground_truth/${d}`])].map((d) => mkdir(path.join(dir, d), { recursive: true })));
  const write = async (job: (typeof jobs)[number]) => {
    const pixels = renderSurface({ width: size, height: size, channels: 3, seed: job.seed, material, noise: 4 });
    const raw = { width: size, height: size, channels: 3 as const };
    if (job.defect) {
      const mask = drawDefect({ ...raw, pixels }, job.defect, seededRandom(job.seed + 1));
      await sharp(mask, { raw: { width: size, height: size, channels: 1 } }).toColourspace('b-w').png().toFile(job.maskFile!);
    }
    await sharp(pixels, { raw }).png().toFile(job.file);
  };
  for (let i = 0; i < jobs.length; i += 8) await Promise.all(jobs.slice(i, i + 8).map(write));
  return { images: jobs.length };
}

const pad = (i: number) => String(i).padStart(3, '0');
