// What arrives over Kafka: PublishRequested is one durable job per publication, whether it is
// delivered twice or requested again; a cancelled publication is not published; and with the worker
// running, a request becomes a post and its events without anyone driving it.
import { randomUUID } from 'node:crypto';
import { PublicationCancelledSchema, PublishRequestedSchema } from '@prasar/contracts';
import { asPlatform } from '@prasar/persistence';
import { eventually } from '@prasar/testing';
import {
  connect,
  numericId,
  publishRequested,
  requestMessage,
  startPublisher,
  unique,
  type PublisherHarness,
} from '../__fixtures__/harness';
import { PublishJob } from './publish-job.entity';

describe('publish requests from the scheduler', () => {
  let h: PublisherHarness;
  const department = unique('revenue');

  beforeAll(async () => {
    h = await startPublisher('requests');
  });
  afterAll(async () => {
    await h?.close();
  });

  async function xAccount() {
    const id = numericId();
    const accessToken = `x-at-${randomUUID()}`;
    await h.sim.registerXAccount({ id, username: 'MPRevenue', accessToken });
    return {
      account: await connect(h, 'X', department, { externalAccountId: id, accessToken }),
      id,
      accessToken,
    };
  }

  const jobsFor = (publicationId: string) =>
    asPlatform(h.ds, (em) => em.find(PublishJob, { where: { publicationId } }));

  it('keeps one job per publication through a redelivery and a repeated request, and posts once', async () => {
    const { account, id } = await xAccount();
    const message = requestMessage({ account });
    const first = await h.emit(PublishRequestedSchema, message);
    expect(await h.handled(first)).toBe('handled');
    // The same event delivered again changes nothing (inbox); a new request for the same
    // publication finds its job.
    await h.emit(PublishRequestedSchema, message, first);
    const again = await h.emit(PublishRequestedSchema, { ...message, attempt: 2 });
    expect(await h.handled(again)).toBe('handled');
    expect(await h.handled(first)).toBe('duplicate');
    expect(await jobsFor(message.publicationId)).toMatchObject([{ state: 'PENDING', requestedAttempt: 2 }]);
    await h.worker.runOnce();
    const third = await h.emit(PublishRequestedSchema, { ...message, attempt: 3 });
    expect(await h.handled(third)).toBe('handled');
    await h.worker.runOnce();
    expect(await jobsFor(message.publicationId)).toMatchObject([
      { state: 'PUBLISHED', attempts: 1, requestedAttempt: 3 },
    ]);
    expect(await h.sim.ledger({ platform: 'x', account: id })).toHaveLength(1);
  });

  it("parks a request to post one department's content on another department's account, creating no job", async () => {
    const { account, id } = await xAccount();
    // The payload and its header agree on a department; the account belongs to another one.
    const forged = { ...requestMessage({ account }), departmentId: randomUUID() };
    const eventId = await h.emit(PublishRequestedSchema, forged);
    expect(await h.handled(eventId)).toBe('dead-lettered');
    expect(await jobsFor(forged.publicationId)).toEqual([]);
    await h.worker.runOnce();
    expect(await h.sim.ledger({ platform: 'x', account: id })).toHaveLength(0);
  });

  it('does not publish a held publication that the scheduler then cancels', async () => {
    const { account, id, accessToken } = await xAccount();
    await h.sim.revokeToken(accessToken);
    const message = requestMessage({ account });
    await h.request({ account, publicationId: message.publicationId, contentId: message.contentId });
    await h.worker.runOnce();
    expect(await h.job(message.publicationId)).toMatchObject({ state: 'HELD' });
    const cancelled = await h.emit(PublicationCancelledSchema, {
      contentId: message.contentId,
      departmentId: account.departmentId,
      publicationId: message.publicationId,
      accountId: account.id,
      platform: message.platform,
      reason: 'The minister changed the wording',
    });
    expect(await h.handled(cancelled)).toBe('handled');
    const fresh = `x-at-${randomUUID()}`;
    await h.sim.registerXAccount({ id, username: 'MPRevenue', accessToken: fresh });
    await connect(h, 'X', department, { externalAccountId: id, accessToken: fresh });
    await h.worker.runOnce();
    expect(await h.job(message.publicationId)).toMatchObject({
      state: 'CANCELLED',
      lastError: expect.stringMatching(/wording/),
    });
    expect(await h.sim.ledger({ platform: 'x', account: id })).toHaveLength(0);
  });

  it('ignores a request it cannot act on without parking it', async () => {
    const { account } = await xAccount();
    const message = { ...requestMessage({ account }), snapshot: undefined };
    expect(await h.handled(await h.emit(PublishRequestedSchema, message))).toBe('handled');
    expect(await jobsFor(message.publicationId)).toEqual([]);
  });

  it('publishes on its own once started: request in, post out, events in the outbox', async () => {
    const { account, id } = await xAccount();
    const message = requestMessage({ account });
    h.worker.start();
    try {
      expect(await h.handled(await h.emit(PublishRequestedSchema, message))).toBe('handled');
      await eventually(async () =>
        expect(await h.job(message.publicationId)).toMatchObject({ state: 'PUBLISHED' }),
      );
    } finally {
      await h.worker.stop();
    }
    expect(await h.sim.ledger({ platform: 'x', account: id })).toHaveLength(1);
    const types = (await h.outbox())
      .filter((e) => e.message.publicationId === message.publicationId)
      .map((e) => e.type.split('.').pop());
    expect(types).toEqual(['PublishAttempted', 'PublicationPublished']);
  });

  it('never lets two workers claim the same job: each of many publications is posted once', async () => {
    const { account, id } = await xAccount();
    const ids: string[] = [];
    await asPlatform(h.ds, async (em) => {
      for (let i = 0; i < 24; i++) {
        const message = publishRequested({ account });
        ids.push(message.publicationId);
        await h.jobs.requested(em, message);
      }
    });
    const [one, two] = await Promise.all([h.jobs.claimDue(new Date(), 16), h.jobs.claimDue(new Date(), 16)]);
    const mine = (list: { job: { publicationId: string } }[]) =>
      list.map((c) => c.job.publicationId).filter((p) => ids.includes(p));
    expect(mine(one).filter((p) => mine(two).includes(p))).toEqual([]);
    expect(mine(one).length + mine(two).length).toBe(24);
    await Promise.all([...one, ...two].map((c) => h.worker.process(c)));
    expect(await h.sim.ledger({ platform: 'x', account: id })).toHaveLength(24);
    const states = await asPlatform(h.ds, (em) =>
      em.query(`SELECT DISTINCT state, attempts FROM publish_jobs WHERE publication_id = ANY($1)`, [ids]),
    );
    expect(states).toEqual([{ state: 'PUBLISHED', attempts: 1 }]);
  });
});
