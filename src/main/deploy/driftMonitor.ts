// The drift monitor: every image `dwb predict` scores is recorded (table predictions), and the recent scores of
// the parts the line passed are compared with the good validation scores of the same version by a two-sample
// Kolmogorov–Smirnov test (metrics/drift.ts). Both sides are cut at the pass threshold, since a passed part never
// scores above it. The alarm level: warn when p < alpha (default 0.01) over a window of the last `window` passed
// parts (default 100, at least 30), so on a line that has not changed about 1 window in 100 raises a false alarm.
import { checkDrift, type DriftCheck } from '../metrics/index.js';
import { imageThreshold } from '../ml/jobs/threshold.js';
import type { Project } from '../store/project.js';
import { LineThresholdStore } from './lineThresholdStore.js';
import { outcomeOf, scoreSplit, type Outcome } from './thresholdsService.js';

export const DRIFT_ALPHA = 0.01;
export const DRIFT_WINDOW = 100;
/**
 * A change so strong that few parts pass leaves the KS test with too few passed parts to judge: so the share of the
 * last window's parts (at least PASS_COLLAPSE_MIN_PARTS) that passed is also compared with the share of good
 * validation parts below the pass threshold, and a share under half of it raises the warning.
 */
export const PASS_COLLAPSE_RATIO = 0.5;
export const PASS_COLLAPSE_MIN_PARTS = 30;

export interface PassShare {
  /** Share of the last parts that passed, of the good validation parts that pass, and how many last parts. */
  recent: number;
  reference: number;
  parts: number;
  /** Enough parts, and the recent share under PASS_COLLAPSE_RATIO of the reference one. */
  collapsed: boolean;
}

/** The pass-collapse rule on the last parts' scores (all of them, passed or not) against good validation. */
export function passShareOf(last: readonly number[], reference: readonly number[], cutAt: number): PassShare {
  const passed = last.filter((s) => s < cutAt).length;
  const recent = last.length ? passed / last.length : Number.NaN;
  const shareOfReference = reference.filter((s) => s < cutAt).length / reference.length;
  const collapsed = last.length >= PASS_COLLAPSE_MIN_PARTS && recent < PASS_COLLAPSE_RATIO * shareOfReference;
  return { recent, reference: shareOfReference, parts: last.length, collapsed };
}

export interface RecordedPrediction {
  path: string;
  score: number;
}

/**
 * The thresholds the line runs a version with: its line thresholds, or until they are derived the single threshold
 * dwb predict labels with (pass below it, reject from it; no review band).
 */
export function lineThresholdsOf(project: Project, versionId: number): { review: number; reject: number } {
  const stored = new LineThresholdStore(project.db).get(versionId);
  if (stored) return stored;
  const { value } = imageThreshold(project, versionId);
  return { review: value, reject: value };
}

/** Records scored images; returns the outcome each got at the version's line thresholds. */
export function recordPredictions(project: Project, versionId: number, predictions: readonly RecordedPrediction[]): Outcome[] {
  const thresholds = lineThresholdsOf(project, versionId);
  const insert = project.db.prepare('INSERT INTO predictions (version_id, predicted_at, path, score, label) VALUES (?, ?, ?, ?, ?)');
  const now = new Date().toISOString();
  const outcomes = predictions.map((p) => outcomeOf(p.score, thresholds));
  project.db.transaction(() => predictions.forEach((p, i) => insert.run(versionId, now, p.path, p.score, outcomes[i]!)))();
  return outcomes;
}

/** Good validation scores of a version from its stored validation evaluation (none: empty); runs no model. */
export function storedReferenceScores(project: Project, versionId: number): number[] {
  const evaluation = project.models.evaluation(versionId, 'val');
  return evaluation ? evaluation.perImage.filter((i) => i.labelState === 'normal').map((i) => i.score) : [];
}

/** Good validation scores of a version: from its stored validation evaluation, else scored now. */
export async function referenceScores(project: Project, versionId: number): Promise<number[]> {
  if (project.models.evaluation(versionId, 'val')) return storedReferenceScores(project, versionId);
  return (await scoreSplit(project, versionId, 'val')).filter((s) => s.labelState === 'normal').map((s) => s.score);
}

export interface DriftStatus extends DriftCheck {
  versionId: number;
  window: number;
  /** The pass threshold both sides were cut at. */
  cutAt: number;
  /** Share of the last window's recorded parts that passed, and of the good validation parts (recorded mode only). */
  passShare: PassShare | null;
}

/** Drift of the last `window` passed parts against validation (given scores, or the recorded predictions). */
export async function driftStatus(
  project: Project,
  versionId: number,
  options: { window?: number; alpha?: number; recent?: readonly number[]; reference?: readonly number[] } = {},
): Promise<DriftStatus> {
  const window = options.window ?? DRIFT_WINDOW;
  const cutAt = lineThresholdsOf(project, versionId).review;
  const recent =
    options.recent ??
    (
      project.db
        .prepare('SELECT score FROM predictions WHERE version_id = ? AND score < ? ORDER BY id DESC LIMIT ?')
        .pluck()
        .all(versionId, cutAt, window) as number[]
    ).reverse();
  const reference = options.reference ?? (await referenceScores(project, versionId));
  const check = checkDrift(reference, recent, { alpha: options.alpha ?? DRIFT_ALPHA, below: cutAt });
  const status: DriftStatus = { ...check, versionId, window, cutAt, passShare: null };
  if (options.recent || reference.length === 0) return status;
  const last = project.db.prepare('SELECT score FROM predictions WHERE version_id = ? ORDER BY id DESC LIMIT ?').pluck().all(versionId, window) as number[];
  const share = passShareOf(last, reference, cutAt);
  status.passShare = share;
  if (share.collapsed) {
    const pct = (v: number) => `${Math.round(100 * v)}%`;
    status.warn = true;
    status.message =
      `Only ${Math.round(share.recent * share.parts)} of the last ${last.length} parts passed, where ${pct(share.reference)} of the good validation parts pass: ` +
      `the line has changed (lighting, camera, material) or is making defects in series. Check it now; if the parts are good, retrain with recent good images.` +
      (check.enoughData ? ` ${check.message}` : '');
  }
  return status;
}
