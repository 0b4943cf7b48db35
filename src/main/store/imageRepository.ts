// Images, their current labels and their label history in the catalog. Every label change writes the image row and
// appends to label_events in one transaction, so the history and the current state never disagree.
import type { Statement } from 'better-sqlite3';
import type {
  ImageFormat,
  ImageRecord,
  LabelEvent,
  LabelSource,
  LabelState,
  Split,
} from '../../shared/domain.js';
import type { ImageFilter, ImageSort, ImageSummary } from '../../shared/api.js';
import { InputError } from '../../shared/errors.js';
import type { Catalog } from './catalog.js';
import { ClassRepository } from './classRepository.js';

/** What an import knows of an image before it is catalogued; width and height after its EXIF orientation. */
export type NewImage = Pick<
  ImageRecord,
  'sha256' | 'originalName' | 'sourcePath' | 'width' | 'height' | 'channels' | 'bitDepth' | 'format' | 'fileSize' | 'split'
> & { orientation: number };

/** An image-level label; a pixel mask travels beside it as a StoredMask. */
export interface Label {
  labelState: LabelState;
  defectClass?: string | null;
}

export interface StoredMask {
  sha256: string;
  width: number;
  height: number;
  area: number;
}

/** An indexed mask (class id per pixel) in the mask store, with the pixel count of each class. */
export interface StoredClassMask {
  sha256: string;
  width: number;
  height: number;
  areas: Record<number, number>;
}

/** What travels with a label besides the binary mask: the indexed mask, and the history entry a restore repeats. */
export interface LabelExtras {
  classMask?: StoredClassMask | undefined;
  restoredFrom?: number | undefined;
}

export type { ImageFilter };

interface ImageRow {
  id: number;
  sha256: string;
  original_name: string;
  source_path: string;
  width: number;
  height: number;
  channels: number;
  bit_depth: number;
  format: ImageFormat;
  file_size: number;
  split: Split;
  label_state: LabelState;
  mask_sha256: string | null;
  defect_class: string | null;
  imported_at: string;
  label_updated_at: string | null;
  class_mask_sha256: string | null;
  label_event_id?: number | null;
}

function toRecord(row: ImageRow): ImageRecord {
  return {
    id: row.id,
    sha256: row.sha256,
    originalName: row.original_name,
    sourcePath: row.source_path,
    width: row.width,
    height: row.height,
    channels: row.channels,
    bitDepth: row.bit_depth,
    format: row.format,
    fileSize: row.file_size,
    split: row.split,
    labelState: row.label_state,
    maskSha256: row.mask_sha256,
    defectClass: row.defect_class,
    importedAt: row.imported_at,
    labelUpdatedAt: row.label_updated_at,
    classMaskSha256: row.class_mask_sha256,
    ...(row.label_event_id !== undefined ? { labelEventId: row.label_event_id } : {}),
  };
}

export class ImageRepository {
  private readonly insertImage: Statement;
  private readonly insertEvent: Statement;
  private readonly insertMask: Statement;
  private readonly updateLabel: Statement;
  private readonly selectById: Statement;
  private readonly selectIdBySha: Statement;
  private readonly insertClassMask: Statement;

  constructor(
    private readonly db: Catalog,
    private readonly classes = new ClassRepository(db),
  ) {
    this.insertImage = db.prepare(`
      INSERT INTO images (sha256, original_name, source_path, width, height, channels, bit_depth, format, file_size,
                          split, label_state, mask_sha256, defect_class, imported_at, label_updated_at, orientation)
      VALUES (@sha256, @originalName, @sourcePath, @width, @height, @channels, @bitDepth, @format, @fileSize,
              @split, @labelState, @maskSha256, @defectClass, @at, @labelUpdatedAt, @orientation)
      ON CONFLICT (sha256) DO NOTHING`);
    this.insertEvent = db.prepare(`
      INSERT INTO label_events (image_id, at, label_state, mask_sha256, defect_class, source, class_mask_sha256, restored_from)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.insertClassMask = db.prepare('INSERT INTO class_masks (sha256, width, height, areas) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
    this.insertMask = db.prepare('INSERT INTO masks (sha256, width, height, area) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
    this.updateLabel = db.prepare(`
      UPDATE images SET label_state = ?, mask_sha256 = ?, defect_class = ?, label_updated_at = ?, class_mask_sha256 = ? WHERE id = ?`);
    this.selectById = db.prepare(
      'SELECT *, (SELECT max(id) FROM label_events e WHERE e.image_id = images.id) AS label_event_id FROM images WHERE id = ?',
    );
    this.selectIdBySha = db.prepare('SELECT id FROM images WHERE sha256 = ?');
  }

  idBySha(sha256: string): number | undefined {
    return (this.selectIdBySha.get(sha256) as { id: number } | undefined)?.id;
  }

  get(id: number): ImageRecord | undefined {
    const row = this.selectById.get(id) as ImageRow | undefined;
    return row && toRecord(row);
  }

  /**
   * Inserts imported images with their initial labels, all or none. An image whose content is already in the
   * project is left exactly as it is (its labels may have been edited since) and counted as a duplicate.
   */
  insertImported(items: readonly { image: NewImage; label: Label; mask?: StoredMask }[], at = new Date().toISOString()) {
    let inserted = 0;
    this.db.transaction(() => {
      for (const { image, label, mask } of items) {
        checkLabel(label, mask);
        if (mask) this.insertMask.run(mask.sha256, mask.width, mask.height, mask.area);
        const maskSha256 = mask?.sha256 ?? null;
        const defectClass = label.defectClass ?? null;
        if (defectClass) this.classes.ensure(defectClass);
        const result = this.insertImage.run({
          ...image,
          labelState: label.labelState,
          maskSha256,
          defectClass,
          at,
          labelUpdatedAt: label.labelState === 'unlabeled' ? null : at,
        });
        if (result.changes === 0) continue;
        inserted++;
        this.insertEvent.run(result.lastInsertRowid, at, label.labelState, maskSha256, defectClass, 'import', null, null);
      }
    }).immediate();
    return { inserted, duplicates: items.length - inserted };
  }

  /** Changes one image's label (and mask) and records the change in its history, in one transaction. */
  setLabel(imageId: number, label: Label, source: LabelSource, mask?: StoredMask, extras: LabelExtras = {}): ImageRecord {
    return this.db.transaction(() => {
      const current = this.get(imageId);
      if (!current) throw new InputError('image-not-found', `there is no image with id ${imageId} in this project`);
      checkLabel(label, mask);
      if (mask && (mask.width !== current.width || mask.height !== current.height)) {
        throw new InputError(
          'mask-size',
          `the mask is ${mask.width}×${mask.height} but image ${imageId} is ${current.width}×${current.height}; draw the mask on the image itself`,
        );
      }
      const { classMask, restoredFrom } = extras;
      if (classMask && !mask) throw new InputError('class-mask-needs-mask', 'an indexed mask needs its binary union beside it');
      if (mask) this.insertMask.run(mask.sha256, mask.width, mask.height, mask.area);
      if (classMask) this.insertClassMask.run(classMask.sha256, classMask.width, classMask.height, JSON.stringify(classMask.areas));
      const at = new Date().toISOString();
      const maskSha256 = mask?.sha256 ?? null;
      const classMaskSha256 = classMask?.sha256 ?? null;
      const defectClass = label.defectClass ?? null;
      if (defectClass) this.classes.ensure(defectClass);
      this.updateLabel.run(label.labelState, maskSha256, defectClass, at, classMaskSha256, imageId);
      this.insertEvent.run(imageId, at, label.labelState, maskSha256, defectClass, source, classMaskSha256, restoredFrom ?? null);
      return this.get(imageId)!;
    }).immediate();
  }

  classMask(sha256: string): StoredClassMask | undefined {
    const row = this.db.prepare('SELECT sha256, width, height, areas FROM class_masks WHERE sha256 = ?').get(sha256) as
      | { sha256: string; width: number; height: number; areas: string }
      | undefined;
    return row && { ...row, areas: JSON.parse(row.areas) as Record<number, number> };
  }

  mask(sha256: string): StoredMask | undefined {
    return this.db.prepare('SELECT sha256, width, height, area FROM masks WHERE sha256 = ?').get(sha256) as StoredMask | undefined;
  }

  /**
   * The grid's view of every image matching the filter, in import order or by name: a few fields each, fast for
   * 100,000 rows. `folder` is the last two folders of the source path ("test/broken_large"), since file names repeat
   * across classes.
   */
  summaries(filter: ImageFilter = {}, sort: ImageSort = 'imported'): ImageSummary[] {
    const { where, params } = whereClause(filter);
    const order = sort === 'name' ? 'original_name COLLATE NOCASE, source_path, id' : 'id';
    const rows = this.db
      .prepare(
        `SELECT id, sha256, mask_sha256 AS maskSha256, original_name AS name, source_path AS sourcePath, split,
                split_pinned AS splitPinned, label_state AS labelState, defect_class AS defectClass,
                mask_sha256 IS NOT NULL AS hasMask, width, height
         FROM images ${where} ORDER BY ${order}`,
      )
      .all(...params) as (Omit<ImageSummary, 'hasMask' | 'splitPinned' | 'folder'> & { hasMask: number; splitPinned: number; sourcePath: string })[];
    return rows.map(({ sourcePath, ...r }) => ({ ...r, folder: folderOf(sourcePath), hasMask: r.hasMask === 1, splitPinned: r.splitPinned === 1 }));
  }

  /** Moves images to a split chosen by a person: pinned, so later imports and validation re-splits leave them. */
  pinSplit(ids: readonly number[], split: Split): number {
    const update = this.db.prepare('UPDATE images SET split = ?, split_pinned = 1 WHERE id = ?');
    let changed = 0;
    this.db.transaction(() => {
      for (const id of ids) changed += update.run(split, id).changes;
    }).immediate();
    return changed;
  }

  defectClasses(): string[] {
    return this.db.prepare('SELECT DISTINCT defect_class FROM images WHERE defect_class IS NOT NULL ORDER BY 1').pluck().all() as string[];
  }

  history(imageId: number): LabelEvent[] {
    const rows = this.db
      .prepare('SELECT * FROM label_events WHERE image_id = ? ORDER BY id')
      .all(imageId) as EventRow[];
    return rows.map(toEvent);
  }

  event(eventId: number): LabelEvent | undefined {
    const row = this.db.prepare('SELECT * FROM label_events WHERE id = ?').get(eventId) as EventRow | undefined;
    return row && toEvent(row);
  }

  list(filter: ImageFilter = {}, page: { offset?: number; limit?: number } = {}): ImageRecord[] {
    const { where, params } = whereClause(filter);
    const rows = this.db
      .prepare(`SELECT * FROM images ${where} ORDER BY id LIMIT ? OFFSET ?`)
      .all(...params, page.limit ?? -1, page.offset ?? 0) as ImageRow[];
    return rows.map(toRecord);
  }

  count(filter: ImageFilter = {}): number {
    const { where, params } = whereClause(filter);
    return (this.db.prepare(`SELECT count(*) AS n FROM images ${where}`).get(...params) as { n: number }).n;
  }

  /** Moves images between splits (used by the validation split); all or none. */
  setSplits(assignments: readonly { id: number; split: Split }[]): void {
    const update = this.db.prepare('UPDATE images SET split = ? WHERE id = ?');
    this.db.transaction(() => {
      for (const { id, split } of assignments) update.run(split, id);
    }).immediate();
  }
}

function folderOf(sourcePath: string): string {
  return sourcePath.split(/[\\/]/).slice(-3, -1).join('/');
}

interface EventRow {
  id: number;
  image_id: number;
  at: string;
  label_state: LabelState;
  mask_sha256: string | null;
  defect_class: string | null;
  source: LabelSource;
  class_mask_sha256: string | null;
  restored_from: number | null;
}

function toEvent(r: EventRow): LabelEvent {
  return {
    id: r.id,
    imageId: r.image_id,
    at: r.at,
    labelState: r.label_state,
    maskSha256: r.mask_sha256,
    defectClass: r.defect_class,
    source: r.source,
    classMaskSha256: r.class_mask_sha256,
    restoredFrom: r.restored_from,
  };
}

function checkLabel(label: Label, mask: StoredMask | undefined): void {
  if (mask && label.labelState !== 'anomalous') {
    throw new InputError('mask-needs-anomalous', 'only an anomalous image can have a defect mask; label it anomalous first');
  }
  if (label.defectClass && label.labelState !== 'anomalous') {
    throw new InputError('class-needs-anomalous', 'only an anomalous image can have a defect class; label it anomalous first');
  }
}

function whereClause(filter: ImageFilter): { where: string; params: unknown[] } {
  const terms: string[] = [];
  const params: unknown[] = [];
  if (filter.split) (terms.push('split = ?'), params.push(filter.split));
  if (filter.labelState) (terms.push('label_state = ?'), params.push(filter.labelState));
  if (filter.defectClass) (terms.push('defect_class = ?'), params.push(filter.defectClass));
  if (filter.search?.trim()) {
    terms.push("original_name LIKE ? ESCAPE '\\'");
    params.push(`%${filter.search.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  }
  return { where: terms.length ? `WHERE ${terms.join(' AND ')}` : '', params };
}
