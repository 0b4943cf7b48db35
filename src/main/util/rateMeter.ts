// Rate and time-to-go of a long job, from the completions in a sliding window (so a slow start or a burst of
// duplicates does not skew the estimate for long).
export class RateMeter {
  private readonly samples: { at: number; done: number }[] = [];

  constructor(
    private readonly windowMs = 5000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  record(done: number): void {
    const at = this.now();
    this.samples.push({ at, done });
    while (this.samples.length > 2 && at - this.samples[0]!.at > this.windowMs) this.samples.shift();
  }

  /** Items per second, or null while fewer than two samples half a second apart exist. */
  ratePerSecond(): number | null {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.at - first.at < 500) return null;
    return ((last.done - first.done) * 1000) / (last.at - first.at);
  }

  etaSeconds(remaining: number): number | null {
    const rate = this.ratePerSecond();
    if (rate === null) return null;
    if (remaining <= 0) return 0;
    return rate > 0 ? remaining / rate : null;
  }
}
