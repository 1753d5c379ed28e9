// The control API: closed without the admin token, validated, and able to reset everything.
import { PlatformSimError, platformSim } from '@prasar/testing';
import { createLogger } from '@prasar/telemetry';
import { ADMIN_TOKEN, call, startSim, type RunningSim } from './__fixtures__/harness';
import { loadSimConfig } from './config';
import { createSimServer } from './server';

describe('control API', () => {
  let sim: RunningSim;
  beforeEach(async () => {
    sim = await startSim();
  });
  afterEach(() => sim.close());

  it('refuses every call without the admin token, or with a wrong one', async () => {
    const none = await call(sim.baseUrl, 'GET', '/_sim/ledger');
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ error: 'unauthorized' });
    const wrong = await call(sim.baseUrl, 'POST', '/_sim/reset', { token: 'guess' });
    expect(wrong.status).toBe(401);
    const intruder = platformSim({ baseUrl: sim.baseUrl, adminToken: 'not-the-token' });
    await expect(
      intruder.registerXAccount({ id: '1', username: 'evil', accessToken: 'stolen' }),
    ).rejects.toBeInstanceOf(PlatformSimError);
    expect(
      (await call(sim.baseUrl, 'GET', '/_sim/ledger', { headers: { 'x-sim-admin-token': ADMIN_TOKEN } }))
        .status,
    ).toBe(200);
  });

  it('is not served at all when disabled, and cannot be enabled without a token', async () => {
    const closed = await startSim({ control: false, adminToken: undefined });
    try {
      expect((await call(closed.baseUrl, 'GET', '/_sim/ledger', { token: ADMIN_TOKEN })).status).toBe(404);
      expect((await call(closed.baseUrl, 'GET', '/healthz')).body).toEqual({ status: 'ok' });
    } finally {
      await closed.close();
    }
    expect(() => createSimServer({ log: createLogger('spec', { level: 'silent' }) })).toThrow(/admin token/);
  });

  it('validates what it is given and refuses a Graph id already used by another kind of object', async () => {
    const bad = await call<{ issues: { path: string }[] }>(sim.baseUrl, 'POST', '/_sim/x/accounts', {
      token: ADMIN_TOKEN,
      json: { id: 'not-numeric', username: 'x' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['id', 'accessToken']));
    await sim.control.registerFacebookPage({ id: '555', name: 'Page', accessToken: 'p' });
    const conflict = sim.control.registerInstagramUser({ id: '555', username: 'ig', accessToken: 'i' });
    await expect(conflict).rejects.toMatchObject({ status: 409 });
    await expect(sim.control.injectFault({ kind: 'latency' })).rejects.toMatchObject({ status: 400 });
  });

  it('moves, sets and freezes the simulated clock', async () => {
    expect(await sim.control.clock()).toEqual({ now: '2026-01-05T04:30:00.000Z', frozen: true });
    expect(await sim.control.advanceClock(90)).toEqual({ now: '2026-01-05T04:31:30.000Z', frozen: true });
    expect(await sim.control.setClock({ set: '2026-02-01T00:00:00Z' })).toMatchObject({
      now: '2026-02-01T00:00:00.000Z',
    });
    const running = await sim.control.setClock({ frozen: false });
    expect(running.frozen).toBe(false);
    expect(Date.parse(running.now)).toBeGreaterThanOrEqual(Date.parse('2026-02-01T00:00:00Z'));
  });

  it('resets accounts, ledger, faults and clock', async () => {
    await sim.control.registerXAccount({
      id: '1500000000000000001',
      username: 'mpagri',
      accessToken: 'x-token',
    });
    await call(sim.baseUrl, 'POST', '/2/tweets', { token: 'x-token', json: { text: 'before reset' } });
    await sim.control.injectFault({ kind: 'error' });
    await sim.control.advanceClock(3600);
    await sim.control.reset();
    expect(await sim.control.ledger()).toEqual([]);
    expect(await sim.control.faults()).toEqual([]);
    expect((await sim.control.clock()).now).toBe('2026-01-05T04:30:00.000Z');
    expect((await call(sim.baseUrl, 'GET', '/2/users/me', { token: 'x-token' })).status).toBe(401);
  });

  it('answers health, and 404 for paths no platform has', async () => {
    expect((await call(sim.baseUrl, 'GET', '/healthz')).status).toBe(200);
    expect((await call(sim.baseUrl, 'GET', '/nothing')).status).toBe(404);
    expect((await call(sim.baseUrl, 'GET', '/2/unknown', { token: 'x' })).status).toBe(404);
  });
});

describe('configuration', () => {
  it('has the documented defaults', () => {
    expect(loadSimConfig({ SIM_ADMIN_TOKEN: 'long-enough' })).toMatchObject({
      PORT: 4900,
      HOST: '127.0.0.1',
      SIM_CONTROL: true,
      SIM_CLOCK: 'wall',
      SIM_WEBHOOK_TIMEOUT_MS: 5000,
    });
  });

  it('needs SIM_ADMIN_TOKEN while the control API is on, and an app secret for a default webhook', () => {
    expect(() => loadSimConfig({})).toThrow(/SIM_ADMIN_TOKEN: is required/);
    expect(() => loadSimConfig({ SIM_ADMIN_TOKEN: 'short' })).toThrow(/SIM_ADMIN_TOKEN/);
    expect(loadSimConfig({ SIM_CONTROL: 'false' }).SIM_CONTROL).toBe(false);
    expect(() =>
      loadSimConfig({ SIM_ADMIN_TOKEN: 'long-enough', SIM_WHATSAPP_WEBHOOK_URL: 'http://127.0.0.1:1/hook' }),
    ).toThrow(/SIM_META_APP_SECRET/);
    expect(() => loadSimConfig({ SIM_ADMIN_TOKEN: 'long-enough', SIM_CLOCK: 'sundial' })).toThrow(
      /SIM_CLOCK/,
    );
  });
});
