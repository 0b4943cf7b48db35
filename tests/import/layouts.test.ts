import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeStoredMask } from '../../src/main/images/mask.js';
import { runImport } from '../../src/main/import/importer.js';
import { detectLayout, planImport } from '../../src/main/import/sources.js';
import { Project } from '../../src/main/store/project.js';
import { labelKindOf } from '../../src/shared/domain.js';
import { writeMask, writeSurface } from '../helpers/images.js';
import { useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();

async function importInto(src: string, layout?: 'mvtec' | 'folders' | 'flat') {
  const project = await Project.create(path.join(path.dirname(src), `project-${path.basename(src)}`));
  const report = await runImport(project, await planImport(src, layout));
  return { project, report };
}

describe('MVTec AD layout', () => {
  it('turns masks into pixel labels (binarized at ≥ 128), test images into the test split, any image extension', async () => {
    const src = path.join(await tempDir(), 'mvtec');
    for (let i = 0; i < 5; i++) await writeSurface(path.join(src, 'train/good', `${i}.png`), { seed: i, width: 32, height: 24 });
    await writeSurface(path.join(src, 'test/good/g.jpg'), { seed: 10, width: 32, height: 24 });
    await writeSurface(path.join(src, 'test/scratch/000.jpg'), { seed: 11, width: 32, height: 24 });
    // anti-aliased edge: 127 is background, 128 is defect
    await writeMask(path.join(src, 'ground_truth/scratch/000_mask.png'), 32, 24, (x) => (x < 4 ? 255 : x < 8 ? 128 : x < 12 ? 127 : 0));
    await writeSurface(path.join(src, 'test/dent/001.png'), { seed: 12, width: 32, height: 24 });
    expect(await detectLayout(src)).toBe('mvtec');
    const { project, report } = await importInto(src);
    expect(report.layout).toBe('mvtec');
    expect(report.imported).toBe(8);
    // dent has no ground_truth mask: imported with an image-level (weak) label, and the user is told
    expect(report.warnings).toEqual([{ path: path.join(src, 'test/dent/001.png'), reason: expect.stringMatching(/no mask at ground_truth\/dent\/001_mask.png; imported with an image-level label only/) }]);
    const [scratch] = project.images.list({ defectClass: 'scratch' });
    expect(scratch).toMatchObject({ split: 'test', labelState: 'anomalous', format: 'jpeg' });
    expect(labelKindOf(scratch!)).toBe('full');
    const mask = await decodeStoredMask(project.maskPath(scratch!)!);
    expect(mask.pixels.filter((v) => v === 255).length).toBe(8 * 24);
    const [dent] = project.images.list({ defectClass: 'dent' });
    expect(labelKindOf(dent!)).toBe('weak');
    expect(project.stats().splits.test).toEqual({ normal: 1, anomalous: 2, unlabeled: 0, masks: 1 });
    expect(project.stats().splits.train.normal + project.stats().splits.val.normal).toBe(5);
    project.close();
  });

  it('rejects an image whose mask has another size, with a clear message, and imports the rest', async () => {
    const src = path.join(await tempDir(), 'mvtec');
    await writeSurface(path.join(src, 'train/good/0.png'), { width: 32, height: 24 });
    await writeSurface(path.join(src, 'test/crack/a.png'), { width: 32, height: 24, seed: 2 });
    await writeMask(path.join(src, 'ground_truth/crack/a_mask.png'), 30, 24, () => 255);
    await writeSurface(path.join(src, 'test/crack/b.png'), { width: 32, height: 24, seed: 3 });
    await writeMask(path.join(src, 'ground_truth/crack/b_mask.png'), 32, 24, (x) => (x > 20 ? 255 : 0));
    const { project, report } = await importInto(src, 'mvtec');
    expect(report.imported).toBe(2);
    expect(report.skipped).toEqual([
      { path: path.join(src, 'test/crack/a.png'), reason: expect.stringMatching(/a_mask.png: mask is 30×24 but its image is 32×24; masks must have exactly the image's size/) },
    ]);
    // nothing of the rejected image was catalogued, so fixing the mask and importing again brings it in
    await writeMask(path.join(src, 'ground_truth/crack/a_mask.png'), 32, 24, () => 255);
    const again = await runImport(project, await planImport(src, 'mvtec'));
    expect([again.imported, again.duplicates, again.skipped.length]).toEqual([1, 2, 0]);
    expect(project.stats().splits.test.masks).toBe(2);
    project.close();
  });

  it('says clearly when a folder is not in MVTec layout', async () => {
    const src = path.join(await tempDir(), 'plain');
    await writeSurface(path.join(src, 'a.png'));
    await expect(planImport(src, 'mvtec')).rejects.toThrow(/has no train\/ folder.*--layout folders or flat/);
    await expect(planImport(path.join(src, 'missing'))).rejects.toThrow(/does not exist/);
  });
});

describe('labelled folders and flat layouts', () => {
  it('folders: good/ is normal, every other folder an anomalous class, loose images unlabeled', async () => {
    const src = path.join(await tempDir(), 'folders');
    await writeSurface(path.join(src, 'good/a.png'), { seed: 1 });
    await writeSurface(path.join(src, 'good/day2/b.png'), { seed: 2 });
    await writeSurface(path.join(src, 'scratch/c.png'), { seed: 3 });
    await writeSurface(path.join(src, 'dent/d.jpg'), { seed: 4 });
    expect(await detectLayout(src)).toBe('folders');
    const { project, report } = await importInto(src);
    expect(report.imported).toBe(4);
    const s = project.stats();
    expect(s.classes).toEqual({ dent: 1, scratch: 1 });
    expect(s.splits.train.normal + s.splits.val.normal).toBe(2);
    expect(s.splits.train.anomalous + s.splits.val.anomalous).toBe(2);
    expect(s.splits.test).toEqual({ normal: 0, anomalous: 0, unlabeled: 0, masks: 0 });
    project.close();
  });

  it("skips defect masks under ground_truth/ (a label export imported as images by mistake) and says how to import them", async () => {
    const src = path.join(await tempDir(), 'labels-export');
    await writeSurface(path.join(src, 'good/a.png'), { seed: 1 });
    await writeMask(path.join(src, 'ground_truth/scratch/b_mask.png'), 32, 32, (x) => (x < 4 ? 255 : 0));
    for (const layout of ['folders', 'flat'] as const) {
      const plan = await planImport(src, layout);
      expect(plan.items.map((i) => path.basename(i.path))).toEqual(['a.png']);
      expect(plan.skipped).toEqual([{ path: path.join(src, 'ground_truth/scratch/b_mask.png'), reason: expect.stringMatching(/^a defect mask .*dwb import-labels/) }]);
    }
    const { project } = await importInto(src, 'folders');
    expect(project.stats().classes).toEqual({});
    project.close();
  });

  it('flat: every image below the folder, unlabeled', async () => {
    const src = path.join(await tempDir(), 'flat');
    await writeSurface(path.join(src, 'a.png'), { seed: 1 });
    await writeSurface(path.join(src, 'sub/b.png'), { seed: 2 });
    expect(await detectLayout(src)).toBe('flat');
    const { project } = await importInto(src);
    const s = project.stats();
    expect(s.splits.train.unlabeled + s.splits.val.unlabeled).toBe(2);
    project.close();
  });
});
