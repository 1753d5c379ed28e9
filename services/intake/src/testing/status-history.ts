// Test support (not a spec): a content's history of status events as it happened, intake's
// derivation replayed over them in memory, and what the status must end as. status.spec.ts
// (pure) and content-status.int.spec.ts (through Kafka and PostgreSQL) share them.
import fc from 'fast-check';
import type { ContentStatus } from '../content/content.entity';
import { allows, statusAfter, type LifecycleOperation } from '../content/lifecycle';
import {
  advancePublication,
  stepsToward,
  type PublicationFact,
  type PublicationProgressState,
} from '../content/status';

export type StatusEvent =
  | { type: 'APPROVED' }
  | { type: 'PROGRESS'; publicationId: string; accountId: string; state: PublicationProgressState };

/** A content's history as it happened: its targets, its events in order, each publication's last state. */
export interface StatusHistory {
  targets: string[];
  events: StatusEvent[];
  finals: PublicationProgressState[];
}

/** How one target's publication went: held by a blackout and released first or not, and where it ended. */
interface PublicationPlan {
  held: boolean;
  end: PublicationProgressState;
}

function historyOf(plans: PublicationPlan[]): StatusHistory {
  const targets = plans.map((_, i) => `account-${i}`);
  const events: StatusEvent[] = [{ type: 'APPROVED' }];
  const finals: PublicationProgressState[] = [];
  for (const [i, plan] of plans.entries()) {
    const accountId = targets[i] as string;
    const publicationId = `publication-${i}`;
    const states: PublicationProgressState[] = ['SCHEDULED'];
    if (plan.held) states.push('HELD', 'SCHEDULED'); // held by a blackout, then released
    if (plan.end === 'CANCELLED') states.push('CANCELLED');
    else if (plan.end !== 'SCHEDULED')
      states.push('PUBLISHING', ...(plan.end === 'PUBLISHING' ? [] : [plan.end]));
    finals.push(states.at(-1) as PublicationProgressState);
    for (const state of states) events.push({ type: 'PROGRESS', publicationId, accountId, state });
  }
  return { targets, events, finals };
}

/**
 * Histories of one to three targets, each publication scheduled (perhaps held and released) and
 * ending scheduled, publishing, published, failed or cancelled. Shrinks towards one target that
 * stays scheduled.
 */
export const statusHistory: fc.Arbitrary<StatusHistory> = fc
  .array(
    fc.record({
      held: fc.boolean(),
      end: fc.constantFrom<PublicationProgressState>(
        'SCHEDULED',
        'PUBLISHING',
        'PUBLISHED',
        'FAILED',
        'CANCELLED',
      ),
    }),
    { minLength: 1, maxLength: 3 },
  )
  .map(historyOf);

/** The most events a generated history has (approval + three targets of five states each). */
const MOST_EVENTS = 16;

/**
 * How a history's events arrive: some of them again (a replay or a re-emission), all of them in
 * any order. Drawn independently of the history, so each shrinks on its own: towards no
 * duplicate and the order things happened in.
 */
export const arrival = fc.record({
  duplicates: fc.array(fc.nat({ max: MOST_EVENTS - 1 }), { maxLength: MOST_EVENTS }),
  order: fc.array(fc.nat({ max: 1000 }), { minLength: 2 * MOST_EVENTS, maxLength: 2 * MOST_EVENTS }),
});
export type Arrival = typeof arrival extends fc.Arbitrary<infer A> ? A : never;

/** The events as they arrive: the history's events and the duplicates, sorted by their order keys. */
export function arrive(events: readonly StatusEvent[], how: Arrival): StatusEvent[] {
  const all = [...events, ...how.duplicates.map((d) => events[d % events.length] as StatusEvent)];
  return all
    .map((event, i) => ({ event, key: how.order[i] ?? 0, i }))
    .sort((a, b) => a.key - b.key || a.i - b.i)
    .map((a) => a.event);
}

/**
 * Intake's handlers, in memory: the same derivation the service runs in each event's transaction.
 * `advance` is how a publication's state is updated (the service's advancePublication unless a
 * test swaps in a broken one to see the property fail).
 */
export function replay(
  targets: string[],
  events: StatusEvent[],
  advance: typeof advancePublication = advancePublication,
) {
  let status: ContentStatus = 'IN_REVIEW';
  const publications = new Map<string, PublicationFact>();
  const audit: string[] = [];
  const visited: ContentStatus[] = [status];
  const take = (operation: LifecycleOperation, note?: string) => {
    const to = statusAfter(operation, status); // throws when the lifecycle refuses the step
    audit.push(`${status}→${to}${note ? ` (${note})` : ''}`);
    status = to;
    visited.push(to);
  };
  const settle = () => {
    for (const step of stepsToward(status, targets, [...publications.values()]))
      take(step.operation, step.note);
  };
  for (const e of events) {
    if (e.type === 'APPROVED') {
      if (!allows('APPROVE', status)) continue; // a duplicate: the lifecycle refuses it, nothing changes
      take('APPROVE');
    } else {
      const known = publications.get(e.publicationId)?.state;
      publications.set(e.publicationId, {
        accountId: e.accountId,
        state: advance(known, e.state),
      });
    }
    settle();
  }
  return { status, audit, visited };
}

/** What really happened, written out from the publications' last states (DOMAIN.md's rules). */
export function expectedStatus(finals: PublicationProgressState[]): ContentStatus {
  const published = finals.filter((s) => s === 'PUBLISHED').length;
  const failed = finals.filter((s) => s === 'FAILED').length;
  const open = finals.filter((s) => ['SCHEDULED', 'HELD', 'PUBLISHING'].includes(s)).length;
  if (open === 0 && published + failed > 0)
    return failed === 0 ? 'PUBLISHED' : published === 0 ? 'FAILED' : 'PARTIALLY_PUBLISHED';
  if (finals.some((s) => ['PUBLISHING', 'PUBLISHED', 'FAILED'].includes(s))) return 'PUBLISHING';
  // Still to go, or every publication cancelled by a person: it was scheduled.
  return 'SCHEDULED';
}
