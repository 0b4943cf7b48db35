// Image-level metrics on hand-computed cases and, against brute-force references, on random data full of ties.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/shared/errors.js';
import {
  imageAuroc,
  imageAveragePrecision,
  imageF1Max,
  imageMetrics,
  pbAt,
  pgAt,
} from '../../src/main/metrics/index.js';
import { seededRandom } from '../../src/main/util/random.js';
import { referenceAp, referenceAuroc, referenceF1Max, referencePb, referencePg } from './reference.js';

describe('image AUROC, AP, F1-max by hand', () => {
  // goods 0.1, 0.4; bads 0.35, 0.8
  const scores = [0.1, 0.4, 0.35, 0.8];
  const labels = [0, 0, 1, 1];

  it('AUROC counts pairs: 0.35 beats 0.1, loses to 0.4; 0.8 beats both → 3/4', () => {
    expect(imageAuroc(scores, labels)).toBe(0.75);
  });

  it('AP steps: 0.8 → R ½ at P 1; 0.4 (good); 0.35 → R 1 at P ⅔ → ½·1 + ½·⅔ = 5/6', () => {
    expect(imageAveragePrecision(scores, labels)).toBeCloseTo(5 / 6, 15);
  });

  it('F1 at 0.8: ⅔, at 0.4: ½, at 0.35: 2·2/(2·2+1+0) = 0.8, at 0.1: ⅔ → 0.8 at threshold 0.35', () => {
    expect(imageF1Max(scores, labels)).toEqual({ f1: 0.8, threshold: 0.35, precision: 2 / 3, recall: 1 });
  });

  it('ties: one bad tied with two goods at 0.5, a good at 0.2 → AUROC (½+½+1)/3, AP ⅓, F1 ½', () => {
    const s = [0.5, 0.5, 0.5, 0.2];
    const l = [1, 0, 0, 0];
    expect(imageAuroc(s, l)).toBeCloseTo(2 / 3, 15);
    // the tie group is one threshold: TP 1, FP 2 together → precision ⅓ at recall 1
    expect(imageAveragePrecision(s, l)).toBeCloseTo(1 / 3, 15);
    expect(imageF1Max(s, l).f1).toBeCloseTo(2 / (2 + 2), 15);
  });

  it('equal F1 values keep the highest threshold', () => {
    // at 0.9: TP1 FP0 FN1 → 2/3; at 0.5: TP2 FP2 → 4/(4+2) = 2/3: the same F1, 0.9 kept
    const best = imageF1Max([0.9, 0.7, 0.6, 0.5], [1, 0, 0, 1]);
    expect(best.threshold).toBe(0.9);
    expect(best.f1).toBeCloseTo(2 / 3, 15);
  });

  it('booleans and typed arrays are accepted', () => {
    expect(imageAuroc(new Float32Array([0.1, 0.4, 0.35, 0.8]), [false, false, true, true])).toBe(0.75);
  });
});

describe('PG@n and PB@n by hand', () => {
  // goods score 1..10, bads 5, 8, 9, 11, 12
  const good = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const bad = [5, 8, 9, 11, 12];
  const scores = [...good, ...bad];
  const labels = [...good.map(() => 0), ...bad.map(() => 1)];

  it('PG@20: ⌊20 % of 5⌋ = 1 miss allowed → threshold at the 2nd lowest bad (8); goods 1..7 pass → 0.7', () => {
    const pg = pgAt(scores, labels, 20);
    expect(pg).toMatchObject({ rate: 0.7, threshold: 8, allowed: 1, badPassed: 1, goodPassed: 7, goodRejected: 3 });
  });

  it('PG2: ⌊2 % of 5⌋ = 0 misses → threshold 5; the good image tied at 5 counts as rejected → 4/10', () => {
    expect(pgAt(scores, labels, 2)).toMatchObject({ rate: 0.4, threshold: 5, allowed: 0, badPassed: 0 });
  });

  it('PB2: 0 false rejects of 10 → the best good (10) must pass → bads 11, 12 rejected → 2/5 at threshold 11', () => {
    expect(pbAt(scores, labels, 2)).toMatchObject({ rate: 0.4, threshold: 11, allowed: 0, goodRejected: 0 });
  });

  it('PB@10: 1 false reject allowed → 9 must pass → 10, 11, 12 rejected → bads 2/5, threshold 10', () => {
    expect(pbAt(scores, labels, 10)).toMatchObject({ rate: 0.4, threshold: 10, allowed: 1, goodRejected: 1 });
  });

  it('PB@25: ⌊2.5⌋ = 2 false rejects → 8 must pass → 9 (tied good and bad), 10, 11, 12 rejected → 3/5', () => {
    expect(pbAt(scores, labels, 25)).toMatchObject({ rate: 0.6, threshold: 9, allowed: 2, goodRejected: 2, badRejected: 3 });
  });

  it('fractional counts round down: 2 % of 49 bad images allows no miss, 2 % of 50 allows one', () => {
    const make = (badCount: number) => {
      const s: number[] = [];
      const l: number[] = [];
      for (let i = 0; i < badCount; i++) (s.push(100 + i), l.push(1));
      for (let i = 0; i < 200; i++) (s.push(100.5 + i), l.push(0));
      return { s, l };
    };
    const at49 = make(49);
    expect(pgAt(at49.s, at49.l, 2)).toMatchObject({ allowed: 0, threshold: 100, badPassed: 0, rate: 0 });
    const at50 = make(50);
    // one miss (score 100) allowed → threshold 101 → the good at 100.5 passes
    expect(pgAt(at50.s, at50.l, 2)).toMatchObject({ allowed: 1, threshold: 101, badPassed: 1, rate: 1 / 200 });
    // 7 % of 100 is exactly 7 in spite of 0.07·100 = 7.000000000000001 in floating point
    const s = Array.from({ length: 100 }, (_, i) => i);
    expect(pgAt([...s, 1000], [...s.map(() => 1), 0], 7).allowed).toBe(7);
  });

  it('nothing rejected when no score is above the good that must pass', () => {
    const pb = pbAt([1, 2, 3], [1, 1, 0], 0);
    expect(pb).toMatchObject({ rate: 0, threshold: Infinity, badRejected: 0 });
  });
});

describe('one class only, and bad input', () => {
  it('all good: AUROC, AP, F1, PG, PB are NaN (documented), counts are still reported', () => {
    const m = imageMetrics([0.1, 0.2], [0, 0]);
    expect(m.auroc).toBeNaN();
    expect(m.ap).toBeNaN();
    expect(m.f1max.f1).toBeNaN();
    expect(m.f1max.threshold).toBeNaN();
    expect(m.pg2.rate).toBeNaN();
    expect(m.pb2.rate).toBeNaN();
    expect(m.goodCount).toBe(2);
    expect(m.badCount).toBe(0);
  });

  it('all bad: AUROC and PG/PB NaN; AP and F1 are 1 (every prediction is right)', () => {
    const m = imageMetrics([0.1, 0.2], [1, 1]);
    expect(m.auroc).toBeNaN();
    expect(m.ap).toBe(1);
    expect(m.f1max).toMatchObject({ f1: 1, threshold: 0.1 });
    expect(m.pg2.rate).toBeNaN();
  });

  it('empty input gives NaN, not an exception', () => {
    expect(imageMetrics([], []).auroc).toBeNaN();
  });

  it('mismatched lengths, NaN scores, odd labels and bad percentages are clear errors', () => {
    expect(() => imageAuroc([1, 2], [1])).toThrow(/2 scores but 1 labels/);
    expect(() => imageAuroc([1, Number.NaN], [1, 0])).toThrow(InputError);
    expect(() => imageAuroc([1, 2], [1, 2])).toThrow(/label 1 is 2/);
    expect(() => pgAt([1, 2], [1, 0], 101)).toThrow(/between 0 and 100/);
  });
});

describe('randomized against brute force', () => {
  it('AUROC, AP, F1-max, PG@n and PB@n match on 300 random sets with many ties', () => {
    const random = seededRandom(42);
    for (let trial = 0; trial < 300; trial++) {
      const n = 2 + Math.floor(random() * 60);
      // few distinct values in half of the trials → many ties
      const levels = trial % 2 === 0 ? 5 + Math.floor(random() * 10) : 1e6;
      const labels = Array.from({ length: n }, () => (random() < 0.3 ? 1 : 0));
      const scores = labels.map((l) => Math.floor((random() + 0.3 * l) * levels) / levels);
      const percent = [0, 2, 5, 10, 33.3, 100][trial % 6]!;
      const m = imageMetrics(scores, labels);
      const auroc = referenceAuroc(scores, labels);
      const hasBoth = labels.includes(0) && labels.includes(1);
      if (Number.isNaN(auroc)) expect(m.auroc).toBeNaN();
      else expect(m.auroc).toBeCloseTo(auroc, 12);
      if (!labels.includes(1)) continue;
      expect(m.ap).toBeCloseTo(referenceAp(scores, labels), 12);
      const f1 = referenceF1Max(scores, labels);
      expect(m.f1max.f1).toBeCloseTo(f1.f1, 12);
      expect(m.f1max.threshold).toBe(f1.threshold);
      if (!hasBoth) continue;
      const pg = pgAt(scores, labels, percent);
      const pgRef = referencePg(scores, labels, percent);
      expect([pg.rate, pg.threshold]).toEqual([pgRef.rate, pgRef.threshold]);
      const pb = pbAt(scores, labels, percent);
      const pbRef = referencePb(scores, labels, percent);
      expect([pb.rate, pb.threshold]).toEqual([pbRef.rate, pbRef.threshold]);
    }
  });
});
