// Test support (not a spec): a content's history of status events as it happened, intake's
// derivation replayed over them in memory, and what the status must end as. status.spec.ts
// (pure) and content-status.int.spec.ts (through Kafka and PostgreSQL) share them.
import type { Gen } from '@prasar/testing';
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

/** A content's history as it happened: approval, then each target's publication moving along. */
export function generateHistory(g: Gen): {
  targets: string[];
  events: StatusEvent[];
  finals: PublicationProgressState[];
} {
  const targets = Array.from({ length: g.int(1, 3) }, (_, i) => `account-${i}`);
  const events: StatusEvent[] = [{ type: 'APPROVED' }];
  const finals: PublicationProgressState[] = [];
  for (const [i, accountId] of targets.entries()) {
    const publicationId = `publication-${i}`;
    const states: PublicationProgressState[] = ['SCHEDULED'];
    if (g.bool(0.3)) states.push('HELD', 'SCHEDULED'); // held by a blackout, then released
    const end = g.pick<PublicationProgressState>([
      'SCHEDULED',
      'PUBLISHING',
      'PUBLISHED',
      'PUBLISHED',
      'FAILED',
      'CANCELLED',
    ]);
    if (end === 'CANCELLED') states.push('CANCELLED');
    else if (end !== 'SCHEDULED') states.push('PUBLISHING', ...(end === 'PUBLISHING' ? [] : [end]));
    finals.push(states.at(-1) as PublicationProgressState);
    for (const state of states) events.push({ type: 'PROGRESS', publicationId, accountId, state });
  }
  return { targets, events, finals };
}

/** Intake's handlers, in memory: the same derivation the service runs in each event's transaction. */
export function replay(targets: string[], events: StatusEvent[]) {
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
        state: advancePublication(known, e.state),
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
