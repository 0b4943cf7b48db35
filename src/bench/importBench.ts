// Import benchmark: throughput (images/s) and peak memory of `dwb import` over generated 1024×1024 PNGs, in a
// child process so its peak RSS is the import's alone. The generated images are cached between runs.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { renderSurface } from '../main/synth/surface.js';

const run = promisify(execFile);
const DWB = fileURLToPath(new URL('../../../bin/dwb.js', import.meta.url));

export interface ImportBenchResult {
  images: number;
  size: number;
  datasetMb: number;
  imagesPerSecond: number;
  elapsedSeconds: number;
  peakRssMb: number;
  reimportImagesPerSecond: number;
}

export async function generateBenchImages(count: number, size: number, log: (s: string) => void): Promise<string> {
  const dir = path.join(os.tmpdir(), `dwb-bench-images-${count}x${size}`);
  const done = path.join(dir, '.complete');
  if (existsSync(done)) return dir;
  await mkdir(dir, { recursive: true });
  log(`generating ${count} ${size}×${size} PNGs in ${dir} (once; cached for later runs)…\n`);
  const parallel = Math.max(2, os.availableParallelism());
  for (let start = 0; start < count; start += parallel) {
    await Promise.all(
      Array.from({ length: Math.min(parallel, count - start) }, (_, k) => {
        const i = start + k;
        const pixels = renderSurface({ width: size, height: size, channels: 3, seed: 1000 + i });
        return sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
          .png({ compressionLevel: 6 })
          .toFile(path.join(dir, `surface_${String(i).padStart(5, '0')}.png`));
      }),
    );
  }
  await writeFile(done, new Date().toISOString());
  return dir;
}

async function dwbImport(source: string, project: string): Promise<{ imported: number; duplicates: number; elapsedSeconds: number; peakRssMb: number }> {
  const { stdout } = await run(process.execPath, [DWB, 'import', source, '--project', project, '--layout', 'flat', '--json'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout);
}

export async function benchImport(options: { images: number; size: number }, log: (s: string) => void): Promise<ImportBenchResult> {
  const source = await generateBenchImages(options.images, options.size, log);
  const { stdout: du } = await run('du', ['-sm', source]);
  const work = await mkdtemp(path.join(os.tmpdir(), 'dwb-bench-project-'));
  try {
    const project = path.join(work, 'project');
    await run(process.execPath, [DWB, 'init', project]);
    log(`importing ${options.images} images…\n`);
    const first = await dwbImport(source, project);
    log(`re-importing the same folder (every image a duplicate)…\n`);
    const second = await dwbImport(source, project);
    return {
      images: first.imported,
      size: options.size,
      datasetMb: Number(du.split('\t')[0]),
      imagesPerSecond: first.imported / first.elapsedSeconds,
      elapsedSeconds: first.elapsedSeconds,
      peakRssMb: first.peakRssMb,
      reimportImagesPerSecond: second.duplicates / second.elapsedSeconds,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
