// The real datasets in ../shared/datasets, imported through the dwb command exactly as a user would, must give the
// counts their README states.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Project } from '../../src/main/store/project.js';
import { decodeStoredMask } from '../../src/main/images/mask.js';
import { dwb, onlyJson } from '../helpers/cli.js';
import { DATASETS, datasetsAvailable, useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();

// From ../shared/datasets/README.md.
const EXPECTED = {
  mvtec_bottle: { trainGood: 42, testGood: 20, classes: { broken_large: 20, broken_small: 22, contamination: 21 }, masks: 63 },
  magnetic_tile: { trainGood: 286, testGood: 380, classes: { blowhole: 115, break: 85, crack: 57, fray: 32, uneven: 99 }, masks: 388 },
} as const;

describe.skipIf(!datasetsAvailable())('import of the real datasets through dwb', () => {
  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`${name}: counts per split, label kind and masks match the dataset's README`, async () => {
      const project = path.join(await tempDir(), name);
      expect((await dwb(['init', project])).code).toBe(0);
      const imported = await dwb(['import', path.join(DATASETS, name), '--project', project, '--layout', 'mvtec', '--json']);
      expect(imported.stderr).toBe('');
      expect(imported.code).toBe(0);
      const report = onlyJson(imported);
      expect(report.skipped).toEqual([]);
      expect(report.warnings).toEqual([]);
      const stats = onlyJson(await dwb(['stats', '--project', project, '--json']));
      const defects = Object.values(expected.classes).reduce((a, b) => a + b, 0);
      expect(stats.images).toBe(expected.trainGood + expected.testGood + defects);
      expect(stats.splits.train.normal + stats.splits.val.normal).toBe(expected.trainGood);
      expect(stats.splits.val.normal).toBe(Math.round(0.2 * expected.trainGood));
      expect(stats.splits.train).toMatchObject({ anomalous: 0, unlabeled: 0, masks: 0 });
      expect(stats.splits.val).toMatchObject({ anomalous: 0, unlabeled: 0, masks: 0 });
      expect(stats.splits.test).toEqual({ normal: expected.testGood, anomalous: defects, unlabeled: 0, masks: expected.masks });
      expect(stats.classes).toEqual(expected.classes);
    });
  }

  it('magnetic_tile: anti-aliased masks are binarized at ≥ 128 (the two tiny uneven masks keep 1 and 3 pixels)', async () => {
    const root = path.join(await tempDir(), 'mt');
    await dwb(['init', root]);
    await dwb(['import', path.join(DATASETS, 'magnetic_tile'), '--project', root]);
    const project = await Project.open(root);
    const areas = project.db.prepare(`SELECT m.area FROM images i JOIN masks m ON m.sha256 = i.mask_sha256 WHERE i.defect_class = 'uneven' ORDER BY m.area LIMIT 2`).pluck().all();
    expect(areas).toEqual([1, 3]);
    const [sample] = project.images.list({ defectClass: 'crack' }, { limit: 1 });
    const mask = await decodeStoredMask(project.maskPath(sample!)!);
    expect([mask.width, mask.height]).toEqual([sample!.width, sample!.height]);
    expect(new Set(mask.pixels)).toEqual(new Set([0, 255]));
    project.close();
  });
});
