// Per-account call budgets: a fixed window on the simulated clock, as the platforms count them.
import type { RateLimitConfig } from './state';

export interface RateLimitUsage {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Simulated epoch ms at which the window resets. */
  resetAt: number;
  config: RateLimitConfig;
}

export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  /** Counts one call against `key`'s budget; `allowed` is false once the window's budget is spent. */
  consume(key: string, config: RateLimitConfig, now: number): RateLimitUsage {
    const windowMs = config.windowSeconds * 1000;
    let window = this.windows.get(key);
    if (!window || now >= window.start + windowMs) {
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    const allowed = window.count < config.limit;
    if (allowed) window.count++;
    return {
      allowed,
      limit: config.limit,
      remaining: Math.max(0, config.limit - window.count),
      resetAt: window.start + windowMs,
      config,
    };
  }

  reset(): void {
    this.windows.clear();
  }
}
