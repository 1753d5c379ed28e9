// X API v2 as the publisher's adapter meets it: shapes, refusals, token lifecycle, rate limits.
import { createHash } from 'node:crypto';
import { call, startSim, type RunningSim } from './__fixtures__/harness';

const USER = '1500000000000000001';
const TOKEN = 'x-access-agri';
const REFRESH = 'x-refresh-agri';
const CLIENT = 'prasar-publisher';

describe('X API v2', () => {
  let sim: RunningSim;

  beforeEach(async () => {
    sim = await startSim();
    await sim.control.registerXAccount({
      id: USER,
      username: 'mpagriculture',
      accessToken: TOKEN,
      refreshToken: REFRESH,
      clientId: CLIENT,
    });
  });
  afterEach(() => sim.close());

  const post = (json: unknown, token = TOKEN) => call(sim.baseUrl, 'POST', '/2/tweets', { token, json });

  it('creates a post with uploaded media, as X answers: 201 {data:{id,text}} and the ledger has it', async () => {
    const form = new FormData();
    form.append('media', new Blob([Buffer.alloc(2048, 1)], { type: 'image/jpeg' }), 'photo.jpg');
    form.append('media_category', 'tweet_image');
    const uploaded = await fetch(`${sim.baseUrl}/2/media/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: form,
    });
    expect(uploaded.status).toBe(200);
    const media = (await uploaded.json()) as { data: { id: string; media_key: string; size: number } };
    expect(media.data).toMatchObject({ id: expect.stringMatching(/^\d+$/), size: 2048 });
    expect(media.data.media_key).toBe(`3_${media.data.id}`);

    const created = await post({
      text: 'किसानों के लिए नई योजना #MPKisan',
      media: { media_ids: [media.data.id] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      data: {
        id: expect.stringMatching(/^\d{15,20}$/),
        // As on X, the media are linked at the end of the text.
        text: expect.stringMatching(/^किसानों के लिए नई योजना #MPKisan https:\/\/t\.co\/\w+$/),
        edit_history_tweet_ids: [expect.any(String)],
      },
    });
    expect(created.headers.get('x-rate-limit-remaining')).toBe('298'); // the upload counted too

    const ledger = await sim.control.ledger({ platform: 'x', account: USER });
    expect(ledger).toEqual([
      expect.objectContaining({
        platform: 'x',
        account: USER,
        kind: 'tweet',
        id: (created.body.data as { id: string }).id,
        text: (created.body.data as { text: string }).text,
        createdAt: '2026-01-05T04:30:00.000Z',
        details: {
          mediaIds: [media.data.id],
          media: [
            {
              id: media.data.id,
              mediaKey: `3_${media.data.id}`,
              category: 'tweet_image',
              contentType: 'image/jpeg',
              size: 2048,
              sha256: createHash('sha256').update(Buffer.alloc(2048, 1)).digest('hex'),
            },
          ],
        },
      }),
    ]);
  });

  it("lists the account's own recent posts newest first, with created_at when asked (reconciliation)", async () => {
    const first = await post({ text: 'first' });
    await sim.control.advanceClock(60);
    const second = await post({ text: 'second' });
    const listed = await call<{ data: { id: string; text: string; created_at: string }[]; meta: unknown }>(
      sim.baseUrl,
      'GET',
      `/2/users/${USER}/tweets?max_results=5&tweet.fields=created_at`,
      { token: TOKEN },
    );
    expect(listed.status).toBe(200);
    const ids = [(second.body.data as { id: string }).id, (first.body.data as { id: string }).id];
    expect(listed.body.data.map((t) => t.id)).toEqual(ids);
    expect(listed.body.data[0]).toEqual({
      id: ids[0],
      text: 'second',
      edit_history_tweet_ids: [ids[0]],
      created_at: '2026-01-05T04:31:00.000Z',
    });
    expect(listed.body.meta).toEqual({ result_count: 2, newest_id: ids[0], oldest_id: ids[1] });

    const since = await call<{ meta: unknown }>(
      sim.baseUrl,
      'GET',
      `/2/users/${USER}/tweets?since_id=${ids[0]}`,
      {
        token: TOKEN,
      },
    );
    expect(since.body).toEqual({ meta: { result_count: 0 } });
  });

  it('refuses identical text from the same account with 403 "duplicate content"', async () => {
    expect((await post({ text: 'Mandi prices for today' })).status).toBe(201);
    const again = await post({ text: 'Mandi prices for today' });
    expect(again.status).toBe(403);
    expect(again.body).toEqual({
      title: 'Forbidden',
      detail: 'You are not allowed to create a Tweet with duplicate content.',
      type: 'about:blank',
      status: 403,
    });
    expect(await sim.control.ledger({ platform: 'x' })).toHaveLength(1);
  });

  it('counts length as X does (twitter-text weights): URLs are 23, Devanagari 1; over 280 is a 400', async () => {
    const url = `https://mp.gov.in/${'a'.repeat(200)}`;
    const fits = `${'क'.repeat(250)} ${url}`; // 250 + 1 + 23 = 274 weighted, 451 characters
    expect((await post({ text: fits })).status).toBe(201);
    const tooLong = 'किसान '.repeat(47); // 282 weighted
    const refused = await post({ text: tooLong });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      title: 'Invalid Request',
      type: 'https://api.twitter.com/2/problems/invalid-request',
      errors: [{ parameters: { text: [tooLong] } }],
    });
    const emoji = '🙏'.repeat(141); // 282 weighted
    expect((await post({ text: emoji })).status).toBe(400);
    expect(await sim.control.ledger({ platform: 'x' })).toHaveLength(1);
  });

  it('expires access tokens after two simulated hours; refresh issues a new pair and consumes the old refresh token', async () => {
    await sim.control.advanceClock(2 * 3600);
    const expired = await post({ text: 'after two hours' });
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual({
      title: 'Unauthorized',
      detail: 'Unauthorized',
      type: 'about:blank',
      status: 401,
    });

    const basic = `Basic ${Buffer.from(`${CLIENT}:`).toString('base64')}`;
    const refreshed = await call<{ access_token: string; refresh_token: string }>(
      sim.baseUrl,
      'POST',
      '/2/oauth2/token',
      { form: { grant_type: 'refresh_token', refresh_token: REFRESH }, headers: { authorization: basic } },
    );
    expect(refreshed.status).toBe(200);
    expect(refreshed.body).toEqual({
      token_type: 'bearer',
      expires_in: 7200,
      access_token: expect.any(String),
      scope: expect.stringContaining('tweet.write'),
      refresh_token: expect.any(String),
    });
    expect(refreshed.body.refresh_token).not.toBe(REFRESH);
    expect((await post({ text: 'after refresh' }, refreshed.body.access_token)).status).toBe(201);

    const reused = await call(sim.baseUrl, 'POST', '/2/oauth2/token', {
      form: { grant_type: 'refresh_token', refresh_token: REFRESH, client_id: CLIENT },
    });
    expect(reused.status).toBe(400);
    expect(reused.body).toEqual({ error: 'invalid_request', error_description: expect.any(String) });

    const wrongClient = await call(sim.baseUrl, 'POST', '/2/oauth2/token', {
      form: {
        grant_type: 'refresh_token',
        refresh_token: refreshed.body.refresh_token,
        client_id: 'someone-else',
      },
    });
    expect(wrongClient.status).toBe(400);
  });

  it('answers 401 for a revoked token and refuses its refresh token too', async () => {
    await sim.control.revokeToken(TOKEN);
    const refused = await post({ text: 'after revocation' });
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ title: 'Unauthorized', status: 401 });
    const refresh = await call(sim.baseUrl, 'POST', '/2/oauth2/token', {
      form: { grant_type: 'refresh_token', refresh_token: REFRESH, client_id: CLIENT },
    });
    expect(refresh.status).toBe(400);
    expect((await call(sim.baseUrl, 'GET', '/2/users/me', {})).status).toBe(401);
  });

  it("enforces the account's rate limit with X's headers, and the window resets on the simulated clock", async () => {
    await sim.control.registerXAccount({
      id: '1500000000000000002',
      username: 'mphealth',
      accessToken: 'x-health',
      rateLimit: { limit: 2, windowSeconds: 900 },
    });
    const health = (text: string) => post({ text }, 'x-health');
    expect((await health('one')).status).toBe(201);
    expect((await health('two')).status).toBe(201);
    const limited = await health('three');
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({
      title: 'Too Many Requests',
      detail: 'Too Many Requests',
      type: 'about:blank',
      status: 429,
    });
    expect(limited.headers.get('x-rate-limit-remaining')).toBe('0');
    expect(limited.headers.get('retry-after')).toBe('900');
    const resetAt = Date.parse('2026-01-05T04:30:00Z') / 1000 + 900;
    expect(limited.headers.get('x-rate-limit-reset')).toBe(String(resetAt));
    await sim.control.advanceClock(900);
    expect((await health('three')).status).toBe(201);
    expect((await sim.control.ledger({ account: '1500000000000000002' })).map((e) => e.text)).toEqual([
      'one',
      'two',
      'three',
    ]);
  });

  it('serves public and non-public metrics that grow as the simulated clock advances', async () => {
    // A day passes in this test: a token that outlives it (the default one expires after 2 hours).
    await sim.control.registerXAccount({
      id: USER,
      username: 'mpagriculture',
      accessToken: TOKEN,
      accessTokenTtlSeconds: 7 * 86_400,
    });
    const created = await post({ text: 'Soil health cards distributed' });
    const id = (created.body.data as { id: string }).id;
    const metrics = async () =>
      (
        await call<{
          data: { public_metrics: Record<string, number>; non_public_metrics: Record<string, number> };
        }>(sim.baseUrl, 'GET', `/2/tweets/${id}?tweet.fields=public_metrics,non_public_metrics,created_at`, {
          token: TOKEN,
        })
      ).body.data;
    const atStart = await metrics();
    expect(atStart.public_metrics).toEqual({
      retweet_count: 0,
      reply_count: 0,
      like_count: 0,
      quote_count: 0,
      bookmark_count: 0,
      impression_count: 0,
    });
    await sim.control.advanceClock(3600);
    const afterHour = await metrics();
    await sim.control.advanceClock(23 * 3600);
    const afterDay = await metrics();
    expect(afterHour.public_metrics.impression_count).toBeGreaterThan(0);
    expect(afterDay.public_metrics.impression_count).toBeGreaterThan(
      afterHour.public_metrics.impression_count,
    );
    expect(afterDay.public_metrics.like_count).toBeGreaterThanOrEqual(afterHour.public_metrics.like_count);
    expect(afterDay.non_public_metrics.url_link_clicks).toBeGreaterThanOrEqual(
      afterHour.non_public_metrics.url_link_clicks,
    );
    expect(afterDay.non_public_metrics.impression_count).toBe(afterDay.public_metrics.impression_count);
  });

  it('answers a missing post the way X does (200 with a resource-not-found error)', async () => {
    const missing = await call(sim.baseUrl, 'GET', '/2/tweets/123', { token: TOKEN });
    expect(missing.status).toBe(200);
    expect(missing.body).toEqual({
      errors: [
        expect.objectContaining({ resource_type: 'tweet', resource_id: '123', title: 'Not Found Error' }),
      ],
    });
  });
});
