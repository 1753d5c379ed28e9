import { regionsCover, STATE_WIDE_REGION } from '@prasar/compliance';

/** The region name that makes a window state-wide (in any case: regions are compared normalised). */
export const STATE_WIDE = STATE_WIDE_REGION;

/**
 * Kinds held during a Model Code of Conduct window (DOMAIN.md): publicity at public expense.
 * Orders, success stories and events go on; so does anything URGENT (public safety).
 */
export const HELD_KINDS: readonly string[] = ['ACHIEVEMENT', 'SCHEME', 'ADVERTISEMENT', 'MINISTER_MESSAGE'];

export interface WindowLike {
  regions: string[];
  startsAt: Date;
  endsAt: Date;
  endedAt: Date | null;
}

/** Whether a window is in force at an instant. */
export function isActive(w: WindowLike, at: Date): boolean {
  return (
    w.startsAt.getTime() <= at.getTime() &&
    at.getTime() < w.endsAt.getTime() &&
    (!w.endedAt || w.endedAt > at)
  );
}

/**
 * Whether a window covers a department: state-wide, or one of the department's regions, compared
 * in `@prasar/compliance`'s normal form (case and spacing do not matter).
 */
export function covers(w: WindowLike, departmentRegions: readonly string[]): boolean {
  return regionsCover(w.regions, departmentRegions);
}

/** Whether a post of this kind and priority is held by the window for this department. */
export function holds(
  w: WindowLike,
  post: { kind: string; priority: string },
  departmentRegions: readonly string[],
): boolean {
  return HELD_KINDS.includes(post.kind) && post.priority !== 'URGENT' && covers(w, departmentRegions);
}
