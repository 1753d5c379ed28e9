// The status derivation as properties over generated histories: whatever order a content's events
// arrive in, however many of them are duplicated, the content ends in the same status with the same
// audit entries as when they arrive in the order they happened. Seeded (PRASAR_PROPERTY_SEED
// replays one case); content-status.int.spec.ts runs the same property through Kafka and PostgreSQL.
import { forAll } from '@prasar/testing';
import { expectedStatus, generateHistory, replay } from '../testing/status-history';
import type { ContentStatus } from './content.entity';
import {
  advancePublication,
  PUBLICATION_RANK,
  publicationStatus,
  stepsToward,
  type PublicationFact,
  type PublicationProgressState,
} from './status';

const CHAIN: ContentStatus[] = ['IN_REVIEW', 'APPROVED', 'SCHEDULED', 'PUBLISHING'];
const rank = (s: ContentStatus) => (CHAIN.includes(s) ? CHAIN.indexOf(s) : CHAIN.length);

describe('a publication only moves forward', () => {
  const STATES = Object.keys(PUBLICATION_RANK) as PublicationProgressState[];

  it('a late, older state never overwrites a newer one; a terminal state is never undone', () => {
    expect(advancePublication('PUBLISHED', 'PUBLISHING')).toBe('PUBLISHED');
    expect(advancePublication('PUBLISHED', 'SCHEDULED')).toBe('PUBLISHED');
    expect(advancePublication('FAILED', 'PUBLISHING')).toBe('FAILED');
    expect(advancePublication('CANCELLED', 'SCHEDULED')).toBe('CANCELLED');
    expect(advancePublication('PUBLISHING', 'HELD')).toBe('PUBLISHING');
    expect(advancePublication(undefined, 'PUBLISHING')).toBe('PUBLISHING');
    expect(advancePublication('SCHEDULED', 'PUBLISHED')).toBe('PUBLISHED');
    // A hold and its release are one stage: either is kept, both mean "still to go".
    expect(advancePublication('HELD', 'SCHEDULED')).toBe('SCHEDULED');
    expect(advancePublication('SCHEDULED', 'HELD')).toBe('HELD');
  });

  it('whatever order two states arrive in, the publication keeps the same stage', () => {
    for (const a of STATES)
      for (const b of STATES)
        expect([a, b, PUBLICATION_RANK[advancePublication(a, b)]]).toEqual([
          a,
          b,
          PUBLICATION_RANK[advancePublication(b, a)],
        ]);
  });
});

describe("a content's status derived from its approval and publications", () => {
  it('waits for a target whose publication has not been heard of before settling', () => {
    const one: PublicationFact[] = [{ accountId: 'x', state: 'PUBLISHED' }];
    expect(publicationStatus(['x', 'fb'], one).status).toBe('PUBLISHING');
    expect(publicationStatus(['x', 'fb'], [...one, { accountId: 'fb', state: 'FAILED' }]).status).toBe(
      'PARTIALLY_PUBLISHED',
    );
  });

  it('takes every step of the path at once for progress that came before the approval', () => {
    const facts: PublicationFact[] = [{ accountId: 'x', state: 'PUBLISHED' }];
    expect(stepsToward('IN_REVIEW', ['x'], facts)).toEqual([]);
    expect(stepsToward('APPROVED', ['x'], facts)).toEqual([
      { operation: 'SCHEDULE' },
      { operation: 'START_PUBLISHING' },
      { operation: 'SETTLE_PUBLISHED', note: '1 published, 0 failed' },
    ]);
    expect(stepsToward('PUBLISHED', ['x'], facts)).toEqual([]);
    expect(stepsToward('WITHDRAWN', ['x'], facts)).toEqual([]);
  });

  it('in the order things happened, ends where the publications say', async () => {
    const runs = await forAll(300, (g) => {
      const { targets, events, finals } = generateHistory(g);
      expect(replay(targets, events).status).toBe(expectedStatus(finals));
    });
    expect(runs).toBeGreaterThan(0);
  });

  it('any order and any duplication of the events ends in the same status and the same audit entries', async () => {
    await forAll(500, (g) => {
      const { targets, events, finals } = generateHistory(g);
      const inOrder = replay(targets, events);
      for (let i = 0; i < 5; i++) {
        const arrived = g.duplicateAndShuffle(events, events.length);
        const result = replay(targets, arrived);
        expect({ status: result.status, audit: result.audit }).toEqual({
          status: inOrder.status,
          audit: inOrder.audit,
        });
        expect(result.status).toBe(expectedStatus(finals));
      }
    });
  });

  it('never moves a status backwards, and every step is one the lifecycle allows', async () => {
    await forAll(300, (g) => {
      const { targets, events } = generateHistory(g);
      const { visited } = replay(targets, g.duplicateAndShuffle(events, events.length));
      for (let i = 1; i < visited.length; i++)
        expect(rank(visited[i] as ContentStatus)).toBeGreaterThan(rank(visited[i - 1] as ContentStatus));
    });
  });
});
