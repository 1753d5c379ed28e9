// Instagram content publishing: container, status polling, publish once, the 24-hour quota.
import { call, startSim, type RunningSim } from './__fixtures__/harness';

const IG = '17841400000000001';
const TOKEN = 'ig-agri';
const JPEG = 'https://cdn.mp.gov.in/harvest.jpg';

interface GraphError {
  error: { message: string; code: number; error_subcode?: number; error_user_msg?: string };
}

describe('Instagram content publishing', () => {
  let sim: RunningSim;
  const graph = <T = Record<string, unknown>>(
    method: string,
    path: string,
    form?: Record<string, string>,
    token = TOKEN,
  ) => call<T>(sim.baseUrl, method, `/v21.0${path}`, { token, form });
  const createContainer = (form: Record<string, string>) =>
    graph<{ id: string } & GraphError>('POST', `/${IG}/media`, form);
  const status = async (id: string) =>
    (await graph<{ id: string; status_code: string }>('GET', `/${id}?fields=status_code`)).body;
  const publish = (id: string) =>
    graph<{ id: string } & GraphError>('POST', `/${IG}/media_publish`, { creation_id: id });

  beforeEach(async () => {
    sim = await startSim();
    await sim.control.registerInstagramUser({
      id: IG,
      username: 'mpagriculture',
      accessToken: TOKEN,
      publishingQuota: 2,
      containerReadyAfterPolls: 1,
    });
  });
  afterEach(() => sim.close());

  it('goes container → IN_PROGRESS → FINISHED → published, and publishing the same container again is refused', async () => {
    const container = await createContainer({ image_url: JPEG, caption: 'Harvest festival #MPKisan' });
    expect(container.status).toBe(200);
    expect(container.body).toEqual({ id: expect.stringMatching(/^\d+$/) });
    const id = container.body.id;

    const early = await publish(id);
    expect(early.status).toBe(400);
    expect(early.body.error).toMatchObject({ code: 9007, error_subcode: 2207027 });
    expect(await status(id)).toEqual({ id, status_code: 'IN_PROGRESS' });
    expect(await status(id)).toEqual({ id, status_code: 'FINISHED' });

    const published = await publish(id);
    expect(published.status).toBe(200);
    expect(published.body).toEqual({ id: expect.stringMatching(/^\d+$/) });
    expect(await status(id)).toEqual({ id, status_code: 'PUBLISHED' });

    const again = await publish(id);
    expect(again.status).toBe(400);
    expect(again.body.error.error_user_msg).toMatch(/already been published/);

    const ledger = await sim.control.ledger({ platform: 'instagram' });
    expect(ledger).toEqual([
      expect.objectContaining({
        account: IG,
        kind: 'ig_media',
        id: published.body.id,
        text: 'Harvest festival #MPKisan',
        details: {
          containerId: id,
          mediaType: 'IMAGE',
          mediaProductType: 'FEED',
          imageUrl: JPEG,
          media: { url: JPEG }, // not on a loopback host: not fetched
        },
      }),
    ]);
    const media = await graph<{ data: { id: string; caption: string; timestamp: string }[] }>(
      'GET',
      `/${IG}/media?fields=id,caption,timestamp`,
    );
    expect(media.body.data).toEqual([
      { id: published.body.id, caption: 'Harvest festival #MPKisan', timestamp: '2026-01-05T04:30:00+0000' },
    ]);
  });

  it('is ready after the simulated processing time even without polling', async () => {
    const { body } = await createContainer({ image_url: JPEG, caption: 'waited' });
    expect((await publish(body.id)).status).toBe(400);
    await sim.control.advanceClock(30);
    expect((await publish(body.id)).status).toBe(200);
  });

  it('enforces the rolling 24-hour publishing limit and reports it at content_publishing_limit', async () => {
    const publishOne = async (caption: string) => {
      const { body } = await createContainer({ image_url: JPEG, caption });
      await sim.control.advanceClock(30);
      return publish(body.id);
    };
    expect((await publishOne('one')).status).toBe(200);
    expect((await publishOne('two')).status).toBe(200);
    const limit = await graph('GET', `/${IG}/content_publishing_limit?fields=quota_usage,config`);
    expect(limit.body).toEqual({
      data: [{ quota_usage: 2, config: { quota_total: 2, quota_duration: 86400 } }],
    });

    const third = await publishOne('three');
    expect(third.status).toBe(400);
    expect(third.body.error).toMatchObject({ code: 9, error_subcode: 2207042 });
    expect(await sim.control.ledger({ platform: 'instagram' })).toHaveLength(2);

    await sim.control.advanceClock(86_400);
    expect((await publishOne('next day')).status).toBe(200);
    const usage = await graph('GET', `/${IG}/content_publishing_limit`);
    expect(usage.body).toEqual({ data: [{ quota_usage: 1 }] });
  });

  it("accepts JPEG only (by extension, or the image URL's `mime` parameter), a caption of 2,200 at most and 30 hashtags", async () => {
    const png = await createContainer({ image_url: 'https://cdn.mp.gov.in/a.png', caption: 'x' });
    expect(png.status).toBe(400);
    expect(png.body.error).toMatchObject({ code: 36001, error_subcode: 2207005 });
    const hinted = await createContainer({
      image_url: 'https://cdn.mp.gov.in/blob?mime=image/webp',
      caption: 'x',
    });
    expect(hinted.status).toBe(400);
    expect((await createContainer({ image_url: 'https://cdn.mp.gov.in/blob?mime=image/jpeg' })).status).toBe(
      200,
    );
    expect((await createContainer({ image_url: 'https://cdn.mp.gov.in/signed/abc123' })).status).toBe(200);
    expect((await createContainer({ image_url: 'ftp://cdn.mp.gov.in/a.jpg' })).body.error.code).toBe(9004);

    expect((await createContainer({ image_url: JPEG, caption: 'क'.repeat(2200) })).status).toBe(200);
    const long = await createContainer({ image_url: JPEG, caption: 'क'.repeat(2201) });
    expect(long.status).toBe(400);
    expect(long.body.error.code).toBe(100);
    const tags = (n: number) => Array.from({ length: n }, (_, i) => `#tag${i}`).join(' ');
    expect((await createContainer({ image_url: JPEG, caption: tags(30) })).status).toBe(200);
    expect((await createContainer({ image_url: JPEG, caption: tags(31) })).body.error.error_user_msg).toMatch(
      /31 hashtags/,
    );
  });

  it('takes alt text on a single image post only, and shows it in the ledger', async () => {
    const alt = 'किसान सम्मेलन में मुख्यमंत्री';
    const single = await createContainer({ image_url: JPEG, caption: 'x', alt_text: alt });
    expect(single.status).toBe(200);
    await status(single.body.id);
    expect((await publish(single.body.id)).status).toBe(200);
    const [entry] = await sim.control.ledger({ platform: 'instagram' });
    expect(entry.details.media).toMatchObject({ altText: alt });

    const item = await createContainer({ image_url: JPEG, is_carousel_item: 'true', alt_text: alt });
    expect(item.status).toBe(400);
    expect(item.body.error.message).toMatch(/single image posts/);
    const reel = await createContainer({
      media_type: 'REELS',
      video_url: 'https://cdn.mp.gov.in/a.mp4',
      alt_text: alt,
    });
    expect(reel.status).toBe(400);
  });

  it('publishes a carousel of item containers as one post', async () => {
    const item = async (n: number) =>
      (await createContainer({ image_url: `https://cdn.mp.gov.in/${n}.jpg`, is_carousel_item: 'true' })).body
        .id;
    const children = [await item(1), await item(2), await item(3)];
    const carousel = await createContainer({
      media_type: 'CAROUSEL',
      children: children.join(','),
      caption: 'Album',
    });
    expect(carousel.status).toBe(200);
    expect((await publish(children[0])).status).toBe(400);
    await sim.control.advanceClock(30);
    const published = await publish(carousel.body.id);
    expect(published.status).toBe(200);
    const [entry] = await sim.control.ledger({ platform: 'instagram' });
    expect(entry.details).toMatchObject({
      mediaType: 'CAROUSEL_ALBUM',
      children: children.map((containerId, i) => ({
        containerId,
        mediaType: 'IMAGE',
        url: `https://cdn.mp.gov.in/${i + 1}.jpg`,
      })),
    });
  });

  it('ends a container in ERROR when a containerError fault is injected', async () => {
    await sim.control.injectFault({ kind: 'containerError', platform: 'instagram', count: 1 });
    const { body } = await createContainer({ image_url: JPEG, caption: 'broken' });
    expect(await status(body.id)).toEqual({ id: body.id, status_code: 'ERROR' });
    expect((await publish(body.id)).body.error.error_subcode).toBe(2207032);
    const fine = await createContainer({ image_url: JPEG, caption: 'fine' });
    await sim.control.advanceClock(30);
    expect((await publish(fine.body.id)).status).toBe(200);
  });

  it('serves media insights that grow with age', async () => {
    const { body } = await createContainer({ image_url: JPEG, caption: 'growing' });
    await sim.control.advanceClock(30);
    const media = (await publish(body.id)).body.id;
    const read = async () =>
      Object.fromEntries(
        (
          await graph<{ data: { name: string; values: { value: number }[] }[] }>(
            'GET',
            `/${media}/insights?metric=impressions,reach,likes,comments,shares,saved`,
          )
        ).body.data.map((m) => [m.name, m.values[0].value]),
      );
    expect(await read()).toEqual({ impressions: 0, reach: 0, likes: 0, comments: 0, shares: 0, saved: 0 });
    await sim.control.advanceClock(12 * 3600);
    const later = await read();
    expect(later.impressions).toBeGreaterThan(0);
    expect(later.reach).toBeLessThanOrEqual(later.impressions);
  });

  it('refuses a revoked token with 190 and an unknown container with code 24', async () => {
    expect((await publish('17900000000099999')).body.error).toMatchObject({
      code: 24,
      error_subcode: 2207006,
    });
    await sim.control.revokeToken(TOKEN);
    const revoked = await createContainer({ image_url: JPEG });
    expect(revoked.status).toBe(401);
    expect(revoked.body.error).toMatchObject({ code: 190, error_subcode: 460 });
  });
});
