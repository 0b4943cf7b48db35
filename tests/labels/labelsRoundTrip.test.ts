// Labels out and back in without loss: the real mvtec_bottle labels (plus a second class drawn on one image)
// exported by `dwb export-labels` as MVTec layout and as COCO, imported by `dwb import-labels` into new projects
// holding the same images unlabelled: every label, every class and every mask pixel comes back. A COCO file as
// another tool writes it (uncompressed and compressed RLE, polygons) imports correctly, and entries for unknown
// images or of the wrong size are reported and change nothing.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runImport } from '../../src/main/import/importer.js';
import { planImport } from '../../src/main/import/sources.js';
import { importLabels } from '../../src/main/labels/importLabels.js';
import { maskLabelsOf } from '../../src/main/labels/maskLabels.js';
import { Project } from '../../src/main/store/project.js';
import { labelKindOf } from '../../src/shared/domain.js';
import { dwb, onlyJson } from '../helpers/cli.js';
import { writeSurface } from '../helpers/images.js';
import { DATASETS, datasetsAvailable, useTempDirs } from '../helpers/paths.js';

const tempDir = useTempDirs();
const BOTTLE = path.join(DATASETS, 'mvtec_bottle');

/** Every image's label and the class name of every mask pixel, keyed by the image's content. */
async function snapshot(project: Project) {
  const names = new Map(project.classes.list().map((c) => [c.id, c.name]));
  const out = new Map<string, { kind: string; defectClass: string | null; pixels: (string | null)[] | null }>();
  for (const image of project.images.list()) {
    let pixels: (string | null)[] | null = null;
    if (image.maskSha256) {
      const { mask } = await maskLabelsOf(project).read(image.id);
      pixels = Array.from(mask.pixels, (v) => (v ? names.get(v)! : null));
    }
    out.set(image.sha256, { kind: labelKindOf(image), defectClass: image.defectClass, pixels });
  }
  return out;
}

/** A project holding the bottle images without any label (flat imports of train/ and test/). */
async function unlabelledBottle(root: string): Promise<Project> {
  const project = await Project.create(root);
  await runImport(project, await planImport(path.join(BOTTLE, 'train'), 'flat'));
  await runImport(project, await planImport(path.join(BOTTLE, 'test'), 'flat'));
  return project;
}

describe.skipIf(!datasetsAvailable())('labels round trip', () => {
  it('exports mvtec_bottle labels as MVTec layout and COCO and imports both into new projects, pixel for pixel', async () => {
    const dir = await tempDir();
    const sourceRoot = path.join(dir, 'source');
    const source = await Project.create(sourceRoot);
    await runImport(source, await planImport(BOTTLE, 'mvtec'));
    // one image holds two classes: a contamination patch drawn beside its broken_large mask
    const twoClass = source.images.list({ defectClass: 'broken_large' })[0]!;
    const contamination = source.classes.byName('contamination')!.id;
    const { mask, key } = await maskLabelsOf(source).read(twoClass.id);
    for (let y = 20; y < 60; y++) for (let x = 20; x < 90; x++) mask.pixels[y * mask.width + x] = contamination;
    await maskLabelsOf(source).save(twoClass.id, mask, { base: key });
    const expected = await snapshot(source);
    source.close();
    expect([...expected.values()].filter((e) => e.kind === 'full')).toHaveLength(63);

    const mvtecOut = path.join(dir, 'labels-mvtec');
    const cocoOut = path.join(dir, 'labels.coco.json');
    const exported = onlyJson(await dwb(['export-labels', '--project', sourceRoot, '--format', 'mvtec', '--out', mvtecOut, '--json']));
    expect(exported).toMatchObject({ format: 'mvtec', images: 125, masks: 63, classes: ['broken_large', 'broken_small', 'contamination'] });
    expect(exported.files).toBe(63 + 1 + 2); // one mask per class region, labels.json and labels.csv
    expect(onlyJson(await dwb(['export-labels', '--project', sourceRoot, '--format', 'coco', '--out', cocoOut, '--json']))).toMatchObject({ format: 'coco', masks: 63 });

    for (const [name, from] of [
      ['mvtec', mvtecOut],
      ['coco', cocoOut],
    ] as const) {
      const root = path.join(dir, `into-${name}`);
      (await unlabelledBottle(root)).close();
      const result = await dwb(['import-labels', from, '--project', root, '--json']);
      expect(result.code, result.stderr).toBe(0);
      const report = onlyJson(result);
      expect(report).toMatchObject({ format: name, labelled: 125, masks: 63, unknownImages: [], problems: [] });
      expect([...report.newClasses].sort()).toEqual(['broken_large', 'broken_small', 'contamination']);
      const target = await Project.open(root);
      const got = await snapshot(target);
      expect(got.size).toBe(expected.size);
      for (const [sha, want] of expected) {
        const have = got.get(sha)!;
        expect({ kind: have.kind, defectClass: have.defectClass }, `${name}: ${sha}`).toEqual({ kind: want.kind, defectClass: want.defectClass });
        if (want.pixels) {
          let differing = 0;
          for (let i = 0; i < want.pixels.length; i++) if (have.pixels![i] !== want.pixels[i]) differing++;
          expect(differing, `${name}: mask of ${sha}`).toBe(0);
        }
      }
      // the image with two classes kept both
      expect(new Set(got.get(twoClass.sha256)!.pixels!.filter(Boolean))).toEqual(new Set(['broken_large', 'contamination']));
      target.close();
    }
  }, 300_000);
});

describe('COCO written by another tool', () => {
  it('imports uncompressed and compressed RLE and polygons; reports unknown images and wrong sizes and changes nothing for them', async () => {
    const dir = await tempDir();
    for (let i = 0; i < 3; i++) await writeSurface(path.join(dir, 'src', `img${i}.png`), { width: 40, height: 30, seed: i });
    const root = path.join(dir, 'project');
    const project = await Project.create(root);
    await runImport(project, await planImport(path.join(dir, 'src'), 'flat'));
    const images = project.images.list();
    const byName = (n: string) => images.find((i) => i.originalName === n)!;
    project.close();

    // COCO RLE is column-major (index = x·height + y) and starts with a run of zeros
    const coco = {
      images: [
        { id: 1, file_name: 'img0.png', width: 40, height: 30 },
        { id: 2, file_name: 'img1.png', width: 40, height: 30 },
        { id: 3, file_name: 'missing.png', width: 40, height: 30 },
        { id: 4, file_name: 'img2.png', width: 50, height: 30 },
      ],
      categories: [
        { id: 7, name: 'scratch', supercategory: 'defect' },
        { id: 9, name: 'dent', supercategory: 'defect' },
      ],
      annotations: [
        // scratch: x 20–24, y 5–7 (5 columns of 3 pixels)
        { id: 1, image_id: 1, category_id: 7, iscrowd: 1, segmentation: { size: [30, 40], counts: [605, 3, 27, 3, 27, 3, 27, 3, 27, 3, 472] } },
        // dent: x 2–3, y 10–14, compressed by hand from counts [70, 5, 25, 5, 1095]
        { id: 2, image_id: 1, category_id: 9, iscrowd: 1, segmentation: { size: [30, 40], counts: 'V25i00^Q1' } },
        // dent: a polygon whose corners are pixel corners: x 30–35, y 20–25
        { id: 3, image_id: 2, category_id: 9, iscrowd: 0, segmentation: [[30, 20, 36, 20, 36, 26, 30, 26]] },
        { id: 4, image_id: 3, category_id: 7, iscrowd: 0, segmentation: [[1, 1, 5, 1, 5, 5]] },
        { id: 5, image_id: 4, category_id: 7, iscrowd: 0, segmentation: [[1, 1, 5, 1, 5, 5]] },
      ],
    };
    const file = path.join(dir, 'cvat.json');
    await writeFile(file, JSON.stringify(coco));
    const reopened = await Project.open(root);
    const report = await importLabels(reopened, file);
    expect(report).toMatchObject({ format: 'coco', labelled: 2, masks: 2, newClasses: ['scratch', 'dent'] });
    expect(report.unknownImages).toEqual([{ item: 'image 3 (missing.png)', reason: 'no image named missing.png in this project' }]);
    expect(report.problems).toEqual([{ item: 'image 4 (img2.png)', reason: "COCO says 50×30 but the project's image is 40×30" }]);

    const scratch = reopened.classes.byName('scratch')!.id;
    const dent = reopened.classes.byName('dent')!.id;
    const expectPixels = async (name: string, want: (x: number, y: number) => number) => {
      const { mask } = await maskLabelsOf(reopened).read(byName(name).id);
      let differing = 0;
      for (let y = 0; y < 30; y++) for (let x = 0; x < 40; x++) if (mask.pixels[y * 40 + x] !== want(x, y)) differing++;
      expect(differing, name).toBe(0);
    };
    await expectPixels('img0.png', (x, y) => (x >= 20 && x <= 24 && y >= 5 && y <= 7 ? scratch : x >= 2 && x <= 3 && y >= 10 && y <= 14 ? dent : 0));
    await expectPixels('img1.png', (x, y) => (x >= 30 && x <= 35 && y >= 20 && y <= 25 ? dent : 0));
    expect(reopened.images.get(byName('img0.png').id)).toMatchObject({ labelState: 'anomalous', defectClass: 'scratch' });
    expect(reopened.images.get(byName('img2.png').id)).toMatchObject({ labelState: 'unlabeled', maskSha256: null });
    expect(reopened.images.history(byName('img0.png').id).map((e) => e.source)).toEqual(['import', 'import']);
    reopened.close();

    // the CLI says the same, and exits non-zero so a script notices
    const cli = await dwb(['import-labels', file, '--project', root]);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toMatch(/1 entries name images this project does not hold \(nothing was changed for them\):\n {2}image 3 \(missing.png\): no image named missing.png in this project/);
    expect(cli.stdout).toMatch(/image 4 \(img2.png\): COCO says 50×30 but the project's image is 40×30/);
  });

  it('imports image-level labels from CSV and names ambiguous file names clearly', async () => {
    const dir = await tempDir();
    await writeSurface(path.join(dir, 'src/a/x.png'), { width: 20, height: 20, seed: 1 });
    await writeSurface(path.join(dir, 'src/b/x.png'), { width: 20, height: 20, seed: 2 });
    await writeSurface(path.join(dir, 'src/b/y.png'), { width: 20, height: 20, seed: 3 });
    const root = path.join(dir, 'project');
    const project = await Project.create(root);
    await runImport(project, await planImport(path.join(dir, 'src'), 'flat'));
    const csv = path.join(dir, 'labels.csv');
    await writeFile(csv, 'file_name,label,class\na/x.png,normal,\n"y.png",anomalous,"scratch, deep"\nx.png,normal,\nb/x.png,wrong,\n');
    const report = await importLabels(project, csv);
    expect(report).toMatchObject({ format: 'csv', labelled: 2, newClasses: ['scratch, deep'], unknownImages: [] });
    expect(report.problems.map((p) => p.reason)).toEqual([
      '2 images of this project are named x.png; name it with its folder (e.g. test/good/x.png)',
      'label "wrong" is not one of normal, anomalous (weak/full), unlabeled',
    ]);
    const images = project.images.list();
    expect(images.map((i) => [path.basename(path.dirname(i.sourcePath)) + '/' + i.originalName, labelKindOf(i), i.defectClass])).toEqual([
      ['a/x.png', 'normal', null],
      ['b/x.png', 'unlabeled', null],
      ['b/y.png', 'weak', 'scratch, deep'],
    ]);
    project.close();
  });
});
