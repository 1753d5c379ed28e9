// Slot arithmetic: when may an account post next, given its minimum gap and daily cap? Days are
// counted in Asia/Kolkata, where the departments and their audiences are.

export type Platform = 'X' | 'FACEBOOK' | 'INSTAGRAM' | 'WHATSAPP';

export interface Pacing {
  /** Minimum minutes between two posts on the account. */
  minGapMinutes: number;
  /** Most posts on the account in one Asia/Kolkata day. */
  dailyCap: number;
}

/** Defaults per platform, so a department never floods a feed; the IT cell can change them per account. */
export const DEFAULT_PACING: Record<Platform, Pacing> = {
  X: { minGapMinutes: 10, dailyCap: 25 },
  FACEBOOK: { minGapMinutes: 30, dailyCap: 10 },
  INSTAGRAM: { minGapMinutes: 60, dailyCap: 6 },
  WHATSAPP: { minGapMinutes: 240, dailyCap: 3 },
};

const IST_OFFSET_MS = 330 * 60_000;
const DAY_MS = 86_400_000;

/** The Asia/Kolkata calendar day of an instant, as YYYY-MM-DD. */
export function istDay(t: Date): string {
  return new Date(t.getTime() + IST_OFFSET_MS).toISOString().slice(0, 10);
}

/** The instant the next Asia/Kolkata day begins after t. */
export function nextIstMidnight(t: Date): Date {
  const local = t.getTime() + IST_OFFSET_MS;
  return new Date(Math.floor(local / DAY_MS) * DAY_MS + DAY_MS - IST_OFFSET_MS);
}

/** Why a proposed time does not fit an account's pacing, or null when it fits. */
export function pacingConflict(taken: readonly Date[], pacing: Pacing, at: Date): string | null {
  const gapMs = pacing.minGapMinutes * 60_000;
  const near = taken.find((t) => Math.abs(t.getTime() - at.getTime()) < gapMs);
  if (near)
    return `another post on this account is at ${near.toISOString()}, less than ${pacing.minGapMinutes} minutes away`;
  const day = istDay(at);
  if (taken.filter((t) => istDay(t) === day).length >= pacing.dailyCap) {
    return `the account already has its ${pacing.dailyCap} posts for ${day}`;
  }
  return null;
}

/** The earliest instant at or after `from` that fits the account's pacing. */
export function nextFreeSlot(taken: readonly Date[], pacing: Pacing, from: Date): Date {
  const gapMs = pacing.minGapMinutes * 60_000;
  const sorted = [...taken].sort((a, b) => a.getTime() - b.getTime());
  let at = from;
  // Each step moves `at` strictly forward past a conflict, so this ends within len(taken)+days steps.
  for (let guard = 0; guard < sorted.length + 400; guard++) {
    const day = istDay(at);
    if (sorted.filter((t) => istDay(t) === day).length >= pacing.dailyCap) {
      at = nextIstMidnight(at);
      continue;
    }
    const near = sorted.find((t) => Math.abs(t.getTime() - at.getTime()) < gapMs);
    if (!near) return at;
    at = new Date(near.getTime() + gapMs);
  }
  throw new Error('no free slot found within the planning horizon');
}
