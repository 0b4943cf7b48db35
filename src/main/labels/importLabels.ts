// Reads labels made elsewhere (or exported by another project) and applies them to the images of this project,
// matched by file name. Everything is read and checked first; entries that name unknown images, masks of the
// wrong size and malformed entries are reported and change nothing, and only then are the good ones written
// (masks through the same path as a stroke, so each one is a new version in the image's label history).
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { LabelImportProblem, LabelImportReport } from '../../shared/api.js';
import { defectClassSchema, type LabelState } from '../../shared/domain.js';
import { InputError } from '../../shared/errors.js';
import { decodeMaskFile } from '../images/classMask.js';
import { MASK_THRESHOLD } from '../images/mask.js';
import type { Project } from '../store/project.js';
import { paintCocoRle, paintPolygons, type CocoRle } from './coco.js';
import { NameIndex } from './imageNames.js';
import { LABELS_CSV, LABELS_JSON, parseCsv, parseLabelWord, type LabelsJson } from './labelFiles.js';
import { maskLabelsOf } from './maskLabels.js';

export type LabelFormat = LabelImportReport['format'];

/** One image's imported label: an image-level state, or a mask whose pixels hold indexes into `classes`. */
interface Pending {
  imageId: number;
  labelState: LabelState;
  defectClass: string | null;
  mask?: { pixels: Uint8Array; classes: string[] };
}

class Collector {
  readonly pending = new Map<number, Pending>();
  readonly unknown: LabelImportProblem[] = [];
  readonly problems: LabelImportProblem[] = [];
  readonly classColors = new Map<string, string>();
  constructor(
    readonly project: Project,
    readonly index: NameIndex,
  ) {}

  /** The image a name means, or undefined with the reason reported. */
  match(name: string, item = name): ReturnType<Project['images']['get']> {
    const found = this.index.find(name);
    if (found.kind === 'one') return this.project.images.get(found.id);
    if (found.kind === 'none') this.unknown.push({ item, reason: `no image named ${name} in this project` });
    else this.problems.push({ item, reason: `${found.count} images of this project are named ${name}; name it with its folder (e.g. test/good/${name})` });
    return undefined;
  }

  problem(item: string, reason: string): void {
    this.problems.push({ item, reason });
  }
}

export async function importLabels(project: Project, source: string, options: { format?: LabelFormat } = {}): Promise<LabelImportReport> {
  const resolved = path.resolve(source);
  const info = await stat(resolved).catch(() => null);
  if (!info) throw new InputError('labels-not-found', `there is nothing at ${resolved}; give a label folder (MVTec layout), a COCO JSON, or a CSV/JSON of image labels`);
  const format = options.format ?? (await detectFormat(resolved, info.isDirectory()));
  const c = new Collector(project, new NameIndex(project.images.list()));
  if (format === 'mvtec') {
    if (!info.isDirectory()) throw new InputError('labels-format', `${resolved} is a file; MVTec labels are a folder holding ground_truth/<class>/<stem>_mask.png`);
    await readMvtec(c, resolved);
  } else {
    if (info.isDirectory()) throw new InputError('labels-format', `${resolved} is a folder; ${format} labels are one file`);
    const text = await readFile(resolved, 'utf8');
    if (format === 'coco') readCoco(c, parseJson(text, resolved), resolved);
    else if (format === 'csv') readImageLabelRows(c, csvRows(text));
    else readImageLabelRows(c, jsonRows(parseJson(text, resolved), resolved));
  }
  const newClasses = await apply(c);
  return {
    source: resolved,
    format,
    applied: true,
    labelled: c.pending.size,
    masks: [...c.pending.values()].filter((p) => p.mask).length,
    newClasses,
    unknownImages: c.unknown,
    problems: c.problems,
  };
}

async function detectFormat(file: string, isDirectory: boolean): Promise<LabelFormat> {
  if (isDirectory) return 'mvtec';
  if (file.toLowerCase().endsWith('.csv')) return 'csv';
  const json = parseJson(await readFile(file, 'utf8'), file);
  return json && typeof json === 'object' && 'annotations' in json && 'images' in json ? 'coco' : 'json';
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError('labels-format', `${file} is not valid JSON (${(error as Error).message})`);
  }
}

/** Writes what was read and checked; returns the classes it created. */
async function apply(c: Collector): Promise<string[]> {
  const { project } = c;
  const before = new Set(project.classes.list().map((k) => k.name));
  const newClasses: string[] = [];
  const ensure = (name: string) => {
    const id = project.classes.ensure(name);
    if (!before.has(name) && !newClasses.includes(name)) {
      newClasses.push(name);
      const color = c.classColors.get(name);
      if (color) project.classes.recolor(id, color);
    }
    return id;
  };
  const labels = maskLabelsOf(project);
  for (const p of c.pending.values()) {
    const image = project.images.get(p.imageId)!;
    if (p.mask && p.mask.pixels.some((v) => v !== 0)) {
      const ids = p.mask.classes.map(ensure);
      const pixels = p.mask.pixels.map((v) => (v === 0 ? 0 : ids[v - 1]!));
      await labels.save(image.id, { width: image.width, height: image.height, pixels }, { source: 'import' });
      continue;
    }
    if (p.defectClass) ensure(p.defectClass);
    // an image-level label keeps a mask the image has while it stays anomalous, as a key press does
    const keep = p.labelState === 'anomalous' && image.maskSha256 !== null;
    project.images.setLabel(
      image.id,
      { labelState: p.labelState, defectClass: p.labelState === 'anomalous' ? (p.defectClass ?? image.defectClass) : null },
      'import',
      keep ? project.images.mask(image.maskSha256!) : undefined,
      { classMask: keep && image.classMaskSha256 ? project.images.classMask(image.classMaskSha256) : undefined },
    );
  }
  return newClasses;
}

function pendingMask(c: Collector, imageId: number, defectClass: string | null): Pending & { mask: NonNullable<Pending['mask']> } {
  const image = c.project.images.get(imageId)!;
  const existing = c.pending.get(imageId);
  if (existing?.mask) return existing as Pending & { mask: NonNullable<Pending['mask']> };
  const p = { imageId, labelState: 'anomalous' as const, defectClass: defectClass ?? existing?.defectClass ?? null, mask: { pixels: new Uint8Array(image.width * image.height), classes: [] as string[] } };
  c.pending.set(imageId, p);
  return p;
}

function classIndex(p: { mask: { classes: string[] } }, name: string): number {
  let k = p.mask.classes.indexOf(name);
  if (k < 0) k = p.mask.classes.push(name) - 1;
  return k + 1;
}

function validClass(c: Collector, item: string, name: unknown): string | null | undefined {
  if (name === undefined || name === null || name === '') return null;
  const parsed = defectClassSchema.safeParse(name);
  if (!parsed.success) {
    c.problem(item, `class ${JSON.stringify(name)} is not a usable class name (${parsed.error.issues[0]!.message})`);
    return undefined;
  }
  return parsed.data;
}

// ---- MVTec layout -------------------------------------------------------------------------------------------

async function readMvtec(c: Collector, root: string): Promise<void> {
  const jsonFile = path.join(root, LABELS_JSON);
  if (existsSync(jsonFile)) {
    const json = parseJson(await readFile(jsonFile, 'utf8'), jsonFile) as LabelsJson;
    if (json?.format !== 'dwb-labels' || !Array.isArray(json.images)) throw new InputError('labels-format', `${jsonFile} is not a Defect Workbench labels file`);
    for (const k of json.classes ?? []) if (typeof k.color === 'string') c.classColors.set(k.name, k.color);
    for (const entry of json.images) {
      const image = c.match(String(entry.file_name));
      if (!image) continue;
      const label = parseLabelWord(String(entry.label ?? ''));
      const cls = validClass(c, entry.file_name, entry.class);
      if (!label || cls === undefined) {
        if (!label) c.problem(entry.file_name, `label "${entry.label}" is not one of normal, anomalous, unlabeled`);
        continue;
      }
      c.pending.set(image.id, { imageId: image.id, labelState: label, defectClass: label === 'anomalous' ? cls : null });
      for (const [name, file] of Object.entries(entry.masks ?? {})) {
        await addMaskFile(c, image.id, name, path.join(root, file), file);
      }
    }
    return;
  }
  const csvFile = path.join(root, LABELS_CSV);
  if (existsSync(csvFile)) readImageLabelRows(c, csvRows(await readFile(csvFile, 'utf8')));
  const truth = path.join(root, 'ground_truth');
  const classes = existsSync(truth) ? (await readdir(truth, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort() : [];
  if (classes.length === 0 && !existsSync(csvFile)) {
    throw new InputError('labels-format', `${root} holds no ground_truth/<class>/ folders and no ${LABELS_CSV}; is it an MVTec-layout label folder?`);
  }
  for (const cls of classes) {
    for (const file of (await readdir(path.join(truth, cls))).filter((f) => /_mask\.png$/i.test(f)).sort()) {
      const stem = file.replace(/_mask\.png$/i, '');
      const item = `ground_truth/${cls}/${file}`;
      // MVTec pairs ground_truth/<class>/<stem>_mask.png with test/<class>/<stem>.*: look for the folder first
      const inFolder = c.index.find(`${cls}/${stem}`);
      const image = inFolder.kind === 'one' ? c.project.images.get(inFolder.id) : c.match(stem, item);
      if (!image) continue;
      await addMaskFile(c, image.id, cls, path.join(truth, cls, file), item);
    }
  }
}

async function addMaskFile(c: Collector, imageId: number, cls: string, file: string, item: string): Promise<void> {
  if (validClass(c, item, cls) === undefined) return;
  const image = c.project.images.get(imageId)!;
  let decoded;
  try {
    decoded = await decodeMaskFile(file);
  } catch (error) {
    return c.problem(item, `unreadable mask: ${(error as Error).message}`);
  }
  if (decoded.width !== image.width || decoded.height !== image.height) {
    return c.problem(item, `mask is ${decoded.width}×${decoded.height} but its image ${image.originalName} is ${image.width}×${image.height}`);
  }
  const p = pendingMask(c, imageId, cls);
  const k = classIndex(p, cls);
  for (let i = 0; i < decoded.pixels.length; i++) if (decoded.pixels[i]! >= MASK_THRESHOLD) p.mask.pixels[i] = k;
}

// ---- COCO -----------------------------------------------------------------------------------------------------

interface CocoImage {
  id: number;
  file_name: string;
  width?: number;
  height?: number;
  dwb_label?: string;
  dwb_class?: string | null;
}

function readCoco(c: Collector, json: unknown, file: string): void {
  const coco = json as { images?: CocoImage[]; categories?: { id: number; name: string; color?: string }[]; annotations?: unknown[] };
  if (!Array.isArray(coco.images) || !Array.isArray(coco.annotations)) throw new InputError('labels-format', `${file} has no images and annotations lists; is it a COCO file?`);
  const categories = new Map<number, string>();
  for (const cat of coco.categories ?? []) {
    const name = validClass(c, `category ${cat.id}`, cat.name);
    if (name) categories.set(cat.id, name);
    if (name && typeof cat.color === 'string' && /^#[0-9a-f]{6}$/i.test(cat.color)) c.classColors.set(name, cat.color);
  }
  const images = new Map<number, number>();
  for (const entry of coco.images) {
    const item = `image ${entry.id} (${entry.file_name})`;
    const image = c.match(String(entry.file_name), item);
    if (!image) continue;
    if ((entry.width !== undefined && entry.width !== image.width) || (entry.height !== undefined && entry.height !== image.height)) {
      c.problem(item, `COCO says ${entry.width}×${entry.height} but the project's image is ${image.width}×${image.height}`);
      continue;
    }
    images.set(entry.id, image.id);
    const label = entry.dwb_label === undefined ? undefined : parseLabelWord(entry.dwb_label);
    if (label) c.pending.set(image.id, { imageId: image.id, labelState: label, defectClass: label === 'anomalous' ? (validClass(c, item, entry.dwb_class) ?? null) : null });
  }
  coco.annotations.forEach((raw, n) => {
    const a = raw as { id?: number; image_id: number; category_id: number; segmentation?: unknown };
    const item = `annotation ${a.id ?? n + 1}`;
    const imageId = images.get(a.image_id);
    if (imageId === undefined) {
      if (!coco.images!.some((i) => i.id === a.image_id)) c.problem(item, `names image ${a.image_id}, which the file does not list`);
      return;
    }
    const cls = categories.get(a.category_id);
    if (!cls) return c.problem(item, `names category ${a.category_id}, which the file does not list`);
    const image = c.project.images.get(imageId)!;
    const scratch = new Uint8Array(image.width * image.height);
    try {
      const seg = a.segmentation;
      if (Array.isArray(seg)) paintPolygons(seg as number[][], scratch, image.width, image.height, 1);
      else if (seg && typeof seg === 'object' && 'counts' in seg && 'size' in seg) paintCocoRle(seg as CocoRle, scratch, image.width, image.height, 1);
      else return c.problem(item, 'has no polygon or RLE segmentation');
    } catch (error) {
      return c.problem(item, `${(error as Error).message}`);
    }
    const p = pendingMask(c, imageId, cls);
    const k = classIndex(p, cls);
    for (let i = 0; i < scratch.length; i++) if (scratch[i]) p.mask.pixels[i] = k;
  });
}

// ---- image-level labels (CSV, JSON) ----------------------------------------------------------------------------

interface LabelRow {
  item: string;
  file_name?: unknown;
  label?: unknown;
  class?: unknown;
}

function csvRows(text: string): LabelRow[] {
  const [header, ...rows] = parseCsv(text.replace(/^\uFEFF/, ''));
  if (!header) return [];
  const col = (name: string) => header.findIndex((h) => h.trim().toLowerCase() === name);
  const nameCol = [col('file_name'), col('filename'), col('image'), col('name')].find((k) => k >= 0) ?? -1;
  const labelCol = col('label');
  if (nameCol < 0 || labelCol < 0) throw new InputError('labels-format', 'a label CSV needs a header with file_name and label columns (and optionally class)');
  const classCol = col('class');
  return rows.map((r, k) => ({ item: `line ${k + 2}`, file_name: r[nameCol], label: r[labelCol], class: classCol >= 0 ? r[classCol] : undefined }));
}

function jsonRows(json: unknown, file: string): LabelRow[] {
  const list = Array.isArray(json) ? json : (json as { images?: unknown[] })?.images;
  if (!Array.isArray(list)) throw new InputError('labels-format', `${file} holds neither a list of {file_name, label, class} nor an images list`);
  return list.map((r, k) => ({ item: `entry ${k + 1}`, ...(r as object) }));
}

function readImageLabelRows(c: Collector, rows: LabelRow[]): void {
  for (const row of rows) {
    const item = `${row.item} (${String(row.file_name)})`;
    const image = c.match(String(row.file_name ?? ''), item);
    if (!image) continue;
    const label = parseLabelWord(String(row.label ?? ''));
    if (!label) {
      c.problem(item, `label "${String(row.label)}" is not one of normal, anomalous (weak/full), unlabeled`);
      continue;
    }
    const cls = validClass(c, item, row.class);
    if (cls === undefined) continue;
    c.pending.set(image.id, { imageId: image.id, labelState: label, defectClass: label === 'anomalous' ? cls : null });
  }
}
