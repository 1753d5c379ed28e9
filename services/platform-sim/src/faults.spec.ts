// Injected faults, per test through the control API: 429 storms, 5xx, seeded error rates, latency,
// policy blocks and the timeout that happens after the post was created.
import { request } from 'node:http';
import { call, startSim, type RunningSim } from './__fixtures__/harness';
import { FaultTable, seededRandom } from './faults';

const X_USER = '1500000000000000001';
const X_TOKEN = 'x-access';
const PAGE = '104000000000001';
const PAGE_TOKEN = 'fb-page';

describe('fault injection', () => {
  let sim: RunningSim;
  const tweet = (text: string, signal?: AbortSignal) =>
    fetch(`${sim.baseUrl}/2/tweets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${X_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
      signal,
    });
  const pagePost = (message: string) =>
    call<{ id?: string; error?: { code: number; message: string } }>(
      sim.baseUrl,
      'POST',
      `/v21.0/${PAGE}/feed`,
      {
        token: PAGE_TOKEN,
        form: { message },
      },
    );

  beforeEach(async () => {
    sim = await startSim();
    await sim.control.registerXAccount({ id: X_USER, username: 'mpagri', accessToken: X_TOKEN });
    await sim.control.registerFacebookPage({ id: PAGE, name: 'MP Agriculture', accessToken: PAGE_TOKEN });
  });
  afterEach(() => sim.close());

  it("answers a 429 storm for N calls in each platform's shape, then recovers", async () => {
    await sim.control.injectFault({ kind: 'rateLimit', platform: 'x', count: 2, retryAfterSeconds: 120 });
    for (const text of ['a', 'b']) {
      const res = await tweet(text);
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('120');
      expect(res.headers.get('x-rate-limit-remaining')).toBe('0');
      expect(Number(res.headers.get('x-rate-limit-reset'))).toBe(Date.parse('2026-01-05T04:32:00Z') / 1000);
      expect(await res.json()).toMatchObject({ title: 'Too Many Requests', status: 429 });
    }
    expect((await tweet('c')).status).toBe(201);
    expect(await sim.control.faults()).toEqual([]);

    await sim.control.injectFault({ kind: 'rateLimit', platform: 'facebook', account: PAGE, count: 1 });
    const limited = await pagePost('storm');
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({ code: 32 });
    expect(limited.headers.get('retry-after')).toBe('60');
    expect((await pagePost('calm')).status).toBe(200);
    expect((await sim.control.ledger()).map((e) => e.text)).toEqual(['c', 'calm']);
  });

  it('answers 5xx for the next N calls of one operation only, creating nothing', async () => {
    await sim.control.injectFault({ kind: 'error', operation: 'x.tweets.create', count: 2, status: 502 });
    expect((await call(sim.baseUrl, 'GET', '/2/users/me', { token: X_TOKEN })).status).toBe(200);
    const failed = await tweet('x');
    expect(failed.status).toBe(502);
    expect(await failed.json()).toMatchObject({ status: 502, type: 'about:blank' });
    expect((await tweet('x')).status).toBe(502);
    expect((await tweet('x')).status).toBe(201);
    expect(await sim.control.ledger()).toHaveLength(1);

    await sim.control.injectFault({ kind: 'error', platform: 'facebook', count: 1 });
    const graphFailure = await pagePost('boom');
    expect(graphFailure.status).toBe(503);
    expect(graphFailure.body.error).toMatchObject({ code: 2 });
  });

  it('fails a seeded share of calls: the same calls on every run', async () => {
    const outcomes = async () => {
      await sim.control.reset();
      await sim.control.registerXAccount({ id: X_USER, username: 'mpagri', accessToken: X_TOKEN });
      await sim.control.injectFault({ kind: 'error', platform: 'x', probability: 0.3, seed: 42 });
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) statuses.push((await tweet(`post ${i}`)).status);
      return statuses;
    };
    const first = await outcomes();
    const second = await outcomes();
    expect(second).toEqual(first);
    const failures = first.filter((s) => s === 503).length;
    expect(failures).toBeGreaterThan(0);
    expect(failures).toBeLessThan(30);
    expect(await sim.control.ledger()).toHaveLength(30 - failures);
  });

  it('adds latency and still answers', async () => {
    const fault = await sim.control.injectFault({ kind: 'latency', latencyMs: 50, count: 1 });
    expect(fault).toMatchObject({ id: expect.any(String), kind: 'latency', fired: 0 });
    expect((await tweet('slow')).status).toBe(201);
    expect(await sim.control.faults()).toEqual([]);
  });

  it("blocks a call with the platform's policy refusal (#368)", async () => {
    await sim.control.injectFault({ kind: 'blocked', platform: 'facebook', count: 1 });
    const blocked = await pagePost('spammy');
    expect(blocked.status).toBe(400);
    expect(blocked.body.error?.code).toBe(368);
  });

  it('timeout after commit (drop): the post is in the ledger, the client gets no response', async () => {
    await sim.control.injectFault({ kind: 'timeoutAfterCommit', operation: 'x.tweets.create', count: 1 });
    await expect(tweet('created, but the answer is lost')).rejects.toThrow();
    const ledger = await sim.control.ledger({ platform: 'x' });
    expect(ledger.map((e) => e.text)).toEqual(['created, but the answer is lost']);
    // The retry a careless client would make is refused as a duplicate: reconcile instead.
    const retry = await tweet('created, but the answer is lost');
    expect(retry.status).toBe(403);
    const own = await call<{ data: { text: string }[] }>(sim.baseUrl, 'GET', `/2/users/${X_USER}/tweets`, {
      token: X_TOKEN,
    });
    expect(own.body.data.map((t) => t.text)).toEqual(['created, but the answer is lost']);
  });

  it('timeout after commit (delay): the reply is held beyond the client timeout; the page post exists', async () => {
    await sim.control.injectFault({
      kind: 'timeoutAfterCommit',
      mode: 'delay',
      delayMs: 600_000,
      platform: 'facebook',
    });
    const outcome = await new Promise<string>((resolve) => {
      const req = request(`${sim.baseUrl}/v21.0/${PAGE}/feed`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${PAGE_TOKEN}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
      });
      // The client's own timeout fires because no response comes; the test waits for whichever happens.
      req.setTimeout(300, () => {
        req.destroy();
        resolve('timed out');
      });
      req.on('response', () => resolve('answered'));
      req.on('error', () => resolve('timed out'));
      req.end('message=held+back');
    });
    expect(outcome).toBe('timed out');
    await sim.control.settle();
    const ledger = await sim.control.ledger({ platform: 'facebook', account: PAGE });
    expect(ledger.map((e) => e.text)).toEqual(['held back']);
  });

  it('matches faults by platform, account and operation, and can be removed', async () => {
    await sim.control.injectFault({ kind: 'error', account: 'someone-else' });
    const mine = await sim.control.injectFault({ kind: 'error', platform: 'x' });
    expect((await pagePost('untouched')).status).toBe(200);
    expect((await tweet('hit')).status).toBe(503);
    expect((await sim.control.faults()).find((f) => f.id === mine.id)?.fired).toBe(1);
    await sim.control.removeFault(mine.id);
    expect((await tweet('clear')).status).toBe(201);
    await sim.control.clearFaults();
    expect(await sim.control.faults()).toEqual([]);
  });
});

describe('FaultTable', () => {
  it('fires at most one fault of each kind per call, oldest first, and forgets spent ones', () => {
    const table = new FaultTable();
    const first = table.add({ kind: 'error', count: 1 });
    table.add({ kind: 'error', status: 500 });
    table.add({ kind: 'latency', latencyMs: 5, count: 1 });
    const fired = table.fire({ platform: 'x', operation: 'x.tweets.create', account: '1' });
    expect([...fired.keys()].sort()).toEqual(['error', 'latency']);
    expect(fired.get('error')?.id).toBe(first.id);
    expect(table.fire({ platform: 'x', operation: 'x.tweets.create' }).get('error')?.status).toBe(500);
    expect(table.list()).toHaveLength(1);
  });

  it('applies a containerError only to container creation', () => {
    const table = new FaultTable();
    table.add({ kind: 'containerError' });
    expect(table.fire({ platform: 'instagram', operation: 'instagram.media.publish' }).size).toBe(0);
    expect(
      table.fire({ platform: 'instagram', operation: 'instagram.media.create' }).has('containerError'),
    ).toBe(true);
  });

  it('draws from a seeded PRNG in [0, 1)', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const draws = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(draws);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
  });
});
