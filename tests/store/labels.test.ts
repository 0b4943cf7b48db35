import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeStoredMask } from '../../src/main/images/mask.js';
import { runImport } from '../../src/main/import/importer.js';
import { planImport } from '../../src/main/import/sources.js';
import { Project } from '../../src/main/store/project.js';
import { labelKindOf } from '../../src/shared/domain.js';
import { writeSurface } from '../helpers/images.js';
import { useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();

async function projectWithImages(count: number): Promise<Project> {
  const dir = await tempDir();
  for (let i = 0; i < count; i++) await writeSurface(path.join(dir, 'src', `img${i}.png`), { width: 40, height: 30, seed: i });
  const project = await Project.create(path.join(dir, 'project'));
  await runImport(project, await planImport(path.join(dir, 'src'), 'flat'));
  return project;
}

describe('labels', () => {
  it('keeps every label change in the history, with mask and class, and the current state on the image', async () => {
    const project = await projectWithImages(1);
    const [image] = project.images.list();
    const mask = new Uint8Array(40 * 30);
    for (let x = 5; x < 15; x++) mask[10 * 40 + x] = 1;
    await project.label(image!.id, { labelState: 'normal' });
    await project.label(image!.id, { labelState: 'anomalous', defectClass: 'scratch' }, { mask });
    const current = project.images.get(image!.id)!;
    expect(labelKindOf(current)).toBe('full');
    expect(current.defectClass).toBe('scratch');
    const stored = await decodeStoredMask(project.maskPath(current)!);
    expect(stored.width).toBe(40);
    expect(stored.pixels.filter((v) => v === 255).length).toBe(10);
    expect(stored.pixels.filter((v) => v !== 0 && v !== 255).length).toBe(0);

    await project.label(image!.id, { labelState: 'anomalous', defectClass: 'scratch' });
    expect(labelKindOf(project.images.get(image!.id)!)).toBe('weak');
    const history = project.images.history(image!.id);
    expect(history.map((e) => [e.labelState, e.source, e.maskSha256 !== null])).toEqual([
      ['unlabeled', 'import', false],
      ['normal', 'user', false],
      ['anomalous', 'user', true],
      ['anomalous', 'user', false],
    ]);
    // the earlier mask is still in the store: nothing a user drew is lost
    expect(project.maskPath({ maskSha256: history[2]!.maskSha256 })).not.toBeNull();
    project.close();
  });

  it('rejects a mask of the wrong size or on a non-anomalous label, and changes nothing', async () => {
    const project = await projectWithImages(1);
    const [image] = project.images.list();
    await project.label(image!.id, { labelState: 'normal' });
    await expect(project.label(image!.id, { labelState: 'anomalous' }, { mask: new Uint8Array(10) })).rejects.toThrow(/mask holds 10 pixels but image .* is 40×30/);
    await expect(project.label(image!.id, { labelState: 'normal' }, { mask: new Uint8Array(40 * 30) })).rejects.toThrow(/only an anomalous image can have a defect mask/);
    await expect(project.label(image!.id, { labelState: 'normal', defectClass: 'dent' })).rejects.toThrow(/only an anomalous image can have a defect class/);
    await expect(project.label(9999, { labelState: 'normal' })).rejects.toThrow(/no image with id 9999/);
    expect(project.images.get(image!.id)!.labelState).toBe('normal');
    expect(project.images.history(image!.id)).toHaveLength(2);
    project.close();
  });

  it('survives reopening: labels and history are in the catalog file', async () => {
    const project = await projectWithImages(2);
    const root = project.layout.root;
    const [a] = project.images.list();
    await project.label(a!.id, { labelState: 'anomalous', defectClass: 'dent' });
    project.close();
    const reopened = await Project.open(root);
    expect(reopened.images.get(a!.id)).toMatchObject({ labelState: 'anomalous', defectClass: 'dent' });
    expect(reopened.stats().classes).toEqual({ dent: 1 });
    reopened.close();
  });
});
