// The scheduler's rules against the real database: pacing, blackouts, holds, and dispatch that
// never lets two replicas claim the same publication.
import { randomUUID } from 'node:crypto';
import { toBinary, create } from '@bufbuild/protobuf';
import { departmentIdOf, type Principal } from '@prasar/auth';
import { ContentSnapshotSchema } from '@prasar/contracts';
import { EventPublisher, UntrustedEventError } from '@prasar/kafka';
import { asPlatform, createServiceDataSource, migrate, type DataSource } from '@prasar/persistence';
import { readInfraEnv } from '@prasar/testing';
import { BlackoutService } from './blackout/blackout.service';
import { schedulerDataSourceOptions } from './data-source';
import { Dispatcher } from './publication/dispatcher';
import { SchedulerEventsHandler } from './publication/events.handler';
import { Account, ApprovedContent, Publication } from './publication/publication.entity';
import { PublicationService } from './publication/publication.service';

describe('scheduler against the real database', () => {
  let ds: DataSource;
  let publications: PublicationService;
  let blackouts: BlackoutService;
  let dispatcher: Dispatcher;
  const run = randomUUID().slice(0, 8);
  const code = `sched-${run}`;
  const departmentId = departmentIdOf(code);
  const editor: Principal = {
    subject: `ed-${run}`,
    name: 'Editor',
    roles: ['DEPT_EDITOR'],
    departmentCode: code,
    departmentId,
  };
  const stranger: Principal = {
    subject: 's',
    name: 'S',
    roles: ['DEPT_EDITOR'],
    departmentCode: `other-${run}`,
    departmentId: departmentIdOf(`other-${run}`),
  };
  const itCell: Principal = { subject: `it-${run}`, name: 'IT cell', roles: ['IT_CELL_ADMIN'] };
  const xAccount = `x-${run}`;
  const fbAccount = `fb-${run}`;

  beforeAll(async () => {
    ds = createServiceDataSource(schedulerDataSourceOptions(readInfraEnv().DATABASE_URLS.scheduler));
    await ds.initialize();
    await migrate(ds);
    const events = new EventPublisher({ service: 'scheduler', brokers: [] });
    publications = new PublicationService(ds, events);
    blackouts = new BlackoutService(ds, events, publications);
    dispatcher = new Dispatcher(ds, publications);
    await asPlatform(ds, async (em) => {
      await em.insert(Account, [
        {
          id: xAccount,
          departmentId,
          platform: 'X',
          handle: '@MPAgri',
          status: 'ACTIVE',
          minGapMinutes: 10,
          dailyCap: 25,
        },
        {
          id: fbAccount,
          departmentId,
          platform: 'FACEBOOK',
          handle: 'MPAgriculture',
          status: 'ACTIVE',
          minGapMinutes: 30,
          dailyCap: 10,
        },
      ]);
    });
  });

  afterAll(async () => {
    await ds?.destroy();
  });

  async function approved(
    kind: string,
    targets = [xAccount],
    priority = 'NORMAL',
    desiredPublishAt: Date | null = null,
  ) {
    const contentId = randomUUID();
    const snapshot = create(ContentSnapshotSchema, {
      contentId,
      departmentId,
      version: 1,
      title: 'कृषि',
      targetAccountIds: targets,
    });
    await asPlatform(ds, (em) =>
      em.insert(ApprovedContent, {
        contentId,
        departmentId,
        version: 1,
        kind,
        priority,
        desiredPublishAt,
        targetAccountIds: targets,
        snapshot: Buffer.from(toBinary(ContentSnapshotSchema, snapshot)),
        withdrawn: false,
        approvedAt: new Date(),
      }),
    );
    return contentId;
  }

  const outboxTypesFor = async (publicationId: string) =>
    (
      await asPlatform(ds, (em) =>
        em.query(
          `SELECT type FROM prasar_outbox WHERE key IN (SELECT content_id::text FROM publications WHERE id = $1) ORDER BY seq`,
          [publicationId],
        ),
      )
    ).map((r: { type: string }) => r.type.split('.').pop());

  it('schedules every target at its next free slot, keeping each account’s minimum gap', async () => {
    const from = new Date(Date.now() + 3 * 86_400_000);
    const a = await publications.schedule(editor, {
      contentId: await approved('SCHEME', [xAccount, fbAccount]),
      at: from,
      nextFreeSlot: true,
    });
    const b = await publications.schedule(editor, {
      contentId: await approved('SCHEME', [xAccount]),
      at: from,
      nextFreeSlot: true,
    });
    expect(a.map((p) => p.state)).toEqual(['SCHEDULED', 'SCHEDULED']);
    const xA = a.find((p) => p.accountId === xAccount)!;
    expect(b[0].scheduledAt.getTime() - xA.scheduledAt.getTime()).toBeGreaterThanOrEqual(10 * 60_000);
    expect(await outboxTypesFor(xA.id)).toContain('PublicationScheduled');
  });

  it('read-your-writes: a schedule that arrives before ContentApproved waits for it and succeeds on the first call', async () => {
    const contentId = randomUUID();
    const igAccount = `ig-${run}`; // an account of its own, so its slot takes nobody else's
    await asPlatform(ds, (em) =>
      em.insert(Account, {
        id: igAccount,
        departmentId,
        platform: 'INSTAGRAM',
        handle: 'mp_agri',
        status: 'ACTIVE',
        minGapMinutes: 30,
        dailyCap: 10,
      }),
    );
    const started = Date.now();
    const call = publications.schedule(editor, { contentId, nextFreeSlot: true });
    // ContentApproved is consumed a moment later (what the handler stores, in its own transaction).
    await new Promise((resolve) => setTimeout(resolve, 400));
    const snapshot = create(ContentSnapshotSchema, {
      contentId,
      departmentId,
      version: 1,
      targetAccountIds: [igAccount],
    });
    await asPlatform(ds, (em) =>
      em.insert(ApprovedContent, {
        contentId,
        departmentId,
        version: 1,
        kind: 'SCHEME',
        priority: 'NORMAL',
        desiredPublishAt: null,
        targetAccountIds: [igAccount],
        snapshot: Buffer.from(toBinary(ContentSnapshotSchema, snapshot)),
        withdrawn: false,
        approvedAt: new Date(),
      }),
    );
    const scheduled = await call;
    expect(scheduled.map((p) => [p.contentId, p.accountId, p.state])).toEqual([
      [contentId, igAccount, 'SCHEDULED'],
    ]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('still answers NOT_FOUND for content never approved, once the bounded wait is over', async () => {
    const started = Date.now();
    const err = await publications
      .schedule(editor, { contentId: randomUUID(), nextFreeSlot: true })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NOT_FOUND' });
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 30_000);

  it('refuses a time that breaks the gap with CONFLICT naming the next free slot, and changes nothing', async () => {
    const at = new Date(Date.now() + 5 * 86_400_000);
    await publications.schedule(editor, { contentId: await approved('SCHEME'), at });
    const second = await approved('SCHEME');
    await expect(
      publications.schedule(editor, { contentId: second, at: new Date(at.getTime() + 60_000) }),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/next free slot is/),
    });
    expect(await publications.forContent(editor, second)).toEqual([]);
  });

  it("hides another department's publications and refuses to schedule its content", async () => {
    const contentId = await approved('SCHEME');
    await publications.schedule(editor, {
      contentId,
      at: new Date(Date.now() + 7 * 86_400_000),
      nextFreeSlot: true,
    });
    expect(await publications.forContent(stranger, contentId)).toEqual([]);
    await expect(publications.schedule(stranger, { contentId, nextFreeSlot: true })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('holds an achievement in a blackout and lets an order through; ending the window releases it', async () => {
    const achievement = await approved('ACHIEVEMENT', [fbAccount]);
    const order = await approved('ORDER', [xAccount]);
    const window = await blackouts.declare(itCell, {
      regions: ['STATE'],
      startsAt: new Date(Date.now() - 60_000),
      endsAt: new Date(Date.now() + 3_600_000),
      reason: 'By-election notified',
    });
    const [held] = await publications.schedule(editor, { contentId: achievement, nextFreeSlot: true });
    const [going] = await publications.schedule(editor, { contentId: order, nextFreeSlot: true });
    expect(held.state).toBe('HELD');
    expect(held.heldDetail).toMatch(/Model Code of Conduct.*By-election notified/);
    expect(going.state).toBe('SCHEDULED');

    const dispatched = await dispatcher.dispatchDue(new Date(Date.now() + 1000));
    expect(dispatched).toContain(going.id);
    expect(dispatched).not.toContain(held.id);

    await blackouts.end(itCell, window.id);
    expect(await dispatcher.releaseExpiredBlackouts(new Date(Date.now() + 1000))).toBeGreaterThanOrEqual(1);
    const [released] = await publications.forContent(editor, achievement);
    expect(released.state).toBe('SCHEDULED');
    expect(await dispatcher.dispatchDue(new Date(Date.now() + 2000))).toContain(held.id);
    expect(await outboxTypesFor(held.id)).toEqual(
      expect.arrayContaining([
        'PublicationScheduled',
        'PublicationHeld',
        'PublicationReleased',
        'PublishRequested',
      ]),
    );
  });

  it('never lets two dispatchers claim the same publication', async () => {
    const ids: string[] = [];
    await asPlatform(ds, async (em) => {
      for (let i = 0; i < 40; i++) {
        const contentId = await approved('ORDER', [xAccount]);
        const id = randomUUID();
        ids.push(id);
        await em.insert(Publication, {
          id,
          contentId,
          departmentId,
          accountId: xAccount,
          platform: 'X',
          contentVersion: 1,
          state: 'SCHEDULED',
          scheduledAt: new Date(Date.now() - 1000),
          holdReason: null,
          heldDetail: null,
          blackoutId: null,
          dispatches: 0,
          attempts: 0,
          publishedAt: null,
          externalId: null,
          url: null,
          lastError: null,
          createdAt: new Date(),
          updatedAt: new Date(),
        });
      }
    });
    const [one, two] = await Promise.all([
      dispatcher.dispatchDue(new Date(), 25),
      dispatcher.dispatchDue(new Date(), 25),
    ]);
    const mine = (list: string[]) => list.filter((id) => ids.includes(id));
    expect(mine(one).filter((id) => two.includes(id))).toEqual([]);
    const rest = await dispatcher.dispatchDue(new Date(), 100);
    expect(new Set([...mine(one), ...mine(two), ...mine(rest)]).size).toBe(40);
    const [{ n }] = await asPlatform(ds, (em) =>
      em.query(
        `SELECT count(*)::int AS n FROM prasar_outbox WHERE type LIKE '%PublishRequested' AND key = ANY(
                  SELECT content_id::text FROM publications WHERE id = ANY($1::uuid[]))`,
        [ids],
      ),
    );
    expect(n).toBe(40);
  });

  it('holds a post approved after its desired time for a person, who reschedules it', async () => {
    const contentId = await approved('SCHEME', [fbAccount], 'NORMAL', new Date(Date.now() - 3_600_000));
    const handler = new SchedulerEventsHandler(publications);
    // Replays what happens on ContentApproved for a version whose desired time has passed.
    await asPlatform(ds, async (em) => {
      const content = await em.findOneByOrFail(ApprovedContent, { contentId });
      await em.delete(ApprovedContent, { contentId });
      const snapshot = create(ContentSnapshotSchema, {
        contentId,
        departmentId,
        version: 1,
        kind: 5,
        desiredPublishAt: {
          seconds: BigInt(Math.floor(content.desiredPublishAt!.getTime() / 1000)),
          nanos: 0,
        },
        targetAccountIds: [fbAccount],
      });
      await handler.onApproved(
        { contentId, departmentId, contentVersion: 1, snapshot } as never,
        { manager: em } as never,
      );
    });
    const [held] = await publications.forContent(editor, contentId);
    expect(held).toMatchObject({ state: 'HELD', holdReason: 'DESIRED_TIME_PASSED' });
    const [moved] = await publications.schedule(editor, { contentId, nextFreeSlot: true });
    expect(moved).toMatchObject({ id: held.id, state: 'SCHEDULED' });
  });

  it("refuses a ContentApproved that targets another department's account: parked, nothing kept", async () => {
    const foreignAccount = `x-foreign-${run}`;
    await asPlatform(ds, (em) =>
      em.insert(Account, {
        id: foreignAccount,
        departmentId: stranger.departmentId!,
        platform: 'X',
        handle: '@Other',
        status: 'ACTIVE',
        minGapMinutes: 10,
        dailyCap: 25,
      }),
    );
    const contentId = randomUUID();
    const handler = new SchedulerEventsHandler(publications);
    const snapshot = create(ContentSnapshotSchema, {
      contentId,
      departmentId,
      version: 1,
      kind: 5,
      desiredPublishAt: { seconds: BigInt(Math.floor(Date.now() / 1000) + 86_400), nanos: 0 },
      targetAccountIds: [xAccount, foreignAccount],
    });
    await expect(
      asPlatform(ds, (em) =>
        handler.onApproved(
          { contentId, departmentId, contentVersion: 1, snapshot } as never,
          { manager: em } as never,
        ),
      ),
    ).rejects.toThrow(UntrustedEventError);
    await asPlatform(ds, async (em) => {
      expect(await em.countBy(ApprovedContent, { contentId })).toBe(0);
      expect(await em.countBy(Publication, { contentId })).toBe(0);
    });
  });
});
