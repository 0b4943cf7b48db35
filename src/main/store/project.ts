// A project: one folder holding the SQLite catalog and the content-addressed stores of images, masks and
// thumbnails. This is the handle every service (import, labelling, training, the CLI, the app) works through.
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ImageFormat, ImageRecord, LabelSource, ProjectStats } from '../../shared/domain.js';
import { InputError, ProjectError } from '../../shared/errors.js';
import { encodeBinaryMask } from '../images/mask.js';
import { BlobStore } from './blobStore.js';
import { openCatalog, type Catalog } from './catalog.js';
import { ImageRepository, type Label, type StoredMask } from './imageRepository.js';
import { ModelVersions } from './modelVersions.js';
import { projectLayout, type ProjectLayout } from './projectLayout.js';
import { readSettings, writeSettings, type ProjectSettings } from './settings.js';
import { projectStats } from './stats.js';
import { TrainingRuns } from './trainingRuns.js';

export const FILE_EXTENSION: Record<ImageFormat, string> = { png: 'png', jpeg: 'jpg', bmp: 'bmp', tiff: 'tif' };

/** Temporary files older than this in a store's .incoming folder are leftovers of a killed process. */
const STALE_TEMP_MS = 60 * 60 * 1000;

export class Project {
  readonly images: ImageRepository;
  readonly imageFiles: BlobStore;
  readonly maskFiles: BlobStore;
  /** Trained model versions, their files and evaluations. */
  readonly models: ModelVersions;
  readonly runs: TrainingRuns;

  private constructor(
    readonly layout: ProjectLayout,
    readonly db: Catalog,
  ) {
    this.images = new ImageRepository(db);
    this.imageFiles = new BlobStore(layout.images);
    this.maskFiles = new BlobStore(layout.masks);
    this.models = new ModelVersions(db, new BlobStore(layout.models), new BlobStore(layout.maps));
    this.runs = new TrainingRuns(db);
  }

  /** Creates a new project in an empty or missing folder. */
  static async create(root: string, options: { name?: string } = {}): Promise<Project> {
    const layout = projectLayout(root);
    if (existsSync(layout.catalog)) {
      throw new ProjectError('project-exists', `${layout.root} is already a Defect Workbench project; open it instead of creating it again`);
    }
    if (existsSync(layout.root)) {
      const info = await stat(layout.root);
      if (!info.isDirectory()) throw new ProjectError('not-a-folder', `${layout.root} is a file; choose a folder for the project`);
      const entries = (await readdir(layout.root)).filter((e) => !e.startsWith('.'));
      if (entries.length > 0) {
        throw new ProjectError('folder-not-empty', `${layout.root} is not empty; create the project in a new or empty folder`);
      }
    }
    await mkdir(layout.root, { recursive: true });
    await Promise.all([layout.images, layout.masks, layout.thumbnails].map((d) => mkdir(d, { recursive: true })));
    const db = openCatalog(layout.catalog, { create: true });
    writeSettings(db, { name: options.name ?? path.basename(layout.root), createdAt: new Date().toISOString() });
    return new Project(layout, db);
  }

  static async open(root: string): Promise<Project> {
    const layout = projectLayout(root);
    if (!existsSync(layout.catalog)) {
      throw new ProjectError(
        'not-a-project',
        `${layout.root} is not a Defect Workbench project (no ${path.basename(layout.catalog)} in it); create one with "dwb init ${root}"`,
      );
    }
    const db = openCatalog(layout.catalog);
    const project = new Project(layout, db);
    await project.removeStaleTemporaries();
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

  private async removeStaleTemporaries(): Promise<void> {
    for (const store of [this.imageFiles, this.maskFiles, this.models.files, this.models.maps]) {
      const incoming = path.join(store.root, '.incoming');
      const names = await readdir(incoming).catch(() => [] as string[]);
      const now = Date.now();
      for (const name of names) {
        const file = path.join(incoming, name);
        const info = await stat(file).catch(() => null);
        if (info && now - info.mtimeMs > STALE_TEMP_MS) await rm(file, { force: true });
      }
    }
  }
}
