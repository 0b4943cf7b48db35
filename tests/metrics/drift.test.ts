// The drift check: KS statistic and p-values by hand and against full enumeration, the false-alarm rate on samples
// from the validation distribution over many seeded trials, and warnings on shifted scores.
import { describe, expect, it } from 'vitest';
import { checkDrift, kolmogorovSurvival, ksTwoSample } from '../../src/main/metrics/index.js';
import { seededRandom, type Random } from '../../src/main/util/random.js';

const gauss = (random: Random) => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
/** Scores like a sigmoid model's on good parts: skewed, in (0, 1). */
const goodScore = (random: Random, shift = 0, gain = 1) => 1 / (1 + Math.exp(-(gain * (gauss(random) - 2.5) + shift)));

/** P(D ≥ d) by listing every way to split the pooled sample (n + m choose n), from scratch. */
function enumeratedPValue(a: number[], b: number[]): number {
  const pooled = [...a, ...b];
  const observed = ksTwoSample(a, b).statistic;
  let atLeast = 0;
  let total = 0;
  const choose = (start: number, picked: number[]) => {
    if (picked.length === a.length) {
      const x = picked.map((i) => pooled[i]!);
      const y = pooled.filter((_, i) => !picked.includes(i));
      total++;
      if (ksTwoSample(x, y).statistic >= observed - 1e-12) atLeast++;
      return;
    }
    for (let i = start; i < pooled.length; i++) choose(i + 1, [...picked, i]);
  };
  choose(0, []);
  return atLeast / total;
}

describe('KS statistic and p-value', () => {
  it('by hand: [1,2,3] vs [4,5,6] → D = 1; only 2 of the C(6,3) = 20 orderings reach it → p = 0.1', () => {
    const r = ksTwoSample([1, 2, 3], [4, 5, 6]);
    expect(r.statistic).toBe(1);
    expect(r.pValue).toBeCloseTo(0.1, 14);
    expect(r.signedGap).toBe(1); // reference CDF above: the recent scores are higher
    expect(r.method).toBe('exact');
  });

  it('by hand: [1,3] vs [2,4] → the CDF gaps are ½, 0, ½ → D = ½; every ordering reaches ½ → p = 1', () => {
    const r = ksTwoSample([1, 3], [2, 4]);
    expect(r.statistic).toBe(0.5);
    expect(r.pValue).toBeCloseTo(1, 14);
  });

  it('exact p-values equal full enumeration on random small samples', () => {
    const random = seededRandom(8);
    for (let trial = 0; trial < 25; trial++) {
      const n = 1 + Math.floor(random() * 6);
      const m = 1 + Math.floor(random() * 6);
      const a = Array.from({ length: n }, () => random());
      const b = Array.from({ length: m }, () => random() + 0.3 * (trial % 3));
      expect(ksTwoSample(a, b).pValue).toBeCloseTo(enumeratedPValue(a, b), 12);
    }
  });

  it('the Kolmogorov law matches its tabulated critical values and both series agree where they meet', () => {
    expect(kolmogorovSurvival(1.2238)).toBeCloseTo(0.1, 3);
    expect(kolmogorovSurvival(1.3581)).toBeCloseTo(0.05, 3);
    expect(kolmogorovSurvival(1.6276)).toBeCloseTo(0.01, 4);
    expect(kolmogorovSurvival(1.17999)).toBeCloseTo(kolmogorovSurvival(1.18001), 4);
    expect(kolmogorovSurvival(0.0001)).toBe(1);
  });

  it('large samples use the asymptotic law, close to the exact one', () => {
    const random = seededRandom(4);
    const a = Array.from({ length: 5000 }, () => random());
    const b = Array.from({ length: 2500 }, () => random() * 1.01);
    const big = ksTwoSample(a, b);
    expect(big.method).toBe('asymptotic');
    const small = ksTwoSample(a.slice(0, 3000), b.slice(0, 3000));
    expect(small.method).toBe('exact');
    expect(kolmogorovSurvival(Math.sqrt((3000 * 2500) / 5500) * small.statistic)).toBeCloseTo(small.pValue, 1);
  });

  it('empty samples and NaN are clear errors', () => {
    expect(() => ksTwoSample([], [1])).toThrow(/0 reference with 1 recent/);
    expect(() => ksTwoSample([1, Number.NaN], [1])).toThrow(/NaN/);
  });
});

describe('drift check', () => {
  const random = seededRandom(2026);
  const reference = Array.from({ length: 300 }, () => goodScore(random));

  it('stays quiet on fresh samples of the validation distribution: false alarms near alpha over 2000 trials', () => {
    const rates: Record<string, number> = {};
    for (const alpha of [0.05, 0.01]) {
      let alarms = 0;
      for (let trial = 0; trial < 2000; trial++) {
        const recent = Array.from({ length: 50 }, () => goodScore(random));
        if (checkDrift(reference, recent, { alpha }).warn) alarms++;
      }
      rates[alpha] = alarms / 2000;
    }
    console.log(`false-alarm rate, 50 recent vs 300 validation scores: ${JSON.stringify(rates)} at alpha 0.05 / 0.01`);
    // binomial sd over 2000 trials: ~0.005 at 0.05, ~0.002 at 0.01
    expect(rates[0.05]).toBeGreaterThan(0.025);
    expect(rates[0.05]).toBeLessThan(0.065);
    expect(rates[0.01]).toBeLessThan(0.018);
  });

  it('warns on a shifted line (a lighting change raising every logit by 1), and says which way', () => {
    let warned = 0;
    let last = checkDrift(reference, [0.5]);
    for (let trial = 0; trial < 200; trial++) {
      const recent = Array.from({ length: 50 }, () => goodScore(random, 1));
      last = checkDrift(reference, recent);
      if (last.warn) warned++;
    }
    expect(warned / 200).toBeGreaterThan(0.95);
    expect(last.signedGap).toBeGreaterThan(0);
    expect(last.medianShift).toBeGreaterThan(0);
    expect(last.message).toMatch(/^The last 50 passed parts score higher .* p = .* < 0\.01/);
  });

  it('warns on a spread change too (gain 1.6), and stays quiet on too few scores', () => {
    let warned = 0;
    for (let trial = 0; trial < 100; trial++) {
      if (checkDrift(reference, Array.from({ length: 100 }, () => goodScore(random, 0, 1.6))).warn) warned++;
    }
    expect(warned / 100).toBeGreaterThan(0.8);
    const few = checkDrift(reference, [0.99, 0.99, 0.99]);
    expect(few).toMatchObject({ warn: false, enoughData: false, recentCount: 3 });
    expect(few.message).toMatch(/Not enough scores.*3 recent/);
  });

  it('with the pass threshold as `below`, the passed-parts window is compared fairly', () => {
    const threshold = [...reference].sort((a, b) => a - b)[Math.floor(0.8 * reference.length)]!;
    let unfair = 0;
    let fair = 0;
    for (let trial = 0; trial < 300; trial++) {
      // the line only records the parts it passed
      const recent = Array.from({ length: 150 }, () => goodScore(random)).filter((s) => s < threshold);
      if (checkDrift(reference, recent, { alpha: 0.05 }).warn) unfair++;
      if (checkDrift(reference, recent, { alpha: 0.05, below: threshold }).warn) fair++;
    }
    console.log(`passed-parts window, alarms at alpha 0.05: uncut reference ${unfair / 300}, cut at the threshold ${fair / 300}`);
    expect(unfair / 300).toBeGreaterThan(0.3); // the cut alone looks like drift
    expect(fair / 300).toBeLessThan(0.08);
  });
});
