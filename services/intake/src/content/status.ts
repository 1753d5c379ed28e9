// A content's status derived from facts: its approval (the status intake's own operations and the
// approval service's decisions gave it) and every publication of its current version. Pure, so the
// service, the reconciliation and the property tests run the same derivation.
import type { ContentStatus } from './content.entity';
import type { LifecycleOperation } from './lifecycle';

/** A publication's state as intake follows it. */
export type PublicationProgressState =
  'SCHEDULED' | 'HELD' | 'PUBLISHING' | 'PUBLISHED' | 'FAILED' | 'CANCELLED';

/**
 * How far a publication got. A state only replaces one of lower rank, so a late, older state never
 * overwrites a newer one and a terminal state is never undone. SCHEDULED and HELD are the same
 * stage (a hold and its release alternate; either way the post is still to go). Among the terminal
 * states the order is fixed (PUBLISHED wins: a post that is live is live), so duplicates and any
 * order of them settle alike.
 */
export const PUBLICATION_RANK: Readonly<Record<PublicationProgressState, number>> = {
  SCHEDULED: 0,
  HELD: 0,
  PUBLISHING: 1,
  CANCELLED: 2,
  FAILED: 3,
  PUBLISHED: 4,
};

const TERMINAL: readonly PublicationProgressState[] = ['PUBLISHED', 'FAILED', 'CANCELLED'];

/** The state a publication keeps when `incoming` arrives after `current`. */
export function advancePublication(
  current: PublicationProgressState | undefined,
  incoming: PublicationProgressState,
): PublicationProgressState {
  if (current === undefined) return incoming;
  return PUBLICATION_RANK[incoming] >= PUBLICATION_RANK[current] ? incoming : current;
}

/** One publication of the current version, as intake last recorded it. */
export interface PublicationFact {
  accountId: string;
  state: PublicationProgressState;
}

/** The statuses an approved content passes through, in order (the three settled ones are the end). */
const APPROVED_CHAIN: readonly ContentStatus[] = [
  'APPROVED',
  'SCHEDULED',
  'PUBLISHING',
  'PUBLISHED',
  'PARTIALLY_PUBLISHED',
  'FAILED',
];
const SETTLED: readonly ContentStatus[] = ['PUBLISHED', 'PARTIALLY_PUBLISHED', 'FAILED'];

/** Whether the content has been approved (its status is APPROVED or any status after it). */
export function isApproved(status: ContentStatus): boolean {
  return APPROVED_CHAIN.includes(status);
}

/** Where the publications of an approved content put it, and the settlement's counts. */
export function publicationStatus(
  targetAccountIds: readonly string[],
  publications: readonly PublicationFact[],
): { status: ContentStatus; published: number; failed: number } {
  const published = publications.filter((p) => p.state === 'PUBLISHED').length;
  const failed = publications.filter((p) => p.state === 'FAILED').length;
  if (publications.length === 0) return { status: 'APPROVED', published, failed };
  // Settled once every target has a publication, none of them is still to go, and at least one
  // reached a platform outcome. A target with no publication seen yet is still to come: its
  // SCHEDULED may simply not have arrived (three topics, no order between them).
  const seen = new Set(publications.map((p) => p.accountId));
  const everyTarget = targetAccountIds.every((a) => seen.has(a));
  const open = publications.some((p) => !TERMINAL.includes(p.state));
  if (everyTarget && !open && published + failed > 0) {
    const status = failed === 0 ? 'PUBLISHED' : published === 0 ? 'FAILED' : 'PARTIALLY_PUBLISHED';
    return { status, published, failed };
  }
  if (publications.some((p) => p.state !== 'SCHEDULED' && p.state !== 'HELD' && p.state !== 'CANCELLED'))
    return { status: 'PUBLISHING', published, failed };
  // Scheduled, held, or every one cancelled by a person: the content was scheduled (the lifecycle
  // has no way back to APPROVED; it can be scheduled again from here).
  return { status: 'SCHEDULED', published, failed };
}

/** One step of the lifecycle the derivation takes, with its audit note. */
export interface DerivedStep {
  operation: LifecycleOperation;
  note?: string;
}

const SETTLE: Record<string, LifecycleOperation> = {
  PUBLISHED: 'SETTLE_PUBLISHED',
  PARTIALLY_PUBLISHED: 'SETTLE_PARTIALLY_PUBLISHED',
  FAILED: 'SETTLE_FAILED',
};

/**
 * The lifecycle steps that bring content from its status to the one its publications call for:
 * every step of the path, in order (APPROVED → SCHEDULED → PUBLISHING → settled), so the audit
 * trail reads the same whichever events came first. Never backwards, and nothing for content that
 * is not approved (under review, withdrawn, ...) or already settled.
 */
export function stepsToward(
  status: ContentStatus,
  targetAccountIds: readonly string[],
  publications: readonly PublicationFact[],
): DerivedStep[] {
  if (!isApproved(status) || SETTLED.includes(status)) return [];
  const derived = publicationStatus(targetAccountIds, publications);
  const from = APPROVED_CHAIN.indexOf(status);
  const to = APPROVED_CHAIN.indexOf(derived.status);
  const steps: DerivedStep[] = [];
  if (from < 1 && to >= 1) steps.push({ operation: 'SCHEDULE' });
  if (from < 2 && to >= 2) steps.push({ operation: 'START_PUBLISHING' });
  if (to >= 3)
    steps.push({
      operation: SETTLE[derived.status] as LifecycleOperation,
      note: `${derived.published} published, ${derived.failed} failed`,
    });
  return steps;
}
