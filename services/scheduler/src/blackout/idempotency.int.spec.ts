// Idempotent declareBlackout against the real database: a repeat with the key answers the first
// window, with one row and one BlackoutDeclared in the outbox, whatever the repeats and races.
import { randomUUID } from 'node:crypto';
import type { Principal } from '@prasar/auth';
import { EventPublisher } from '@prasar/kafka';
import { asPlatform, createServiceDataSource, migrate, type DataSource } from '@prasar/persistence';
import { scratchDatabase } from '@prasar/testing';
import { schedulerDataSourceOptions } from '../data-source';
import { PublicationService } from '../publication/publication.service';
import { BlackoutService, type BlackoutInput } from './blackout.service';

describe('idempotent declareBlackout', () => {
  let db: Awaited<ReturnType<typeof scratchDatabase>>;
  let ds: DataSource;
  let blackouts: BlackoutService;
  const itCell = (subject: string): Principal => ({ subject, name: subject, roles: ['IT_CELL_ADMIN'] });
  const window = (reason = 'Lok Sabha election notified'): BlackoutInput => ({
    regions: ['STATE'],
    startsAt: new Date(Date.now() + 3_600_000),
    endsAt: new Date(Date.now() + 7_200_000),
    reason,
  });

  /** The windows with that reason and the BlackoutDeclared events written for them. */
  async function effectsOf(reason: string) {
    return asPlatform(ds, async (em) => {
      const rows = (await em.query(`SELECT id FROM blackout_windows WHERE reason = $1`, [reason])) as {
        id: string;
      }[];
      const [{ n }] = (await em.query(
        `SELECT count(*)::int AS n FROM prasar_outbox WHERE type LIKE '%BlackoutDeclared' AND key = ANY($1::text[])`,
        [rows.map((r) => r.id)],
      )) as { n: number }[];
      return { windows: rows.map((r) => r.id), events: n };
    });
  }

  beforeAll(async () => {
    db = await scratchDatabase('scheduler_idempotency');
    ds = createServiceDataSource({ ...schedulerDataSourceOptions(db.url), poolSize: 12 });
    await ds.initialize();
    await migrate(ds);
    const events = new EventPublisher({ service: 'scheduler', brokers: [] });
    blackouts = new BlackoutService(ds, events, new PublicationService(ds, events));
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('answers a repeat with the first window: one row, one event', async () => {
    const reason = `repeat ${randomUUID()}`;
    const given = window(reason);
    const first = await blackouts.declare(itCell('it-1'), given, new Date(), {
      key: 'mcc-1',
      request: { input: given },
    });
    const again = await blackouts.declare(itCell('it-1'), { ...given }, new Date(), {
      key: 'mcc-1',
      request: { input: { ...given } },
    });
    expect(again.id).toBe(first.id);
    expect(await effectsOf(reason)).toEqual({ windows: [first.id], events: 1 });
  });

  it('refuses the same key with another input as CONFLICT and declares nothing', async () => {
    const reason = `conflict ${randomUUID()}`;
    const given = window(reason);
    const first = await blackouts.declare(itCell('it-1'), given, new Date(), {
      key: 'mcc-2',
      request: { input: given },
    });
    const other = { ...given, regions: ['Bhopal'] };
    await expect(
      blackouts.declare(itCell('it-1'), other, new Date(), { key: 'mcc-2', request: { input: other } }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await effectsOf(reason)).toEqual({ windows: [first.id], events: 1 });
  });

  it('declares one window when repeats with one key race', async () => {
    const reason = `race ${randomUUID()}`;
    const given = window(reason);
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        blackouts.declare(itCell('it-1'), given, new Date(), { key: 'mcc-race', request: { input: given } }),
      ),
    );
    expect(new Set(results.map((w) => w.id)).size).toBe(1);
    expect(await effectsOf(reason)).toEqual({ windows: [results[0].id], events: 1 });
  });

  it("keeps keys per caller: another admin's same key declares its own window", async () => {
    const reason = `callers ${randomUUID()}`;
    const given = window(reason);
    const mine = await blackouts.declare(itCell('it-1'), given, new Date(), {
      key: 'mcc-3',
      request: { input: given },
    });
    const theirs = await blackouts.declare(itCell('it-2'), given, new Date(), {
      key: 'mcc-3',
      request: { input: given },
    });
    expect(theirs.id).not.toBe(mine.id);
    expect((await effectsOf(reason)).events).toBe(2);
  });

  it('refuses an invalid key with BAD_USER_INPUT and declares nothing', async () => {
    const reason = `invalid ${randomUUID()}`;
    const given = window(reason);
    await expect(
      blackouts.declare(itCell('it-1'), given, new Date(), {
        key: 'x'.repeat(201),
        request: { input: given },
      }),
    ).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(await effectsOf(reason)).toEqual({ windows: [], events: 0 });
  });
});
