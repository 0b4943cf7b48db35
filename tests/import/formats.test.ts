import { readFile, stat, writeFile, truncate, mkdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { runImport } from '../../src/main/import/importer.js';
import { planImport } from '../../src/main/import/sources.js';
import { Project } from '../../src/main/store/project.js';
import { writeBmp, writeGrey16, writeSurface } from '../helpers/images.js';
import { useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();

describe('import of image formats', () => {
  it('reads PNG, JPEG, BMP and TIFF, grey and colour, 8 and 16 bit, with their true properties', async () => {
    const dir = await tempDir();
    const src = path.join(dir, 'src');
    await writeSurface(path.join(src, 'rgb.png'), { width: 64, height: 48, channels: 3, seed: 1 });
    await writeSurface(path.join(src, 'grey.png'), { width: 50, height: 40, channels: 1, seed: 2 });
    await writeSurface(path.join(src, 'photo.jpg'), { width: 80, height: 60, channels: 3, seed: 3 });
    await writeSurface(path.join(src, 'greyphoto.JPEG'), { width: 30, height: 20, channels: 1, seed: 4, format: 'jpeg' });
    await writeGrey16(path.join(src, 'deep.png'), 33, 17, 'png');
    await writeGrey16(path.join(src, 'deep.tif'), 35, 19, 'tiff');
    await writeSurface(path.join(src, 'colour.tif'), { width: 21, height: 22, channels: 3, seed: 5 });
    await writeBmp(path.join(src, 'colour.bmp'), 13, 7, 24, (x, y) => [x * 10, y * 20, 200]);
    await writeBmp(path.join(src, 'grey.bmp'), 9, 5, 8, (x, y) => [x * 20 + y, 0, 0]);
    const project = await Project.create(path.join(dir, 'project'));
    const report = await runImport(project, await planImport(src, 'flat'));
    expect(report.skipped).toEqual([]);
    expect(report.imported).toBe(9);
    const byName = Object.fromEntries(project.images.list().map((i) => [i.originalName, i]));
    expect(byName['rgb.png']).toMatchObject({ format: 'png', width: 64, height: 48, channels: 3, bitDepth: 8, split: expect.stringMatching(/train|val/), labelState: 'unlabeled' });
    expect(byName['grey.png']).toMatchObject({ format: 'png', channels: 1, bitDepth: 8 });
    expect(byName['photo.jpg']).toMatchObject({ format: 'jpeg', width: 80, height: 60, channels: 3 });
    expect(byName['greyphoto.JPEG']).toMatchObject({ format: 'jpeg', channels: 1 });
    expect(byName['deep.png']).toMatchObject({ format: 'png', width: 33, height: 17, channels: 1, bitDepth: 16 });
    expect(byName['deep.tif']).toMatchObject({ format: 'tiff', width: 35, height: 19, channels: 1, bitDepth: 16 });
    expect(byName['colour.tif']).toMatchObject({ format: 'tiff', channels: 3, bitDepth: 8 });
    expect(byName['colour.bmp']).toMatchObject({ format: 'bmp', width: 13, height: 7, channels: 3, bitDepth: 8 });
    expect(byName['grey.bmp']).toMatchObject({ format: 'bmp', width: 9, height: 5, channels: 1 });

    // the stored original is byte-identical to the source, and every image has a decodable thumbnail
    for (const image of Object.values(byName)) {
      expect(await readFile(project.imagePath(image))).toEqual(await readFile(path.join(src, image.originalName)));
      const thumb = await sharp(project.thumbnailPath(image)).metadata();
      expect(thumb.format).toBe('jpeg');
      expect(Math.max(thumb.width!, thumb.height!)).toBe(Math.max(image.width, image.height));
    }
    // the BMP decoder puts rows the right way up and keeps colours
    const { data } = await sharp(project.thumbnailPath(byName['colour.bmp']!)).raw().toBuffer({ resolveWithObject: true });
    const topLeftBlue = data[2]!;
    expect(topLeftBlue).toBeGreaterThan(150);
    project.close();
  });

  it('skips corrupt, truncated, empty and unsupported files with their path and reason, and imports the rest', async () => {
    const dir = await tempDir();
    const src = path.join(dir, 'src');
    await writeSurface(path.join(src, 'ok1.png'), { seed: 1 });
    await writeSurface(path.join(src, 'ok2.jpg'), { seed: 2 });
    await writeSurface(path.join(src, 'cut.png'), { width: 200, height: 200, seed: 3 });
    await truncate(path.join(src, 'cut.png'), Math.floor((await stat(path.join(src, 'cut.png'))).size / 2));
    await writeSurface(path.join(src, 'cut.jpg'), { width: 200, height: 200, seed: 4 });
    await truncate(path.join(src, 'cut.jpg'), Math.floor((await stat(path.join(src, 'cut.jpg'))).size / 2));
    await writeFile(path.join(src, 'noise.png'), Buffer.from('this is not an image at all, only text'));
    await writeFile(path.join(src, 'empty.tif'), Buffer.alloc(0));
    await writeFile(path.join(src, 'anim.gif'), Buffer.from('GIF89a....'));
    const bmp = path.join(src, 'short.bmp');
    await writeBmp(bmp, 50, 50, 24, () => [1, 2, 3]);
    await truncate(bmp, 500);
    await mkdir(path.join(src, 'notes'), { recursive: true });
    await writeFile(path.join(src, 'notes', 'readme.txt'), 'ignored: not an image');

    const project = await Project.create(path.join(dir, 'project'));
    const report = await runImport(project, await planImport(src, 'flat'));
    expect(report.imported).toBe(2);
    const reasons = Object.fromEntries(report.skipped.map((s) => [path.basename(s.path), s.reason]));
    expect(Object.keys(reasons).sort()).toEqual(['anim.gif', 'cut.jpg', 'cut.png', 'empty.tif', 'noise.png', 'short.bmp']);
    expect(reasons['cut.png']).toMatch(/corrupt or truncated PNG/);
    expect(reasons['cut.jpg']).toMatch(/corrupt or truncated JPEG/);
    expect(reasons['noise.png']).toMatch(/unsupported format \(unknown\)/);
    expect(reasons['empty.tif']).toMatch(/empty file/);
    expect(reasons['anim.gif']).toMatch(/unsupported format \(gif\)/);
    expect(reasons['short.bmp']).toMatch(/BMP/);
    for (const s of report.skipped) expect(path.isAbsolute(s.path)).toBe(true);
    expect(project.stats().images).toBe(2);
    expect(project.db.pragma('integrity_check', { simple: true })).toBe('ok');
    project.close();
  });

  it('treats the same content imported twice, under any name, as one image', async () => {
    const dir = await tempDir();
    await writeSurface(path.join(dir, 'a', 'one.png'), { seed: 7 });
    await writeSurface(path.join(dir, 'b', 'copy-of-one.png'), { seed: 7 });
    const project = await Project.create(path.join(dir, 'project'));
    const first = await runImport(project, await planImport(path.join(dir, 'a'), 'flat'));
    const second = await runImport(project, await planImport(path.join(dir, 'b'), 'flat'));
    expect([first.imported, second.imported, second.duplicates]).toEqual([1, 0, 1]);
    expect(project.images.count()).toBe(1);
    project.close();
  });
});
