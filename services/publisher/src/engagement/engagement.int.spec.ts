// Engagement: publications younger than the window are read every interval and emitted as
// EngagementSnapshot events with cumulative counts from each platform's insights.
import { randomUUID } from 'node:crypto';
import { Platform as PbPlatform } from '@prasar/contracts';
import {
  connect,
  numericId,
  requestMessage,
  startPublisher,
  unique,
  type PublisherHarness,
} from '../__fixtures__/harness';

describe('engagement snapshots', () => {
  let h: PublisherHarness;
  const department = unique('tourism');
  const HOUR = 3_600_000;

  beforeAll(async () => {
    h = await startPublisher('engagement');
  });
  afterAll(async () => {
    await h?.close();
  });

  const snapshotsOf = async (publicationId: string) =>
    (await h.outbox('EngagementSnapshot')).filter((e) => e.message.publicationId === publicationId);

  it('reads X, Facebook and Instagram insights of young publications every interval, and stops after the window', async () => {
    const x = numericId();
    const page = numericId();
    const ig = numericId();
    const token = (p: string) => `${p}-${randomUUID()}`;
    const tokens = { x: token('x'), fb: token('fb'), ig: token('ig') };
    await h.sim.registerXAccount({
      id: x,
      username: 'MPTourism',
      accessToken: tokens.x,
      refreshToken: tokens.x + '-rt',
    });
    await h.sim.registerFacebookPage({ id: page, name: 'MP Tourism', accessToken: tokens.fb });
    await h.sim.registerInstagramUser({ id: ig, username: 'mptourism', accessToken: tokens.ig });
    const accounts = [
      await connect(h, 'X', department, {
        externalAccountId: x,
        accessToken: tokens.x,
        refreshToken: `${tokens.x}-rt`,
        clientId: 'prasar-x-client',
      }),
      await connect(h, 'FACEBOOK', department, { externalAccountId: page, accessToken: tokens.fb }),
      await connect(h, 'INSTAGRAM', department, { externalAccountId: ig, accessToken: tokens.ig }),
    ];
    const ids: string[] = [];
    for (const account of accounts) {
      const r = requestMessage({ account });
      ids.push(r.publicationId);
      await h.request({
        account,
        publicationId: r.publicationId,
        // Served by the simulator: X takes the bytes, so the publisher fetches them.
        media: [{ url: h.sim.mediaUrl('khajuraho.jpg') }],
      });
    }
    await h.worker.runOnce();
    for (const id of ids) expect(await h.job(id)).toMatchObject({ state: 'PUBLISHED' });

    // Three hours of simulated age: the numbers have grown, and X's two-hour token has expired
    // (the poller refreshes it).
    await h.sim.advanceClock(3 * 3600);
    const now = Date.now();
    expect(await h.engagement.pollOnce(new Date(now + HOUR))).toBeGreaterThanOrEqual(3);
    for (const [i, id] of ids.entries()) {
      const [snapshot] = await snapshotsOf(id);
      expect(snapshot.message).toMatchObject({
        platform: [PbPlatform.X, PbPlatform.FACEBOOK, PbPlatform.INSTAGRAM][i],
        accountId: accounts[i].id,
        impressions: expect.any(Number),
      });
      expect(snapshot.message.impressions as number).toBeGreaterThan(0);
      expect(snapshot.message.likes as number).toBeGreaterThanOrEqual(0);
    }
    // Read once per interval: at the same moment again, nothing is due.
    await h.engagement.pollOnce(new Date(now + HOUR));
    for (const id of ids) expect(await snapshotsOf(id)).toHaveLength(1);
    // Past the 48-hour window nothing is read any more.
    await h.engagement.pollOnce(new Date(now + 49 * HOUR));
    for (const id of ids) expect(await snapshotsOf(id)).toHaveLength(1);
  });
});
