// The labelling studio's store side, through the same typed handlers the app calls: an image-level label never
// silently drops a mask, every version stays in the history and can be restored, indexed masks keep the class of
// every pixel while training still reads the union, and masks from before classes per pixel migrate without loss.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../src/main/app/dispatch.js';
import { RecentProjects } from '../../src/main/app/recentProjects.js';
import { Workbench } from '../../src/main/app/workbench.js';
import { decodeMaskFile } from '../../src/main/images/classMask.js';
import { decodeStoredMask } from '../../src/main/images/mask.js';
import { runImport } from '../../src/main/import/importer.js';
import { planImport } from '../../src/main/import/sources.js';
import { openCatalog } from '../../src/main/store/catalog.js';
import { orphanBlobs } from '../../src/main/store/leftovers.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../src/main/store/migrations.js';
import { Project } from '../../src/main/store/project.js';
import { projectLayout } from '../../src/main/store/projectLayout.js';
import type { ApiInput, ApiResults, Channel } from '../../src/shared/api.js';
import { labelKindOf } from '../../src/shared/domain.js';
import { decodeRuns, encodeRuns } from '../../src/shared/labels.js';
import { writeMask, writeSurface } from '../helpers/images.js';
import { useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();
const W = 48;
const H = 32;
const inScratch = (x: number, y: number) => x >= 10 && x < 20 && y >= 5 && y < 9;

/** A tiny MVTec-layout dataset: two good images and one scratch with its mask, imported into a project. */
async function workbenchWithProject(): Promise<{ wb: Workbench; call: <C extends Channel>(c: C, i: ApiInput<C>) => Promise<ApiResults[C]>; root: string }> {
  const dir = await tempDir();
  const src = path.join(dir, 'src');
  await writeSurface(path.join(src, 'train/good/000.png'), { width: W, height: H, seed: 1 });
  await writeSurface(path.join(src, 'test/good/000.png'), { width: W, height: H, seed: 2 });
  await writeSurface(path.join(src, 'test/scratch/000.png'), { width: W, height: H, seed: 3 });
  await writeMask(path.join(src, 'ground_truth/scratch/000_mask.png'), W, H, (x, y) => (inScratch(x, y) ? 255 : 0));
  const root = path.join(dir, 'project');
  const project = await Project.create(root);
  await runImport(project, await planImport(src, 'mvtec'));
  project.close();
  const wb = new Workbench('browser', new RecentProjects(path.join(dir, 'settings')));
  const call = async <C extends Channel>(channel: C, input: ApiInput<C>): Promise<ApiResults[C]> => {
    const reply = await dispatch(wb.handlers, channel, input);
    if (!reply.ok) throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
    return reply.result as ApiResults[C];
  };
  await call('project.open', { dir: root });
  return { wb, call, root };
}

const scratchImage = (wb: Workbench) => wb.current().images.list().find((i) => i.defectClass === 'scratch')!;

describe('an image-level label never silently drops a mask', () => {
  it('N on an anomalous image with a mask asks first; A afterwards cannot lose it; the history restores it', async () => {
    const { wb, call } = await workbenchWithProject();
    const image = scratchImage(wb);
    const masksBefore = wb.current().stats().splits.test.masks;
    expect(masksBefore).toBe(1);

    // the key press of the bug report: refused with a clear reason, nothing changed
    await expect(call('images.label', { id: image.id, labelState: 'normal' })).rejects.toMatchObject({ code: 'would-drop-mask' });
    await expect(call('images.label', { id: image.id, labelState: 'normal' })).rejects.toThrow(/has a pixel mask \(40 defect pixels\); labelling it normal would drop the mask/);
    await call('images.label', { id: image.id, labelState: 'anomalous' });
    expect(wb.current().images.get(image.id)).toMatchObject({ labelState: 'anomalous', defectClass: 'scratch', maskSha256: image.maskSha256 });
    expect(wb.current().stats().splits.test.masks).toBe(masksBefore);

    // confirmed: the mask goes, but stays in the history, and one restore brings it back
    const dropped = await call('images.label', { id: image.id, labelState: 'normal', dropMask: true });
    expect(labelKindOf(dropped)).toBe('normal');
    await call('images.label', { id: image.id, labelState: 'anomalous' });
    expect(labelKindOf(wb.current().images.get(image.id)!)).toBe('weak');
    const history = await call('images.history', { id: image.id });
    expect(history.map((e) => [e.labelState, e.source, e.maskSha256 === image.maskSha256])).toEqual([
      ['anomalous', 'import', true],
      ['anomalous', 'user', true],
      ['normal', 'user', false],
      ['anomalous', 'user', false],
    ]);
    const restored = await call('images.restore', { id: image.id, eventId: history[0]!.id });
    expect(restored).toMatchObject({ labelState: 'anomalous', defectClass: 'scratch', maskSha256: image.maskSha256, previousEventId: history[3]!.id });
    const after = await call('images.history', { id: image.id });
    expect(after.at(-1)).toMatchObject({ source: 'user', restoredFrom: history[0]!.id });
    expect(wb.current().stats().splits.test.masks).toBe(masksBefore);
    await expect(call('images.restore', { id: image.id, eventId: 99999 })).rejects.toMatchObject({ code: 'event-not-found' });
    await wb.close();
  });
});

describe('indexed masks', () => {
  it('derives the indexed mask of an imported binary mask exactly, and keeps two classes per image while training reads the union', async () => {
    const { wb, call } = await workbenchWithProject();
    const image = scratchImage(wb);
    const classes = await call('classes.list', {});
    expect(classes.map((c) => [c.name, c.images])).toEqual([['scratch', 1]]);
    const scratchId = classes[0]!.id;
    const loaded = await call('masks.get', { id: image.id });
    const pixels = decodeRuns(loaded.mask.runs, W * H);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) expect(pixels[y * W + x]).toBe(inScratch(x, y) ? scratchId : 0);

    // a stroke of a second class beside the scratch, sent as the runs of its rectangle
    const dent = await call('classes.create', { name: 'dent' });
    const rect = { x: 30, y: 20, width: 6, height: 5 };
    const patch = { ...rect, runs: encodeRuns(new Uint8Array(rect.width * rect.height).fill(dent.id)) };
    const saved = await call('masks.apply', { id: image.id, base: loaded.key, patch });
    expect(saved.classMaskSha256).toBeTruthy();
    expect(saved.defectClass).toBe('scratch'); // the class with most pixels names the image
    const indexed = await decodeMaskFile(wb.current().classMaskPath(saved.classMaskSha256!));
    const union = await decodeStoredMask(wb.current().maskPath(saved)!);
    let dents = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const inDent = x >= 30 && x < 36 && y >= 20 && y < 25;
        const want = inScratch(x, y) ? scratchId : inDent ? dent.id : 0;
        expect(indexed.pixels[y * W + x]).toBe(want);
        expect(union.pixels[y * W + x]).toBe(want ? 255 : 0);
        if (inDent) dents++;
      }
    }
    expect(dents).toBe(30);
    expect(wb.current().images.mask(saved.maskSha256!)!.area).toBe(70);
    // the indexed mask is a file a catalog row names: never an orphan for dwb check --repair to remove
    const orphans = await orphanBlobs(wb.current().layout, wb.current().db, true);
    expect(orphans.map((o) => o.path)).not.toContain(wb.current().classMaskPath(saved.classMaskSha256!));
    expect(orphans).toEqual([]);
    // an edit made on an older version is refused instead of overwriting the newer one
    await expect(call('masks.apply', { id: image.id, base: loaded.key, patch })).rejects.toMatchObject({ code: 'mask-changed' });

    // merge dent into scratch: the pixels follow, the class goes
    await call('classes.merge', { from: dent.id, into: scratchId });
    expect((await call('classes.list', {})).map((c) => c.name)).toEqual(['scratch']);
    const merged = decodeRuns((await call('masks.get', { id: image.id })).mask.runs, W * H);
    expect(merged.filter((v) => v === scratchId).length).toBe(70);
    await call('classes.update', { id: scratchId, name: 'scratch-deep', color: '#123456' });
    expect(wb.current().images.get(image.id)!.defectClass).toBe('scratch-deep');
    expect((await call('classes.list', {}))[0]).toMatchObject({ name: 'scratch-deep', color: '#123456' });

    // erasing every pixel must say what the image becomes
    const current = await call('masks.get', { id: image.id });
    const clear = { x: 0, y: 0, width: W, height: H, runs: [0, W * H] };
    await expect(call('masks.apply', { id: image.id, base: current.key, patch: clear })).rejects.toMatchObject({ code: 'mask-empty' });
    const weak = await call('masks.apply', { id: image.id, base: current.key, patch: clear, whenEmpty: 'weak' });
    expect(labelKindOf(weak)).toBe('weak');
    // every stroke was a version in the history
    expect((await call('images.history', { id: image.id })).map((e) => labelKindOf(e))).toEqual(['full', 'full', 'full', 'weak']);
    await wb.close();
  });

  it('migrates a catalog from before schema 3 without loss: classes from the labels, masks derived per class', async () => {
    const dir = await tempDir();
    const src = path.join(dir, 'src');
    await writeSurface(path.join(src, 'train/good/a.png'), { width: W, height: H, seed: 4 });
    await writeSurface(path.join(src, 'test/crack/a.png'), { width: W, height: H, seed: 5 });
    await writeMask(path.join(src, 'ground_truth/crack/a_mask.png'), W, H, (x, y) => (inScratch(x, y) ? 255 : 0));
    const root = path.join(dir, 'p');
    const project = await Project.create(root);
    await runImport(project, await planImport(src, 'mvtec'));
    const image = project.images.list().find((i) => i.defectClass === 'crack')!;
    project.close();
    // turn the catalog back into what schema 1 wrote (as a project made before this version would be)
    const db = openCatalog(projectLayout(root).catalog, { migrations: MIGRATIONS });
    db.exec('DROP TABLE defect_classes; UPDATE images SET class_mask_sha256 = NULL');
    db.exec('ALTER TABLE images DROP COLUMN class_mask_sha256; ALTER TABLE label_events DROP COLUMN class_mask_sha256; ALTER TABLE label_events DROP COLUMN restored_from; DROP TABLE class_masks');
    db.pragma('user_version = 2');
    db.close();
    // migration 3 runs over the labels written before it (later migrations had run already and stay as they are)
    const migrated = openCatalog(projectLayout(root).catalog, { migrations: MIGRATIONS.filter((m) => m.version <= 3) });
    migrated.pragma(`user_version = ${LATEST_SCHEMA_VERSION}`);
    migrated.close();

    const reopened = await Project.open(root);
    expect(reopened.classes.list().map((c) => c.name)).toEqual(['crack']);
    const wb = new Workbench('browser', new RecentProjects(path.join(dir, 'settings')));
    await wb.handlers['project.open']({ dir: root });
    const loaded = await wb.handlers['masks.get']({ id: image.id });
    const pixels = decodeRuns(loaded.mask.runs, W * H);
    expect(pixels.filter((v) => v === reopened.classes.byName('crack')!.id).length).toBe(40);
    expect(pixels.filter((v) => v !== 0).length).toBe(40);
    reopened.close();
    await wb.close();
  });
});
