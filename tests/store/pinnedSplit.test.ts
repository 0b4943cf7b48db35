// A split chosen by a person stays: neither a re-import of the same folder nor a validation re-split moves it.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runImport } from '../../src/main/import/importer.js';
import { planImport } from '../../src/main/import/sources.js';
import { assignValidationSplit } from '../../src/main/import/validationSplit.js';
import { Project } from '../../src/main/store/project.js';
import { writeSurface } from '../helpers/images.js';
import { useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();

describe('pinned splits', () => {
  it('keeps a moved image where it was put, through re-imports and re-splits', async () => {
    const dir = await tempDir();
    for (let i = 0; i < 20; i++) await writeSurface(path.join(dir, 'src/train/good', `${i}.png`), { seed: i, width: 16, height: 16 });
    for (let i = 0; i < 3; i++) await writeSurface(path.join(dir, 'src/test/good', `${i}.png`), { seed: 100 + i, width: 16, height: 16 });
    const project = await Project.create(path.join(dir, 'p'));
    await runImport(project, await planImport(path.join(dir, 'src'), 'mvtec'));
    const summaries = project.images.summaries();
    const fromTest = summaries.find((s) => s.split === 'test')!;
    const toTest = summaries.filter((s) => s.split !== 'test').slice(0, 4);
    expect(project.images.pinSplit([fromTest.id], 'train')).toBe(1);
    expect(project.images.pinSplit(toTest.map((s) => s.id), 'test')).toBe(4);
    const pinned = () => project.images.summaries().filter((s) => s.splitPinned).map((s) => [s.id, s.split]);
    const expected = [[fromTest.id, 'train'], ...toTest.map((s) => [s.id, 'test'])].sort((a, b) => Number(a[0]) - Number(b[0]));
    expect(pinned()).toEqual(expected);

    const again = await runImport(project, await planImport(path.join(dir, 'src'), 'mvtec'));
    expect(again.duplicates).toBe(23);
    for (const seed of [1, 2, 3]) assignValidationSplit(project, { seed, fraction: 0.5 });
    expect(pinned()).toEqual(expected);
    // the unpinned training pool is still split: half of the 16 images left in it
    const pool = project.images.summaries().filter((s) => !s.splitPinned && s.split !== 'test');
    expect(pool).toHaveLength(16);
    expect(pool.filter((s) => s.split === 'val')).toHaveLength(8);
    project.close();
  });

  it('searches names in any case and sorts by name, showing the folders a name came from', async () => {
    const dir = await tempDir();
    await writeSurface(path.join(dir, 'src/crack/B_part.png'), { seed: 1, width: 16, height: 16 });
    await writeSurface(path.join(dir, 'src/good/a_part.png'), { seed: 2, width: 16, height: 16 });
    await writeSurface(path.join(dir, 'src/good/c_100%.png'), { seed: 3, width: 16, height: 16 });
    const project = await Project.create(path.join(dir, 'p'));
    await runImport(project, await planImport(path.join(dir, 'src'), 'folders'));
    expect(project.images.summaries({}, 'name').map((s) => `${s.folder}/${s.name}`)).toEqual(['src/good/a_part.png', 'src/crack/B_part.png', 'src/good/c_100%.png']);
    expect(project.images.summaries({ search: 'PART' }).map((s) => s.name).sort()).toEqual(['B_part.png', 'a_part.png']);
    // LIKE's wildcards in a search are plain characters
    expect(project.images.summaries({ search: '100%' }).map((s) => s.name)).toEqual(['c_100%.png']);
    expect(project.images.summaries({ search: '_' })).toHaveLength(3);
    expect(project.images.summaries({ search: '%' })).toHaveLength(1);
    project.close();
  });
});
