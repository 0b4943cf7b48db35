// Pixel labels of one project: reading an image's indexed mask (deriving it for masks stored before classes per
// pixel), saving an edited one (indexed PNG + binary union + label + history entry, the label row written in one
// transaction after both files are on disk), applying a stroke sent as runs, restoring any earlier version, and
// merging classes. Edits of one project run one at a time, so two strokes never race on the same image.
import { InputError } from '../../shared/errors.js';
import type { ImageRecord, LabelSource } from '../../shared/domain.js';
import { decodeRuns, type MaskRuns } from '../../shared/labels.js';
import { classAreas, decodeMaskFile, encodeClassMask, patchAreas, unionMask, type ClassMaskPixels } from '../images/classMask.js';
import type { Project } from '../store/project.js';

/** The class of legacy masks whose image has no class (a flat import with masks). */
export const DEFAULT_CLASS = 'defect';

export type WhenEmpty = 'weak' | 'normal';

export interface SaveOptions {
  source?: LabelSource;
  /** What the image becomes when the edit leaves no defect pixel; without it such an edit is refused. */
  whenEmpty?: WhenEmpty | undefined;
  /** The mask version the edit was made on (see maskKey); a different stored version refuses the edit. */
  base?: string | null | undefined;
}

/** Names the stored mask version of an image: what an editor must have seen for its edit to apply. */
export function maskKey(image: Pick<ImageRecord, 'classMaskSha256' | 'maskSha256'>): string | null {
  return image.classMaskSha256 ?? image.maskSha256 ?? null;
}

const CACHE_SIZE = 4;
const services = new WeakMap<Project, MaskLabels>();

export function maskLabelsOf(project: Project): MaskLabels {
  let service = services.get(project);
  if (!service) services.set(project, (service = new MaskLabels(project)));
  return service;
}

export class MaskLabels {
  private queue: Promise<unknown> = Promise.resolve();
  /** Recently decoded masks by version key: a stroke on a 4096² image need not decode its PNG again. */
  private readonly cache = new Map<string, ClassMaskPixels>();

  constructor(private readonly project: Project) {}

  /** Runs edits one after another. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  image(imageId: number): ImageRecord {
    const image = this.project.images.get(imageId);
    if (!image) throw new InputError('image-not-found', `there is no image with id ${imageId} in this project`);
    return image;
  }

  /** The indexed mask of an image as stored now (all zero when it has none). */
  async read(imageId: number): Promise<{ image: ImageRecord; mask: ClassMaskPixels; key: string | null }> {
    const image = this.image(imageId);
    const key = maskKey(image);
    if (key === null) return { image, mask: { width: image.width, height: image.height, pixels: new Uint8Array(image.width * image.height) }, key };
    const cached = this.cache.get(key);
    if (cached) return { image, mask: { ...cached, pixels: cached.pixels.slice() }, key };
    const mask = await this.decode(image);
    this.remember(key, mask);
    return { image, mask: { ...mask, pixels: mask.pixels.slice() }, key };
  }

  private async decode(image: ImageRecord): Promise<ClassMaskPixels> {
    if (image.classMaskSha256) return decodeMaskFile(this.project.classMaskPath(image.classMaskSha256));
    // a binary mask from before classes per pixel: every defect pixel belongs to the image's class
    const binary = await decodeMaskFile(this.project.maskPath(image)!);
    const id = this.project.classes.ensure(image.defectClass ?? DEFAULT_CLASS);
    const pixels = binary.pixels;
    for (let i = 0; i < pixels.length; i++) pixels[i] = pixels[i]! >= 128 ? id : 0;
    return binary;
  }

  private remember(key: string, mask: ClassMaskPixels): void {
    this.cache.delete(key);
    this.cache.set(key, mask);
    while (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
  }

  /** Stores a whole indexed mask as the image's new label. */
  save(imageId: number, mask: ClassMaskPixels, options: SaveOptions = {}): Promise<ImageRecord> {
    return this.serial(async () => {
      const image = this.image(imageId);
      this.checkBase(image, options.base);
      return this.store(image, mask, options);
    });
  }

  /** Applies an edited rectangle (one stroke) to the stored mask and stores the result. */
  applyRuns(imageId: number, patch: MaskRuns, options: SaveOptions = {}): Promise<ImageRecord> {
    return this.serial(async () => {
      const image = this.image(imageId);
      this.checkBase(image, options.base);
      if (patch.x + patch.width > image.width || patch.y + patch.height > image.height) {
        throw new InputError(
          'mask-size',
          `the edited rectangle ${patch.width}×${patch.height} at (${patch.x}, ${patch.y}) leaves image ${imageId} (${image.width}×${image.height})`,
        );
      }
      let values: Uint8Array;
      try {
        values = decodeRuns(patch.runs, patch.width * patch.height);
      } catch (error) {
        throw new InputError('mask-runs', `the edit of image ${imageId} is not a valid mask: ${(error as Error).message}`);
      }
      this.checkClasses(values);
      const { mask } = await this.read(imageId);
      const before = new Uint8Array(patch.width * patch.height);
      for (let row = 0; row < patch.height; row++) {
        const at = (patch.y + row) * image.width + patch.x;
        before.set(mask.pixels.subarray(at, at + patch.width), row * patch.width);
        mask.pixels.set(values.subarray(row * patch.width, (row + 1) * patch.width), at);
      }
      // the stored areas change only inside the patch: no pass over the whole image on the stroke's path
      const stored = image.classMaskSha256 ? this.project.images.classMask(image.classMaskSha256) : undefined;
      return this.store(image, mask, options, stored ? patchAreas(stored.areas, before, values) : undefined);
    });
  }

  /** Makes an earlier entry of the image's label history current again; the restore is itself a new entry. */
  restore(imageId: number, eventId: number, source: LabelSource = 'user'): Promise<ImageRecord> {
    return this.serial(async () => {
      const images = this.project.images;
      const event = images.event(eventId);
      if (!event || event.imageId !== imageId) {
        throw new InputError('event-not-found', `image ${imageId} has no label history entry ${eventId}; list its history to see what can be restored`);
      }
      const mask = event.maskSha256 ? images.mask(event.maskSha256) : undefined;
      const classMask = event.classMaskSha256 ? images.classMask(event.classMaskSha256) : undefined;
      return images.setLabel(imageId, { labelState: event.labelState, defectClass: event.defectClass }, source, mask, { classMask, restoredFrom: eventId });
    });
  }

  /** Moves every pixel and image-level label of class `from` to class `into`, then removes `from`. */
  mergeClasses(from: number, into: number): Promise<{ images: number }> {
    return this.serial(async () => {
      const classes = this.project.classes;
      const source = classes.require(from);
      const target = classes.require(into);
      if (from === into) throw new InputError('merge-same', 'a class cannot be merged into itself');
      let changed = 0;
      for (const image of this.project.images.list()) {
        const holdsPixels = image.classMaskSha256
          ? this.project.images.classMask(image.classMaskSha256)!.areas[from] !== undefined
          : image.maskSha256 !== null && (image.defectClass ?? DEFAULT_CLASS) === source.name;
        if (holdsPixels) {
          const { mask } = await this.read(image.id);
          for (let i = 0; i < mask.pixels.length; i++) if (mask.pixels[i] === from) mask.pixels[i] = into;
          await this.store(image, mask, { source: 'user' });
          changed++;
        } else if (image.defectClass === source.name) {
          this.project.images.setLabel(image.id, { labelState: image.labelState, defectClass: target.name }, 'user', undefined);
          changed++;
        }
      }
      classes.remove(from);
      return { images: changed };
    });
  }

  private checkBase(image: ImageRecord, base: string | null | undefined): void {
    if (base === undefined || base === maskKey(image)) return;
    throw new InputError(
      'mask-changed',
      `the mask of image ${image.id} changed since it was opened (another window or an import); reopen the image and redo the last stroke`,
    );
  }

  private checkClasses(values: Uint8Array): void {
    const present = Object.keys(classAreas(values)).map(Number);
    for (const id of present) this.project.classes.require(id);
  }

  private async store(image: ImageRecord, mask: ClassMaskPixels, options: SaveOptions, knownAreas?: Record<number, number>): Promise<ImageRecord> {
    if (mask.width !== image.width || mask.height !== image.height || mask.pixels.length !== image.width * image.height) {
      throw new InputError('mask-size', `the mask is ${mask.width}×${mask.height} but image ${image.id} is ${image.width}×${image.height}`);
    }
    const source = options.source ?? 'user';
    const areas = knownAreas ?? classAreas(mask.pixels);
    const ids = Object.keys(areas).map(Number);
    if (ids.length === 0) {
      if (!options.whenEmpty) {
        throw new InputError(
          'mask-empty',
          `this edit leaves image ${image.id} without defect pixels; say whether it becomes weak (anomalous, no mask) or normal`,
        );
      }
      const label = options.whenEmpty === 'normal' ? { labelState: 'normal' as const } : { labelState: 'anomalous' as const, defectClass: image.defectClass };
      return this.project.images.setLabel(image.id, label, source);
    }
    for (const id of ids) this.project.classes.require(id);
    // the image-level class is the one with most pixels
    const main = ids.reduce((a, b) => (areas[b]! > areas[a]! ? b : a));
    const total = ids.reduce((sum, id) => sum + areas[id]!, 0);
    // both encodings at once: sharp runs them on its own threads
    const [encoded, union] = await Promise.all([encodeClassMask(mask, areas), unionMask(mask, total)]);
    const [binary, blob] = await Promise.all([this.project.storeMask(union), this.project.maskFiles.putBuffer(encoded.png, 'png')]);
    const record = this.project.images.setLabel(
      image.id,
      { labelState: 'anomalous', defectClass: this.project.classes.require(main).name },
      source,
      binary,
      { classMask: { sha256: blob.sha256, width: mask.width, height: mask.height, areas: encoded.areas } },
    );
    this.remember(blob.sha256, { ...mask, pixels: mask.pixels.slice() });
    return record;
  }
}
