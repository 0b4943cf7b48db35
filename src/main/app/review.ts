// The human in the loop: a ranked queue of the images a version scored, one-key review actions stored with source
// `review` in the label history (and undone by removing that entry), and a version's analysis for the evaluation
// view — the pixel threshold fitted on validation and the defect regions missed at it. Reads stored maps only; no
// model runs here, so the main thread stays light.
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { ApiResults } from '../../shared/api.js';
import type { ImageRecord, LabelState, Split } from '../../shared/domain.js';
import { InputError } from '../../shared/errors.js';
import type { EvaluatedImage, EvaluationSummary } from '../../shared/models.js';
import { DEFAULT_REVIEW_ORDER, HEATMAP_THRESHOLD_AT, proposalThreshold, type MissedRegion, type PixelThresholdInfo, type ReviewAction, type ReviewItem, type ReviewOrder, type VersionAnalysis } from '../../shared/review.js';
import { encodeBinaryMask } from '../images/mask.js';
import { maskAtSize } from '../images/anomalyMap.js';
import { derivePixelThreshold, PixelMetricsAccumulator } from '../metrics/index.js';
import { maskLabelsOf } from '../labels/maskLabels.js';
import { imageThreshold } from '../ml/jobs/threshold.js';
import type { Project } from '../store/project.js';
import type { Handlers } from './dispatch.js';

type ReviewChannel = 'review.queue' | 'review.act' | 'review.undo' | 'models.analysis';

/** Missed: less than half of a region's pixels reach the pixel threshold. */
const MISSED_OVERLAP = 0.5;
const SPLITS: readonly Split[] = ['test', 'val', 'train'];

interface ReviewEventRow {
  id: number;
  at: string;
  label_state: LabelState;
  mask_sha256: string | null;
  defect_class: string | null;
  source: string;
  restored_from: number | null;
}

export class ReviewService {
  private readonly thresholds = new Map<number, PixelThresholdInfo>();
  private readonly areas = new Map<string, number>();

  constructor(
    private readonly current: () => Project,
    private readonly changed: (project: Project) => void,
  ) {}

  readonly handlers: Pick<Handlers, ReviewChannel> = {
    'review.queue': async ({ version, order }) => this.queue(version, order ?? DEFAULT_REVIEW_ORDER),
    'review.act': async ({ version, imageId, action }) => this.act(version, imageId, action),
    'review.undo': async ({ imageId }) => this.undo(imageId),
    'models.analysis': async ({ version, split }) => this.analysis(version, split ?? 'test'),
  };

  /** The latest evaluation of the version on each split, newest split first where an image was scored twice. */
  private scored(project: Project, versionId: number): { evaluation: EvaluationSummary; image: EvaluatedImage }[] {
    const seen = new Set<number>();
    const out: { evaluation: EvaluationSummary; image: EvaluatedImage }[] = [];
    for (const split of SPLITS) {
      const evaluation = project.models.evaluation(versionId, split);
      if (!evaluation) continue;
      for (const image of evaluation.perImage) {
        if (seen.has(image.imageId)) continue;
        seen.add(image.imageId);
        out.push({ evaluation, image });
      }
    }
    return out;
  }

  private async queue(versionId: number, order: ReviewOrder): Promise<ApiResults['review.queue']> {
    const project = this.current();
    project.models.require(versionId);
    const threshold = imageThreshold(project, versionId).value;
    const pixel = await this.pixelThreshold(project, versionId);
    const { value: pixelThreshold, colourRange } = pixel;
    const lastReview = project.db.prepare(
      `SELECT at, label_state, mask_sha256, restored_from FROM label_events WHERE image_id = ? AND source = 'review' ORDER BY id DESC LIMIT 1`,
    );
    const items: ReviewItem[] = [];
    for (const { evaluation, image } of this.scored(project, versionId)) {
      const record = project.images.get(image.imageId);
      if (!record) continue;
      const review = lastReview.get(image.imageId) as { at: string; label_state: LabelState; mask_sha256: string | null; restored_from: number | null } | undefined;
      // an undone action (a restore by review) leaves the image unreviewed
      const reviewed = review !== undefined && review.restored_from === null && review.at >= evaluation.createdAt;
      const maskThreshold = proposalThreshold(pixel, image.mapMax);
      items.push({
        imageId: image.imageId,
        sha256: record.sha256,
        name: record.originalName,
        split: record.split,
        width: record.width,
        height: record.height,
        score: image.score,
        predicted: image.score >= threshold ? 'anomalous' : 'normal',
        labelState: record.labelState,
        defectClass: record.defectClass,
        hasMask: record.maskSha256 !== null,
        evaluationId: evaluation.id,
        reviewed,
        lastAction: reviewed ? actionOf(review, record) : null,
        maskThreshold,
        predictedArea: await this.predictedArea(project, image, maskThreshold),
      });
    }
    // most anomalous first, or nearest the decision threshold first (where a human answer teaches the most)
    items.sort(order === 'anomalous' ? (a, b) => b.score - a.score : (a, b) => Math.abs(a.score - threshold) - Math.abs(b.score - threshold));
    return { versionId, order, imageThreshold: threshold, pixelThreshold, colourRange, items, reviewed: items.filter((i) => i.reviewed).length };
  }

  private async act(versionId: number, imageId: number, action: ReviewAction): Promise<ImageRecord> {
    const project = this.current();
    project.models.require(versionId);
    const image = project.images.get(imageId);
    if (!image) throw new InputError('image-not-found', `there is no image with id ${imageId} in this project`);
    let record: ImageRecord;
    if (action === 'normal') record = project.images.setLabel(imageId, { labelState: 'normal' }, 'review');
    else if (action === 'anomalous') {
      // confirming anomalous never drops a mask the image already has (that takes an explicit edit)
      const kept = image.maskSha256 ? project.images.mask(image.maskSha256) : undefined;
      record = project.images.setLabel(imageId, { labelState: 'anomalous', defectClass: image.defectClass }, 'review', kept);
    } else if (action === 'reject') {
      // the prediction was wrong: the label stays, the look is recorded (and the image leaves the queue)
      const kept = image.maskSha256 ? project.images.mask(image.maskSha256) : undefined;
      record = project.images.setLabel(imageId, { labelState: image.labelState, defectClass: image.defectClass }, 'review', kept);
    } else {
      const mask = await this.predictedMask(project, versionId, image);
      record = project.images.setLabel(imageId, { labelState: 'anomalous', defectClass: image.defectClass }, 'review', await project.storeMask(mask));
    }
    this.changed(project);
    return record;
  }

  /** The stored anomaly map of the image, resized to the image (bilinear) and cut where its proposed mask is. */
  private async predictedMask(project: Project, versionId: number, image: ImageRecord) {
    const found = this.scored(project, versionId).find((s) => s.image.imageId === image.id);
    if (!found) throw new InputError('not-scored', `version ${versionId} has not scored image ${image.id}; evaluate its split first`);
    const { mapMin, mapMax, mapSha256 } = found.image;
    const threshold = proposalThreshold(await this.pixelThreshold(project, versionId), mapMax);
    const levels = await sharp(await readFile(project.models.mapPath(mapSha256)))
      .extractChannel(0)
      .resize(image.width, image.height, { fit: 'fill', kernel: 'linear' })
      .raw()
      .toBuffer();
    const span = mapMax - mapMin;
    const binary = new Uint8Array(levels.length);
    let area = 0;
    for (let i = 0; i < levels.length; i++) {
      if (mapMin + (levels[i]! / 255) * span >= threshold) {
        binary[i] = 255;
        area++;
      }
    }
    if (area === 0) {
      throw new InputError('empty-prediction', `the model marks no pixel of ${image.originalName} at ${threshold.toFixed(3)}; confirm it anomalous (weak) or draw its mask`);
    }
    return encodeBinaryMask(binary, image.width, image.height);
  }

  /**
   * Takes back the image's last review action. Nothing is erased from the label history: the label from before the
   * action is restored as a new entry (source `review`, naming the entry it restores), as the studio's restore does.
   */
  private async undo(imageId: number): Promise<ImageRecord> {
    const project = this.current();
    const events = project.db.prepare('SELECT * FROM label_events WHERE image_id = ? ORDER BY id DESC LIMIT 2').all(imageId) as ReviewEventRow[];
    const [last, before] = events;
    if (!last || last.source !== 'review' || last.restored_from !== null) {
      throw new InputError('nothing-to-undo', `image ${imageId} has no review action to undo`);
    }
    const record = before
      ? await maskLabelsOf(project).restore(imageId, before.id, 'review')
      : project.images.setLabel(imageId, { labelState: 'unlabeled', defectClass: null }, 'review');
    this.changed(project);
    return record;
  }

  private async decodedMap(project: Project, image: EvaluatedImage): Promise<Float32Array> {
    const levels = await sharp(await readFile(project.models.mapPath(image.mapSha256))).extractChannel(0).raw().toBuffer();
    const span = image.mapMax - image.mapMin;
    const map = new Float32Array(levels.length);
    for (let i = 0; i < levels.length; i++) map[i] = image.mapMin + (levels[i]! / 255) * span;
    return map;
  }

  /** Share of the map at or above the image's mask threshold (what "accept the predicted mask" would mark). */
  private async predictedArea(project: Project, image: EvaluatedImage, threshold: number): Promise<number> {
    const key = `${image.mapSha256}:${image.mapMin}:${image.mapMax}:${threshold}`;
    let area = this.areas.get(key);
    if (area === undefined) {
      const map = await this.decodedMap(project, image);
      let marked = 0;
      for (let i = 0; i < map.length; i++) if (map[i]! >= threshold) marked++;
      area = marked / map.length;
      this.areas.set(key, area);
    }
    return area;
  }

  /** Fitted on the validation maps (pixel F1-max with masks, else a high normal quantile); cached per version. */
  private async pixelThreshold(project: Project, versionId: number): Promise<PixelThresholdInfo> {
    const cached = this.thresholds.get(versionId);
    if (cached) return cached;
    const validation = project.models.evaluation(versionId, 'val');
    let info: PixelThresholdInfo = {
      value: 0.5,
      basis: 'default',
      note: 'No validation maps: the pixel threshold is 0.5 until the version is evaluated on validation.',
      colourRange: [0, 1],
    };
    if (validation && validation.perImage.some((i) => i.labelState !== 'unlabeled')) {
      const accumulator = new PixelMetricsAccumulator({ keepRegions: false });
      for (const image of validation.perImage) {
        if (image.labelState === 'unlabeled' || (image.labelState === 'anomalous' && !image.hasMask)) continue;
        const map = await this.decodedMap(project, image);
        accumulator.add(map, await this.maskOf(project, image.imageId, validation.mapWidth, validation.mapHeight), validation.mapWidth, validation.mapHeight);
      }
      const derived = derivePixelThreshold(accumulator);
      const median = accumulator.result().normalPixels > 0 ? accumulator.normalQuantile(0.5) : 0;
      const lo = Math.min(median, derived.threshold - 1e-6);
      const proposal = derived.basis === 'pixel-f1max' ? '' : " A proposed mask is cut at its map's half maximum above this threshold, since the map spreads a defect past where normal pixels end.";
      info = { value: derived.threshold, basis: derived.basis, note: derived.note + proposal, colourRange: [lo, lo + (derived.threshold - lo) / HEATMAP_THRESHOLD_AT] };
    }
    this.thresholds.set(versionId, info);
    return info;
  }

  private async maskOf(project: Project, imageId: number, width: number, height: number): Promise<Uint8Array | null> {
    const record = project.images.get(imageId);
    const file = record && project.maskPath(record);
    return file ? maskAtSize(file, width, height) : null;
  }

  private async analysis(versionId: number, split: Split): Promise<VersionAnalysis> {
    const project = this.current();
    project.models.require(versionId);
    const evaluation = project.models.evaluation(versionId, split);
    if (!evaluation) throw new InputError('not-evaluated', `version ${versionId} has no evaluation on ${split}; evaluate it first`);
    const pixelThreshold = await this.pixelThreshold(project, versionId);
    const { mapWidth: width, mapHeight: height } = evaluation;
    const accumulator = new PixelMetricsAccumulator({ regionThresholds: [pixelThreshold.value] });
    let regions = 0;
    const missed: MissedRegion[] = [];
    for (const image of evaluation.perImage) {
      if (!image.hasMask) continue;
      const mask = await this.maskOf(project, image.imageId, width, height);
      if (!mask) continue;
      const added = accumulator.add(await this.decodedMap(project, image), mask, width, height, String(image.imageId));
      const name = project.images.get(image.imageId)?.originalName ?? String(image.imageId);
      for (const r of added.regions) {
        regions++;
        const overlap = r.overlaps[0]!;
        if (overlap < MISSED_OVERLAP) {
          missed.push({ imageId: image.imageId, name, region: r.region, area: r.area, box: r.box, overlap, maxScore: r.maxScore });
        }
      }
    }
    missed.sort((a, b) => b.area - a.area);
    return {
      versionId,
      split,
      evaluationId: evaluation.id,
      mapWidth: width,
      mapHeight: height,
      imageThreshold: imageThreshold(project, versionId).value,
      pixelThreshold,
      regions,
      missed,
    };
  }
}

function actionOf(review: { label_state: LabelState; mask_sha256: string | null }, record: ImageRecord): ReviewAction {
  if (review.label_state === 'normal') return 'normal';
  // a reviewed mask stays a mask label when it is corrected afterwards (the mask changes, not the kind of label)
  if (review.label_state === 'anomalous') return review.mask_sha256 && record.labelState === 'anomalous' && record.maskSha256 ? 'mask' : 'anomalous';
  return 'reject';
}
