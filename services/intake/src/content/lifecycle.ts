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

export function canTransition(from: ContentStatus, to: ContentStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Refuses a transition the lifecycle does not allow, with CONFLICT. */
export function assertTransition(from: ContentStatus, to: ContentStatus): void {
  if (!canTransition(from, to)) {
    throw new ConflictError(`Content in status ${from} cannot move to ${to}`);
  }
}
