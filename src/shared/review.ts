// The vocabulary of the review loop and of a version's analysis, shared by the review service and the renderer:
// the ranked queue of scored images, the one-key review actions, the pixel threshold and the missed defect regions.
import { z } from 'zod';
import type { LabelState, Split } from './domain.js';

export const REVIEW_ORDERS = ['anomalous', 'uncertain'] as const;
export const reviewOrderSchema = z.enum(REVIEW_ORDERS);
export type ReviewOrder = z.infer<typeof reviewOrderSchema>;

/** normal: confirm normal; anomalous: confirm anomalous (weak); mask: accept the predicted mask; reject: the
 * prediction is wrong, keep the label as it is (recorded so the image counts as reviewed and can be undone). */
export const REVIEW_ACTIONS = ['normal', 'anomalous', 'mask', 'reject'] as const;
export const reviewActionSchema = z.enum(REVIEW_ACTIONS);
export type ReviewAction = z.infer<typeof reviewActionSchema>;

export interface ReviewItem {
  imageId: number;
  /** The image's content hash: its file address. */
  sha256: string;
  name: string;
  split: Split;
  width: number;
  height: number;
  score: number;
  predicted: 'normal' | 'anomalous';
  labelState: LabelState;
  defectClass: string | null;
  hasMask: boolean;
  evaluationId: number;
  /** A review action was stored for this image after the version scored it. */
  reviewed: boolean;
  lastAction: ReviewAction | null;
  /** Share of the image the predicted mask would mark at the pixel threshold (0: nothing to accept). */
  predictedArea: number;
}

export interface ReviewQueue {
  versionId: number;
  order: ReviewOrder;
  imageThreshold: number;
  pixelThreshold: number;
  colourRange: [number, number];
  items: ReviewItem[];
  reviewed: number;
}

export interface PixelThresholdInfo {
  value: number;
  basis: 'pixel-f1max' | 'normal-quantile' | 'default';
  note: string;
  /** The score range heat-maps colour over, the same for every image of the version: from the median normal
   * validation pixel (coldest) up, with the pixel threshold at the ramp's yellow (HEATMAP_THRESHOLD_AT). */
  colourRange: [number, number];
}

/** Where on the heat-map ramp (0 cold … 1 hot) the pixel threshold falls: warm colours mean "would be marked". */
export const HEATMAP_THRESHOLD_AT = 0.65;

/** A ground-truth defect region the model misses at the pixel threshold (overlap below one half). */
export interface MissedRegion {
  imageId: number;
  name: string;
  region: number;
  area: number;
  /** Bounding box at the model size; scale by image/map size to draw it on the image. */
  box: { x: number; y: number; width: number; height: number };
  overlap: number;
  maxScore: number;
}

export interface VersionAnalysis {
  versionId: number;
  split: Split;
  evaluationId: number;
  mapWidth: number;
  mapHeight: number;
  imageThreshold: number;
  pixelThreshold: PixelThresholdInfo;
  regions: number;
  missed: MissedRegion[];
}
