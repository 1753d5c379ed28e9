// Publishing against the platform simulator (its own process), real Kafka and PostgreSQL: each
// platform publishes once, and the simulator's ledger (what it really created) agrees.
import { randomUUID } from 'node:crypto';
import { ContentKind } from '@prasar/contracts';
import {
  connect,
  numericId,
  requestMessage,
  startPublisher,
  unique,
  type PublisherHarness,
  later,
  simXAccount,
} from '../__fixtures__/harness';

describe('publishing each platform once', () => {
  let h: PublisherHarness;
  const department = unique('agri');
  /** A moment after every retry a spec can cause (retries wait at most a couple of seconds here). */

  beforeAll(async () => {
    h = await startPublisher('publishing');
  });
  afterAll(async () => {
    await h?.close();
  });

  const xAccount = (extra: { refreshToken?: string } = {}) =>
    simXAccount(h, department, { username: 'MPAgriculture', ...extra }, { handle: '@MPAgriculture' });

  it('posts to X once: the job records the post id and its URL, the ledger has exactly that post', async () => {
    const { account, id } = await xAccount();
    const r = requestMessage({ account });
    await h.request({ account, publicationId: r.publicationId, text: 'मंडी में रिकॉर्ड आवक' });
    await h.worker.runOnce();
    const job = await h.job(r.publicationId);
    const ledger = await h.sim.ledger({ platform: 'x', account: id });
    expect(ledger).toHaveLength(1);
    expect(job).toMatchObject({
      state: 'PUBLISHED',
      externalId: ledger[0].id,
      url: `https://x.com/MPAgriculture/status/${ledger[0].id}`,
      reconciled: false,
      attempts: 1,
    });
    expect(ledger[0].text).toContain('मंडी में रिकॉर्ड आवक');
    const [published] = (await h.outbox('PublicationPublished')).filter(
      (e) => e.message.publicationId === r.publicationId,
    );
    expect(published.message).toMatchObject({ externalId: ledger[0].id, attempt: 1, reconciled: false });
    expect(
      (await h.outbox('PublishAttempted')).filter((e) => e.message.publicationId === r.publicationId),
    ).toHaveLength(1);
  });

  it('posts to a Facebook page: text to the feed, an image through photos', async () => {
    const page = numericId();
    const accessToken = `fb-${randomUUID()}`;
    await h.sim.registerFacebookPage({ id: page, name: 'MP Agriculture', accessToken });
    const account = await connect(h, 'FACEBOOK', department, { externalAccountId: page, accessToken });
    await h.request({ account });
    const photo = requestMessage({ account, media: [{ url: 'https://cdn.mp.gov.in/wheat.jpg' }] });
    await h.request({
      account,
      publicationId: photo.publicationId,
      media: [{ url: 'https://cdn.mp.gov.in/wheat.jpg' }],
    });
    await h.worker.runOnce();
    const ledger = await h.sim.ledger({ platform: 'facebook', account: page });
    expect(ledger.map((e) => e.kind).sort()).toEqual(['page_photo', 'page_post']);
    const job = await h.job(photo.publicationId);
    const entry = ledger.find((e) => e.kind === 'page_photo')!;
    expect(job).toMatchObject({ state: 'PUBLISHED', externalId: entry.id });
    expect(job.url).toBe(`https://www.facebook.com/${entry.id.replace('_', '/posts/')}`);
    expect(entry.details).toMatchObject({ imageUrl: 'https://cdn.mp.gov.in/wheat.jpg' });
  });

  it('publishes to Instagram in two steps, keeping the container, within the publishing limit', async () => {
    const user = numericId();
    const accessToken = `ig-${randomUUID()}`;
    await h.sim.registerInstagramUser({
      id: user,
      username: 'mpagriculture',
      accessToken,
      publishingQuota: 1,
    });
    const account = await connect(h, 'INSTAGRAM', department, { externalAccountId: user, accessToken });
    const media = [{ url: 'https://cdn.mp.gov.in/harvest.jpg' }];
    const first = requestMessage({ account });
    await h.request({ account, publicationId: first.publicationId, media });
    await h.worker.runOnce();
    const job = await h.job(first.publicationId);
    const ledger = await h.sim.ledger({ platform: 'instagram', account: user });
    expect(ledger).toHaveLength(1);
    expect(job).toMatchObject({
      state: 'PUBLISHED',
      externalId: ledger[0].id,
      igContainerId: ledger[0].details.containerId,
    });
    expect(job.url).toMatch(/^https:\/\/www\.instagram\.com\/p\//);

    // The quota of one post a day is used: the next one waits instead of being refused.
    const second = requestMessage({ account });
    await h.request({ account, publicationId: second.publicationId, media });
    await h.worker.runOnce();
    expect(await h.job(second.publicationId)).toMatchObject({
      state: 'PENDING',
      igContainerId: null,
      lastError: expect.stringMatching(/publishing limit/),
    });
    expect(await h.sim.ledger({ platform: 'instagram', account: user })).toHaveLength(1);
  });

  it('refuses a post that breaks a compliance rule just before publishing, naming the rule', async () => {
    const { account, id } = await xAccount();
    const r = requestMessage({ account });
    await h.request({
      account,
      publicationId: r.publicationId,
      text: 'BJP सरकार की उपलब्धि',
      kind: ContentKind.ACHIEVEMENT,
    });
    await h.worker.runOnce();
    expect(await h.job(r.publicationId)).toMatchObject({
      state: 'FAILED',
      lastError: expect.stringMatching(/POLITICAL_NEUTRALITY/),
      attempts: 0,
    });
    expect(await h.sim.ledger({ platform: 'x', account: id })).toHaveLength(0);
    const [failed] = (await h.outbox('PublicationFailed')).filter(
      (e) => e.message.publicationId === r.publicationId,
    );
    expect(failed.message).toMatchObject({
      permanent: true,
      reason: expect.stringMatching(/POLITICAL_NEUTRALITY/),
    });
  });

  it("fails the target with X's reason when X refuses the post as a duplicate", async () => {
    const { account, id, accessToken } = await xAccount();
    const text = `पहले से पोस्ट किया हुआ ${randomUUID().slice(0, 6)}`;
    // The same text was posted outside Prasar.
    const r = requestMessage({ account, text });
    const composed = `${text}\n\n#MPKisan`;
    const direct = await fetch(`${h.simUrl}/2/tweets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: composed }),
    });
    expect(direct.status).toBe(201);
    await h.request({ account, publicationId: r.publicationId, text });
    await h.worker.runOnce();
    expect(await h.job(r.publicationId)).toMatchObject({
      state: 'FAILED',
      lastError: expect.stringMatching(/duplicate content/),
    });
    expect(await h.sim.ledger({ platform: 'x', account: id })).toHaveLength(1);
  });

  it('fails a Facebook post the platform blocks (#368) with its reason, without retrying', async () => {
    const page = numericId();
    const accessToken = `fb-${randomUUID()}`;
    await h.sim.registerFacebookPage({ id: page, name: 'MP Health', accessToken });
    const account = await connect(h, 'FACEBOOK', department, { externalAccountId: page, accessToken });
    await h.sim.injectFault({ kind: 'blocked', platform: 'facebook', account: page, count: 1 });
    const r = requestMessage({ account });
    await h.request({ account, publicationId: r.publicationId });
    await h.worker.runOnce();
    await h.worker.runOnce(later());
    expect(await h.job(r.publicationId)).toMatchObject({
      state: 'FAILED',
      attempts: 1,
      lastError: expect.stringMatching(/#368/),
    });
    expect(await h.sim.ledger({ platform: 'facebook', account: page })).toHaveLength(0);
  });
});
