// Injected faults: what a test asks the next calls (or a seeded random share of them) to suffer.
import type { Platform } from './state';

export const FAULT_KINDS = [
  'latency',
  'error',
  'rateLimit',
  'blocked',
  'timeoutAfterCommit',
  'containerError',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultSpec {
  kind: FaultKind;
  /** Which calls it applies to; an omitted filter matches every call. */
  platform?: Platform;
  account?: string;
  operation?: string;
  /** Fires on the next `count` matching calls, then is gone; without it, until removed. */
  count?: number;
  /** Fires on this share of matching calls, drawn from a PRNG seeded with `seed` (default 1). */
  probability?: number;
  seed?: number;
  /** `latency`: added before the call is handled. */
  latencyMs?: number;
  /** `error`: the 5xx status (default 503). */
  status?: number;
  /** `rateLimit`: the retry-after the 429 announces (default 60). */
  retryAfterSeconds?: number;
  /** `timeoutAfterCommit`: `drop` destroys the socket, `delay` holds the reply for `delayMs` (default 60 s). */
  mode?: 'drop' | 'delay';
  delayMs?: number;
}

export interface Fault extends FaultSpec {
  id: string;
  fired: number;
}

/** The call a fault may apply to. */
export interface CallTarget {
  platform: Platform;
  operation: string;
  account?: string;
}

/** mulberry32: a small, well-distributed PRNG, so "5% of calls fail" is the same calls on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Operations a fault kind can apply to at all (others ignore it). */
const KIND_OPERATIONS: Partial<Record<FaultKind, string[]>> = {
  containerError: ['instagram.media.create', 'x.media.finalize'],
};

export class FaultTable {
  private faults: (Fault & { random?: () => number })[] = [];
  private sequence = 0;

  add(spec: FaultSpec): Fault {
    const fault = {
      ...spec,
      id: `fault-${++this.sequence}`,
      fired: 0,
      random: spec.probability === undefined ? undefined : seededRandom(spec.seed ?? 1),
    };
    this.faults.push(fault);
    return this.view(fault);
  }

  list(): Fault[] {
    return this.faults.map((f) => this.view(f));
  }

  remove(id: string): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length < before;
  }

  clear(): void {
    this.faults = [];
  }

  /**
   * The faults that fire for this call, at most one of each kind (the oldest matching), consuming
   * their counts and random draws. A fault whose count is used up is removed.
   */
  fire(call: CallTarget): Map<FaultKind, Fault> {
    const fired = new Map<FaultKind, Fault>();
    for (const fault of this.faults) {
      if (fired.has(fault.kind)) continue;
      if (fault.platform !== undefined && fault.platform !== call.platform) continue;
      if (fault.operation !== undefined && fault.operation !== call.operation) continue;
      if (fault.account !== undefined && fault.account !== call.account) continue;
      const only = KIND_OPERATIONS[fault.kind];
      if (only !== undefined && !only.includes(call.operation)) continue;
      if (fault.random && fault.random() >= (fault.probability ?? 1)) continue;
      fault.fired++;
      fired.set(fault.kind, this.view(fault));
    }
    this.faults = this.faults.filter((f) => f.count === undefined || f.fired < f.count);
    return fired;
  }

  private view(fault: Fault & { random?: () => number }): Fault {
    const { random: _random, ...rest } = fault;
    return { ...rest };
  }
}
