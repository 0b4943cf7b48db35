// Turns a folder on disk into a list of things to import, according to its layout:
//   mvtec    train/<class>/, validation/<class>/, test/<class>/, ground_truth/<class>/<stem>_mask.png
//   folders  <root>/good/… (normal), <root>/<defect>/… (anomalous, class = folder name), images at the root unlabeled
//   flat     every image below the root, unlabeled
// Nothing is read but directory listings; file contents are checked by the importer.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ImportLayout, LabelState, SkippedFile, Split } from '../../shared/domain.js';
import { explained, faultCode, InputError } from '../../shared/errors.js';

export interface ImportItem {
  path: string;
  originalName: string;
  /** 'train' items form the pool the validation split is drawn from. */
  split: Split;
  labelState: LabelState;
  defectClass: string | null;
  maskPath: string | null;
}

export interface ImportPlan {
  source: string;
  layout: ImportLayout;
  items: ImportItem[];
  /** Files that will not be imported, with the reason (unsupported format...). */
  skipped: SkippedFile[];
  /** Things worth telling that do not stop an item (an anomalous image without its mask...). */
  warnings: SkippedFile[];
  /** Files that are not images (notes, spreadsheets…); reported, never imported. */
  ignored: SkippedFile[];
}

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff']);
/** Image formats people may drop in by mistake; reported instead of silently ignored. */
const UNSUPPORTED_IMAGE_EXTENSIONS = new Set(['.gif', '.webp', '.heic', '.heif', '.avif', '.jp2', '.pgm', '.ppm', '.pbm', '.raw', '.dng', '.exr']);
const NORMAL_FOLDERS = new Set(['good', 'ok', 'normal']);

export async function planImport(source: string, layout?: ImportLayout): Promise<ImportPlan> {
  const root = path.resolve(source);
  const info = await stat(root).catch((error: unknown) => {
    if (faultCode(error) === 'ENOENT') return null;
    throw explained(error, { path: root });
  });
  if (!info) throw new InputError('source-missing', `${root} does not exist; give the folder that holds the images`);
  if (!info.isDirectory()) throw new InputError('source-not-folder', `${root} is a file; give the folder that holds the images`);
  const plan: ImportPlan = { source: root, layout: layout ?? 'flat', items: [], skipped: [], warnings: [], ignored: [] };
  try {
    plan.layout = layout ?? (await detectLayout(root));
    if (plan.layout === 'mvtec') await planMvtec(root, plan);
    else if (plan.layout === 'folders') await planFolders(root, plan);
    else await planFlat(root, plan);
  } catch (error) {
    // a folder that cannot be listed (permissions, /proc...) is named in the message, with what to do
    throw explained(error, { retry: 'import again' });
  }
  plan.items.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return plan;
}

export async function detectLayout(root: string): Promise<ImportLayout> {
  const dirs = new Set(await subfolders(root));
  if (dirs.has('train') && (dirs.has('test') || dirs.has('ground_truth'))) return 'mvtec';
  if (dirs.size > 0) {
    const rootImages = (await readdir(root, { withFileTypes: true })).filter((e) => e.isFile() && isImageName(e.name));
    if (rootImages.length === 0) return 'folders';
  }
  return 'flat';
}

async function planMvtec(root: string, plan: ImportPlan): Promise<void> {
  const top = new Set(await subfolders(root));
  if (!top.has('train')) {
    throw new InputError('not-mvtec', `${root} has no train/ folder, so it is not in MVTec AD layout; choose --layout folders or flat`);
  }
  const splitFolders: [string, Split][] = [
    ['train', 'train'],
    ['validation', 'val'],
    ['test', 'test'],
  ];
  for (const [folder, split] of splitFolders) {
    if (!top.has(folder)) continue;
    for (const cls of await subfolders(path.join(root, folder))) {
      const normal = NORMAL_FOLDERS.has(cls.toLowerCase());
      const files = await listImages(path.join(root, folder, cls), plan, false);
      for (const file of files) {
        let maskPath: string | null = null;
        if (!normal) {
          const stem = path.basename(file, path.extname(file));
          const candidate = path.join(root, 'ground_truth', cls, `${stem}_mask.png`);
          if (await isFile(candidate)) maskPath = candidate;
          else plan.warnings.push({ path: file, reason: `no mask at ${path.relative(root, candidate)}; imported with an image-level label only` });
        }
        plan.items.push({
          path: file,
          originalName: path.basename(file),
          split,
          labelState: normal ? 'normal' : 'anomalous',
          defectClass: normal ? null : cls,
          maskPath,
        });
      }
    }
  }
}

async function planFolders(root: string, plan: ImportPlan): Promise<void> {
  for (const file of await listImages(root, plan, false)) {
    plan.items.push({ path: file, originalName: path.basename(file), split: 'train', labelState: 'unlabeled', defectClass: null, maskPath: null });
  }
  for (const cls of await subfolders(root)) {
    const normal = NORMAL_FOLDERS.has(cls.toLowerCase());
    for (const file of await listImages(path.join(root, cls), plan, true)) {
      plan.items.push({
        path: file,
        originalName: path.basename(file),
        split: 'train',
        labelState: normal ? 'normal' : 'anomalous',
        defectClass: normal ? null : cls,
        maskPath: null,
      });
    }
  }
}

async function planFlat(root: string, plan: ImportPlan): Promise<void> {
  for (const file of await listImages(root, plan, true)) {
    plan.items.push({ path: file, originalName: path.basename(file), split: 'train', labelState: 'unlabeled', defectClass: null, maskPath: null });
  }
}

/** A mask file as MVTec AD and the workbench's label export lay them out: ground_truth/…/<stem>_mask.png. */
function isDefectMask(file: string): boolean {
  return /_mask\.png$/i.test(file) && file.split(path.sep).slice(0, -1).some((dir) => dir.toLowerCase() === 'ground_truth');
}

function isImageName(name: string): boolean {
  return IMAGE_EXTENSIONS.has(path.extname(name).toLowerCase());
}

async function subfolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then((s) => s.isFile(), () => false);
}

/** Image files in a folder (and below it when recursive), reporting image files of formats we do not read. */
async function listImages(dir: string, plan: ImportPlan, recursive: boolean): Promise<string[]> {
  const found: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true, recursive });
  for (const entry of entries) {
    if (entry.isSymbolicLink() && !entry.name.startsWith('.')) {
      // links are never followed, so an import reads nothing outside the folder it was given
      plan.skipped.push({
        path: path.join(entry.parentPath, entry.name),
        reason: 'a symbolic link: links are not followed, so nothing outside the imported folder is read; copy the file itself into the folder to import it',
      });
      continue;
    }
    if (!entry.isFile() || entry.name.startsWith('.')) continue;
    const file = path.join(entry.parentPath, entry.name);
    const ext = path.extname(entry.name).toLowerCase();
    if (isDefectMask(file)) {
      // a label export's (or an MVTec dataset's) masks, which would otherwise come in as anomalous parts of a class
      // "ground_truth" and train the model on pictures of masks
      plan.skipped.push({ path: file, reason: 'a defect mask (<name>_mask.png under ground_truth/), not a picture of a part: import masks with Labels In/Out (dwb import-labels), or the whole dataset in MVTec layout' });
    } else if (IMAGE_EXTENSIONS.has(ext)) found.push(file);
    else if (UNSUPPORTED_IMAGE_EXTENSIONS.has(ext)) {
      plan.skipped.push({ path: file, reason: `unsupported format (${ext.slice(1)}); convert it to PNG, JPEG, BMP or TIFF` });
    } else {
      plan.ignored.push({ path: file, reason: `not an image file${ext ? ` (${ext})` : ''}` });
    }
  }
  return found;
}
