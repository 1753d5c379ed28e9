// The publication half of the lifecycle (driven by the scheduler's and publisher's events), as a
// table written out by hand from DOMAIN.md; lifecycle.int.spec.ts covers the editorial half.
import { allows, CONTENT_STATUSES, type LifecycleOperation } from './lifecycle';

const EXPECTED: Record<Extract<LifecycleOperation, `S${string}` | 'START_PUBLISHING'>, string[]> = {
  SUBMIT: ['DRAFT', 'CHANGES_REQUESTED'],
  SCHEDULE: ['APPROVED'],
  START_PUBLISHING: ['SCHEDULED'],
  SETTLE_PUBLISHED: ['PUBLISHING'],
  SETTLE_PARTIALLY_PUBLISHED: ['PUBLISHING'],
  SETTLE_FAILED: ['PUBLISHING'],
};

describe('publication transitions', () => {
  for (const [operation, from] of Object.entries(EXPECTED)) {
    it.each(CONTENT_STATUSES.map((s) => [s, from.includes(s)] as const))(
      `${operation} from %s is allowed: %s`,
      (status, allowed) => {
        expect(allows(operation as LifecycleOperation, status)).toBe(allowed);
      },
    );
  }
});
