/** The shortest and longest waits before retrying, and the platform's own wait, if it gave one. */
export interface BackoffOptions {
  retryBaseMs: number;
  retryMaxMs: number;
}

/** A platform's own wait is honoured up to a day; beyond that the figure is not believable. */
const LONGEST_PLATFORM_WAIT_MS = 86_400_000;

/**
 * How long to wait after the `attempts`-th call failed retryably: exponential from the base, capped,
 * with ±20% jitter so that jobs failing together do not retry together; never less than what the
 * platform asked for (retry-after, rate-limit reset).
 */
export function retryDelayMs(
  attempts: number,
  platformWaitMs: number | null,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** Math.max(0, attempts - 1));
  const jittered = Math.round(exponential * (0.8 + 0.4 * random()));
  const asked = platformWaitMs === null ? 0 : Math.min(LONGEST_PLATFORM_WAIT_MS, platformWaitMs);
  return Math.max(jittered, asked);
}
