// The labelling vocabulary both sides share: the project's defect classes, indexed masks as runs, label kinds and
// the training regime they add up to. Plain data and pure functions only (the renderer imports this file).
import { z } from 'zod';
import { SPLITS, type LabelKind, type ProjectStats, type Split } from './domain.js';

/** A defect class of the project. Its id is the value its pixels hold in an indexed mask (1–255; 0 = no defect). */
export interface DefectClass {
  id: number;
  name: string;
  /** CSS colour, #rrggbb. */
  color: string;
  /** Images whose label names this class (image-level class or pixels of it). */
  images: number;
}

export const MAX_CLASS_ID = 255;
export const classColorSchema = z.string().regex(/^#[0-9a-f]{6}$/i, 'a colour is written #rrggbb');

/** Distinct colours for new classes, in order; warm first so that defects stand out on grey parts. */
export const CLASS_PALETTE = ['#e53935', '#fb8c00', '#d81b60', '#8e24aa', '#1e88e5', '#00acc1', '#43a047', '#fdd835', '#6d4c41', '#3949ab'] as const;

export function paletteColor(id: number): string {
  return CLASS_PALETTE[(id - 1) % CLASS_PALETTE.length]!;
}

/**
 * A rectangle of an indexed mask as runs: [value, length, value, length, …] in row-major order over the rectangle.
 * Masks are mostly long runs of one value, so this is small for any real mask and needs no image codec.
 */
export interface MaskRuns {
  x: number;
  y: number;
  width: number;
  height: number;
  runs: number[];
}

export const maskRunsSchema = z
  .object({
    x: z.number().int().min(0),
    y: z.number().int().min(0),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    runs: z.array(z.number().int().min(0)).max(4_000_000),
  })
  .strict();

export function encodeRuns(pixels: ArrayLike<number>): number[] {
  const runs: number[] = [];
  let i = 0;
  while (i < pixels.length) {
    const value = pixels[i]!;
    let j = i + 1;
    while (j < pixels.length && pixels[j] === value) j++;
    runs.push(value, j - i);
    i = j;
  }
  return runs;
}

/** Decodes runs into `length` bytes; throws when they do not add up to exactly that many. */
export function decodeRuns(runs: readonly number[], length: number): Uint8Array {
  if (runs.length % 2 !== 0) throw new Error('mask runs come in pairs of value and length');
  const out = new Uint8Array(length);
  let at = 0;
  for (let k = 0; k < runs.length; k += 2) {
    const value = runs[k]!;
    const count = runs[k + 1]!;
    if (value > MAX_CLASS_ID) throw new Error(`mask value ${value} is not a class id (0–${MAX_CLASS_ID})`);
    if (at + count > length) throw new Error(`mask runs hold more than the ${length} pixels of their rectangle`);
    out.fill(value, at, at + count);
    at += count;
  }
  if (at !== length) throw new Error(`mask runs hold ${at} pixels but their rectangle has ${length}`);
  return out;
}

export interface KindCounts {
  unlabeled: number;
  normal: number;
  weak: number;
  full: number;
}

export function kindCounts(stats: ProjectStats, split: Split): KindCounts {
  const s = stats.splits[split];
  return { unlabeled: s.unlabeled, normal: s.normal, weak: s.anomalous - s.masks, full: s.masks };
}

export const LABEL_KINDS: readonly LabelKind[] = ['unlabeled', 'normal', 'weak', 'full'];

export type TrainingRegime = 'none' | 'unsupervised' | 'weakly supervised' | 'mixed' | 'fully supervised';

/** What the labels of the splits the model learns from (train and val) give, and the same in a sentence. */
export function trainingRegime(stats: ProjectStats): { regime: TrainingRegime; text: string } {
  const sum = (k: keyof KindCounts) => kindCounts(stats, 'train')[k] + kindCounts(stats, 'val')[k];
  const normal = sum('normal');
  const weak = sum('weak');
  const full = sum('full');
  const n = (count: number, what: string) => `${count} ${what}${count === 1 ? '' : 's'}`;
  if (normal + weak + full === 0) {
    return { regime: 'none', text: 'No labelled training images yet: label some train images normal to start.' };
  }
  if (weak + full === 0) {
    return {
      regime: 'unsupervised',
      text: `Unsupervised: the model learns what normal looks like from ${n(normal, 'normal image')}; defects are synthesised.`,
    };
  }
  if (full === 0) {
    return {
      regime: 'weakly supervised',
      text: `Weakly supervised: ${n(normal, 'normal image')} and ${n(weak, 'anomalous image')} with image-level labels only; the model learns where defects are without being shown.`,
    };
  }
  if (weak === 0) {
    return {
      regime: 'fully supervised',
      text: `Fully supervised: ${n(normal, 'normal image')} and ${n(full, 'anomalous image')}, every one with a pixel mask.`,
    };
  }
  return {
    regime: 'mixed',
    text: `Mixed supervision: ${n(normal, 'normal image')}, ${n(full, 'anomalous image')} with pixel masks and ${weak} with image-level labels only (no segmentation loss on those).`,
  };
}

export { SPLITS };
