// Read-your-writes across services: a request that needs the effect of an event another service
// emitted a moment ago (approve, then schedule at once) waits a bounded time for this service's
// consumer to have applied it, instead of refusing a caller who did nothing wrong.

/** How long a request waits for the event it needs by default (under the gateway's 10 s upstream timeout). */
export const PREREQUISITE_WAIT_MS = 8_000;

export interface PrerequisiteOptions {
  /** At most this long (default PREREQUISITE_WAIT_MS). */
  timeoutMs?: number;
  /** First pause between looks; doubles up to `maxIntervalMs` (defaults 20 and 250 ms). */
  intervalMs?: number;
  maxIntervalMs?: number;
}

/**
 * Looks (each time in a fresh read, so a newly committed event's effect is seen) until `lookup`
 * finds what the request needs, or the time is up. Returns what it found, or null: the caller then
 * answers as it would have without waiting (NOT_FOUND, CONFLICT).
 */
export async function awaitPrerequisite<T>(
  lookup: () => Promise<T | null | undefined>,
  options: PrerequisiteOptions = {},
): Promise<T | null> {
  const deadline = Date.now() + (options.timeoutMs ?? PREREQUISITE_WAIT_MS);
  let pause = options.intervalMs ?? 20;
  const maxPause = options.maxIntervalMs ?? 250;
  for (;;) {
    const found = await lookup();
    if (found !== null && found !== undefined) return found;
    const left = deadline - Date.now();
    if (left <= 0) return null;
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
    pause = Math.min(pause * 2, maxPause);
  }
}
