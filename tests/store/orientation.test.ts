// A project made before the workbench turned pixels by their EXIF orientation: its turned photo was catalogued at
// the stored raster's size, and the studio drew the browser's turned picture stretched into that size, so the mask
// painted over the defect lies, in the catalogued size, where the stretched defect was shown. The first open since
// fits the image to the turned picture, and the mask with it, without losing the label history.
import { mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeMaskFile } from '../../src/main/images/classMask.js';
import { openImage } from '../../src/main/images/decode.js';
import { runImport } from '../../src/main/import/importer.js';
import { planImport } from '../../src/main/import/sources.js';
import { maskLabelsOf } from '../../src/main/labels/maskLabels.js';
import { Project } from '../../src/main/store/project.js';
import { dwb, onlyJson } from '../helpers/cli.js';
import { isRedBlock, TAGGED_PHOTO, writeTaggedPhoto } from '../helpers/images.js';
import { useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();

const { width: W, height: H } = TAGGED_PHOTO;

/** Puts an image back as a project of before the change held it: the stored raster's size, no orientation read. */
function asBefore(project: Project, id: number): void {
  project.db.prepare('UPDATE images SET width = ?, height = ?, orientation = NULL WHERE id = ?').run(W, H, id);
}

describe('the first open of a project made before images were turned by their EXIF orientation', () => {
  it('fits the size and the mask to the turned picture, as a new history entry, and leaves untagged images alone', async () => {
    const dir = await tempDir();
    const src = path.join(dir, 'src');
    await mkdir(src);
    await writeTaggedPhoto(path.join(src, 'turned.jpg'), { orientation: 6 });
    await writeTaggedPhoto(path.join(src, 'binary.jpg'), { orientation: 6, quality: 90 });
    await sharp({ create: { width: 40, height: 30, channels: 3, background: '#808080' } }).png().toFile(path.join(src, 'plain.png'));
    const root = path.join(dir, 'project');
    let project = await Project.create(root);
    await runImport(project, await planImport(src, 'flat'));
    const byName = () => Object.fromEntries(project.images.list().map((i) => [i.originalName, i]));
    const id = byName()['turned.jpg']!.id;
    const plain = byName()['plain.png']!;
    asBefore(project, id);
    const binaryId = byName()['binary.jpg']!.id;
    asBefore(project, binaryId);
    project.db.prepare('UPDATE images SET orientation = NULL WHERE id = ?').run(plain.id);

    // the turned picture (150 × 300, block at the top right, x 110–150, y 0–60) was shown stretched into 300 × 150:
    // the block on screen at x 220–300, y 0–30, where the user painted it as class "stain"
    const stain = project.classes.ensure('stain');
    const painted = new Uint8Array(W * H);
    for (let y = 0; y < 30; y++) for (let x = 220; x < 300; x++) painted[y * W + x] = stain;
    await maskLabelsOf(project).save(id, { width: W, height: H, pixels: painted });
    const before = project.images.history(id);
    // a mask as an import or a label without classes per pixel stores it: the binary union alone
    await project.label(binaryId, { labelState: 'anomalous', defectClass: 'stain' }, { mask: painted, source: 'import' });
    await sharp({ create: { width: 256, height: 128, channels: 3, background: '#808080' } }).jpeg().toFile(project.thumbnailPath(byName()['turned.jpg']!));
    project.close();

    project = await Project.open(root);
    // the app says what the opening changed
    expect(project.notices).toEqual([expect.stringMatching(/^2 photos were turned as their EXIF orientation says.*label history/)]);
    const image = project.images.get(id)!;
    expect([image.width, image.height]).toEqual([H, W]);
    expect((project.db.prepare('SELECT orientation FROM images WHERE id = ?').get(id) as { orientation: number }).orientation).toBe(6);
    // the stale thumbnail is gone, to be made again turned
    expect(existsSync(project.thumbnailPath(image))).toBe(false);

    // the refitted masks (indexed and binary) cover the block in the turned picture, and only it
    const { data: turned } = await (await openImage(project.imagePath(image), 'jpeg')).raw().toBuffer({ resolveWithObject: true });
    const isRed = (i: number) => isRedBlock(turned, H, i % H, Math.floor(i / H));
    const indexed = await decodeMaskFile(project.classMaskPath(image.classMaskSha256!));
    const binary = await decodeMaskFile(project.maskPath(image)!);
    expect([indexed.width, indexed.height, binary.width, binary.height]).toEqual([H, W, H, W]);
    let both = 0;
    let either = 0;
    for (let i = 0; i < H * W; i++) {
      const marked = indexed.pixels[i] !== 0;
      expect(binary.pixels[i] !== 0).toBe(marked);
      if (marked) expect(indexed.pixels[i]).toBe(stain);
      if (marked && isRed(i)) both++;
      if (marked || isRed(i)) either++;
    }
    expect(both / either).toBeGreaterThan(0.97);
    expect(image.defectClass).toBe('stain');
    const binaryOnly = project.images.get(binaryId)!;
    expect(binaryOnly.classMaskSha256).toBeNull();
    const refitted = await decodeMaskFile(project.maskPath(binaryOnly)!);
    expect([refitted.width, refitted.height]).toEqual([H, W]);
    expect(refitted.pixels).toEqual(binary.pixels);
    expect(project.images.history(binaryId).at(-1)).toMatchObject({ labelState: 'anomalous', source: 'import', defectClass: 'stain' });

    // one more history entry, from the same source as the mask it refits; the earlier ones are all still there
    const after = project.images.history(id);
    expect(after.length).toBe(before.length + 1);
    expect(after.at(-1)).toMatchObject({ labelState: 'anomalous', source: before.at(-1)!.source });
    // the untagged image is read as it is, once
    expect(project.images.get(plain.id)).toMatchObject({ width: 40, height: 30 });
    expect((project.db.prepare('SELECT orientation FROM images WHERE id = ?').get(plain.id) as { orientation: number }).orientation).toBe(1);

    // at the command line the opening says it on stderr, and stdout stays one JSON object (the tagged image's
    // orientation unread again, as if the upgrade were still to come; an untagged one read again says nothing)
    project.db.prepare('UPDATE images SET orientation = NULL WHERE id IN (?, ?)').run(id, plain.id);
    project.close();
    const cli = await dwb(['stats', '--project', root, '--json']);
    expect(cli.code).toBe(0);
    expect(cli.stderr).toMatch(/^note: 1 photo was turned as its EXIF orientation says/);
    expect(onlyJson(cli).images).toBe(3);
    project = await Project.open(root);
    expect(project.images.get(id)).toMatchObject({ width: H, height: W });
    project.close();

    // a second open changes nothing, and has nothing to say
    project = await Project.open(root);
    expect(project.images.history(id).length).toBe(after.length);
    expect(project.notices).toEqual([]);
    project.close();
  });
});
