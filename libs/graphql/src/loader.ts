/**
 * Loads values by key for one request, fetching every key asked for in the same turn of the event
 * loop with one call: how a field resolved for each item of a list (an entity's `_entities` batch
 * from the gateway, say) makes one query instead of one per item. Results are kept for the request.
 */
export class BatchLoader<K, V> {
  private pending: { key: K; resolve: (v: V | undefined) => void; reject: (e: unknown) => void }[] = [];
  private readonly loaded = new Map<K, Promise<V | undefined>>();

  constructor(private readonly fetch: (keys: K[]) => Promise<Map<K, V>>) {}

  load(key: K): Promise<V | undefined> {
    const known = this.loaded.get(key);
    if (known) return known;
    const promise = new Promise<V | undefined>((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => void this.dispatch());
      this.pending.push({ key, resolve, reject });
    });
    this.loaded.set(key, promise);
    return promise;
  }

  private async dispatch(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      const values = await this.fetch(batch.map((p) => p.key));
      for (const p of batch) p.resolve(values.get(p.key));
    } catch (err) {
      // A failed fetch is not remembered: a later load asks again.
      for (const p of batch) {
        this.loaded.delete(p.key);
        p.reject(err);
      }
    }
  }
}

const loaders = new WeakMap<object, Map<string, BatchLoader<unknown, unknown>>>();

/** The request's loader called `name` (one per request context, created on first use). */
export function requestLoader<K, V>(
  context: object,
  name: string,
  fetch: (keys: K[]) => Promise<Map<K, V>>,
): BatchLoader<K, V> {
  let byName = loaders.get(context);
  if (!byName) {
    byName = new Map();
    loaders.set(context, byName);
  }
  let loader = byName.get(name);
  if (!loader) {
    loader = new BatchLoader<K, V>(fetch) as BatchLoader<unknown, unknown>;
    byName.set(name, loader);
  }
  return loader as BatchLoader<K, V>;
}
