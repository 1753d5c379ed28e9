// The simulated clock. Token expiry, container readiness, rolling quotas, rate-limit windows and
// engagement all read it, so a test moves hours ahead with one call instead of waiting.

export interface ClockOptions {
  /** Where the clock starts (default: the wall clock at creation). */
  start?: Date;
  /** A frozen clock only moves when advanced; a running one follows the wall clock plus an offset. */
  frozen: boolean;
}

export class SimClock {
  private offsetMs = 0;
  private frozenAt: number | null = null;

  constructor(private readonly options: ClockOptions) {
    this.reset();
  }

  /** Simulated time in epoch milliseconds. */
  now(): number {
    return this.frozenAt ?? Date.now() + this.offsetMs;
  }

  get frozen(): boolean {
    return this.frozenAt !== null;
  }

  advance(seconds: number): void {
    if (this.frozenAt !== null) this.frozenAt += seconds * 1000;
    else this.offsetMs += seconds * 1000;
  }

  set(at: Date): void {
    if (this.frozenAt !== null) this.frozenAt = at.getTime();
    else this.offsetMs = at.getTime() - Date.now();
  }

  freeze(frozen: boolean): void {
    if (frozen && this.frozenAt === null) this.frozenAt = this.now();
    if (!frozen && this.frozenAt !== null) {
      this.offsetMs = this.frozenAt - Date.now();
      this.frozenAt = null;
    }
  }

  /** Back to the configured start and mode. */
  reset(): void {
    const start = this.options.start?.getTime() ?? Date.now();
    this.frozenAt = this.options.frozen ? start : null;
    this.offsetMs = this.options.frozen ? 0 : start - Date.now();
  }
}
