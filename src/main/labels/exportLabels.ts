// Writes a project's labels out: MVTec layout (ground_truth/<class>/<stem>_mask.png, one binary mask per class
// region, plus labels.json and labels.csv for classes, image-level labels and splits) or one COCO JSON file with
// an RLE annotation per class region. Images are named as imageNames does, so imports match them back.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { LabelExportReport } from '../../shared/api.js';
import { labelKindOf } from '../../shared/domain.js';
import { writeFileAtomic } from '../fs/atomicFile.js';
import type { Project } from '../store/project.js';
import { encodeCocoRle } from './coco.js';
import { stemOf, uniqueNames } from './imageNames.js';
import { csvField, LABELS_CSV, LABELS_JSON, type ImageLabelEntry, type LabelsJson } from './labelFiles.js';
import { maskLabelsOf } from './maskLabels.js';

export async function exportLabels(project: Project, out: string, format: 'mvtec' | 'coco'): Promise<LabelExportReport> {
  return format === 'mvtec' ? exportMvtec(project, out) : exportCoco(project, out);
}

async function exportMvtec(project: Project, out: string): Promise<LabelExportReport> {
  const images = project.images.list();
  const names = uniqueNames(images);
  const classes = project.classes.list();
  const className = new Map(classes.map((c) => [c.id, c.name]));
  const used = new Set<string>();
  const entries: ImageLabelEntry[] = [];
  let files = 0;
  let masks = 0;
  for (const image of images) {
    const name = names.get(image.id)!;
    const entry: ImageLabelEntry = { file_name: name, split: image.split, label: image.labelState, class: image.defectClass };
    if (image.maskSha256) {
      const { mask } = await maskLabelsOf(project).read(image.id);
      entry.masks = {};
      masks++;
      for (const [id, cls] of className) {
        const binary = new Uint8Array(mask.pixels.length);
        let any = false;
        for (let i = 0; i < binary.length; i++) if (mask.pixels[i] === id) (binary[i] = 255), (any = true);
        if (!any) continue;
        // MVTec's name for the mask; a second image with the same stem in this class gets its full name
        let file = `ground_truth/${cls}/${stemOf(name)}_mask.png`;
        if (used.has(file)) file = `ground_truth/${cls}/${name.replace(/\.[^.]+$/, '').replace(/\//g, '__')}_mask.png`;
        used.add(file);
        await mkdir(path.join(out, path.dirname(file)), { recursive: true });
        await sharp(binary, { raw: { width: mask.width, height: mask.height, channels: 1 } }).png({ compressionLevel: 6 }).toFile(path.join(out, file));
        entry.masks[cls] = file;
        files++;
      }
    }
    entries.push(entry);
  }
  const json: LabelsJson = { format: 'dwb-labels', version: 1, classes: classes.map(({ id, name, color }) => ({ id, name, color })), images: entries };
  await mkdir(out, { recursive: true });
  await writeFileAtomic(path.join(out, LABELS_JSON), JSON.stringify(json, null, 1));
  const csv = ['file_name,split,label,kind,class', ...images.map((i) => [names.get(i.id)!, i.split, i.labelState, labelKindOf(i), i.defectClass ?? ''].map(csvField).join(','))];
  await writeFileAtomic(path.join(out, LABELS_CSV), `${csv.join('\n')}\n`);
  return { out, format: 'mvtec', images: images.length, masks, classes: classes.map((c) => c.name), files: files + 2 };
}

async function exportCoco(project: Project, out: string): Promise<LabelExportReport> {
  const images = project.images.list();
  const names = uniqueNames(images);
  const classes = project.classes.list();
  const annotations: unknown[] = [];
  let masks = 0;
  for (const image of images) {
    if (!image.maskSha256) continue;
    masks++;
    const { mask } = await maskLabelsOf(project).read(image.id);
    for (const cls of classes) {
      let area = 0;
      let minX = Infinity;
      let minY = Infinity;
      let maxX = -1;
      let maxY = -1;
      for (let y = 0; y < mask.height; y++) {
        for (let x = 0; x < mask.width; x++) {
          if (mask.pixels[y * mask.width + x] !== cls.id) continue;
          area++;
          if (x < minX) minX = x;
          if (x > maxX) maxX = x;
          if (y < minY) minY = y;
          if (y > maxY) maxY = y;
        }
      }
      if (area === 0) continue;
      annotations.push({
        id: annotations.length + 1,
        image_id: image.id,
        category_id: cls.id,
        segmentation: encodeCocoRle(mask.pixels, mask.width, mask.height, (v) => v === cls.id),
        area,
        bbox: [minX, minY, maxX - minX + 1, maxY - minY + 1],
        iscrowd: 1,
      });
    }
  }
  const coco = {
    info: { description: `Defect Workbench labels of ${project.settings.name}`, date_created: new Date().toISOString() },
    licenses: [],
    images: images.map((i) => ({
      id: i.id,
      file_name: names.get(i.id)!,
      width: i.width,
      height: i.height,
      dwb_split: i.split,
      dwb_label: i.labelState,
      dwb_class: i.defectClass,
    })),
    categories: classes.map((c) => ({ id: c.id, name: c.name, supercategory: 'defect', color: c.color })),
    annotations,
  };
  await mkdir(path.dirname(path.resolve(out)), { recursive: true });
  await writeFileAtomic(out, JSON.stringify(coco));
  return { out, format: 'coco', images: images.length, masks, classes: classes.map((c) => c.name), files: 1 };
}
