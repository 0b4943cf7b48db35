// A project: one folder holding the SQLite catalog and the content-addressed stores of images, masks and
// thumbnails. This is the handle every service (import, labelling, training, the CLI, the app) works through.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { link, readdir, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ImageFormat, ImageRecord, LabelSource, ProjectStats } from '../../shared/domain.js';
import { explained, faultCode, InputError, ProjectError, WorkbenchError } from '../../shared/errors.js';
import { makeFolders, removeFolders } from '../util/folders.js';
import { encodeBinaryMask } from '../images/mask.js';
import { BlobStore } from './blobStore.js';
import { openCatalog, type Catalog } from './catalog.js';
import { ClassRepository } from './classRepository.js';
import { importMayBeRunning, interruptedRuns, markInterrupted, orphanBlobs, partialFiles } from './leftovers.js';
import { ImageRepository, type Label, type StoredMask } from './imageRepository.js';
import { ModelVersions } from './modelVersions.js';
import { settleOrientations } from './orientation.js';
import { CATALOG_FILE, projectLayout, type ProjectLayout } from './projectLayout.js';
import { readSettings, writeSettings, type ProjectSettings } from './settings.js';
import { projectStats } from './stats.js';
import { TrainingRuns } from './trainingRuns.js';

export const FILE_EXTENSION: Record<ImageFormat, string> = { png: 'png', jpeg: 'jpg', bmp: 'bmp', tiff: 'tif' };
const STORE_FOLDERS = new Set(['images', 'masks', 'thumbnails']);

/** A project's name as given, trimmed; the folder's name when none is given. */
function projectName(given: string | undefined, root: string): string {
  if (given === undefined) return path.basename(root) || 'Untitled project';
  const name = given.trim();
  if (!name) throw new InputError('project-name-empty', 'the project name is empty; give a name (--name "Bottle caps line 3") or leave the name out to use the folder\'s name');
  if (name.length > 200) throw new InputError('project-name-long', `the project name is ${name.length} characters long; use at most 200`);
  return name;
}

export class Project {
  readonly images: ImageRepository;
  readonly classes: ClassRepository;
  readonly imageFiles: BlobStore;
  readonly maskFiles: BlobStore;
  /** Trained model versions, their files and evaluations. */
  readonly models: ModelVersions;
  /** What opening the project changed that its user should hear of (an older project fitted to this version). */
  readonly notices: string[] = [];
  readonly runs: TrainingRuns;

  private constructor(
    readonly layout: ProjectLayout,
    readonly db: Catalog,
  ) {
    this.classes = new ClassRepository(db);
    this.images = new ImageRepository(db, this.classes);
    this.imageFiles = new BlobStore(layout.images);
    this.maskFiles = new BlobStore(layout.masks);
    this.models = new ModelVersions(db, new BlobStore(layout.models), new BlobStore(layout.maps));
    this.runs = new TrainingRuns(db);
  }

  /**
   * Creates a new project in an empty or missing folder, all or nothing: the catalog is built under a temporary
   * name and linked into place last, so a failure (a full disk, a refused folder) leaves no half-made project that
   * would block a retry, and removes the folders it made.
   */
  static async create(root: string, options: { name?: string } = {}): Promise<Project> {
    const layout = projectLayout(root);
    const name = projectName(options.name, layout.root);
    const existing = await stat(layout.root).catch((error: unknown) => {
      if (faultCode(error) === 'ENOENT') return null;
      throw explained(error, { path: layout.root });
    });
    if (existing) {
      if (!existing.isDirectory()) throw new ProjectError('not-a-folder', `${layout.root} is a file; choose a folder for the project`);
      if (existsSync(layout.catalog)) {
        throw new ProjectError('project-exists', `${layout.root} is already a Defect Workbench project; open it instead of creating it again`);
      }
      const entries = await readdir(layout.root).catch((error: unknown) => Promise.reject(explained(error, { path: layout.root })));
      // what a creation killed part-way leaves (its temporary catalog, empty store folders) does not block a retry
      for (const e of entries) if (e.startsWith(`.${CATALOG_FILE}.creating-`)) await rm(path.join(layout.root, e), { force: true });
      const leftBehind = async (e: string) =>
        e.startsWith('.') || (STORE_FOLDERS.has(e) && (await readdir(path.join(layout.root, e)).catch(() => ['?'])).length === 0);
      const remaining = [];
      for (const e of entries) if (!(await leftBehind(e))) remaining.push(e);
      if (remaining.length > 0) {
        throw new ProjectError('folder-not-empty', `${layout.root} is not empty; create the project in a new or empty folder`);
      }
    }
    const created = await makeFolders(layout.root);
    const temp = path.join(layout.root, `.${CATALOG_FILE}.creating-${randomBytes(4).toString('hex')}`);
    try {
      for (const folder of [layout.images, layout.masks, layout.thumbnails]) created.push(...(await makeFolders(folder)));
      const db = openCatalog(temp, { create: true });
      try {
        writeSettings(db, { name, createdAt: new Date().toISOString() });
        // the file alone must be the whole catalog before it is linked into place: a checkpoint that cannot write
        // (a full disk) throws here instead of being swallowed by close() and leaving the schema in the log
        const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
        if (result && (result.busy !== 0 || result.checkpointed !== result.log)) throw Object.assign(new Error('the new catalog could not be written out'), { code: 'EIO' });
      } finally {
        db.close();
      }
      const log = await stat(`${temp}-wal`).catch(() => null);
      if (log && log.size > 0) throw Object.assign(new Error('the new catalog could not be written out'), { code: 'EIO' });
      // a hard link never replaces an existing file: two creations racing for one folder cannot both win
      await link(temp, layout.catalog);
      await rm(temp, { force: true });
    } catch (error) {
      await Promise.all(['', '-wal', '-shm', '-journal'].map((suffix) => rm(`${temp}${suffix}`, { force: true })));
      await removeFolders(created);
      if (error instanceof WorkbenchError) throw error;
      throw explained(error, { path: layout.root, retry: 'create the project again', kept: 'nothing was left behind' });
    }
    try {
      return await Project.open(layout.root);
    } catch (error) {
      // the catalog was linked but cannot be opened (the disk filled up meanwhile): take the whole creation back
      await Promise.all(['', '-wal', '-shm', '-checked'].map((suffix) => rm(`${layout.catalog}${suffix}`, { force: true })));
      await removeFolders(created);
      if (error instanceof WorkbenchError) throw error;
      throw explained(error, { path: layout.root, retry: 'create the project again', kept: 'nothing was left behind' });
    }
  }

  /** Removes a project this process just created (a demo whose import failed), leaving what was there before. */
  static async discardNew(project: Project, rootExisted: boolean): Promise<void> {
    project.close();
    const { layout } = project;
    await Promise.all(['', '-wal', '-shm', '-checked'].map((suffix) => rm(`${layout.catalog}${suffix}`, { force: true })));
    await Promise.all([layout.images, layout.masks, layout.thumbnails].map((d) => rm(d, { recursive: true, force: true })));
    if (!rootExisted) await rmdir(layout.root).catch(() => undefined);
  }

  static async open(root: string): Promise<Project> {
    const layout = projectLayout(root);
    const folder = await stat(layout.root).catch(() => null);
    if (!folder) throw new ProjectError('project-missing', `${layout.root} does not exist; check the path, or create a project there`);
    if (!folder.isDirectory()) throw new ProjectError('not-a-folder', `${layout.root} is a file; a project is a folder with a ${path.basename(layout.catalog)} in it`);
    if (!existsSync(layout.catalog)) {
      throw new ProjectError(
        'not-a-project',
        `${layout.root} is not a Defect Workbench project (no ${path.basename(layout.catalog)} in it); create one with "dwb init ${root}"`,
      );
    }
    const db = openCatalog(layout.catalog);
    const project = new Project(layout, db);
    await project.cleanLeftovers();
    const turned = await settleOrientations(project);
    if (turned > 0) {
      project.notices.push(
        `${turned} photo${turned === 1 ? ' was' : 's were'} turned as ${turned === 1 ? 'its' : 'their'} EXIF orientation says, as the studio showed ${turned === 1 ? 'it' : 'them'}: size, thumbnail and any mask now fit the turned picture (each one's label history has the change)`,
      );
    }
    return project;
  }

  get settings(): ProjectSettings {
    return readSettings(this.db);
  }

  updateSettings(patch: Partial<ProjectSettings>): ProjectSettings {
    return writeSettings(this.db, patch);
  }

  stats(): ProjectStats {
    return projectStats(this.db);
  }

  imagePath(image: Pick<ImageRecord, 'sha256' | 'format'>): string {
    return this.imageFiles.pathFor(image.sha256, FILE_EXTENSION[image.format]);
  }

  thumbnailPath(image: Pick<ImageRecord, 'sha256'>): string {
    return path.join(this.layout.thumbnails, image.sha256.slice(0, 2), `${image.sha256}.jpg`);
  }

  maskPath(image: Pick<ImageRecord, 'maskSha256'>): string | null {
    return image.maskSha256 ? this.maskFiles.pathFor(image.maskSha256, 'png') : null;
  }

  /** The indexed mask (class id per pixel) of one stored version; the same store as the binary masks. */
  classMaskPath(sha256: string): string {
    return this.maskFiles.pathFor(sha256, 'png');
  }

  /** Stores a binary mask image (0/255 PNG) and returns its catalog entry; the file lands before any row names it. */
  async storeMask(mask: { width: number; height: number; area: number; png: Buffer }): Promise<StoredMask> {
    const blob = await this.maskFiles.putBuffer(mask.png, 'png');
    return { sha256: blob.sha256, width: mask.width, height: mask.height, area: mask.area };
  }

  /**
   * Labels one image. A mask, given as one byte a pixel (non-zero = defect), is stored first; then the label, the
   * mask reference and a history entry are written in one transaction.
   */
  async label(imageId: number, label: Label, options: { mask?: Uint8Array; source?: LabelSource } = {}): Promise<ImageRecord> {
    let stored: StoredMask | undefined;
    if (options.mask) {
      const image = this.images.get(imageId);
      if (!image) throw new InputError('image-not-found', `there is no image with id ${imageId} in this project`);
      if (options.mask.length !== image.width * image.height) {
        throw new InputError(
          'mask-size',
          `the mask holds ${options.mask.length} pixels but image ${imageId} is ${image.width}×${image.height}; draw the mask on the image itself`,
        );
      }
      const binary = Buffer.from(options.mask.map((v) => (v ? 255 : 0)));
      stored = await this.storeMask(await encodeBinaryMask(binary, image.width, image.height));
    }
    return this.images.setLabel(imageId, label, options.source ?? 'user', stored);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /**
   * Clears what killed processes left: import runs still marked running (marked interrupted), partial files of
   * dead writers, and, while no import can be running, blobs no row names. Never fails the open: a leftover that
   * cannot be removed now is listed by `dwb check`.
   */
  private async cleanLeftovers(): Promise<void> {
    try {
      const runs = interruptedRuns(this.db);
      if (runs.length) markInterrupted(this.db, runs);
      const removable = await partialFiles(this.layout);
      if (!importMayBeRunning(this.db)) removable.push(...(await orphanBlobs(this.layout, this.db)));
      for (const leftover of removable) await rm(leftover.path, { force: true });
    } catch {
      // a read-only or failing disk: the open goes on, and the damage is reported by whatever write meets it
    }
  }
}
