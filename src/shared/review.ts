// The vocabulary of the review loop and of a version's analysis, shared by the review service and the renderer:
// the ranked queue of scored images, the one-key review actions, the pixel threshold and the missed defect regions.
import { z } from 'zod';
import type { LabelState, Split } from './domain.js';

export const REVIEW_ORDERS = ['anomalous', 'uncertain'] as const;
export const reviewOrderSchema = z.enum(REVIEW_ORDERS);
export type ReviewOrder = z.infer<typeof reviewOrderSchema>;
/** The queue's order when none is asked for: nearest the decision threshold first. Labels taken there teach a
 * retraining the most, where the most anomalous images (the first to look at when hunting escaped defects) teach it
 * least: measured with the review-study benchmark (src/main/ml/ssn/README.md, "Which images to review"). */
export const DEFAULT_REVIEW_ORDER: ReviewOrder = 'uncertain';

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
  /** The score at which this image's proposed mask is cut (proposalThreshold). */
  maskThreshold: number;
  /** Share of the image the proposed mask would mark (0: nothing to accept). */
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

/**
 * The score at which one image's proposed mask is cut (the review's "accept mask" and every outline drawn over a map).
 * Where the pixel threshold was fitted to defect masks (pixel F1), that threshold. Otherwise it only says where normal
 * pixels end, and the map spreads a confident defect far past it (the neighbours' features see the defect too): cut
 * there, the proposed masks of mvtec_bottle's and the demo's test defects covered a median 3.4× and 23–30× their
 * true area. So the cut is the map's half maximum: halfway, in log-odds, from the threshold to the image's highest
 * score, never below the threshold (median area 1.05× and 4–5×; mean IoU 0.31 → 0.51 and 0.04 → 0.23). magnetic_tile,
 * whose maps mark too little of its defects at the threshold already (median 0.34× the area), loses a little (mean IoU
 * 0.102 → 0.087): a proposal there is a poor label either way, and drawing masks is the remedy. (Measured on the
 * stored test maps of fast-preset versions, ResNet-50 and MobileNet for the demo; the threshold from the demo's
 * validation normals, and from the test normals for the two datasets, whose projects were trained without a validation
 * split; 2026-12-01.)
 */
export function proposalThreshold(pixel: Pick<PixelThresholdInfo, 'value' | 'basis'>, mapMax: number): number {
  if (pixel.basis === 'pixel-f1max' || !(mapMax > pixel.value)) return pixel.value;
  const logit = (p: number) => {
    const q = Math.min(Math.max(p, 1e-7), 1 - 1e-7);
    return Math.log(q / (1 - q));
  };
  const half = (logit(pixel.value) + logit(mapMax)) / 2;
  return Math.max(pixel.value, 1 / (1 + Math.exp(-half)));
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
