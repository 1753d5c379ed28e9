import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { internalLogger } from './internal-log';

/**
 * A readiness check: passes unless it throws, rejects, or returns `false`. Keep it cheap (e.g.
 * `SELECT 1`); it runs on every `/readyz` probe.
 */
export type ReadinessCheck = () => unknown;

export type CheckOutcome = 'ok' | 'failed' | 'timeout';

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, CheckOutcome>;
  /** Names of the checks that did not pass (plus `shutdown` while the app is closing). */
  failing: string[];
}

/** Default per-check time limit; keep the probe's `timeoutSeconds` above it. */
export const DEFAULT_CHECK_TIMEOUT_MS = 2_000;

interface Registered {
  check: ReadinessCheck;
  timeoutMs: number;
}

/**
 * Readiness checks behind `GET /readyz`. Provided (globally) by `TelemetryModule`; services add
 * checks such as "database reachable" at start-up. Once Nest starts shutting down (with
 * `enableShutdownHooks()`), the service reports not ready, so it leaves the load balancer first.
 */
@Injectable()
export class ReadinessRegistry implements BeforeApplicationShutdown {
  private readonly checks = new Map<string, Registered>();
  private readonly lastFailed = new Set<string>();
  private shuttingDown = false;

  /** Adds (or replaces) the check `name`; returns a function that removes it. */
  register(name: string, check: ReadinessCheck, options: { timeoutMs?: number } = {}): () => void {
    const entry = { check, timeoutMs: options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS };
    this.checks.set(name, entry);
    return () => {
      if (this.checks.get(name) === entry) this.checks.delete(name);
    };
  }

  /** Names of the registered checks. */
  names(): string[] {
    return [...this.checks.keys()];
  }

  /** Runs every check concurrently. */
  async evaluate(): Promise<ReadinessReport> {
    const entries = [...this.checks.entries()];
    const outcomes = await Promise.all(entries.map(([name, entry]) => this.run(name, entry)));
    const checks: Record<string, CheckOutcome> = {};
    const failing: string[] = [];
    entries.forEach(([name], i) => {
      checks[name] = outcomes[i]!;
      if (outcomes[i] !== 'ok') failing.push(name);
    });
    if (this.shuttingDown) failing.push('shutdown');
    return { ready: failing.length === 0, checks, failing };
  }

  beforeApplicationShutdown(): void {
    this.shuttingDown = true;
  }

  private async run(name: string, { check, timeoutMs }: Registered): Promise<CheckOutcome> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = Symbol('timeout');
    try {
      const result = await Promise.race([
        Promise.resolve().then(check),
        new Promise<typeof timedOut>((resolve) => {
          timer = setTimeout(() => resolve(timedOut), timeoutMs);
          timer.unref();
        }),
      ]);
      const outcome: CheckOutcome = result === timedOut ? 'timeout' : result === false ? 'failed' : 'ok';
      this.note(name, outcome);
      return outcome;
    } catch (err) {
      this.note(name, 'failed', err);
      return 'failed';
    } finally {
      clearTimeout(timer);
    }
  }

  /** Logs when a check starts or stops failing, not on every probe. */
  private note(name: string, outcome: CheckOutcome, err?: unknown): void {
    if (outcome === 'ok') {
      if (this.lastFailed.delete(name))
        internalLogger().info({ check: name }, 'readiness check passes again');
    } else if (!this.lastFailed.has(name)) {
      this.lastFailed.add(name);
      internalLogger().warn({ check: name, outcome, err }, 'readiness check failing');
    }
  }
}
