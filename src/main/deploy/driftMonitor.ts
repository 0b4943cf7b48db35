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
  return { ...check, versionId, window, cutAt };
}
