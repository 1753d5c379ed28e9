// Small helpers for the benchmark: bounded retries, a bounded worker pool, percentiles.
import { gql, type GraphQLResponse } from '@prasar/testing';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs `fn` over `items` with at most `concurrency` in flight; results keep their order. */
export async function pool<T, R>(
  items: T[],
  concurrency: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}

/** Calls `fn` until it returns without throwing, every `intervalMs`, for at most `timeoutMs`. */
export async function retry<T>(fn: () => Promise<T>, timeoutMs: number, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(intervalMs);
    }
  }
}

/** A GraphQL call that throws on errors and returns the data. */
export async function call<T>(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  token?: string,
): Promise<T> {
  const res: GraphQLResponse<T> = await gql<T>(url, query, variables, token);
  if (res.errors?.length || !res.data) {
    throw new Error(res.errors?.map((e) => e.message).join('; ') ?? 'no data');
  }
  return res.data;
}

export function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}
