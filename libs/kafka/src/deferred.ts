import type { EntityManager } from 'typeorm';

/**
 * Work that handlers add to during a transaction and that is written once, just before the
 * transaction commits: how a read model turns a batch of events into a few multi-row statements
 * instead of a statement per event. The consumer flushes it in the same transaction as the inbox
 * record, so the at-least-once guarantees do not change; one-by-one handling flushes a unit of one.
 */
export interface DeferredWork<S> {
  /** A fresh, empty unit for a transaction. */
  create(): S;
  /** Writes the unit in the transaction that collected it. */
  flush(state: S, em: EntityManager): Promise<void>;
}

const pending = new WeakMap<EntityManager, Map<DeferredWork<unknown>, unknown>>();

/** The transaction's unit of `work`, created on first use. */
export function deferredIn<S>(em: EntityManager, work: DeferredWork<S>): S {
  let units = pending.get(em);
  if (!units) {
    units = new Map();
    pending.set(em, units);
  }
  if (!units.has(work as DeferredWork<unknown>)) units.set(work as DeferredWork<unknown>, work.create());
  return units.get(work as DeferredWork<unknown>) as S;
}

/** Writes every unit the transaction collected, in the order they were first used. */
export async function flushDeferred(em: EntityManager): Promise<void> {
  const units = pending.get(em);
  if (!units) return;
  pending.delete(em);
  for (const [work, state] of units) await work.flush(state, em);
}

/** Runs `fn` and then flushes what it deferred, in the same transaction (for callers outside a consumer). */
export async function withDeferred<T>(em: EntityManager, fn: (em: EntityManager) => Promise<T>): Promise<T> {
  try {
    const result = await fn(em);
    await flushDeferred(em);
    return result;
  } finally {
    pending.delete(em);
  }
}
