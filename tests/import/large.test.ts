// An 8000×8000 image with its mask imports whole: the original streams into the store, the thumbnail is made
// from a strip-wise decode, and the mask is binarized at full resolution.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeStoredMask } from '../../src/main/images/mask.js';
import { runImport } from '../../src/main/import/importer.js';
import { planImport } from '../../src/main/import/sources.js';
import { Project } from '../../src/main/store/project.js';
import { useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();
const SIZE = 8000;

describe('very large images', () => {
  it(`imports an ${SIZE}×${SIZE} PNG and its mask`, async () => {
    const src = path.join(await tempDir(), 'big');
    await Promise.all(['train/good', 'test/crack', 'ground_truth/crack'].map((d) => mkdir(path.join(src, d), { recursive: true })));
    const gradient = Buffer.alloc(SIZE * 3);
    for (let x = 0; x < SIZE; x++) gradient.set([x % 256, 128, 255 - (x % 256)], x * 3);
    await sharp(gradient, { raw: { width: SIZE, height: 1, channels: 3 } })
      .resize(SIZE, SIZE, { kernel: 'nearest', fit: 'fill' })
      .png({ compressionLevel: 1 })
      .toFile(path.join(src, 'test/crack/big.png'));
    await sharp({ create: { width: SIZE, height: SIZE, channels: 3, background: '#000' } })
      .composite([{ input: { create: { width: 100, height: 50, channels: 3, background: '#fff' } }, left: 4000, top: 7000 }])
      .toColourspace('b-w')
      .png()
      .toFile(path.join(src, 'ground_truth/crack/big_mask.png'));
    await sharp({ create: { width: 64, height: 64, channels: 3, background: '#888' } }).png().toFile(path.join(src, 'train/good/small.png'));

    const project = await Project.create(path.join(path.dirname(src), 'p'));
    const report = await runImport(project, await planImport(src, 'mvtec'));
    expect(report.skipped).toEqual([]);
    const [big] = project.images.list({ defectClass: 'crack' });
    expect(big).toMatchObject({ width: SIZE, height: SIZE, channels: 3 });
    expect(await sharp(project.thumbnailPath(big!)).metadata()).toMatchObject({ width: 256, height: 256 });
    const mask = await decodeStoredMask(project.maskPath(big!)!);
    expect(mask.pixels.reduce((n, v) => n + (v ? 1 : 0), 0)).toBe(100 * 50);
    project.close();
  }, 120_000);
});
