import type { Logger } from 'pino';

/**
 * A round of work repeated every `intervalMs` after the previous round ended (never two at once),
 * until stopped: the one loop behind the platform's pollers. A failed round is logged and the next
 * one runs as usual; `stop` waits for a round in progress.
 */
export class PeriodicTask {
  private timer?: NodeJS.Timeout;
  private current?: Promise<void>;
  private running = false;

  constructor(
    private readonly what: string,
    private readonly intervalMs: number,
    private readonly round: () => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  /** Starts the rounds: the first after one interval, or at once with `immediate`. */
  start(options: { immediate?: boolean } = {}): void {
    if (this.running) return;
    this.running = true;
    this.schedule(options.immediate ? 0 : this.intervalMs);
  }

  /** Stops scheduling rounds and waits for one in progress to finish. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.current;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.current = this.round()
        .then(
          () => undefined,
          (err: unknown) => this.logger.error({ err }, `${this.what} round failed`),
        )
        .finally(() => {
          this.current = undefined;
          if (this.running) this.schedule(this.intervalMs);
        });
    }, delayMs);
  }
}
