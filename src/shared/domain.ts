// The vocabulary every layer shares: what an image is, how it is labelled, where it belongs.
// Plain data and schemas only; no Node, Electron or DOM imports (this file is imported by the renderer too).
import { z } from 'zod';

export const SPLITS = ['train', 'val', 'test'] as const;
export const splitSchema = z.enum(SPLITS);
export type Split = z.infer<typeof splitSchema>;

export const LABEL_STATES = ['unlabeled', 'normal', 'anomalous'] as const;
export const labelStateSchema = z.enum(LABEL_STATES);
export type LabelState = z.infer<typeof labelStateSchema>;

/** Supervision strength of one image, derived from its label state and whether it has a pixel mask. */
export type LabelKind = 'unlabeled' | 'normal' | 'weak' | 'full';

export const IMAGE_FORMATS = ['png', 'jpeg', 'bmp', 'tiff'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

/** A defect class is a short user-facing name ("scratch", "broken_large"). */
export const defectClassSchema = z
  .string()
  .trim()
  .min(1, 'a defect class name cannot be empty')
  .max(64, 'a defect class name is at most 64 characters')
  .regex(/^[^\u0000-\u001f]+$/, 'a defect class name cannot contain control characters');

export interface ImageRecord {
  id: number;
  sha256: string;
  originalName: string;
  sourcePath: string;
  width: number;
  height: number;
  channels: number;
  bitDepth: number;
  format: ImageFormat;
  fileSize: number;
  split: Split;
  labelState: LabelState;
  /** SHA-256 of the binarized mask (0/255 PNG) in the project's mask store, when the label is a full one. */
  maskSha256: string | null;
  defectClass: string | null;
  importedAt: string;
  labelUpdatedAt: string | null;
  /** SHA-256 of the indexed mask (class id per pixel); null for masks from before classes per pixel (derived). */
  classMaskSha256?: string | null;
  /** The newest entry of this image's label history (what undo and restore refer to). */
  labelEventId?: number | null;
}

export function labelKindOf(image: Pick<ImageRecord, 'labelState' | 'maskSha256'>): LabelKind {
  if (image.labelState === 'anomalous') return image.maskSha256 ? 'full' : 'weak';
  return image.labelState;
}

/** Where a label came from; kept with every entry of an image's label history. */
export const LABEL_SOURCES = ['import', 'user', 'review'] as const;
export type LabelSource = (typeof LABEL_SOURCES)[number];

export interface LabelEvent {
  id: number;
  imageId: number;
  at: string;
  labelState: LabelState;
  maskSha256: string | null;
  defectClass: string | null;
  source: LabelSource;
  classMaskSha256?: string | null;
  /** The history entry this one brought back, when it is a restore. */
  restoredFrom?: number | null;
}

export interface SplitCounts {
  normal: number;
  anomalous: number;
  unlabeled: number;
  /** Anomalous images with a pixel mask (full labels). */
  masks: number;
}

export interface ProjectStats {
  images: number;
  splits: Record<Split, SplitCounts>;
  /** Number of images per defect class, over all splits. */
  classes: Record<string, number>;
}

export const IMPORT_LAYOUTS = ['mvtec', 'folders', 'flat'] as const;
export const importLayoutSchema = z.enum(IMPORT_LAYOUTS);
export type ImportLayout = z.infer<typeof importLayoutSchema>;

export interface ImportProgress {
  phase: 'scanning' | 'importing' | 'splitting' | 'done';
  total: number;
  processed: number;
  imported: number;
  duplicates: number;
  skipped: number;
  /** Items per second over the recent past; null until there is enough to tell. */
  ratePerSecond: number | null;
  etaSeconds: number | null;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface ImportReport {
  source: string;
  layout: ImportLayout;
  status: 'completed' | 'cancelled';
  total: number;
  imported: number;
  duplicates: number;
  skipped: SkippedFile[];
  warnings: SkippedFile[];
  /** Files that are not images at all (notes, spreadsheets…): listed so that nothing is left out silently. */
  ignored: SkippedFile[];
  elapsedSeconds: number;
}

/** An import job as the app tracks it: running with its latest progress, or finished with its report or error. */
export interface ImportJobState {
  jobId: string;
  source: string;
  running: boolean;
  progress: ImportProgress | null;
  report: ImportReport | null;
  error: string | null;
}
