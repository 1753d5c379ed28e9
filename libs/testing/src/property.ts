// Seeded property checks: a property run over many generated cases, each drawn from a PRNG seeded
// per case, so a failure names the seed that reproduces it (PRASAR_PROPERTY_SEED=<seed> replays
// exactly that case). Pure, no I/O: unit specs use it as well as integration specs.

/** mulberry32: a small, well-distributed PRNG. */
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

/** Draws from one case's PRNG. */
export interface Gen {
  seed: number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  /** True with probability p. */
  bool(p?: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** A new array with the items in a random order (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[];
  /** A new array with the items in a random order and some of them repeated (up to `extra` copies in all). */
  duplicateAndShuffle<T>(items: readonly T[], extra: number): T[];
}

export function gen(seed: number): Gen {
  const next = seededRandom(seed);
  const g: Gen = {
    seed,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    bool: (p = 0.5) => next() < p,
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[g.int(0, items.length - 1)] as (typeof items)[number];
    },
    shuffle: (items) => {
      const out = [...items];
      for (let i = out.length - 1; i > 0; i--) {
        const j = g.int(0, i);
        [out[i], out[j]] = [out[j] as (typeof out)[number], out[i] as (typeof out)[number]];
      }
      return out;
    },
    duplicateAndShuffle: (items, extra) => {
      const copies = items.length === 0 ? 0 : g.int(0, extra);
      const all = [...items];
      for (let i = 0; i < copies; i++) all.push(g.pick(items));
      return g.shuffle(all);
    },
  };
  return g;
}

/** The seeds a property runs over: PRASAR_PROPERTY_SEED alone when set, else `runs` seeds from `base`. */
export function propertySeeds(runs: number, base = 1): number[] {
  const fixed = process.env.PRASAR_PROPERTY_SEED;
  if (fixed) return [Number(fixed)];
  return Array.from({ length: runs }, (_, i) => base + i * 7919);
}

/**
 * Runs `property` once per seed; the first failure is rethrown with its seed, so
 * `PRASAR_PROPERTY_SEED=<seed>` reproduces it alone.
 */
export async function forAll(
  runs: number,
  property: (g: Gen) => void | Promise<void>,
  base = 1,
): Promise<number> {
  const seeds = propertySeeds(runs, base);
  for (const seed of seeds) {
    try {
      await property(gen(seed));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const failure = new Error(`property failed for PRASAR_PROPERTY_SEED=${seed}: ${message}`);
      if (err instanceof Error) failure.stack = `${failure.message}\n${err.stack ?? ''}`;
      throw failure;
    }
  }
  return seeds.length;
}
