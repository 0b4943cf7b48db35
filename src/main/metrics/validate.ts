// Input checks shared by the metric functions: each failure says which value is wrong and what to pass instead.
import { InputError } from '../../shared/errors.js';

export type Scores = ArrayLike<number>;
/** 1 or true = anomalous (a bad part / a defect pixel), 0 or false = normal. */
export type Labels = ArrayLike<number | boolean>;

export function checkScoresAndLabels(scores: Scores, labels: Labels): void {
  if (scores.length !== labels.length) {
    throw new InputError(
      'metrics-length-mismatch',
      `${scores.length} scores but ${labels.length} labels: pass one label (0 normal, 1 anomalous) per score`,
    );
  }
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i])) {
      throw new InputError('metrics-score-not-finite', `score ${i} is ${scores[i]}: every score must be a finite number`);
    }
    const label = labels[i];
    if (label !== 0 && label !== 1 && label !== true && label !== false) {
      throw new InputError('metrics-bad-label', `label ${i} is ${String(label)}: labels must be 0/1 or false/true`);
    }
  }
}

export function checkPercent(what: string, percent: number): void {
  if (!(percent >= 0 && percent <= 100)) {
    throw new InputError('metrics-bad-percent', `${what} is ${percent}: give a percentage between 0 and 100`);
  }
}

export function checkRate(what: string, rate: number, { allowOne = false } = {}): void {
  if (!(rate >= 0 && (allowOne ? rate <= 1 : rate < 1))) {
    throw new InputError(
      'metrics-bad-rate',
      `${what} is ${rate}: give a fraction from 0 up to ${allowOne ? 'and including 1' : 'but not including 1'}`,
    );
  }
}

/**
 * How many of `count` items a rate of `percent` % allows, rounded down ("at most"): 2 % of 30 bad images allows 0
 * misses, 2 % of 50 allows 1. The small epsilon keeps exact products (7 % of 100) from flooring to one less.
 */
export function allowedCount(percent: number, count: number): number {
  return Math.floor((percent * count) / 100 + 1e-9);
}
