// Facebook Pages through the Graph API, as the publisher's adapter meets it.
import { call, startSim, type RunningSim } from './__fixtures__/harness';

const PAGE = '104000000000001';
const TOKEN = 'fb-page-agri';

interface GraphError {
  error: { message: string; type: string; code: number; error_subcode?: number; fbtrace_id: string };
}

describe('Facebook Graph API', () => {
  let sim: RunningSim;
  const graph = <T = Record<string, unknown>>(
    method: string,
    path: string,
    form?: Record<string, string>,
    token = TOKEN,
  ) => call<T>(sim.baseUrl, method, `/v21.0${path}`, { token, form });

  beforeEach(async () => {
    sim = await startSim();
    await sim.control.registerFacebookPage({ id: PAGE, name: 'MP Agriculture', accessToken: TOKEN });
  });
  afterEach(() => sim.close());

  it('publishes a link post to /{page-id}/feed as {id: "<page>_<post>"} and reads it back with its fields', async () => {
    const created = await graph<{ id: string }>('POST', `/${PAGE}/feed`, {
      message: 'e-Uparjan registration is open',
      link: 'https://mpeuparjan.nic.in',
    });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({ id: expect.stringMatching(new RegExp(`^${PAGE}_\\d+$`)) });

    const read = await graph(
      'GET',
      `/${created.body.id}?fields=id,message,created_time,permalink_url&access_token=${TOKEN}`,
      undefined,
      '', // the token travels as the access_token parameter here
    );
    expect(read.status).toBe(200);
    const postPart = created.body.id.split('_')[1];
    expect(read.body).toEqual({
      id: created.body.id,
      message: 'e-Uparjan registration is open',
      created_time: '2026-01-05T04:30:00+0000',
      permalink_url: `https://www.facebook.com/${PAGE}/posts/${postPart}`,
    });
    expect(await sim.control.ledger({ platform: 'facebook' })).toEqual([
      expect.objectContaining({
        account: PAGE,
        kind: 'page_post',
        id: created.body.id,
        text: 'e-Uparjan registration is open',
        details: { link: 'https://mpeuparjan.nic.in' },
      }),
    ]);
  });

  it('publishes a photo to /{page-id}/photos as {id, post_id}', async () => {
    const created = await graph<{ id: string; post_id: string }>('POST', `/${PAGE}/photos`, {
      url: 'https://cdn.mp.gov.in/kisan.jpg',
      caption: 'Kisan samman',
    });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^\d+$/),
      post_id: expect.stringMatching(/^\d+_\d+$/),
    });
    const ledger = await sim.control.ledger({ account: PAGE });
    expect(ledger[0]).toMatchObject({ kind: 'page_photo', id: created.body.post_id, text: 'Kisan samman' });
    const missing = await graph<GraphError>('POST', `/${PAGE}/photos`, { caption: 'no image' });
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe(324);
  });

  it("lists the page's recent posts newest first, with paging cursors (reconciliation)", async () => {
    for (const message of ['one', 'two', 'three']) {
      await graph('POST', `/${PAGE}/feed`, { message });
      await sim.control.advanceClock(60);
    }
    const page1 = await graph<{
      data: { id: string; message: string }[];
      paging: { cursors: { after: string } };
    }>('GET', `/${PAGE}/posts?limit=2`);
    expect(page1.body.data.map((p) => p.message)).toEqual(['three', 'two']);
    const page2 = await graph<{ data: { message: string }[] }>(
      'GET',
      `/${PAGE}/posts?limit=2&after=${page1.body.paging.cursors.after}`,
    );
    expect(page2.body.data.map((p) => p.message)).toEqual(['one']);
    const since = await graph<{ data: unknown[] }>(
      'GET',
      `/${PAGE}/posts?since=${Date.parse('2026-01-05T04:31:00Z') / 1000}`,
    );
    expect(since.body.data).toHaveLength(2);
  });

  it('refuses a status identical to the previous one (#506) and a post without message or link (#100)', async () => {
    expect((await graph('POST', `/${PAGE}/feed`, { message: 'same words' })).status).toBe(200);
    const duplicate = await graph<GraphError>('POST', `/${PAGE}/feed`, { message: 'same words' });
    expect(duplicate.status).toBe(400);
    expect(duplicate.body.error).toMatchObject({ code: 506, type: 'OAuthException' });
    const empty = await graph<GraphError>('POST', `/${PAGE}/feed`, {});
    expect(empty.body.error.code).toBe(100);
    expect(await sim.control.ledger({ account: PAGE })).toHaveLength(1);
  });

  it('serves post insights that grow with age', async () => {
    const { body } = await graph<{ id: string }>('POST', `/${PAGE}/feed`, { message: 'Fasal bima' });
    const insights = async () =>
      (
        await graph<{ data: { name: string; period: string; values: { value: unknown }[]; id: string }[] }>(
          'GET',
          `/${body.id}/insights?metric=post_impressions,post_impressions_unique,post_reactions_by_type_total,post_clicks`,
        )
      ).body.data;
    const start = await insights();
    expect(start.map((m) => m.name)).toEqual([
      'post_impressions',
      'post_impressions_unique',
      'post_reactions_by_type_total',
      'post_clicks',
    ]);
    expect(start[0]).toMatchObject({
      period: 'lifetime',
      values: [{ value: 0 }],
      id: `${body.id}/insights/post_impressions/lifetime`,
    });
    await sim.control.advanceClock(6 * 3600);
    const later = await insights();
    expect(later[0].values[0].value).toBeGreaterThan(0);
    expect(later[1].values[0].value).toBeLessThanOrEqual(later[0].values[0].value as number);
    expect(later[2].values[0].value).toEqual({
      like: expect.any(Number),
      love: expect.any(Number),
      wow: expect.any(Number),
      haha: expect.any(Number),
      sorry: expect.any(Number),
      anger: expect.any(Number),
    });
    const bad = await graph<GraphError>('GET', `/${body.id}/insights?metric=post_nonsense`);
    expect(bad.body.error.code).toBe(100);
  });

  it("answers Graph's token errors: revoked 190/460, expired 190/463, none 104, another page's 200", async () => {
    await sim.control.registerFacebookPage({
      id: '104000000000002',
      name: 'MP Health',
      accessToken: 'fb-health',
    });
    const other = await graph<GraphError>('POST', `/${PAGE}/feed`, { message: 'x' }, 'fb-health');
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe(200);

    const none = await graph<GraphError>('POST', `/${PAGE}/feed`, { message: 'x' }, '');
    expect(none.body.error.code).toBe(104);

    await sim.control.expireToken('fb-health');
    const expired = await graph<GraphError>('GET', '/104000000000002', undefined, 'fb-health');
    expect(expired.status).toBe(401);
    expect(expired.body.error).toMatchObject({ code: 190, error_subcode: 463, type: 'OAuthException' });

    await sim.control.revokeToken(TOKEN);
    const revoked = await graph<GraphError>('POST', `/${PAGE}/feed`, { message: 'after revoke' });
    expect(revoked.status).toBe(401);
    expect(revoked.body.error).toMatchObject({
      code: 190,
      error_subcode: 460,
      fbtrace_id: expect.any(String),
    });
    expect(await sim.control.ledger({ platform: 'facebook' })).toEqual([]);
  });

  it('answers an unknown object id with #100 subcode 33', async () => {
    const unknown = await graph<GraphError>('GET', '/999');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: 100, error_subcode: 33 });
  });
});
