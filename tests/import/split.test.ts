import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runImport } from '../../src/main/import/importer.js';
import { planImport } from '../../src/main/import/sources.js';
import { assignValidationSplit } from '../../src/main/import/validationSplit.js';
import { Project } from '../../src/main/store/project.js';
import { writeSurface } from '../helpers/images.js';
import { useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();

async function splitOf(project: Project): Promise<Record<string, string>> {
  return Object.fromEntries(project.images.list().map((i) => [i.sha256, i.split]));
}

describe('validation split', () => {
  it('is seeded and deterministic: the same images give the same split whatever the import order', async () => {
    const dir = await tempDir();
    for (let i = 0; i < 30; i++) await writeSurface(path.join(dir, i < 15 ? 'a' : 'b', `good/${i}.png`), { seed: i, width: 16, height: 16 });
    const one = await Project.create(path.join(dir, 'one'));
    await runImport(one, await planImport(path.join(dir, 'a'), 'folders'));
    await runImport(one, await planImport(path.join(dir, 'b'), 'folders'));
    const two = await Project.create(path.join(dir, 'two'));
    await runImport(two, await planImport(path.join(dir, 'b'), 'folders'));
    await runImport(two, await planImport(path.join(dir, 'a'), 'folders'));
    expect(await splitOf(one)).toEqual(await splitOf(two));
    expect(one.stats().splits.val.normal).toBe(6);

    // another seed gives another split of the same size; the test split is never touched
    const before = await splitOf(one);
    const outcome = assignValidationSplit(one, { seed: 7 });
    expect(outcome).toMatchObject({ train: 24, val: 6 });
    expect(outcome.moved).toBeGreaterThan(0);
    expect(await splitOf(one)).not.toEqual(before);
    one.close();
    two.close();
  });

  it('draws validation per label state, so anomalous training images are represented too', async () => {
    const dir = await tempDir();
    for (let i = 0; i < 20; i++) await writeSurface(path.join(dir, 'src/good', `${i}.png`), { seed: i, width: 16, height: 16 });
    for (let i = 0; i < 10; i++) await writeSurface(path.join(dir, 'src/scratch', `${i}.png`), { seed: 100 + i, width: 16, height: 16 });
    const project = await Project.create(path.join(dir, 'p'));
    project.updateSettings({ valFraction: 0.3 });
    await runImport(project, await planImport(path.join(dir, 'src'), 'folders'));
    expect(project.stats().splits.val).toMatchObject({ normal: 6, anomalous: 3 });
    project.close();
  });
});
