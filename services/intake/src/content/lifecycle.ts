import { ConflictError } from '@prasar/auth';
import type { ContentStatus } from './content.entity';

/** DOMAIN.md's lifecycle: which status may follow which. */
export const TRANSITIONS: Readonly<Record<ContentStatus, readonly ContentStatus[]>> = {
  DRAFT: ['IN_REVIEW', 'WITHDRAWN'],
  IN_REVIEW: ['CHANGES_REQUESTED', 'APPROVED', 'REJECTED', 'WITHDRAWN'],
  CHANGES_REQUESTED: ['IN_REVIEW', 'WITHDRAWN'],
  APPROVED: ['SCHEDULED', 'WITHDRAWN'],
  REJECTED: [],
  SCHEDULED: ['PUBLISHING', 'WITHDRAWN'],
  PUBLISHING: ['PUBLISHED', 'PARTIALLY_PUBLISHED', 'FAILED'],
  PUBLISHED: [],
  PARTIALLY_PUBLISHED: [],
  FAILED: [],
  WITHDRAWN: [],
};

export const CONTENT_STATUSES = Object.keys(TRANSITIONS) as ContentStatus[];

/** Statuses in which an editor may edit the content (every edit makes a new version). */
export const EDITABLE_STATUSES: readonly ContentStatus[] = ['DRAFT', 'CHANGES_REQUESTED'];

/** What moves content: an editor's operation, or another service's event. */
export type LifecycleOperation =
  | 'SUBMIT'
  | 'UPDATE'
  | 'WITHDRAW'
  | 'APPROVE'
  | 'REJECT'
  | 'REQUEST_CHANGES'
  // From the scheduler's and the publisher's events:
  | 'SCHEDULE'
  | 'START_PUBLISHING'
  | 'SETTLE_PUBLISHED'
  | 'SETTLE_PARTIALLY_PUBLISHED'
  | 'SETTLE_FAILED';

/** Where each operation takes content; `null`: it keeps its status (an edit makes a new version). */
export const OPERATION_TARGET: Readonly<Record<LifecycleOperation, ContentStatus | null>> = {
  SUBMIT: 'IN_REVIEW',
  UPDATE: null,
  WITHDRAW: 'WITHDRAWN',
  APPROVE: 'APPROVED',
  REJECT: 'REJECTED',
  REQUEST_CHANGES: 'CHANGES_REQUESTED',
  SCHEDULE: 'SCHEDULED',
  START_PUBLISHING: 'PUBLISHING',
  SETTLE_PUBLISHED: 'PUBLISHED',
  SETTLE_PARTIALLY_PUBLISHED: 'PARTIALLY_PUBLISHED',
  SETTLE_FAILED: 'FAILED',
};

export function canTransition(from: ContentStatus, to: ContentStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Refuses a transition the lifecycle does not allow, with CONFLICT. */
export function assertTransition(from: ContentStatus, to: ContentStatus): void {
  if (!canTransition(from, to)) {
    throw new ConflictError(`Content in status ${from} cannot move to ${to}`);
  }
}

/** Whether an operation is allowed on content in a status. */
export function allows(operation: LifecycleOperation, from: ContentStatus): boolean {
  const to = OPERATION_TARGET[operation];
  return to === null ? EDITABLE_STATUSES.includes(from) : canTransition(from, to);
}

/** The status content has after the operation, or CONFLICT when the lifecycle refuses it. */
export function statusAfter(operation: LifecycleOperation, from: ContentStatus): ContentStatus {
  const to = OPERATION_TARGET[operation];
  if (to !== null) {
    assertTransition(from, to);
    return to;
  }
  if (!EDITABLE_STATUSES.includes(from))
    throw new ConflictError(
      `Content in status ${from} cannot be edited (only ${EDITABLE_STATUSES.join(' or ')} content can)`,
    );
  return from;
}
