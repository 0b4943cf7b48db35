// The benchmarks' timed series: the FMA peak is read before and after the series, never between its runs (a session
// run straight after the probe's process waited for its threads: ResNet-50 26 ms back to back, 75 ms after each probe),
// and each run's ratio is taken against the higher of the two readings.
import { describe, expect, it } from 'vitest';
import { timedAgainstPeak } from '../../src/bench/engineBench.js';

describe('timedAgainstPeak', () => {
  it('reads the peak once before (then one untimed warm-up run) and once after the timed runs', async () => {
    const calls: string[] = [];
    const readings = [100, 250];
    const { times, ratios } = await timedAgainstPeak(
      4,
      async () => {
        calls.push('run');
        await new Promise((resolve) => setTimeout(resolve, 5));
      },
      async () => {
        calls.push('peak');
        return readings.shift()!;
      },
    );
    expect(calls).toEqual(['peak', 'run', 'run', 'run', 'run', 'run', 'peak']);
    expect(times).toHaveLength(4);
    for (const t of times) expect(t).toBeGreaterThanOrEqual(4);
    // runs per second over the higher reading (250), one ratio per timed run
    expect(ratios).toEqual(times.map((t) => 1000 / t / 250));
  });

  it('times without a probe: no warm-up run, no ratios', async () => {
    let runs = 0;
    const { times, ratios } = await timedAgainstPeak(3, async () => runs++);
    expect(runs).toBe(3);
    expect(times).toHaveLength(3);
    expect(ratios).toEqual([]);
  });
});
